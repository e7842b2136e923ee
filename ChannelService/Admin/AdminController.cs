using System.Security.Cryptography;
using System.Text;
using ChannelService.Accounts;
using ChannelService.Configuration;
using ChannelService.Web;
using FluentValidation;
using FluentValidation.Results;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Localization;
using Microsoft.Extensions.Options;

namespace ChannelService.Admin;

/// <summary>
/// The admin UI (channel-framework.md §2): Zendesk POSTs its fields to <c>/admin</c> inside an iframe; the page's own
/// steps post to <c>/admin/step</c> carrying the sealed <see cref="AdminFlow"/> (no cookies: they are third-party
/// inside the iframe), one action per button (<see cref="AdminStepAttribute"/>); Save renders a form that posts
/// <c>name</c>, <c>metadata</c> and <c>state</c> to <c>return_url</c>. Saving itself is <see cref="AccountSetup"/>.
/// </summary>
[IgnoreAntiforgeryToken]
internal sealed class AdminController(
    AdminFlowTokenCodec flows,
    MetadataCodec metadata,
    AccountSetup setup,
    ConnectionTester tester,
    IEnumerable<ICollectionDiscovery> discoveries,
    IValidator<AdminForm> formValidator,
    IStringLocalizer<AdminText> t,
    IOptions<ChannelOptions> options,
    IWebHostEnvironment environment) : Controller, IAnswersInvalidRequests
{
    private readonly ICollectionDiscovery? discovery = discoveries.FirstOrDefault();
    private readonly bool sandbox = options.Value.SandboxEnabled(environment.IsDevelopment());

    /// <summary>What every step works on: the opened flow, the page's fields, and the account being edited.</summary>
    private sealed record AdminStep(AdminFlow Flow, AdminForm Form, AccountMetadata? Existing);

    /// <summary>Zendesk's cross-site POST when an admin adds or edits an account.</summary>
    [HttpPost("/admin")]
    public async Task<IActionResult> Start([FromForm] AdminStartRequest request, [FromServices] CurrentAccount caller)
    {
        AllowZendeskFraming();
        var subdomain = request.Subdomain;
        var returnUrl = ReturnUrlPolicy.Check(request.ReturnUrl, subdomain, options.Value.ReturnUrlHosts, SandboxReturnUrl());
        if (returnUrl is null)
        {
            // Metadata posted to a foreign address would hand over the source credentials: refuse, render nothing.
            return Problem(t["The return address Zendesk sent is not on a Zendesk domain this service accepts, so nothing can be saved. If your Zendesk uses its own domain, ask the operator to add it to Channel:ReturnUrlHosts."]);
        }

        // Here empty metadata means a new account, so the metadata scheme is asked, not required.
        AccountMetadata? account = null;
        if (!string.IsNullOrEmpty(request.Metadata))
        {
            var authenticated = await HttpContext.AuthenticateAsync(MetadataAuthenticationHandler.SchemeName);
            if (!authenticated.Succeeded)
            {
                return Problem(t["The saved settings of this account could not be read by this service (they were made by another installation or with a key it no longer has). Delete the account and add it again."]);
            }

            account = caller.Account;
        }

        var flow = flows.Start(returnUrl.AbsoluteUri, ReturnUrlPolicy.IsValidSubdomain(subdomain) ? subdomain.ToLowerInvariant() : "", request.Locale, request.Name, request.Metadata, request.State, request.InstancePushId, request.ZendeskAccessToken);
        return account is null
            ? Page("Kind", flow, AdminForm.Defaults("ics"))
            : Page("Details", flow, AdminForm.FromAccount(account, flow.Name), hasSavedSecret: account.Secret is not null);
    }

    /// <summary>Back to the choice of source.</summary>
    [HttpPost("/admin/step")]
    [AdminStep("back")]
    public Task<IActionResult> Back([FromForm] AdminStepRequest request) =>
        WithStepAsync(request, step => Task.FromResult<IActionResult>(Page("Kind", step.Flow, step.Form)));

    /// <summary>A source kind was chosen: its details page.</summary>
    [HttpPost("/admin/step")]
    [AdminStep("kind")]
    public Task<IActionResult> Kind([FromForm] AdminStepRequest request) =>
        WithStepAsync(request, step => Task.FromResult<IActionResult>(SourceKinds.TryParse(step.Form.Kind, out _)
            ? Page("Details", step.Flow, AdminForm.Defaults(step.Form.Kind!) with { DisplayName = step.Form.DisplayName }, step.Existing)
            : Page("Kind", step.Flow, step.Form, errors: new() { ["kind"] = t["Choose what to connect."] })));

    /// <summary>Lists the calendars and task lists at a CalDAV address.</summary>
    [HttpPost("/admin/step")]
    [AdminStep("discover")]
    public Task<IActionResult> Discover([FromForm] AdminStepRequest request, CancellationToken cancellationToken) =>
        WithStepAsync(request, step => DiscoverAsync(step, cancellationToken));

    /// <summary>Tests the connection and shows what the account would do now.</summary>
    [HttpPost("/admin/step")]
    [AdminStep("test")]
    public Task<IActionResult> Test([FromForm] AdminStepRequest request, CancellationToken cancellationToken) =>
        WithStepAsync(request, step => TestOrSaveAsync(save: false, step, cancellationToken));

    /// <summary>Tests again unless the same settings just passed, then saves and posts the account back to Zendesk.</summary>
    [HttpPost("/admin/step")]
    [AdminStep("save")]
    public Task<IActionResult> Save([FromForm] AdminStepRequest request, CancellationToken cancellationToken) =>
        WithStepAsync(request, step => TestOrSaveAsync(save: true, step, cancellationToken));

    /// <summary>A post without a button the pages have.</summary>
    [HttpPost("/admin/step")]
    [AdminStep(null)]
    public Task<IActionResult> Unknown([FromForm] AdminStepRequest request) =>
        WithStepAsync(request, _ => Task.FromResult<IActionResult>(Problem(t["The form was sent without a known action."])));

    /// <summary>An invalid post (<see cref="ValidationFilter"/>) gets the admin UI's problem page, framable by Zendesk.</summary>
    IActionResult IAnswersInvalidRequests.Invalid(ValidationResult result)
    {
        AllowZendeskFraming();
        return Problem(result.Errors[0].ErrorMessage);
    }

    /// <summary>Opens the sealed flow and the account being edited, then runs the step; a bad flow gets a problem page.</summary>
    private async Task<IActionResult> WithStepAsync(AdminStepRequest request, Func<AdminStep, Task<IActionResult>> step)
    {
        AllowZendeskFraming();
        if (!flows.TryOpen(request.Flow, out var flow, out var rejection))
        {
            return Problem(AdminFlowMessages.For(rejection, t));
        }

        var form = request.Form;
        var typed = string.IsNullOrEmpty(form.Password) ? null : form.Password;
        if (typed is not null && !typed.Any(char.IsControl) && typed.Length <= NewAccountRequestValidator.MaxSecretLength)
        {
            // Kept sealed in the flow, never rendered back into the page.
            flow = flow with { PendingSecret = typed };
        }

        AccountMetadata? existing = null;
        if (flow.IsEdit && !metadata.TryDecode(flow.Metadata, out existing, out _))
        {
            return Problem(t["The saved settings of this account could not be read by this service (they were made by another installation or with a key it no longer has). Delete the account and add it again."]);
        }

        return await step(new AdminStep(flow, form, existing));
    }

    private async Task<IActionResult> DiscoverAsync(AdminStep step, CancellationToken cancellationToken)
    {
        var (flow, form, existing) = step;
        var errors = FieldErrors(form with { Collection = null });
        if (errors.Count > 0)
        {
            return Page("Details", flow, form, existing, errors);
        }

        if (discovery is null)
        {
            return Page("Details", flow, form, existing, notice: t["This version of the service cannot list collections; enter the collection's full address."]);
        }

        try
        {
            var found = await discovery.DiscoverAsync(form.Url!.Trim(), form.Username, EffectiveSecret(flow, form, existing), cancellationToken);
            return found.Count == 0
                ? Page("Details", flow, form, existing, errors: new() { ["url"] = t["No calendars or task lists were found at this address."] })
                : Page("Details", flow, form, existing, collections: found, notice: t["Pick one of the collections found at this address, then test the connection."]);
        }
        catch (Sources.Http.SourceException e)
        {
            return Page("Details", flow, form, existing, errors: new() { ["url"] = t[e.Message] });
        }
    }

    private async Task<IActionResult> TestOrSaveAsync(bool save, AdminStep step, CancellationToken cancellationToken)
    {
        var (flow, form, existing) = step;
        var errors = FieldErrors(form);
        if (errors.Count > 0)
        {
            return Page("Details", flow, form, existing, errors);
        }

        // A picked collection becomes the address from here on, so later steps and Save use the same one.
        form = form with { Url = form.EffectiveUrl, Collection = null };
        SourceKinds.TryParse(form.Kind, out var kind);
        var secret = EffectiveSecret(flow, form, existing);
        var target = new ConnectionTarget(kind!.Value, form.EffectiveUrl, Blank(form.Username), secret, AccountOptions.Parse(form.OptionPairs(existing?.Options)));
        var fingerprint = Fingerprint(target);
        ConnectionTestResult? test = null;
        if (!save || (flow.TestedFingerprint != fingerprint && !form.SaveAnyway))
        {
            test = await tester.TestAsync(target, cancellationToken);
            flow = flow with { TestedFingerprint = test.Ok ? fingerprint : null };
            if (!test.Ok && test.ErrorKind == Sources.Http.SourceErrorKind.NotACalendar && kind is SourceKind.CalDavTasks or SourceKind.CalDavCalendar && discovery is not null)
            {
                // A server or home address instead of a collection: list what is there to pick from.
                return await DiscoverAsync(step with { Flow = flow, Form = form }, cancellationToken);
            }

            if (!save || !test.Ok)
            {
                // Nothing is saved until the test passes; a failed test offers "save anyway" for a source that is down.
                return Page("Details", flow, form, existing, test: test, offerSaveAnyway: !test.Ok);
            }
        }

        var fields = new NewAccountRequest(form.Kind, target.Url, target.Username, secret, Blank(form.DisplayName), form.OptionPairs(existing?.Options));
        switch (setup.Draft(new AccountSaveRequest(fields, existing, flow.Subdomain, flow.InstancePushId)))
        {
            case AccountDraft.Invalid invalid:
                return Page("Details", flow, form, existing, notice: invalid.Message, test: test);
            case AccountDraft.TooLarge:
                return Page("Details", flow, form, existing, notice: t["These settings are too long for Zendesk to store (5000 characters). Shorten the address, the credentials or the custom fields."]);
            case AccountDraft.Ready ready:
                if (!flows.MarkUsed(flow))
                {
                    return Problem(t["This account was already saved from this page. Open it again from Zendesk to make more changes."]);
                }

                var inboxSecret = await setup.SaveAsync(ready.Account, flow.InstancePushId, flow.ZendeskAccessToken, cancellationToken);
                AllowZendeskFraming(new Uri(flow.ReturnUrl));
                var inboxUrl = inboxSecret is null ? null : new Uri(options.Value.BaseUri ?? new Uri($"{Request.Scheme}://{Request.Host}/"), "inbox/" + ready.Account.AccountId).AbsoluteUri;
                var name = Blank(form.DisplayName) ?? DefaultName(ready.Account);
                return View("Return", new AdminReturn(flow.ReturnUrl, name, ready.Metadata, flow.State, flow.IsEdit) { InboxSecret = inboxSecret, InboxUrl = inboxUrl });
            default:
                throw new InvalidOperationException("Unknown account draft.");
        }
    }

    /// <summary>The secret to use: typed now, typed earlier in this flow, or the saved one if the server is the same.</summary>
    private static string? EffectiveSecret(AdminFlow flow, AdminForm form, AccountMetadata? existing)
    {
        if (!string.IsNullOrEmpty(form.Password))
        {
            return form.Password;
        }

        if (flow.PendingSecret is not null)
        {
            return flow.PendingSecret;
        }

        // A saved password goes only to the server it was saved for: pointing the account elsewhere needs it typed again.
        return existing?.Secret is not null
            && Uri.TryCreate(existing.Url, UriKind.Absolute, out var before)
            && Uri.TryCreate(form.EffectiveUrl, UriKind.Absolute, out var after)
            && Uri.Compare(before, after, UriComponents.SchemeAndServer, UriFormat.UriEscaped, StringComparison.OrdinalIgnoreCase) == 0
            ? existing.Secret
            : null;
    }

    /// <summary>The page's field errors, by input name (the first per field), from <see cref="AdminFormValidator"/>.</summary>
    private Dictionary<string, string> FieldErrors(AdminForm form)
    {
        var result = formValidator.Validate(form);
        var errors = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var failure in result.Errors)
        {
            errors.TryAdd(failure.PropertyName, failure.ErrorMessage);
        }

        return errors;
    }

    private IActionResult Page(
        string view,
        AdminFlow flow,
        AdminForm form,
        AccountMetadata? existing = null,
        Dictionary<string, string>? errors = null,
        ConnectionTestResult? test = null,
        IReadOnlyList<DiscoveredCollection>? collections = null,
        bool offerSaveAnyway = false,
        string? notice = null,
        bool hasSavedSecret = false)
    {
        var model = new AdminPage
        {
            Flow = flows.Seal(flow),
            Subdomain = flow.Subdomain,
            Form = form with { Password = null },
            Errors = errors ?? [],
            Test = test,
            Collections = collections,
            IsEdit = flow.IsEdit,
            HasSavedSecret = hasSavedSecret || existing?.Secret is not null,
            HasPendingSecret = flow.PendingSecret is not null,
            OfferSaveAnyway = offerSaveAnyway,
            Notice = notice,
            CanDiscover = discovery is not null,
        };
        if (model.Errors.Count > 0)
        {
            Response.StatusCode = StatusCodes.Status200OK;
        }

        return View(view, model);
    }

    private ViewResult Problem(string message)
    {
        Response.StatusCode = StatusCodes.Status400BadRequest;
        return View("Problem", message);
    }

    /// <summary>
    /// Only Zendesk (and configured host-mapped domains) may frame the admin UI; scripts and styles only from here.
    /// The Return page may also post to the account's return_url.
    /// </summary>
    private void AllowZendeskFraming(Uri? returnUrl = null)
    {
        var formAction = returnUrl is null ? "'self'" : "'self' " + returnUrl.GetLeftPart(UriPartial.Authority);
        Response.Headers.ContentSecurityPolicy =
            $"{ReturnUrlPolicy.FrameAncestors(options.Value.ReturnUrlHosts, sandbox)}; default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; connect-src 'self'; form-action {formAction}; base-uri 'none'";
        Response.Headers.CacheControl = "no-store";
        Response.Headers["Referrer-Policy"] = "no-referrer";
    }

    private Uri? SandboxReturnUrl() => sandbox ? new Uri($"{Request.Scheme}://{Request.Host}/sandbox/return") : null;

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    private static string DefaultName(AccountMetadata account) =>
        Uri.TryCreate(account.Url, UriKind.Absolute, out var uri) ? $"{uri.Host} ({account.Kind.ToWire()})" : account.Kind.ToWire();

    private static string Fingerprint(ConnectionTarget target)
    {
        var text = string.Join('\n', target.Kind.ToWire(), target.Url, target.Username ?? "", target.Secret ?? "", string.Join(';', target.Options.ToDictionary().Select(o => o.Key + "=" + o.Value)));
        return Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
    }
}

/// <summary>What the admin pages render.</summary>
internal sealed record AdminPage
{
    public required string Flow { get; init; }

    /// <summary>The Zendesk subdomain that opened the page (empty when Zendesk sent none): its link's panel.</summary>
    public string Subdomain { get; init; } = "";

    public required AdminForm Form { get; init; }

    public Dictionary<string, string> Errors { get; init; } = [];

    public ConnectionTestResult? Test { get; init; }

    public IReadOnlyList<DiscoveredCollection>? Collections { get; init; }

    public bool IsEdit { get; init; }

    public bool HasSavedSecret { get; init; }

    public bool HasPendingSecret { get; init; }

    public bool OfferSaveAnyway { get; init; }

    public bool CanDiscover { get; init; }

    public string? Notice { get; init; }

    public string? Error(string field) => Errors.TryGetValue(field, out var e) ? e : null;
}

/// <summary>The final auto-submitting post to Zendesk's return_url.</summary>
internal sealed record AdminReturn(string ReturnUrl, string Name, string Metadata, string? State, bool IsEdit)
{
    /// <summary>A new webhook inbox's signing secret, shown once; the page then waits for a click instead of auto-submitting.</summary>
    public string? InboxSecret { get; init; }

    public string? InboxUrl { get; init; }

    public override string ToString() => "AdminReturn";
}
