using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using ChannelService.Configuration;
using ChannelService.Zendesk;
using Microsoft.Extensions.Options;

namespace ChannelService.Sandbox;

/// <summary>A request to the sandbox's authorisation page, as the service's Connect sends it to Zendesk's.</summary>
internal sealed record SandboxAuthorizeRequest(string? ResponseType, string? ClientId, string? RedirectUri, string? Scope, string? State, string? CodeChallenge, string? CodeChallengeMethod);

/// <summary>
/// The sandbox's Zendesk OAuth for its subdomain <c>sandbox</c>, so a person can try "Connect to Zendesk" without a
/// Zendesk account: the authorisation page (<c>/sandbox/oauth/authorizations/new</c>, <see cref="SandboxController"/>)
/// with Allow and Deny, and, in process through <see cref="SandboxZendeskApi"/> (<see cref="ZendeskLink.Api.IZendeskApiLoopback"/>),
/// the token endpoint (<c>POST /oauth/tokens</c>, authorization_code with the PKCE verifier checked against the
/// challenge, RFC 7636 §4.6), <c>GET /api/v2/users/me.json</c> (an admin) and <c>DELETE /api/v2/oauth/tokens/current.json</c>.
/// It plays Zendesk's documented shapes (README, "Zendesk link") with its own pretend client, whose secret is new at
/// every start; its access tokens do not expire (Zendesk's own may not either) and live in memory, so after a restart
/// the sandbox's link answers 401 and the admin UI asks to reconnect, as with a revoked Zendesk link.
/// </summary>
internal sealed class SandboxZendeskOAuth(IOptions<ChannelOptions> options, IWebHostEnvironment environment, TimeProvider time)
{
    public const string ClientId = "channelservice-sandbox";

    /// <summary>How long an authorisation code may wait for its exchange (Zendesk's are short-lived too).</summary>
    public static readonly TimeSpan CodeLifetime = TimeSpan.FromMinutes(5);

    private readonly ConcurrentDictionary<string, (string Challenge, string RedirectUri, string Scope, DateTimeOffset Expires)> codes = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, bool> tokens = new(StringComparer.Ordinal);

    /// <summary>The pretend client's secret: random per process, never shown or stored.</summary>
    public string ClientSecret { get; } = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));

    public bool Serves(string? subdomain) =>
        string.Equals(subdomain, SandboxZendeskApi.Subdomain, StringComparison.OrdinalIgnoreCase) && options.Value.SandboxEnabled(environment.IsDevelopment());

    public bool IsValid(string? accessToken) => accessToken is not null && tokens.ContainsKey(accessToken);

    /// <summary>What Zendesk's authorisation page would refuse, in plain words; null when the request is acceptable.</summary>
    public static string? Problem(SandboxAuthorizeRequest request, string expectedRedirectUri)
    {
        if (request.ResponseType != "code")
        {
            return "response_type must be code.";
        }

        if (request.ClientId != ClientId)
        {
            return "This OAuth client is unknown to the sandbox's Zendesk.";
        }

        if (request.RedirectUri != expectedRedirectUri)
        {
            return "redirect_uri is not the redirect URL registered for this client.";
        }

        if (request.CodeChallengeMethod != "S256" || request.CodeChallenge is not { Length: 43 } || !request.CodeChallenge.All(IsBase64Url))
        {
            return "A PKCE code_challenge (S256) is required.";
        }

        return request.State is { Length: > 0 and <= 200 } ? null : "state is required.";
    }

    /// <summary>The admin allowed access: a single-use code bound to the challenge and the redirect URL.</summary>
    public string IssueCode(SandboxAuthorizeRequest request)
    {
        var code = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(24));
        codes[code] = (request.CodeChallenge!, request.RedirectUri!, request.Scope ?? "read", time.GetUtcNow() + CodeLifetime);
        return code;
    }

    /// <summary>The OAuth calls of the sandbox's Zendesk; null when <paramref name="request"/> is not one of them.</summary>
    public ZendeskOutcome? Send(ZendeskRequest request, string? bearerToken)
    {
        var path = string.Join('/', request.Path);
        return (request.Method.Method, path) switch
        {
            ("POST", "oauth/tokens") => Token(request.Body as JsonObject),
            ("GET", "api/v2/users/me.json") => IsValid(bearerToken)
                ? Ok(new JsonObject { ["user"] = new JsonObject { ["id"] = 1, ["name"] = "Sandbox admin", ["email"] = "admin@sandbox.invalid", ["role"] = "admin" } })
                : Unauthorized(),
            ("DELETE", "api/v2/oauth/tokens/current.json") => bearerToken is not null && tokens.TryRemove(bearerToken, out _)
                ? new ZendeskOutcome(ZendeskOutcomeKind.Accepted, 204, "")
                : Unauthorized(),
            _ => null,
        };
    }

    /// <summary>https://developer.zendesk.com/api-reference/ticketing/oauth/grant_type_tokens/: the authorization_code grant with PKCE.</summary>
    private ZendeskOutcome Token(JsonObject? body)
    {
        string? Text(string name) => body?[name] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
        if (Text("grant_type") != "authorization_code")
        {
            return Refused(400, "unsupported_grant_type");
        }

        if (Text("client_id") != ClientId || Text("client_secret") != ClientSecret)
        {
            return Refused(401, "invalid_client");
        }

        if (Text("code") is not { } code || !codes.TryRemove(code, out var issued) || issued.Expires <= time.GetUtcNow()
            || Text("redirect_uri") != issued.RedirectUri || Text("code_verifier") is not { } verifier
            || Base64Url.EncodeToString(SHA256.HashData(Encoding.ASCII.GetBytes(verifier))) != issued.Challenge)
        {
            return Refused(400, "invalid_grant");
        }

        var token = "sandbox-" + Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
        tokens[token] = true;
        return Ok(new JsonObject { ["access_token"] = token, ["token_type"] = "bearer", ["scope"] = issued.Scope });
    }

    private static bool IsBase64Url(char c) => char.IsAsciiLetterOrDigit(c) || c is '-' or '_';

    private static ZendeskOutcome Ok(JsonObject body) => new(ZendeskOutcomeKind.Accepted, 200, "") { Body = body.ToJsonString() };

    private static ZendeskOutcome Refused(int status, string error) =>
        new(ZendeskOutcomeKind.Rejected, status, $"Zendesk answered HTTP {status}: {error}.") { Body = new JsonObject { ["error"] = error }.ToJsonString() };

    private static ZendeskOutcome Unauthorized() =>
        new(ZendeskOutcomeKind.Rejected, 401, "Zendesk answered HTTP 401: invalid_token.") { Body = """{"error":"invalid_token"}""" };
}
