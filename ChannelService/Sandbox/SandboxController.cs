using System.Security.Cryptography;
using ChannelService.Admin;
using ChannelService.Configuration;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace ChannelService.Sandbox;

/// <summary>
/// <c>/sandbox</c>: plays Zendesk for someone trying the service. It posts the admin UI into an iframe as Zendesk
/// does, receives the return_url post, keeps the account (in memory), and drives the real <c>/pull</c> and
/// <c>/channelback</c> over HTTP, applying Zendesk's rules (<see cref="SandboxZendesk"/>). Off unless
/// <see cref="ChannelOptions.Sandbox"/> (or Development) turns it on; it then answers 404.
/// </summary>
internal sealed class SandboxController(SandboxStore store, SandboxZendeskOAuth oauth, IOptions<ChannelOptions> options, IWebHostEnvironment environment, IHttpClientFactory clients) : Controller
{
    private const int MaxMessageLength = 65535;

    private bool Enabled => options.Value.SandboxEnabled(environment.IsDevelopment());

    [HttpGet("/sandbox")]
    public IActionResult Index()
    {
        if (!Enabled)
        {
            return NotFound();
        }

        return View("Index", new SandboxPage(store.All(), $"{Request.Scheme}://{Request.Host}/sandbox/return"));
    }

    /// <summary>The admin UI's final post, as Zendesk's return_url would receive it (inside the iframe).</summary>
    [HttpPost("/sandbox/return")]
    [IgnoreAntiforgeryToken]
    public IActionResult Return([FromQuery] string? account, [FromForm] string? name, [FromForm] string? metadata, [FromForm] string? state)
    {
        if (!Enabled)
        {
            return NotFound();
        }

        if (string.IsNullOrEmpty(metadata) || metadata.Length > 5000 || (name?.Length ?? 0) > 255 || (state?.Length ?? 0) > 5000)
        {
            return BadRequest(new Web.ErrorResponse("The admin UI must post name (at most 255 characters) and metadata and state (at most 5000 each)."));
        }

        var saved = store.Save(account, name ?? "", metadata, state);

        // Shown inside the iframe, which only the sandbox page itself frames.
        Response.Headers.ContentSecurityPolicy = "frame-ancestors 'self'; default-src 'none'; style-src 'self'; script-src 'self'";
        return View("Saved", saved);
    }

    /// <summary>
    /// The sandbox's Zendesk sign-in and authorisation page, where "Connect to Zendesk" sends the admin for the
    /// sandbox's subdomain (<see cref="SandboxZendeskOAuth"/>): it checks the request as Zendesk's
    /// <c>/oauth/authorizations/new</c> does (response_type, client, the registered redirect URL, an S256 PKCE
    /// challenge, a state) and asks to allow or deny. Like Zendesk's, it refuses to be framed (the service's default
    /// framing policy).
    /// </summary>
    [HttpGet("/sandbox/oauth/authorizations/new")]
    public IActionResult Authorize(
        [FromQuery(Name = "response_type")] string? responseType,
        [FromQuery(Name = "client_id")] string? clientId,
        [FromQuery(Name = "redirect_uri")] string? redirectUri,
        [FromQuery(Name = "scope")] string? scope,
        [FromQuery(Name = "state")] string? state,
        [FromQuery(Name = "code_challenge")] string? codeChallenge,
        [FromQuery(Name = "code_challenge_method")] string? codeChallengeMethod)
    {
        if (!Enabled)
        {
            return NotFound();
        }

        var request = new SandboxAuthorizeRequest(responseType, clientId, redirectUri, scope, state, codeChallenge, codeChallengeMethod);
        var problem = SandboxZendeskOAuth.Problem(request, ZendeskLink.OAuth.ZendeskOAuthController.CallbackUrl(options.Value, Request));
        Response.Headers.CacheControl = "no-store";
        Response.StatusCode = problem is null ? StatusCodes.Status200OK : StatusCodes.Status400BadRequest;
        return View("Authorize", new SandboxAuthorizePage(request, problem));
    }

    /// <summary>Allow or Deny: back to the redirect URL (only ever this service's own callback) with a code or access_denied.</summary>
    [HttpPost("/sandbox/oauth/authorizations")]
    [ValidateAntiForgeryToken]
    public IActionResult Decide(
        [FromForm(Name = "decision")] string? decision,
        [FromForm(Name = "client_id")] string? clientId,
        [FromForm(Name = "redirect_uri")] string? redirectUri,
        [FromForm(Name = "scope")] string? scope,
        [FromForm(Name = "state")] string? state,
        [FromForm(Name = "code_challenge")] string? codeChallenge)
    {
        if (!Enabled)
        {
            return NotFound();
        }

        var request = new SandboxAuthorizeRequest("code", clientId, redirectUri, scope, state, codeChallenge, "S256");
        if (SandboxZendeskOAuth.Problem(request, ZendeskLink.OAuth.ZendeskOAuthController.CallbackUrl(options.Value, Request)) is { } problem)
        {
            Response.StatusCode = StatusCodes.Status400BadRequest;
            return View("Authorize", new SandboxAuthorizePage(request, problem));
        }

        // RFC 6749 §4.1.2: code and state on success; §4.1.2.1: error=access_denied and state when the owner denies.
        var query = decision == "allow"
            ? $"code={Uri.EscapeDataString(oauth.IssueCode(request))}&state={Uri.EscapeDataString(state!)}"
            : $"error=access_denied&state={Uri.EscapeDataString(state!)}";
        return Redirect(redirectUri + "?" + query);
    }

    [HttpPost("/sandbox/pull")]
    [ValidateAntiForgeryToken]
    public async Task<IActionResult> Pull([FromForm] string? account, CancellationToken cancellationToken)
    {
        if (!Enabled)
        {
            return NotFound();
        }

        if (store.Find(account) is not { } found)
        {
            return RedirectToAction(nameof(Index));
        }

        var fields = new Dictionary<string, string> { ["metadata"] = found.Metadata };
        if (found.State is not null)
        {
            fields["state"] = found.State;
        }

        var (status, body) = await PostAsync("/pull", fields, cancellationToken);
        List<SandboxTicket> opened;
        lock (found)
        {
            var before = found.Tickets.Select(t => t.Id).ToHashSet();
            SandboxZendesk.ApplyPull(found, status, body);
            opened = found.Tickets.Where(t => !before.Contains(t.Id)).ToList();
        }

        // As Zendesk does: tell the integration which ticket each new resource became (its Zendesk link then sets the
        // tickets' type, due date, priority and requester through the sandbox's REST API, SandboxZendeskApi).
        if (opened.Count > 0)
        {
            await PostJsonAsync("/events", SandboxZendesk.ResourcesCreatedEvent(opened), cancellationToken);
        }

        return Redirect("/sandbox#account-" + found.Id);
    }

    [HttpPost("/sandbox/reply")]
    [ValidateAntiForgeryToken]
    public async Task<IActionResult> Reply([FromForm] string? account, [FromForm] int ticket, [FromForm] string? message, CancellationToken cancellationToken)
    {
        if (!Enabled)
        {
            return NotFound();
        }

        if (store.Find(account) is not { } found || found.Tickets.FirstOrDefault(t => t.Number == ticket) is not { } target
            || string.IsNullOrWhiteSpace(message) || message.Length > MaxMessageLength || SandboxZendesk.ReplyParent(target) is not { } parent)
        {
            return RedirectToAction(nameof(Index));
        }

        var fields = new Dictionary<string, string>
        {
            ["message"] = message,
            ["parent_id"] = parent.ExternalId,
            ["metadata"] = found.Metadata,
            ["request_unique_identifier"] = Convert.ToHexString(RandomNumberGenerator.GetBytes(16)).ToLowerInvariant(),
        };
        if (target.ThreadId is not null)
        {
            fields["thread_id"] = target.ThreadId;
        }

        var (status, body) = await PostAsync("/channelback", fields, cancellationToken);
        lock (found)
        {
            SandboxZendesk.ApplyChannelback(found, target, message, status, body);
        }

        return Redirect("/sandbox#account-" + found.Id);
    }

    private async Task PostJsonAsync(string path, string json, CancellationToken cancellationToken)
    {
        var client = clients.CreateClient(nameof(SandboxController));
        try
        {
            using var response = await client.PostAsync(new Uri($"{Request.Scheme}://{Request.Host}{path}"), new StringContent(json, System.Text.Encoding.UTF8, "application/json"), cancellationToken);
        }
        catch (HttpRequestException)
        {
            // The event is a courtesy, as Zendesk's is: without it the service finds the ticket by search.
        }
    }

    /// <summary>Calls the service's own endpoint over HTTP, exactly as Zendesk would (no shortcut into the internals).</summary>
    private async Task<(int Status, string Body)> PostAsync(string path, Dictionary<string, string> fields, CancellationToken cancellationToken)
    {
        var client = clients.CreateClient(nameof(SandboxController));
        try
        {
            using var response = await client.PostAsync(new Uri($"{Request.Scheme}://{Request.Host}{path}"), new FormUrlEncodedContent(fields), cancellationToken);
            return ((int)response.StatusCode, await response.Content.ReadAsStringAsync(cancellationToken));
        }
        catch (HttpRequestException e)
        {
            return (0, "The request failed: " + e.Message);
        }
    }
}

/// <summary>The sandbox's authorisation page: the request to allow, or why it is refused.</summary>
internal sealed record SandboxAuthorizePage(SandboxAuthorizeRequest Request, string? Problem);

/// <summary>The sandbox page: accounts with their tickets, and the address the admin UI posts back to.</summary>
internal sealed record SandboxPage(IReadOnlyList<SandboxAccount> Accounts, string ReturnUrl);

/// <summary>The accounts the sandbox holds, in memory: a sandbox forgets everything when the service restarts.</summary>
internal sealed class SandboxStore
{
    private readonly List<SandboxAccount> accounts = [];

    public IReadOnlyList<SandboxAccount> All()
    {
        lock (accounts)
        {
            return accounts.ToList();
        }
    }

    public SandboxAccount? Find(string? id)
    {
        lock (accounts)
        {
            return accounts.FirstOrDefault(a => a.Id == id);
        }
    }

    /// <summary>Stores a new account, or updates the one being edited. State is replaced only when one was posted.</summary>
    public SandboxAccount Save(string? id, string name, string metadata, string? state)
    {
        lock (accounts)
        {
            var account = accounts.FirstOrDefault(a => a.Id == id);
            if (account is null)
            {
                account = new SandboxAccount((accounts.Count + 1).ToString(System.Globalization.CultureInfo.InvariantCulture));
                accounts.Add(account);
            }

            account.Name = name;
            account.Metadata = metadata;
            if (state is not null)
            {
                account.State = state.Length == 0 ? null : state;
            }

            account.NeedsAdminUpdate = false;
            account.Log.Add("Saved from the admin UI.");
            return account;
        }
    }
}
