using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using ChannelService.Zendesk;
using ChannelService.ZendeskLink.Work;

namespace ChannelService.ZendeskLink.Api;

/// <summary>How an API call ended, in the terms the worker acts on.</summary>
internal enum ApiStatus
{
    Ok,

    /// <summary>The subdomain has no working link (never linked, unlinked, or broken): nothing was sent.</summary>
    NotLinked,

    /// <summary>429 with a Retry-After longer than the client waits inline.</summary>
    RateLimited,

    /// <summary>5xx, timeout, network, after the client's own back-off.</summary>
    Transient,

    /// <summary>401 again after the link was told (<see cref="IZendeskLinkTokens.RejectedAsync"/>) and renewed.</summary>
    Unauthorized,

    NotFound,

    /// <summary>Any other 4xx: repeating will not help.</summary>
    Rejected,
}

/// <summary>Which failures <see cref="ZendeskApiClient"/> repeats inside the call.</summary>
internal enum ApiRepeats
{
    /// <summary>Repeat after 5xx/network failures (with back-off) and wait out a short Retry-After: the call is safe to repeat.</summary>
    All,

    /// <summary>
    /// Return every failure to the caller at once: a create (POST) whose failed attempt may have been applied all the
    /// same, or a caller that keeps its own schedule (the incremental export's 10 requests a minute).
    /// </summary>
    None,
}

/// <summary>One call's result; <see cref="Message"/> names the status and Zendesk's error text, never a token or URL.</summary>
internal sealed record ApiResult(ApiStatus Status, int? HttpStatus, string Message, JsonNode? Body = null, TimeSpan? RetryAfter = null)
{
    public bool Ok => Status == ApiStatus.Ok;
}

/// <summary>
/// The REST API client of a linked subdomain, over <see cref="ZendeskHttp"/> (Flurl 4, one client per base URL). Each
/// call takes the link's current OAuth access token (<see cref="IZendeskLinkTokens"/>; null: not linked, nothing is
/// sent), waits for its turn at the <see cref="ApiRateGate"/>, and is logged by method, endpoint template and status,
/// never with a token, a query or a body. Well-behaved
/// (https://developer.zendesk.com/api-reference/introduction/rate-limits/): a 429 closes the gate for its
/// Retry-After and is repeated when that wait is short; 5xx and network failures are repeated twice with exponential
/// back-off and jitter (the calls made with <see cref="ApiRepeats.All"/> are safe to repeat: reads, PUTs of absolute
/// values, update_many of the same values, create_or_update by e-mail; the change feed's creates of its webhook and
/// trigger are not, and use <see cref="ApiRepeats.None"/>); a 401 is reported to the link once, which renews the token, and the
/// call is repeated with the new one.
/// </summary>
internal sealed partial class ZendeskApiClient(ZendeskHttp http, IZendeskLinkTokens tokens, ApiRateGate gate, ZendeskApiCallLog calls, TimeProvider time, ILogger<ZendeskApiClient> logger, IEnumerable<IZendeskApiLoopback> loopbacks)
{
    private readonly IZendeskApiLoopback[] loopbacks = [.. loopbacks];

    /// <summary>A Retry-After up to this long is waited out inside the call; a longer one goes back to the worker.</summary>
    public static readonly TimeSpan MaxInlineRetryAfter = TimeSpan.FromSeconds(30);

    private const int MaxTransientRetries = 2;

    /// <summary>Sends one request; <paramref name="endpoint"/> is the template logged (<c>tickets/{id}</c>), never the real path.</summary>
    public Task<ApiResult> SendAsync(string subdomain, string endpoint, ZendeskRequest request, CancellationToken cancellationToken) =>
        SendAsync(subdomain, endpoint, request, ApiRepeats.All, cancellationToken);

    /// <summary>
    /// Sends one request, repeating it only as <paramref name="repeats"/> allows. A 401 is always repeated once after the
    /// link renewed its token: Zendesk refused the request, so nothing was applied.
    /// </summary>
    public async Task<ApiResult> SendAsync(string subdomain, string endpoint, ZendeskRequest request, ApiRepeats repeats, CancellationToken cancellationToken)
    {
        var transientRetries = 0;
        var rateLimitRetries = 0;
        string? rejectedToken = null;
        while (true)
        {
            var loopback = Array.Find(loopbacks, l => l.Serves(subdomain));
            var token = await tokens.AccessTokenAsync(subdomain, cancellationToken);
            if (token is null)
            {
                return new ApiResult(ApiStatus.NotLinked, null, $"{subdomain} is not linked to the Zendesk API.");
            }

            await gate.WaitTurnAsync(subdomain, cancellationToken);
            var started = Stopwatch.GetTimestamp();
            var outcome = loopback?.Send(request, token) ?? await http.SendAsync(subdomain, token, request, cancellationToken);
            LogCall(logger, subdomain, request.Method.Method, endpoint, outcome.StatusCode?.ToString(CultureInfo.InvariantCulture) ?? "no answer", Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            await calls.RecordAsync(subdomain, request.Method.Method, endpoint, outcome, token, cancellationToken);
            switch (outcome.Kind)
            {
                case ZendeskOutcomeKind.Accepted:
                    return new ApiResult(ApiStatus.Ok, outcome.StatusCode, "", Parse(outcome.Body));

                case ZendeskOutcomeKind.RateLimited:
                    var wait = outcome.RetryAfter ?? TimeSpan.FromMinutes(1);
                    gate.Pause(subdomain, wait);
                    if (repeats == ApiRepeats.All && wait <= MaxInlineRetryAfter && rateLimitRetries++ < 3)
                    {
                        continue;
                    }

                    return new ApiResult(ApiStatus.RateLimited, 429, outcome.Message, RetryAfter: wait);

                case ZendeskOutcomeKind.Transient:
                    if (repeats == ApiRepeats.All && transientRetries < MaxTransientRetries)
                    {
                        var ceiling = 500 * Math.Pow(2, transientRetries++);
                        await Task.Delay(TimeSpan.FromMilliseconds((ceiling / 2) + (Random.Shared.NextDouble() * ceiling / 2)), time, cancellationToken);
                        continue;
                    }

                    return new ApiResult(ApiStatus.Transient, outcome.StatusCode, outcome.Message);

                default:
                    if (outcome.StatusCode == 401)
                    {
                        if (rejectedToken is null)
                        {
                            // The token expired or was revoked: the link renews it (or marks itself broken), then once more.
                            rejectedToken = token;
                            await tokens.RejectedAsync(subdomain, token, cancellationToken);
                            continue;
                        }

                        return new ApiResult(ApiStatus.Unauthorized, 401, outcome.Message);
                    }

                    return new ApiResult(outcome.StatusCode == 404 ? ApiStatus.NotFound : ApiStatus.Rejected, outcome.StatusCode, outcome.Message);
            }
        }
    }

    /// <summary>
    /// Every page of a listing, following Zendesk's cursor pagination (<c>meta.has_more</c> and <c>links.next</c>,
    /// https://developer.zendesk.com/api-reference/introduction/pagination/) or, for endpoints that only offer it, offset
    /// pagination (<c>next_page</c>). A next link is followed only on the subdomain's own API host: the token never goes
    /// to a host a response names.
    /// </summary>
    public async Task<(ApiResult Last, List<JsonNode> Items)> ListAsync(string subdomain, string endpoint, ZendeskRequest first, string arrayName, int maxPages, CancellationToken cancellationToken)
    {
        var items = new List<JsonNode>();
        var request = first;
        for (var page = 0; ; page++)
        {
            var result = await SendAsync(subdomain, endpoint, request, cancellationToken);
            if (!result.Ok)
            {
                return (result, items);
            }

            items.AddRange((result.Body?[arrayName] as JsonArray ?? []).OfType<JsonNode>());
            var next = result.Body?["meta"]?["has_more"]?.GetValueKind() == JsonValueKind.True ? Text(result.Body?["links"]?["next"])
                : Text(result.Body?["next_page"]);
            if (next is null || page + 1 >= maxPages || NextRequest(subdomain, next) is not { } following)
            {
                return (result, items);
            }

            request = following;
        }
    }

    private ZendeskRequest? NextRequest(string subdomain, string next)
    {
        var api = http.BaseFor(subdomain);
        if (!Uri.TryCreate(next, UriKind.Absolute, out var url) || url.Scheme != api.Scheme || !string.Equals(url.Authority, api.Authority, StringComparison.OrdinalIgnoreCase)
            || !url.AbsolutePath.StartsWith(api.AbsolutePath, StringComparison.Ordinal))
        {
            return null;
        }

        var path = url.AbsolutePath[api.AbsolutePath.Length..].Split('/', StringSplitOptions.RemoveEmptyEntries).Select(Uri.UnescapeDataString).ToList();
        var query = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(url.Query)
            .SelectMany(q => q.Value.Select(v => new KeyValuePair<string, string>(q.Key, v ?? ""))).ToList();
        return new ZendeskRequest(HttpMethod.Get, path) { Query = query };
    }

    public static string? Text(JsonNode? node) => node is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;

    public static long? Number(JsonNode? node) => node is JsonValue value && value.TryGetValue<long>(out var number) ? number : null;

    private static JsonNode? Parse(string body)
    {
        if (string.IsNullOrWhiteSpace(body))
        {
            return null;
        }

        try
        {
            return JsonNode.Parse(body, documentOptions: new JsonDocumentOptions { MaxDepth = 64 });
        }
        catch (JsonException)
        {
            return null;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Zendesk API {Subdomain}: {Method} {Endpoint} answered {Status} in {Milliseconds:0} ms")]
    private static partial void LogCall(ILogger logger, string subdomain, string method, string endpoint, string status, double milliseconds);
}
