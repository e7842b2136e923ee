using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using ChannelService.Tests.Sources.Http;
using Microsoft.AspNetCore.WebUtilities;

namespace ChannelService.Tests.ZendeskLink;

/// <summary>
/// Zendesk's OAuth over real HTTP on loopback, as documented (README, "Zendesk link"): the authorisation page
/// (<c>GET /oauth/authorizations/new</c>, an Allow link back to <c>redirect_uri</c> with <c>code</c> and <c>state</c>),
/// <c>POST /oauth/tokens</c> with the authorization_code (PKCE S256 verified), refresh_token (rotation: the old access
/// and refresh tokens are deleted) and client_credentials grants, expiring access tokens, <c>invalid_grant</c>, 401 for
/// a wrong or revoked client, and switchable 5xx; <c>DELETE /api/v2/oauth/tokens/current.json</c>; and
/// <c>GET /api/v2/users/me.json</c>, which answers 401 to an unknown, deleted or expired token. Every token request's
/// body is kept for the test to assert on.
/// </summary>
internal sealed class FakeZendeskOAuth : IAsyncDisposable
{
    public const string ClientId = "channelservice-global";
    public const string ClientSecret = "Global-Client-Secret-0f9e8d7c";
    public const string ConfidentialClientId = "acme-own-client";
    public const string ConfidentialSecret = "Acme-Own-Secret-a1b2c3d4";

    private readonly LoopbackServer server;
    private readonly TimeProvider time;
    private readonly ConcurrentDictionary<string, (string ClientId, string RedirectUri, string Challenge)> codes = new();
    private readonly ConcurrentDictionary<string, DateTimeOffset?> accessTokens = new();
    private readonly ConcurrentDictionary<string, string> refreshTokens = new();
    private readonly ConcurrentQueue<JsonObject> tokenRequests = new();
    private readonly ConcurrentQueue<Dictionary<string, string>> authorizeRequests = new();
    private readonly ConcurrentQueue<string> issuedTokens = new();
    private int issued;

    public FakeZendeskOAuth(TimeProvider? time = null)
    {
        this.time = time ?? TimeProvider.System;
        server = new LoopbackServer(HandleAsync);
    }

    public string BaseUrl => server.Url("/").ToString();

    /// <summary>expires_in of issued access tokens (seconds); null issues tokens without expiry.</summary>
    public int? AccessLifetime { get; set; } = 600;

    /// <summary>refresh_token_expires_in (seconds) of issued refresh tokens.</summary>
    public int RefreshLifetime { get; set; } = 30 * 24 * 3600;

    /// <summary>When set, /oauth/tokens answers this status (e.g. 503) without issuing anything.</summary>
    public int? TokenEndpointStatus { get; set; }

    /// <summary>Delay before /oauth/tokens answers, so concurrent renewals overlap.</summary>
    public TimeSpan TokenDelay { get; set; }

    /// <summary>False once the global client was "removed": every grant for it answers 401 invalid_client.</summary>
    public bool ClientActive { get; set; } = true;

    /// <summary>The role <c>users/me</c> reports for every token (the user who allowed access).</summary>
    public string Role { get; set; } = "admin";

    public IReadOnlyList<JsonObject> TokenRequests => [.. tokenRequests];

    public IReadOnlyList<Dictionary<string, string>> AuthorizeRequests => [.. authorizeRequests];

    /// <summary>Every access token issued so far (valid or not), so a test can look for them where they must not be.</summary>
    public IReadOnlyList<string> IssuedAccessTokens => [.. issuedTokens];

    public int Grants(string grantType) => tokenRequests.Count(r => (string?)r["grant_type"] == grantType);

    public bool IsValid(string accessToken) =>
        accessTokens.TryGetValue(accessToken, out var expires) && (expires is null || expires > time.GetUtcNow());

    /// <summary>Revokes every refresh token (a user removed the app's access): the next refresh gets invalid_grant.</summary>
    public void RevokeRefreshTokens() => refreshTokens.Clear();

    /// <summary>Users "List Users" answers (agents' calendars): <c>id</c>, <c>email</c>, <c>name</c>, <c>role</c>.</summary>
    public List<JsonObject> Users { get; } = [];

    public ValueTask DisposeAsync() => server.DisposeAsync();

    private async Task HandleAsync(ReceivedRequest request, Stream stream, CancellationToken ct)
    {
        var path = request.Target.Split('?')[0];
        var query = request.Target.Contains('?', StringComparison.Ordinal) ? QueryHelpers.ParseQuery(request.Target[request.Target.IndexOf('?', StringComparison.Ordinal)..]) : [];
        if (request.Method == "GET" && path == "/oauth/authorizations/new")
        {
            var fields = query.ToDictionary(q => q.Key, q => q.Value.ToString());
            authorizeRequests.Enqueue(fields);
            if (fields.GetValueOrDefault("response_type") != "code" || fields.GetValueOrDefault("client_id") != ClientId
                || fields.GetValueOrDefault("code_challenge_method") != "S256" || string.IsNullOrEmpty(fields.GetValueOrDefault("code_challenge"))
                || string.IsNullOrEmpty(fields.GetValueOrDefault("state")) || !Uri.TryCreate(fields.GetValueOrDefault("redirect_uri"), UriKind.Absolute, out var redirect))
            {
                await LoopbackServer.WriteAsync(stream, 400, "<!DOCTYPE html><h1>Invalid authorization request</h1>", ct, ("Content-Type", "text/html"));
                return;
            }

            var code = "code-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
            codes[code] = (ClientId, redirect.AbsoluteUri, fields["code_challenge"]);
            var back = QueryHelpers.AddQueryString(redirect.AbsoluteUri, new Dictionary<string, string?> { ["code"] = code, ["state"] = fields["state"] });
            var deny = QueryHelpers.AddQueryString(redirect.AbsoluteUri, new Dictionary<string, string?> { ["error"] = "access_denied", ["state"] = fields["state"] });
            var html = "<!DOCTYPE html><html><head><meta charset=utf-8><title>Zendesk (fake): allow access</title></head><body>"
                + $"<h1>Allow ChannelService to access your Zendesk?</h1><p>Scopes: {WebUtility.HtmlEncode(fields.GetValueOrDefault("scope"))}</p>"
                + $"<a id=\"allow\" href=\"{WebUtility.HtmlEncode(back)}\">Allow</a> <a id=\"deny\" href=\"{WebUtility.HtmlEncode(deny)}\">Deny</a></body></html>";

            // Zendesk's sign-in page may not be framed; the fake says so too.
            await LoopbackServer.WriteAsync(stream, 200, html, ct, ("Content-Type", "text/html; charset=utf-8"), ("X-Frame-Options", "DENY"));
            return;
        }

        if (request.Method == "POST" && path == "/oauth/tokens")
        {
            var body = JsonNode.Parse(Encoding.UTF8.GetString(request.Body)) as JsonObject ?? [];
            tokenRequests.Enqueue(body);
            if (TokenDelay > TimeSpan.Zero)
            {
                await Task.Delay(TokenDelay, ct);
            }

            var (status, answer) = Grant(body, request.Header("Authorization"));
            await LoopbackServer.WriteAsync(stream, status, answer.ToJsonString(), ct, ("Content-Type", "application/json"));
            return;
        }

        var bearer = request.Header("Authorization") is { } auth && auth.StartsWith("Bearer ", StringComparison.Ordinal) ? auth[7..] : null;
        if (request.Method == "DELETE" && path == "/api/v2/oauth/tokens/current.json")
        {
            if (bearer is null || !IsValid(bearer))
            {
                await LoopbackServer.WriteAsync(stream, 401, "{\"error\":\"invalid_token\"}", ct, ("Content-Type", "application/json"));
                return;
            }

            accessTokens.TryRemove(bearer, out _);
            foreach (var (refresh, access) in refreshTokens)
            {
                if (access == bearer)
                {
                    refreshTokens.TryRemove(refresh, out _);
                }
            }

            await LoopbackServer.WriteAsync(stream, 204, "", ct);
            return;
        }

        if (request.Method == "GET" && path == "/api/v2/users/me.json")
        {
            await (bearer is not null && IsValid(bearer)
                ? LoopbackServer.WriteAsync(stream, 200, $"{{\"user\":{{\"id\":1,\"role\":\"{Role}\"}}}}", ct, ("Content-Type", "application/json"))
                : LoopbackServer.WriteAsync(stream, 401, "{\"error\":\"Couldn't authenticate you\"}", ct, ("Content-Type", "application/json")));
            return;
        }

        if (request.Method == "GET" && path == "/api/v2/users")
        {
            // "List Users" filtered by role[] (agents' calendars): one page, cursor pagination's meta.
            var roles = query.TryGetValue("role[]", out var wanted) ? wanted.Select(r => r!).ToHashSet(StringComparer.Ordinal) : [];
            var users = new JsonArray(Users.Where(u => roles.Count == 0 || roles.Contains((string)u["role"]!)).Select(u => (JsonNode?)u.DeepClone()).ToArray());
            await (bearer is not null && IsValid(bearer)
                ? LoopbackServer.WriteAsync(stream, 200, new JsonObject { ["users"] = users, ["meta"] = new JsonObject { ["has_more"] = false }, ["links"] = new JsonObject { ["next"] = null } }.ToJsonString(), ct, ("Content-Type", "application/json"))
                : LoopbackServer.WriteAsync(stream, 401, "{\"error\":\"Couldn't authenticate you\"}", ct, ("Content-Type", "application/json")));
            return;
        }

        await LoopbackServer.WriteAsync(stream, 404, "{\"error\":\"InvalidEndpoint\"}", ct, ("Content-Type", "application/json"));
    }

    private (int Status, JsonObject Body) Grant(JsonObject body, string? authorization)
    {
        if (TokenEndpointStatus is { } forced)
        {
            return (forced, new JsonObject { ["error"] = "server_error" });
        }

        if (authorization is not null)
        {
            // Client credentials travel in the body; a bearer token here would be a leak.
            return (400, Error("invalid_request", "Unexpected Authorization header."));
        }

        var clientId = (string?)body["client_id"];
        var secret = (string?)body["client_secret"];
        var knownClient = (clientId == ClientId && secret == ClientSecret && ClientActive) || (clientId == ConfidentialClientId && secret == ConfidentialSecret);
        if (!knownClient)
        {
            return (401, Error("invalid_client", "Client authentication failed."));
        }

        switch ((string?)body["grant_type"])
        {
            case "authorization_code":
                var code = (string?)body["code"];
                var verifier = (string?)body["code_verifier"];
                if (code is null || !codes.TryRemove(code, out var issuedCode) || issuedCode.ClientId != clientId
                    || issuedCode.RedirectUri != (string?)body["redirect_uri"] || verifier is null
                    || Base64UrlChallenge(verifier) != issuedCode.Challenge)
                {
                    return (400, Error("invalid_grant", "The provided authorization grant is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client."));
                }

                return (200, Issue(withRefresh: true, (string?)body["scope"]));
            case "refresh_token":
                var refresh = (string?)body["refresh_token"];
                if (refresh is null || !refreshTokens.TryRemove(refresh, out var oldAccess))
                {
                    return (400, Error("invalid_grant", "The provided authorization grant is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client."));
                }

                // Rotation: the old pair is deleted.
                accessTokens.TryRemove(oldAccess, out _);
                return (200, Issue(withRefresh: true, "read tickets:write users:write webhooks:write triggers:write"));
            case "client_credentials":
                return clientId == ConfidentialClientId
                    ? (200, Issue(withRefresh: false, (string?)body["scope"]))
                    : (400, Error("unauthorized_client", "The client is not confidential."));
            default:
                return (400, Error("unsupported_grant_type", "The authorization grant type is not supported."));
        }
    }

    private JsonObject Issue(bool withRefresh, string? scope)
    {
        var n = Interlocked.Increment(ref issued);
        var access = $"zat-{n}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12))}";
        issuedTokens.Enqueue(access);
        accessTokens[access] = AccessLifetime is { } seconds ? time.GetUtcNow().AddSeconds(seconds) : null;
        var answer = new JsonObject { ["access_token"] = access, ["token_type"] = "bearer", ["scope"] = scope };
        if (AccessLifetime is { } lifetime)
        {
            answer["expires_in"] = lifetime;
        }

        if (withRefresh)
        {
            var refresh = $"zrt-{n}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12))}";
            refreshTokens[refresh] = access;
            answer["refresh_token"] = refresh;
            answer["refresh_token_expires_in"] = RefreshLifetime;
        }

        return answer;
    }

    private static JsonObject Error(string error, string description) => new() { ["error"] = error, ["error_description"] = description };

    private static string Base64UrlChallenge(string verifier) =>
        System.Buffers.Text.Base64Url.EncodeToString(SHA256.HashData(Encoding.ASCII.GetBytes(verifier)));
}
