using System.Security.Cryptography;
using System.Text;
using ChannelService.Accounts;
using ChannelService.Configuration;
using ChannelService.Web;
using FluentValidation;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Localization;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;

namespace ChannelService.Admin;

/// <summary>
/// The admin UI (channel-framework.md §2): Zendesk POSTs its fields to <c>/admin</c> inside an iframe; the page's own
/// steps post to <c>/admin/step</c> carrying the sealed <see cref="AdminFlow"/> (no cookies: they are third-party
/// inside the iframe); Save renders a form that posts <c>name</c>, <c>metadata</c> and <c>state</c> to <c>return_url</c>.
/// </summary>
[IgnoreAntiforgeryToken]
public sealed class AdminController : Controller
{
    /// <summary>Longest value accepted per Zendesk field; metadata and state are Zendesk's 5000 (spec §9).</summary>
    internal static readonly IReadOnlyDictionary<string, int> ZendeskFieldLimits = new Dictionary<string, int>(StringComparer.Ordinal)
    {
        ["name"] = 255,
        ["metadata"] = ZendeskLimits.MaxOpaqueLength,
        ["state"] = ZendeskLimits.MaxOpaqueLength,
        ["return_url"] = ReturnUrlPolicy.MaxLength,
        ["subdomain"] = 63,
        ["locale"] = 35,
        ["instance_push_id"] = 200,
        ["zendesk_access_token"] = 2000,
    };

    private const int MaxStepFieldLength = 4000;

    private readonly ChannelOptions options;
    private readonly AdminFlowTokenCodec flows;
    private readonly MetadataCodec metadata;
    private readonly ConnectionTester tester;
    private readonly ICollectionDiscovery? discovery;
    private readonly IStringLocalizer<AdminText> t;
    private readonly TimeProvider time;
    private readonly bool sandbox;
    private readonly AccountRegistry registry;
    private readonly Zendesk.PushCredentialsStore pushCredentials;
    private readonly Inbox.InboxAccountStore inboxAccounts;

    /// <summary>Resolves its internal collaborators itself: MVC activates only public controllers with public constructors.</summary>
    public AdminController(IServiceProvider services, IOptions<ChannelOptions> options, IWebHostEnvironment environment, IStringLocalizer<AdminText> t, TimeProvider time)
    {
        this.options = options.Value;
        this.t = t;
        this.time = time;
        flows = services.GetRequiredService<AdminFlowTokenCodec>();
        registry = services.GetRequiredService<AccountRegistry>();
        pushCredentials = services.GetRequiredService<Zendesk.PushCredentialsStore>();
        inboxAccounts = services.GetRequiredService<Inbox.InboxAccountStore>();
        metadata = services.GetRequiredService<MetadataCodec>();
        tester = services.GetRequiredService<ConnectionTester>();
        discovery = services.GetServices<ICollectionDiscovery>().FirstOrDefault();
        sandbox = this.options.SandboxEnabled(environment.IsDevelopment());
    }

    /// <summary>Zendesk's cross-site POST when an admin adds or edits an account.</summary>
    [HttpPost("/admin")]
    public IActionResult Start()
    {
        AllowZendeskFraming();
        if (!Request.HasFormContentType)
        {
            return Problem(t["This page must be opened from Zendesk (Admin Center → Channels → your channel → Add account)."]);
        }

        var form = Request.Form;
        foreach (var (field, limit) in ZendeskFieldLimits)
        {
            if (form[field].Count > 1 || (form[field].ToString()?.Length ?? 0) > limit)
            {
                return Problem(t["The field '{0}' sent by Zendesk is too long or repeated.", field]);
            }
        }

        var subdomain = form["subdomain"].ToString();
        var returnUrl = ReturnUrlPolicy.Check(form["return_url"], subdomain, options.ReturnUrlHosts, SandboxReturnUrl());
        if (returnUrl is null)
        {
            // Metadata posted to a foreign address would hand over the source credentials: refuse, render nothing.
            return Problem(t["The return address Zendesk sent is not on a Zendesk domain this service accepts, so nothing can be saved. If your Zendesk uses its own domain, ask the operator to add it to Channel:ReturnUrlHosts."]);
        }

        var existing = (string?)form["metadata"];
        AccountMetadata? account = null;
        if (!string.IsNullOrEmpty(existing))
        {
            var decoded = HttpContext.GetDecodedMetadata();
            if (decoded?.Account is null)
            {
                return Problem(t["The saved settings of this account could not be read by this service (they were made by another installation or with a key it no longer has). Delete the account and add it again."]);
            }

            account = decoded.Account;
        }

        var flow = flows.Start(returnUrl.AbsoluteUri, ReturnUrlPolicy.IsValidSubdomain(subdomain) ? subdomain.ToLowerInvariant() : "", form["locale"], form["name"], existing, form["state"], form["instance_push_id"], form["zendesk_access_token"]);
        return account is null
            ? Page("Kind", flow, AdminForm.Defaults("ics"))
            : Page("Details", flow, AdminForm.FromAccount(account, flow.Name), hasSavedSecret: account.Secret is not null);
    }

    /// <summary>The page's own posts: choose a kind, discover collections, test, save.</summary>
    [HttpPost("/admin/step")]
    public async Task<IActionResult> Step(CancellationToken cancellationToken)
    {
        AllowZendeskFraming();
        if (!Request.HasFormContentType)
        {
            return Problem(t["This page must be opened from Zendesk (Admin Center → Channels → your channel → Add account)."]);
        }

        var fields = Request.Form;
        foreach (var (key, value) in fields)
        {
            if (value.Count > 1 || (key != "flow" && (value.ToString()?.Length ?? 0) > MaxStepFieldLength))
            {
                return Problem(t["The field '{0}' is too long or repeated.", Printable(key)]);
            }
        }

        if (!flows.TryOpen(fields["flow"], out var flow, out var rejection))
        {
            return Problem(rejection switch
            {
                AdminFlowRejection.Expired => t["This page has expired. Close it and open the account again from Zendesk."],
                AdminFlowRejection.AlreadyUsed => t["This account was already saved from this page. Open it again from Zendesk to make more changes."],
                _ => t["This form was not issued by this service, or it was altered. Open the account again from Zendesk."],
            });
        }

        var form = ReadForm(fields);
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

        var action = (string?)fields["do"];
        switch (action)
        {
            case "back":
                return Page("Kind", flow, form);
            case "kind":
                return SourceKinds.TryParse(form.Kind, out _)
                    ? Page("Details", flow, AdminForm.Defaults(form.Kind!) with { DisplayName = form.DisplayName }, existing)
                    : Page("Kind", flow, form, errors: new() { ["kind"] = t["Choose what to connect."] });
            case "discover":
                return await DiscoverAsync(flow, form, existing, cancellationToken);
            case "test":
            case "save":
                return await TestOrSaveAsync(action == "save", flow, form, existing, cancellationToken);
            default:
                return Problem(t["The form was sent without a known action."]);
        }
    }

    private async Task<IActionResult> DiscoverAsync(AdminFlow flow, AdminForm form, AccountMetadata? existing, CancellationToken cancellationToken)
    {
        var errors = Validate(form with { Collection = null });
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

    private async Task<IActionResult> TestOrSaveAsync(bool save, AdminFlow flow, AdminForm form, AccountMetadata? existing, CancellationToken cancellationToken)
    {
        var errors = Validate(form);
        if (errors.Count > 0)
        {
            return Page("Details", flow, form, existing, errors);
        }

        // A picked collection becomes the address from here on, so later steps and Save use the same one.
        form = form with { Url = form.EffectiveUrl, Collection = null };
        SourceKinds.TryParse(form.Kind, out var kind);
        var secret = EffectiveSecret(flow, form, existing);
        var target = new ConnectionTarget(kind!.Value, form.EffectiveUrl, Blank(form.Username), secret, AccountOptions.Parse(form.OptionPairs()));
        var fingerprint = Fingerprint(target);
        ConnectionTestResult? test = null;
        if (!save || (flow.TestedFingerprint != fingerprint && !form.SaveAnyway))
        {
            test = await tester.TestAsync(target, cancellationToken);
            flow = flow with { TestedFingerprint = test.Ok ? fingerprint : null };
            if (!test.Ok && test.ErrorKind == Sources.Http.SourceErrorKind.NotACalendar && kind is SourceKind.CalDavTasks or SourceKind.CalDavCalendar && discovery is not null)
            {
                // A server or home address instead of a collection: list what is there to pick from.
                return await DiscoverAsync(flow, form, existing, cancellationToken);
            }

            if (!save || !test.Ok)
            {
                // Nothing is saved until the test passes; a failed test offers "save anyway" for a source that is down.
                return Page("Details", flow, form, existing, test: test, offerSaveAnyway: !test.Ok);
            }
        }

        var request = new NewAccountRequest(form.Kind, target.Url, target.Username, secret, Blank(form.DisplayName), form.OptionPairs());
        var result = new NewAccountRequestValidator().Validate(request);
        if (!result.IsValid)
        {
            return Page("Details", flow, form, existing, notice: string.Join(" ", result.Errors.Select(e => e.ErrorMessage)), test: test);
        }

        var fresh = request.Create(time);
        var account = (existing is null ? fresh : existing with
        {
            Kind = fresh.Kind,
            Url = fresh.Url,
            Username = fresh.Username,
            Secret = fresh.Secret,
            DisplayName = fresh.DisplayName,
            Options = fresh.Options,
        }) with
        {
            Subdomain = string.IsNullOrEmpty(flow.Subdomain) ? existing?.Subdomain : flow.Subdomain,
            InstancePushId = flow.InstancePushId ?? existing?.InstancePushId,
        };

        string encoded;
        try
        {
            encoded = metadata.Encode(account);
        }
        catch (EncodedValueTooLargeException)
        {
            return Page("Details", flow, form, existing, notice: t["These settings are too long for Zendesk to store (5000 characters). Shorten the address, the credentials or the custom fields."]);
        }

        if (!flows.MarkUsed(flow))
        {
            return Problem(t["This account was already saved from this page. Open it again from Zendesk to make more changes."]);
        }

        var name = Blank(form.DisplayName) ?? DefaultName(account);

        // The account becomes known to the service (dashboard, accounts list) and, when Zendesk handed us push
        // credentials, they are kept encrypted in the database on every create and edit (design §9).
        await registry.UpsertAsync(account, cancellationToken);
        if (flow.InstancePushId is { Length: > 0 } pushId && flow.ZendeskAccessToken is { Length: > 0 } token && account.Subdomain is { Length: > 0 } subdomain)
        {
            await pushCredentials.SaveAsync(account.AccountId, subdomain, pushId, token, cancellationToken);
        }

        // A webhook inbox needs its signing secret: made when the account is first saved and shown on this page once
        // (it cannot be read back later; `accounts rotate-inbox-secret` replaces it). An edit keeps the secret.
        string? inboxSecret = null;
        if (account.Kind == SourceKind.Inbox && Uri.TryCreate(account.Url, UriKind.Absolute, out var callback)
            && !await inboxAccounts.UpdateCallbackAsync(account.AccountId, callback, cancellationToken))
        {
            inboxSecret = await inboxAccounts.RegisterAsync(account.AccountId, callback, cancellationToken);
        }

        AllowZendeskFraming(new Uri(flow.ReturnUrl));
        var inboxUrl = inboxSecret is null ? null : new Uri(options.BaseUri ?? new Uri($"{Request.Scheme}://{Request.Host}/"), "inbox/" + account.AccountId).AbsoluteUri;
        return View("Return", new AdminReturn(flow.ReturnUrl, name, encoded, flow.State, flow.IsEdit) { InboxSecret = inboxSecret, InboxUrl = inboxUrl });
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

    private Dictionary<string, string> Validate(AdminForm form)
    {
        var result = new AdminFormValidator(t).Validate(form);
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
            $"{ReturnUrlPolicy.FrameAncestors(options.ReturnUrlHosts, sandbox)}; default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; form-action {formAction}; base-uri 'none'";
        Response.Headers.CacheControl = "no-store";
        Response.Headers["Referrer-Policy"] = "no-referrer";
    }

    private Uri? SandboxReturnUrl() => sandbox ? new Uri($"{Request.Scheme}://{Request.Host}/sandbox/return") : null;

    private static AdminForm ReadForm(IFormCollection f)
    {
        static string? S(StringValues v) => v.Count == 0 ? null : v.ToString();
        return new AdminForm
        {
            Kind = S(f["kind"]),
            Url = S(f["url"]),
            Username = S(f["username"]),
            Password = S(f["password"]),
            DisplayName = S(f["display_name"]),
            Collection = S(f["collection"]),
            Tasks = S(f["tasks"]),
            WindowPastDays = S(f["window_past_days"]),
            WindowFutureDays = S(f["window_future_days"]),
            Recurring = S(f["recurring"]),
            TimeZone = S(f["time_zone"]),
            AuthorName = S(f["author_name"]),
            CustomFields = S(f["custom_fields"]),
            SaveAnyway = f["save_anyway"] == "on",
        };
    }

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    private static string DefaultName(AccountMetadata account) =>
        Uri.TryCreate(account.Url, UriKind.Absolute, out var uri) ? $"{uri.Host} ({account.Kind.ToWire()})" : account.Kind.ToWire();

    private static string Fingerprint(ConnectionTarget target)
    {
        var text = string.Join('\n', target.Kind.ToWire(), target.Url, target.Username ?? "", target.Secret ?? "", string.Join(';', target.Options.ToDictionary().Select(o => o.Key + "=" + o.Value)));
        return Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
    }

    private static string Printable(string key) => key.Length > 40 || key.Any(c => char.IsControl(c) || c > '~') ? "(unprintable)" : key;
}

/// <summary>What the admin pages render.</summary>
internal sealed record AdminPage
{
    public required string Flow { get; init; }

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
