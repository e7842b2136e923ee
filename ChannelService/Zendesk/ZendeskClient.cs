using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ChannelService.Configuration;
using Flurl.Http;
using Microsoft.Extensions.Options;

namespace ChannelService.Zendesk;

/// <summary>How a call to Zendesk ended, in the terms the caller acts on.</summary>
internal enum ZendeskOutcomeKind
{
    /// <summary>2xx: for push, read every item's status.</summary>
    Accepted,

    /// <summary>429: wait <see cref="ZendeskOutcome.RetryAfter"/>, then repeat.</summary>
    RateLimited,

    /// <summary>5xx, timeout, network: repeat after a backoff. Repeating is safe: ids are deterministic, Zendesk drops repeats.</summary>
    Transient,

    /// <summary>Any other 4xx (bad token, bad request): repeating will not help until someone acts.</summary>
    Rejected,
}

/// <summary>One item's answer from push (spec §8), in input order.</summary>
internal sealed record PushItemStatus(string? ExternalResourceId, string Code, string? Description);

internal sealed record ZendeskOutcome(ZendeskOutcomeKind Kind, int? StatusCode, string Message, TimeSpan? RetryAfter = null, IReadOnlyList<PushItemStatus>? Items = null);

/// <summary>
/// The outbound Zendesk Channel Framework API (spec §8): push, validate_token, channelback/report_error, with Flurl.Http.
/// Never throws for HTTP or network failures: every outcome is a <see cref="ZendeskOutcome"/> the caller can act on.
/// Tokens go only into the Authorization header, never into a message or log line.
/// Flurl.Http 2.4.2 is the only version the package feed serves, and restore pairs it with Flurl 3.0.1 (its
/// dependency is "Flurl >= 2.8.2"). Flurl 3 changed Url APIs that Flurl.Http 2.x can reach, so this class keeps to
/// calls proven at run time by the push tests against a fake Zendesk (FlurlClient(HttpClient), Request(string),
/// WithOAuthBearerToken, WithHeader, WithTimeout, AllowAnyHttpStatus, SendAsync) and builds JSON with
/// System.Text.Json instead of Flurl's Newtonsoft helpers.
/// </summary>
internal sealed class ZendeskClient : IDisposable
{
    public const int MaxResourcesPerPush = 200;
    private static readonly TimeSpan MaxRetryAfter = TimeSpan.FromMinutes(10);

    private readonly ChannelOptions options;
    private readonly TimeProvider time;
    private readonly HttpClient http;
    private readonly FlurlClient flurl;

    public ZendeskClient(IOptions<ChannelOptions> options, TimeProvider time)
    {
        this.options = options.Value;
        this.time = time;

        // Our own handler: Zendesk is a fixed, trusted host (not an admin-typed URL), so the SSRF guard does not
        // apply, but connect timeouts and connection recycling (DNS changes) do.
        http = new HttpClient(new SocketsHttpHandler
        {
            ConnectTimeout = TimeSpan.FromSeconds(10),
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            AllowAutoRedirect = false,
            UseCookies = false,
        })
        { Timeout = Timeout.InfiniteTimeSpan };
        flurl = new FlurlClient(http);
    }

    /// <summary>The API base for a subdomain: <c>https://{subdomain}.zendesk.com</c> unless <c>Channel:ZendeskBaseUrl</c> replaces it.</summary>
    public Uri BaseFor(string subdomain) =>
        string.IsNullOrWhiteSpace(options.ZendeskBaseUrl)
            ? new Uri($"https://{subdomain}.zendesk.com/")
            : new Uri(options.ZendeskBaseUrl.TrimEnd('/') + "/");

    /// <summary>POST /api/v2/any_channel/push with at most 200 resources (JSON objects as text).</summary>
    public async Task<ZendeskOutcome> PushAsync(PushCredentials credentials, IReadOnlyList<string> resources, string requestId, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(resources.Count, MaxResourcesPerPush);
        var array = new JsonArray();
        foreach (var resource in resources)
        {
            array.Add(JsonNode.Parse(resource));
        }

        var body = new JsonObject
        {
            ["instance_push_id"] = credentials.InstancePushId,
            ["request_id"] = requestId,
            ["external_resources"] = array,
        };
        var outcome = await PostAsync(credentials, "api/v2/any_channel/push", body, cancellationToken);
        if (outcome.Kind != ZendeskOutcomeKind.Accepted)
        {
            return outcome;
        }

        var items = ParseResults(outcome.Message);
        return items is null
            ? outcome with { Kind = ZendeskOutcomeKind.Transient, Message = "Zendesk accepted the push but its answer had no readable results." }
            : outcome with { Items = items, Message = "" };
    }

    /// <summary>POST /api/v2/any_channel/validate_token: Accepted when the token is live.</summary>
    public Task<ZendeskOutcome> ValidateTokenAsync(PushCredentials credentials, CancellationToken cancellationToken) =>
        PostAsync(credentials, "api/v2/any_channel/validate_token", new JsonObject { ["instance_push_id"] = credentials.InstancePushId }, cancellationToken);

    /// <summary>POST /api/v2/any_channel/channelback/report_error: tells the agent an asynchronous channelback failed.</summary>
    public Task<ZendeskOutcome> ReportErrorAsync(PushCredentials credentials, string externalId, string description, CancellationToken cancellationToken) =>
        PostAsync(
            credentials,
            "api/v2/any_channel/channelback/report_error",
            new JsonObject
            {
                ["instance_push_id"] = credentials.InstancePushId,
                ["external_id"] = externalId,
                ["description"] = description.Length <= 511 ? description : description[..511],
            },
            cancellationToken);

    public void Dispose()
    {
        flurl.Dispose();
        http.Dispose();
    }

    private async Task<ZendeskOutcome> PostAsync(PushCredentials credentials, string path, JsonObject body, CancellationToken cancellationToken)
    {
        var url = new Uri(BaseFor(credentials.Subdomain), path).ToString();
        using var content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        HttpResponseMessage response;
        try
        {
            response = await flurl.Request(url)
                .WithOAuthBearerToken(credentials.Token)
                .WithHeader("Accept", "application/json")
                .WithTimeout(options.ZendeskTimeout)
                .AllowAnyHttpStatus()
                .SendAsync(HttpMethod.Post, content, cancellationToken);
        }
        catch (FlurlHttpTimeoutException)
        {
            return new ZendeskOutcome(ZendeskOutcomeKind.Transient, null, $"Zendesk did not answer within {options.ZendeskTimeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s.");
        }
        catch (FlurlHttpException ex) when (!cancellationToken.IsCancellationRequested)
        {
            return new ZendeskOutcome(ZendeskOutcomeKind.Transient, null, $"Zendesk could not be reached ({ex.InnerException?.GetType().Name ?? ex.GetType().Name}).");
        }

        using (response)
        {
            var status = (int)response.StatusCode;
            var text = await ReadLimitedAsync(response, cancellationToken);
            if (response.IsSuccessStatusCode)
            {
                return new ZendeskOutcome(ZendeskOutcomeKind.Accepted, status, text);
            }

            var summary = $"Zendesk answered HTTP {status}{Describe(text)}";
            return status switch
            {
                429 => new ZendeskOutcome(ZendeskOutcomeKind.RateLimited, status, summary, RetryAfter(response)),
                >= 500 or 408 => new ZendeskOutcome(ZendeskOutcomeKind.Transient, status, summary),
                _ => new ZendeskOutcome(ZendeskOutcomeKind.Rejected, status, summary),
            };
        }
    }

    /// <summary>Retry-After in seconds or as an HTTP date (RFC 9110 section 10.2.3); one minute when missing or unreadable.</summary>
    private TimeSpan RetryAfter(HttpResponseMessage response)
    {
        var header = response.Headers.RetryAfter;
        var wait = header?.Delta ?? (header?.Date is { } date ? date - time.GetUtcNow() : TimeSpan.FromMinutes(1));
        return wait < TimeSpan.Zero ? TimeSpan.Zero : wait > MaxRetryAfter ? MaxRetryAfter : wait;
    }

    private static async Task<string> ReadLimitedAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        // A push answer is one short status per item; 1 MB is ample and bounds a misbehaving proxy.
        const int Limit = 1024 * 1024;
        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
        var buffer = new byte[Limit + 1];
        var total = 0;
        int read;
        while (total <= Limit && (read = await stream.ReadAsync(buffer.AsMemory(total), cancellationToken)) > 0)
        {
            total += read;
        }

        return Encoding.UTF8.GetString(buffer, 0, Math.Min(total, Limit));
    }

    /// <summary>A short, single-line excerpt of Zendesk's error body (it names the problem, never our token).</summary>
    private static string Describe(string text)
    {
        var line = text.ReplaceLineEndings(" ").Trim();
        return line.Length == 0 ? "." : $": {(line.Length <= 200 ? line : line[..200])}";
    }

    private static List<PushItemStatus>? ParseResults(string text)
    {
        try
        {
            if (JsonNode.Parse(text) is not JsonObject root || root["results"] is not JsonArray results)
            {
                return null;
            }

            var items = new List<PushItemStatus>(results.Count);
            foreach (var result in results)
            {
                var code = result?["status"]?["code"]?.GetValue<string>();
                if (code is null)
                {
                    return null;
                }

                items.Add(new PushItemStatus(result?["external_resource_id"]?.GetValue<string>(), code, result?["status"]?["description"]?.GetValue<string>()));
            }

            return items;
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or FormatException)
        {
            return null;
        }
    }
}

/// <summary>Status codes of push results (spec §8).</summary>
internal static class PushStatusCodes
{
    public const string Success = "success";
    public const string AlreadyImported = "already_imported";
    public const string Halted = "halted";
    public const string ProcessingError = "processing_error";
    public const string CouldNotLocateParent = "could_not_locate_parent_external_resource";
}
