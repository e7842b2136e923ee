using ChannelService.Admin;
using ChannelService.Configuration;
using ChannelService.Zendesk;
using Flurl;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Localization;
using Microsoft.Extensions.Options;

namespace ChannelService.ZendeskLink.OAuth;

/// <summary>The form the admin UI's Connect and status check post: the sealed admin flow and the locale.</summary>
internal sealed record ZendeskConnectRequest
{
    [FromForm(Name = "flow")]
    public string? Flow { get; init; }
}

/// <summary>What the popup pages render.</summary>
internal sealed record ZendeskOAuthPage(string Title, string Message, string? Subdomain = null, string? AuthorizeUrl = null);

/// <summary>
/// "Connect to Zendesk" (authorization code with PKCE). Zendesk's sign-in page refuses to be framed, so the admin UI
/// opens this in a new window: <c>POST /zendesk/oauth/start</c> (the admin flow's sealed token in the form, never in
/// a URL) → Zendesk's <c>/oauth/authorizations/new</c> → <c>GET /zendesk/oauth/callback?code&amp;state</c>, which takes
/// the server-side pending authorisation <c>state</c> names (single use, expiring, <see cref="PendingAuthorizations"/>),
/// exchanges the code, stores the link and tells the admin UI through <c>window.opener.postMessage</c> to this
/// service's own origin. The admin UI also asks <c>POST /admin/zendesk-link</c> for the link's state (no cookies
/// anywhere: the admin UI lives in a third-party iframe). The pages speak the admin UI's language
/// (<see cref="AdminServiceCollectionExtensions.UseZendeskOAuthLocalization"/>, resx in Resources/Admin).
/// </summary>
[IgnoreAntiforgeryToken]
internal sealed partial class ZendeskOAuthController(
    AdminFlowTokenCodec flows,
    PendingAuthorizations pending,
    ZendeskOAuthClient oauth,
    ZendeskLinkManager links,
    ZendeskLinkPanel panel,
    ZendeskHttp http,
    IOptions<ChannelOptions> options,
    Sandbox.SandboxZendeskOAuth sandbox,
    IStringLocalizer<AdminText> t,
    ILogger<ZendeskOAuthController> logger) : Controller
{
    private const string PageView = "/ZendeskLink/OAuth/OAuthPage.cshtml";

    /// <summary>Opens the authorisation at Zendesk for the subdomain of the admin flow that asked.</summary>
    [HttpPost("/zendesk/oauth/start")]
    public async Task<IActionResult> Start([FromForm] ZendeskConnectRequest request, CancellationToken cancellationToken)
    {
        SecureHeaders();
        var settings = options.Value;
        var subdomain = flows.TryOpen(request.Flow, out var flow, out _) && PushCredentialsStore.IsValidSubdomain(flow.Subdomain) ? flow.Subdomain : null;

        // The flow first (400): whether Connect works depends on the flow's subdomain (the sandbox's needs no OAuth
        // client), and a request that came from no admin page learns nothing about the operator's settings.
        if (subdomain is null)
        {
            return Page(StatusCodes.Status400BadRequest, t["This page cannot continue"], t["This request did not come from an open admin page of this service, or that page has expired. Open the account again from Zendesk."]);
        }

        // No client for this subdomain: none configured, and it is not the sandbox's.
        if (ClientFor(subdomain) is not { } client)
        {
            return Page(StatusCodes.Status404NotFound, t["Connect to Zendesk is not set up"], t["The operator has not configured an OAuth client (Channel:ZendeskOAuthClientId and Channel:ZendeskOAuthClientSecret)."]);
        }

        var authorization = await pending.StartAsync(subdomain, System.Globalization.CultureInfo.CurrentUICulture.Name, cancellationToken);

        // https://developer.zendesk.com/documentation/api-basics/authentication/oauth-pkce (step 1 with code_challenge),
        // https://support.zendesk.com/hc/en-us/articles/4408845965210 (response_type, redirect_uri, client_id, scope, state).
        var authorize = new Url(client.AuthorizeUrl)
            .SetQueryParam("response_type", "code")
            .SetQueryParam("redirect_uri", CallbackUrl())
            .SetQueryParam("client_id", client.Id)
            .SetQueryParam("scope", settings.ZendeskOAuthScopes)
            .SetQueryParam("state", authorization.State)
            .SetQueryParam("code_challenge", authorization.CodeChallenge)
            .SetQueryParam("code_challenge_method", "S256");
        LogStarted(logger, subdomain);

        // A page that moves on to Zendesk (meta refresh, and a link without it) rather than a redirect: the admin page's
        // form-action policy ('self') would also govern a redirect of its own form post to another origin.
        return View(PageView, new ZendeskOAuthPage(t["Opening Zendesk"], t["Zendesk asks you to sign in and to allow this service access."], subdomain, authorize.ToString()));
    }

    /// <summary>Zendesk's redirect after the admin allowed (or denied) access.</summary>
    [HttpGet("/zendesk/oauth/callback")]
    public async Task<IActionResult> Callback([FromQuery(Name = "code")] string? code, [FromQuery(Name = "state")] string? state, [FromQuery(Name = "error")] string? error, CancellationToken cancellationToken)
    {
        SecureHeaders();
        if (await pending.TakeAsync(state, cancellationToken) is not { } taken)
        {
            LogRefusedCallback(logger);
            return Page(StatusCodes.Status400BadRequest, t["This page cannot continue"], t["This answer from Zendesk does not belong to a \"Connect to Zendesk\" started here, has expired, or was already used. Nothing was stored. Start again from the admin UI."]);
        }

        if (!string.IsNullOrEmpty(error) || string.IsNullOrEmpty(code) || code.Length > 1000)
        {
            return Page(StatusCodes.Status400BadRequest, t["Not connected"], t["Zendesk did not grant access, so nothing was linked. You can close this window and try again."]);
        }

        var settings = options.Value;
        if (ClientFor(taken.Subdomain) is not { } client)
        {
            return Page(StatusCodes.Status404NotFound, t["Connect to Zendesk is not set up"], t["The operator has not configured an OAuth client."]);
        }

        var result = await oauth.ExchangeCodeAsync(taken.Subdomain, client.Id, client.Secret, code, taken.Verifier, CallbackUrl(), settings.ZendeskOAuthScopes, cancellationToken);
        switch (result)
        {
            case TokenGrantResult.Granted granted:
                // Anyone can open the admin UI for any subdomain, and any user of that Zendesk can approve an OAuth
                // client: only an admin's grant may become the link every account of the subdomain shares.
                var role = await oauth.RoleAsync(taken.Subdomain, granted.Tokens.AccessToken, cancellationToken);
                if (role != "admin")
                {
                    await oauth.RevokeCurrentAsync(taken.Subdomain, granted.Tokens.AccessToken, cancellationToken);
                    LogNotAdmin(logger, taken.Subdomain, role ?? "unknown");
                    return role is null
                        ? Page(StatusCodes.Status502BadGateway, t["Not connected"], t["Zendesk did not say who signed in, so nothing was linked. Start again from the admin UI in a moment."])
                        : Page(StatusCodes.Status403Forbidden, t["Not connected"], t["Only a Zendesk admin can connect this service to Zendesk. Nothing was linked; sign in to Zendesk as an admin and start again from the admin UI."]);
                }

                await links.LinkAsync(taken.Subdomain, ZendeskGrantKind.AuthorizationCode, client.Id, clientSecret: null, granted.Tokens, cancellationToken);
                return Page(StatusCodes.Status200OK, t["Connected to Zendesk"], t["This service is now linked to Zendesk. You can close this window."], taken.Subdomain);
            case TokenGrantResult.Refused refused:
                // Zendesk's refusal itself (status and OAuth error code) stays as the OAuth client words it.
                return Page(StatusCodes.Status400BadRequest, t["Not connected"], t["{0} Nothing was linked; start again from the admin UI.", refused.Message]);
            default:
                return Page(StatusCodes.Status502BadGateway, t["Not connected"], t["{0} Nothing was linked; start again from the admin UI in a moment.", ((TokenGrantResult.Unavailable)result).Message.Replace("Will try again.", "", StringComparison.Ordinal).Trim()]);
        }
    }

    /// <summary>The link's state for the admin page that asks (by its sealed flow): JSON for its status check.</summary>
    [HttpPost("/admin/zendesk-link")]
    public async Task<IActionResult> Status([FromForm] ZendeskConnectRequest request, CancellationToken cancellationToken)
    {
        Response.Headers.CacheControl = "no-store";
        if (!flows.TryOpen(request.Flow, out var flow, out var rejection))
        {
            // Expired and forged flows are told apart: only an expired page is helped by opening it again in time.
            return BadRequest(new { error = AdminFlowMessages.For(rejection, t) });
        }

        if (await panel.DescribeAsync(flow.Subdomain, cancellationToken) is not { } view)
        {
            return BadRequest(new { error = AdminFlowMessages.For(AdminFlowRejection.Invalid, t) });
        }

        return Json(new { state = view.State, text = view.Text, connect_label = view.ConnectLabel });
    }

    /// <summary>Registered in the OAuth client as its redirect URL: the public address, or this request's in Development.</summary>
    private string CallbackUrl() => CallbackUrl(options.Value, Request);

    /// <summary>The redirect URL Connect sends (the sandbox's authorisation page accepts only this one).</summary>
    public static string CallbackUrl(ChannelOptions settings, HttpRequest request) =>
        new Uri(settings.BaseUri ?? new Uri($"{request.Scheme}://{request.Host}/"), "zendesk/oauth/callback").AbsoluteUri;

    /// <summary>
    /// The OAuth client Connect uses for <paramref name="subdomain"/> and where its authorisation page is: the sandbox's
    /// own pretend client and page for its subdomain (<see cref="Sandbox.SandboxZendeskOAuth"/>), else the operator's
    /// client at Zendesk; null when there is none.
    /// </summary>
    private ConnectClient? ClientFor(string subdomain)
    {
        if (sandbox.Serves(subdomain))
        {
            var site = options.Value.BaseUri ?? new Uri($"{Request.Scheme}://{Request.Host}/");
            return new ConnectClient(Sandbox.SandboxZendeskOAuth.ClientId, sandbox.ClientSecret, new Uri(site, "sandbox/oauth/authorizations/new").AbsoluteUri);
        }

        var settings = options.Value;
        return settings.ZendeskConnectEnabled
            ? new ConnectClient(settings.ZendeskOAuthClientId!, settings.ZendeskOAuthClientSecret!, new Url(http.BaseFor(subdomain).AbsoluteUri).AppendPathSegments("oauth", "authorizations", "new").ToString())
            : null;
    }

    /// <summary>An OAuth client for Connect; <see cref="ToString"/> hides the secret.</summary>
    private sealed record ConnectClient(string Id, string Secret, string AuthorizeUrl)
    {
        public override string ToString() => $"ConnectClient {{ Id = {Id} }}";
    }

    private ViewResult Page(int status, string title, string message, string? subdomain = null)
    {
        Response.StatusCode = status;
        return View(PageView, new ZendeskOAuthPage(title, message, subdomain));
    }

    /// <summary>A top-level window of its own: never framed, scripts and styles only from here, no referrer (the code is in the URL).</summary>
    private void SecureHeaders()
    {
        Response.Headers.ContentSecurityPolicy = "frame-ancestors 'none'; default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; form-action 'none'; base-uri 'none'";
        Response.Headers.CacheControl = "no-store";
        Response.Headers["Referrer-Policy"] = "no-referrer";
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Connect to Zendesk started for {Subdomain}")]
    private static partial void LogStarted(ILogger logger, string subdomain);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Connect to Zendesk for {Subdomain} refused: the user who allowed access is not an admin (role {Role}); the token was revoked")]
    private static partial void LogNotAdmin(ILogger logger, string subdomain, string role);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Zendesk OAuth callback refused: its state is unknown, used or expired")]
    private static partial void LogRefusedCallback(ILogger logger);
}
