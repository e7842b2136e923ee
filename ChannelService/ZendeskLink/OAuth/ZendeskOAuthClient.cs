using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using ChannelService.Zendesk;

namespace ChannelService.ZendeskLink.OAuth;

/// <summary>How a call to <c>/oauth/tokens</c> ended.</summary>
internal abstract record TokenGrantResult
{
    private TokenGrantResult()
    {
    }

    /// <summary>Zendesk issued tokens.</summary>
    public sealed record Granted(ZendeskTokenSet Tokens) : TokenGrantResult;

    /// <summary>
    /// Zendesk said no for good (<c>invalid_grant</c>: refresh token expired, revoked or already used; 401: client
    /// revoked or secret wrong; any other 4xx): repeating will not help, the link needs connecting again.
    /// </summary>
    public sealed record Refused(int? Status, string Message) : TokenGrantResult;

    /// <summary>5xx, 429, timeout, network, an unreadable answer: try again later; the link stays.</summary>
    public sealed record Unavailable(string Message) : TokenGrantResult;
}

/// <summary>
/// Zendesk's OAuth token endpoint, <c>POST https://{subdomain}.zendesk.com/oauth/tokens</c> with a JSON body, for the
/// three grants the link uses (README, "Zendesk link"; all through <see cref="ZendeskHttp"/>, so
/// <c>Channel:ZendeskBaseUrl</c> points it at a fake in tests):
/// <list type="bullet">
/// <item><c>authorization_code</c> with <c>code</c>, <c>client_id</c>, <c>client_secret</c>, <c>redirect_uri</c>,
/// <c>scope</c> and the PKCE <c>code_verifier</c>
/// (https://developer.zendesk.com/api-reference/ticketing/oauth/grant_type_tokens/,
/// https://developer.zendesk.com/documentation/api-basics/authentication/oauth-pkce);</item>
/// <item><c>refresh_token</c>: a success returns a new refresh token and deletes the previous access and refresh
/// tokens (https://support.zendesk.com/hc/en-us/articles/9182123625370), so the caller must store the new pair
/// before anything else;</item>
/// <item><c>client_credentials</c> for confidential clients only
/// (https://support.zendesk.com/hc/en-us/articles/8983332483226).</item>
/// </list>
/// The answer carries <c>access_token</c>, <c>token_type</c> (bearer), <c>scope</c> and, for expiring tokens,
/// <c>expires_in</c> and <c>refresh_token</c>/<c>refresh_token_expires_in</c> in seconds. A refused grant answers
/// 400 <c>{"error":"invalid_grant","error_description":…}</c> or 401 (RFC 6749 §5.2). Neither tokens nor Zendesk's
/// whole answer ever reach a message: only the status and the OAuth error code.
/// </summary>
internal sealed class ZendeskOAuthClient(ZendeskHttp http, TimeProvider time, IEnumerable<Api.IZendeskApiLoopback> loopbacks)
{
    private readonly Api.IZendeskApiLoopback[] loopbacks = [.. loopbacks];

    public const int MaxTokenLength = ZendeskLinkStore.MaxSecretLength;

    /// <summary>The longest expiry believed (ten years); a larger or negative one is read as "no expiry given".</summary>
    private const long MaxLifetimeSeconds = 10L * 366 * 24 * 3600;

    public Task<TokenGrantResult> ExchangeCodeAsync(string subdomain, string clientId, string clientSecret, string code, string codeVerifier, string redirectUri, string scope, CancellationToken cancellationToken) =>
        GrantAsync(subdomain, new JsonObject
        {
            ["grant_type"] = "authorization_code",
            ["code"] = code,
            ["client_id"] = clientId,
            ["client_secret"] = clientSecret,
            ["redirect_uri"] = redirectUri,
            ["scope"] = scope,
            ["code_verifier"] = codeVerifier,
        }, cancellationToken);

    public Task<TokenGrantResult> RefreshAsync(string subdomain, string clientId, string clientSecret, string refreshToken, CancellationToken cancellationToken) =>
        GrantAsync(subdomain, new JsonObject
        {
            ["grant_type"] = "refresh_token",
            ["refresh_token"] = refreshToken,
            ["client_id"] = clientId,
            ["client_secret"] = clientSecret,
        }, cancellationToken);

    public Task<TokenGrantResult> ClientCredentialsAsync(string subdomain, string clientId, string clientSecret, string scope, CancellationToken cancellationToken) =>
        GrantAsync(subdomain, new JsonObject
        {
            ["grant_type"] = "client_credentials",
            ["client_id"] = clientId,
            ["client_secret"] = clientSecret,
            ["scope"] = scope,
        }, cancellationToken);

    /// <summary>
    /// Revokes the access token it is sent with: <c>DELETE /api/v2/oauth/tokens/current.json</c>, 204 when done
    /// (https://developer.zendesk.com/documentation/api-basics/authentication/revoking-oauth-token). Community reports
    /// say it has answered 204 without revoking, so the caller deletes its copy whatever the answer; the outcome is
    /// only reported.
    /// </summary>
    public async Task<ZendeskOutcome> RevokeCurrentAsync(string subdomain, string accessToken, CancellationToken cancellationToken) =>
        await SendAsync(subdomain, accessToken, new ZendeskRequest(HttpMethod.Delete, ["api", "v2", "oauth", "tokens", "current.json"]), cancellationToken);

    /// <summary>
    /// The role of the user a token acts for (<c>end-user</c>, <c>agent</c> or <c>admin</c>): <c>GET /api/v2/users/me.json</c>
    /// (https://developer.zendesk.com/api-reference/ticketing/users/users/, "Show Self"; needs the <c>read</c> scope).
    /// Null when Zendesk did not say.
    /// </summary>
    public async Task<string?> RoleAsync(string subdomain, string accessToken, CancellationToken cancellationToken)
    {
        var outcome = await SendAsync(subdomain, accessToken, new ZendeskRequest(HttpMethod.Get, ["api", "v2", "users", "me.json"]), cancellationToken);
        if (outcome.Kind != ZendeskOutcomeKind.Accepted)
        {
            return null;
        }

        try
        {
            return JsonNode.Parse(outcome.Body)?["user"]?["role"] is JsonValue role && role.TryGetValue<string>(out var text) && text.Length <= 20 ? text : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private async Task<TokenGrantResult> GrantAsync(string subdomain, JsonObject body, CancellationToken cancellationToken)
    {
        var grant = (string)body["grant_type"]!;
        var outcome = await SendAsync(subdomain, null, new ZendeskRequest(HttpMethod.Post, ["oauth", "tokens"], body), cancellationToken);
        switch (outcome.Kind)
        {
            case ZendeskOutcomeKind.Accepted:
                return Read(outcome.Body, time.GetUtcNow()) is { } tokens
                    ? new TokenGrantResult.Granted(tokens)
                    : new TokenGrantResult.Unavailable($"Zendesk's answer to the {grant} grant could not be read (no access token in it).");
            case ZendeskOutcomeKind.Rejected:
                var error = ErrorCode(outcome.Body);
                var status = outcome.StatusCode?.ToString(CultureInfo.InvariantCulture) ?? "?";
                return new TokenGrantResult.Refused(outcome.StatusCode, (outcome.StatusCode, error) switch
                {
                    (_, "invalid_grant") => $"Zendesk refused the {grant} grant (HTTP {status}, invalid_grant): the authorisation expired or was revoked.",
                    (401, _) or (_, "invalid_client") => $"Zendesk refused the OAuth client (HTTP {status}{(error is null ? "" : ", " + error)}): it was removed, or its secret changed.",
                    _ => $"Zendesk refused the {grant} grant (HTTP {status}{(error is null ? "" : ", " + error)}).",
                });
            default:
                return new TokenGrantResult.Unavailable(outcome.StatusCode is { } code
                    ? $"Zendesk's token endpoint answered HTTP {code.ToString(CultureInfo.InvariantCulture)}; will try again."
                    : $"{outcome.Message} Will try again.");
        }
    }

    /// <summary>The sandbox's subdomain is answered in process (<see cref="Api.IZendeskApiLoopback"/>); every other over HTTP.</summary>
    private async Task<ZendeskOutcome> SendAsync(string subdomain, string? bearerToken, ZendeskRequest request, CancellationToken cancellationToken) =>
        Array.Find(loopbacks, l => l.Serves(subdomain)) is { } loopback
            ? loopback.Send(request, bearerToken)
            : await http.SendAsync(subdomain, bearerToken, request, cancellationToken);

    /// <summary>The tokens of a 2xx answer; null when it has no usable access token.</summary>
    internal static ZendeskTokenSet? Read(string body, DateTimeOffset now)
    {
        JsonObject? json;
        try
        {
            json = JsonNode.Parse(body) as JsonObject;
        }
        catch (JsonException)
        {
            return null;
        }

        var access = Text(json, "access_token");
        if (access is null)
        {
            return null;
        }

        return new ZendeskTokenSet(access, Text(json, "refresh_token"), Expiry(json, "expires_in", now), Expiry(json, "refresh_token_expires_in", now), Scope(json));
    }

    /// <summary>A token as Zendesk sends it: printable ASCII without spaces (RFC 6750 §2.1 b64token), of a sane length.</summary>
    private static string? Text(JsonObject? json, string name) =>
        json?[name] is JsonValue value && value.TryGetValue<string>(out var text) && text.Length is > 0 and <= MaxTokenLength && text.All(c => c is > ' ' and <= '~')
            ? text
            : null;

    private static DateTimeOffset? Expiry(JsonObject? json, string name, DateTimeOffset now) =>
        json?[name] is JsonValue value && value.TryGetValue<long>(out var seconds) && seconds is > 0 and <= MaxLifetimeSeconds
            ? now.AddSeconds(seconds)
            : null;

    private static string? Scope(JsonObject? json) =>
        json?["scope"] is JsonValue value && value.TryGetValue<string>(out var scope) && scope.Length <= 1000 && !scope.Any(char.IsControl) ? scope : null;

    /// <summary>The OAuth error code (RFC 6749 §5.2) if it is one of the short ASCII words it should be.</summary>
    private static string? ErrorCode(string body)
    {
        try
        {
            return JsonNode.Parse(body) is JsonObject json && json["error"] is JsonValue value && value.TryGetValue<string>(out var error)
                   && error.Length is > 0 and <= 40 && error.All(c => c is '_' or (>= 'a' and <= 'z'))
                ? error
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
