using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using ChannelService.Configuration;
using ChannelService.Metrics;
using Flurl;
using Flurl.Http;
using Flurl.Http.Configuration;
using Microsoft.Extensions.Options;

namespace ChannelService.Zendesk;

/// <summary>How a call to Zendesk ended, in the terms the caller acts on.</summary>
internal enum ZendeskOutcomeKind
{
    /// <summary>2xx: the answer is in <see cref="ZendeskOutcome.Body"/>.</summary>
    Accepted,

    /// <summary>429: wait <see cref="ZendeskOutcome.RetryAfter"/>, then repeat.</summary>
    RateLimited,

    /// <summary>5xx, 408, timeout, network: repeat after a backoff if the call is safe to repeat.</summary>
    Transient,

    /// <summary>Any other 4xx (bad token, bad request): repeating will not help until someone acts.</summary>
    Rejected,
}

/// <summary>
/// One call's result. <see cref="Message"/> is a single line for logs and the dashboard: it names the status and
/// Zendesk's error text, never a token or a URL.
/// </summary>
internal sealed record ZendeskOutcome(ZendeskOutcomeKind Kind, int? StatusCode, string Message, TimeSpan? RetryAfter = null, IReadOnlyList<PushItemStatus>? Items = null)
{
    /// <summary>The response body (at most <see cref="ZendeskHttp.MaxResponseBytes"/>): the answer of an accepted call, the error of another.</summary>
    public string Body { get; init; } = "";
}

/// <summary>
/// One request to a Zendesk API. <see cref="Path"/> holds path pieces, each escaped on its own (an id with <c>/</c>
/// or <c>?</c> stays one piece); <see cref="Body"/> is sent as JSON.
/// </summary>
internal sealed record ZendeskRequest(HttpMethod Method, IReadOnlyList<string> Path, JsonNode? Body = null)
{
    /// <summary>Query parameters, encoded by Flurl.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Query { get; init; } = [];
}

/// <summary>
/// The configured HTTP client family for every Zendesk API the service calls: the Channel Framework calls
/// (<see cref="ZendeskClient"/>) and the OAuth-authenticated REST API. One Flurl client per base URL
/// (<c>https://{subdomain}.zendesk.com</c>, or <c>Channel:ZendeskBaseUrl</c> for every subdomain), kept in the
/// application's <see cref="IFlurlClientCache"/> and configured once here: timeout, no redirects, no cookies,
/// System.Text.Json with snake_case names, every status handed back rather than thrown.
/// <para>
/// Never throws for HTTP or network failures: every outcome is a <see cref="ZendeskOutcome"/> the caller acts on;
/// only cancellation by the caller's token throws. There is no automatic retry here: push repeats through its
/// outbox (PushWorker), and a POST such as report_error is not safe to repeat blindly (style rule 7). A caller that
/// may repeat reads <see cref="ZendeskOutcome.RetryAfter"/> and <see cref="ZendeskOutcomeKind.Transient"/>.
/// </para>
/// The bearer token goes only into the Authorization header: outcome messages carry the status and Zendesk's error
/// text, and Flurl's exceptions (which name the URL) are never passed on.
/// </summary>
internal sealed class ZendeskHttp(IFlurlClientCache clients, IOptions<ChannelOptions> options, TimeProvider time, ServiceMetrics? metrics = null)
{
    /// <summary>
    /// The largest answer read. A push answer is one short status per item; an incremental export page of 1,000
    /// tickets is a few MB. The bound stops a misbehaving proxy from filling memory.
    /// </summary>
    public const int MaxResponseBytes = 16 * 1024 * 1024;

    private static readonly TimeSpan MaxRetryAfter = TimeSpan.FromMinutes(10);

    /// <summary>The JSON settings on the Zendesk side, set once: snake_case names, nulls left out.</summary>
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DictionaryKeyPolicy = null,
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    private static readonly DefaultJsonSerializer Serializer = new(Json);

    private readonly ChannelOptions options = options.Value;

    /// <summary>The API base for a subdomain: <c>https://{subdomain}.zendesk.com</c> unless <c>Channel:ZendeskBaseUrl</c> replaces it.</summary>
    public Uri BaseFor(string subdomain)
    {
        if (!string.IsNullOrWhiteSpace(options.ZendeskBaseUrl))
        {
            return new Uri(options.ZendeskBaseUrl.TrimEnd('/') + "/");
        }

        // The subdomain becomes part of a host name: anything but a DNS label could point the token elsewhere.
        return PushCredentialsStore.IsValidSubdomain(subdomain)
            ? new Uri($"https://{subdomain.ToLowerInvariant()}.zendesk.com/")
            : throw new ArgumentException("Not a Zendesk subdomain.", nameof(subdomain));
    }

    /// <summary>
    /// Sends one request with the bearer token (a push token or an OAuth access token); without one for OAuth's own
    /// <c>/oauth/tokens</c>, whose client credentials travel in the body.
    /// </summary>
    public async Task<ZendeskOutcome> SendAsync(string subdomain, string? bearerToken, ZendeskRequest request, CancellationToken cancellationToken)
    {
        var call = ClientFor(subdomain).Request();
        if (bearerToken is not null)
        {
            call.WithOAuthBearerToken(bearerToken);
        }

        foreach (var piece in request.Path)
        {
            call.Url.AppendPathSegment(piece, fullyEncode: true);
        }

        foreach (var (name, value) in request.Query)
        {
            call.Url.AppendQueryParam(name, value);
        }

        IFlurlResponse response;
        try
        {
            response = request.Body is null
                ? await call.SendAsync(request.Method, cancellationToken: cancellationToken)
                : await call.SendJsonAsync(request.Method, request.Body, cancellationToken: cancellationToken);
        }
        catch (FlurlHttpException ex)
        {
            cancellationToken.ThrowIfCancellationRequested();
            metrics?.ZendeskCall(request.Method.Method, EndpointTemplate(request.Path), null, ex is FlurlHttpTimeoutException ? "timeout" : "unreachable");
            return ex is FlurlHttpTimeoutException
                ? new ZendeskOutcome(ZendeskOutcomeKind.Transient, null, $"Zendesk did not answer within {options.ZendeskTimeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s.")
                : new ZendeskOutcome(ZendeskOutcomeKind.Transient, null, $"Zendesk could not be reached ({ex.InnerException?.GetType().Name ?? ex.GetType().Name}).");
        }

        using (response)
        {
            var status = response.StatusCode;
            metrics?.ZendeskCall(request.Method.Method, EndpointTemplate(request.Path), status, "");
            var text = await response.ResponseMessage.Content.ReadAsStringAsync(cancellationToken);
            if (status is >= 200 and < 300)
            {
                return new ZendeskOutcome(ZendeskOutcomeKind.Accepted, status, "") { Body = text };
            }

            // The error body stays available to callers that read Zendesk's error code (OAuth's "invalid_grant").
            var summary = $"Zendesk answered HTTP {status.ToString(CultureInfo.InvariantCulture)}{Describe(text)}";
            return status switch
            {
                429 => new ZendeskOutcome(ZendeskOutcomeKind.RateLimited, status, summary, RetryAfter(response.ResponseMessage)) { Body = text },
                >= 500 or 408 => new ZendeskOutcome(ZendeskOutcomeKind.Transient, status, summary) { Body = text },
                _ => new ZendeskOutcome(ZendeskOutcomeKind.Rejected, status, summary) { Body = text },
            };
        }
    }

    /// <summary>
    /// The request's path as a metric label (<c>api/v2/tickets/{id}</c>): pieces made of lower-case letters, <c>_</c> and
    /// <c>.</c> are Zendesk's own words (<c>any_channel</c>, <c>cursor.json</c>) and stay, as does the API version
    /// (<c>v2</c>); anything else (ticket, webhook, trigger and job ids, which carry digits or capitals) becomes
    /// <c>{id}</c>, so the label never carries data and its values stay few.
    /// </summary>
    internal static string EndpointTemplate(IReadOnlyList<string> path)
    {
        var pieces = new string[path.Count];
        for (var i = 0; i < path.Count; i++)
        {
            var piece = path[i];
            var word = piece.Length is > 0 and <= 40 && piece.All(c => c is (>= 'a' and <= 'z') or '_' or '.');
            var version = piece.Length is >= 2 and <= 4 && piece[0] == 'v' && piece.Skip(1).All(char.IsAsciiDigit);
            pieces[i] = word || version ? piece : "{id}";
        }

        return string.Join('/', pieces);
    }

    private IFlurlClient ClientFor(string subdomain)
    {
        var baseUrl = BaseFor(subdomain).AbsoluteUri;
        return clients.GetOrAdd("zendesk " + baseUrl, baseUrl, Configure);
    }

    private void Configure(IFlurlClientBuilder builder) => builder
        .WithSettings(settings =>
        {
            settings.Timeout = options.ZendeskTimeout;
            settings.AllowedHttpStatusRange = "*";
            settings.Redirects.Enabled = false;
            settings.JsonSerializer = Serializer;
        })
        .WithHeader("Accept", "application/json")
        .ConfigureHttpClient(http => http.MaxResponseContentBufferSize = MaxResponseBytes)

        // Zendesk is a fixed, trusted host (not an admin-typed URL), so the SSRF guard of the source clients does not
        // apply; connect timeouts and connection recycling (DNS changes) do.
        .UseSocketsHttpHandler(handler =>
        {
            handler.ConnectTimeout = TimeSpan.FromSeconds(10);
            handler.PooledConnectionLifetime = TimeSpan.FromMinutes(5);
            handler.AllowAutoRedirect = false;
            handler.UseCookies = false;
        });

    /// <summary>Retry-After in seconds or as an HTTP date (RFC 9110 section 10.2.3); one minute when missing or unreadable.</summary>
    private TimeSpan RetryAfter(HttpResponseMessage response)
    {
        var header = response.Headers.RetryAfter;
        var wait = header?.Delta ?? (header?.Date is { } date ? date - time.GetUtcNow() : TimeSpan.FromMinutes(1));
        return wait < TimeSpan.Zero ? TimeSpan.Zero : wait > MaxRetryAfter ? MaxRetryAfter : wait;
    }

    /// <summary>A short, single-line excerpt of Zendesk's error body (it names the problem, never our token).</summary>
    private static string Describe(string text)
    {
        var line = text.ReplaceLineEndings(" ").Trim();
        return line.Length == 0 ? "." : $": {(line.Length <= 200 ? line : line[..200])}";
    }
}
