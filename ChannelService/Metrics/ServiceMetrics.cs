using System.Diagnostics.Metrics;
using ChannelService.Accounts;
using ChannelService.Sources.Http;

namespace ChannelService.Metrics;

/// <summary>
/// The service's one <see cref="Meter"/> ("ChannelService") and every instrument on it, so the metric names an operator
/// alerts on are written down in one place (README, "Metrics"). Label values are a small fixed vocabulary (source kinds,
/// results, HTTP status codes, endpoint templates): never an account id, a subdomain, a URL or anything a caller sent,
/// so the number of series stays bounded however many accounts the service hosts.
/// <para>
/// Recording is a lock-free add into the exporter's aggregation (nothing at all when no exporter listens); the calls
/// below pass their labels as separate <see cref="KeyValuePair{TKey,TValue}"/> arguments, which the runtime's overloads
/// for up to three tags take without allocating.
/// </para>
/// </summary>
internal sealed class ServiceMetrics
{
    public const string MeterName = "ChannelService";

    /// <summary>Latency buckets in seconds: a quick answer is milliseconds, a first read of a large feed many seconds.</summary>
    private static readonly double[] PullBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

    private static readonly string[] StatusCodes = [.. Enumerable.Range(100, 500).Select(code => code.ToString(System.Globalization.CultureInfo.InvariantCulture))];

    private static readonly string[] KindNames = [.. Enum.GetValues<SourceKind>().Select(k => k.ToWire())];

    private static readonly string[] SourceErrorNames = [.. Enum.GetValues<SourceErrorKind>().Select(SnakeCase)];

    private readonly Counter<long> pulls;
    private readonly Histogram<double> pullDuration;
    private readonly Counter<long> sourceFetches;
    private readonly Counter<long> itemsSent;
    private readonly Counter<long> itemsParked;
    private readonly Counter<long> channelbacks;
    private readonly Counter<long> zendeskCalls;
    private readonly Counter<long> tokenRefreshes;
    private readonly OutboxBacklog backlog;

    /// <param name="meters">The host's meter factory: the meter lives and dies with the host (test hosts come and go).</param>
    /// <param name="backlog">Read by the outbox gauges when an exporter collects.</param>
    public ServiceMetrics(IMeterFactory meters, OutboxBacklog backlog)
    {
        this.backlog = backlog;
        var meter = meters.Create(MeterName);
        pulls = meter.CreateCounter<long>("channelservice.pulls", "{pull}", "Pull requests answered, by source kind and result.");
        pullDuration = meter.CreateHistogram(
            "channelservice.pull.duration",
            "s",
            "Time to answer a pull that took the full path (routing, the account lock, the source, the database), by source kind and result.",
            tags: null,
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = PullBuckets });
        sourceFetches = meter.CreateCounter<long>("channelservice.source.fetches", "{fetch}", "Reads of an account's source (feed or CalDAV), by source kind and outcome.");
        itemsSent = meter.CreateCounter<long>("channelservice.items.sent", "{item}", "External resources handed to Zendesk, by way (a pull response or a push).");
        itemsParked = meter.CreateCounter<long>("channelservice.items.parked", "{item}", "Pushed items Zendesk refused; they wait in the outbox for an operator.");
        channelbacks = meter.CreateCounter<long>("channelservice.channelbacks", "{channelback}", "Channelback requests (agent replies), by source kind and outcome.");
        zendeskCalls = meter.CreateCounter<long>("channelservice.zendesk.calls", "{call}", "HTTP requests to Zendesk APIs, by method, endpoint template and status (or timeout / unreachable).");
        tokenRefreshes = meter.CreateCounter<long>("channelservice.zendesk.token_refreshes", "{refresh}", "OAuth access token renewals of Zendesk links, by outcome.");
        meter.CreateObservableGauge("channelservice.outbox.pending", backlog.ObservePending, "{item}", "Items waiting in the outbox to be pushed to Zendesk (all accounts).");
        meter.CreateObservableGauge("channelservice.outbox.oldest_age", backlog.ObserveOldestAge, "s", "Age of the oldest item waiting in the outbox; 0 when none waits.");
    }

    /// <summary>Reads the outbox backlog for the gauges (one aggregate query): before a Prometheus scrape.</summary>
    public Task RefreshBacklogAsync(CancellationToken cancellationToken) => backlog.RefreshAsync(cancellationToken);

    /// <summary>A pull answered; <paramref name="result"/> is one of <see cref="PullResults"/>.</summary>
    public void Pull(SourceKind kind, string result) =>
        pulls.Add(1, new KeyValuePair<string, object?>("kind", Kind(kind)), new KeyValuePair<string, object?>("result", result));

    /// <summary>A pull answered by the full path, with its latency.</summary>
    public void Pull(SourceKind kind, string result, TimeSpan elapsed)
    {
        Pull(kind, result);
        pullDuration.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>("kind", Kind(kind)), new KeyValuePair<string, object?>("result", result));
    }

    /// <summary>A source read; <paramref name="outcome"/> is "changed", "unchanged" or <see cref="SourceFailure"/>.</summary>
    public void SourceFetch(SourceKind kind, string outcome) =>
        sourceFetches.Add(1, new KeyValuePair<string, object?>("kind", Kind(kind)), new KeyValuePair<string, object?>("outcome", outcome));

    public void ItemsSent(string via, long count)
    {
        if (count > 0)
        {
            itemsSent.Add(count, new KeyValuePair<string, object?>("via", via));
        }
    }

    public void ItemParked() => itemsParked.Add(1);

    public void Channelback(SourceKind kind, string outcome) =>
        channelbacks.Add(1, new KeyValuePair<string, object?>("kind", Kind(kind)), new KeyValuePair<string, object?>("outcome", outcome));

    /// <summary>One HTTP exchange with Zendesk; <paramref name="status"/> null when no answer came (<paramref name="failure"/> says why).</summary>
    public void ZendeskCall(string method, string endpoint, int? status, string failure) =>
        zendeskCalls.Add(
            1,
            new KeyValuePair<string, object?>("method", method),
            new KeyValuePair<string, object?>("endpoint", endpoint),
            new KeyValuePair<string, object?>("status", status is >= 100 and < 600 ? StatusCodes[status.Value - 100] : status is null ? failure : "other"));

    public void TokenRefresh(string outcome) => tokenRefreshes.Add(1, new KeyValuePair<string, object?>("outcome", outcome));

    /// <summary>The outcome label of a failed source read: the error kind in snake case (<c>unauthorized</c>, <c>not_a_calendar</c>).</summary>
    public static string SourceFailure(SourceErrorKind kind) => (int)kind < SourceErrorNames.Length ? SourceErrorNames[(int)kind] : "error";

    private static string Kind(SourceKind kind) => (int)kind < KindNames.Length ? KindNames[(int)kind] : "unknown";

    private static string SnakeCase(SourceErrorKind kind) => System.Text.Json.JsonNamingPolicy.SnakeCaseLower.ConvertName(kind.ToString());
}

/// <summary>The <c>outcome</c> label of <c>channelservice.source.fetches</c> for a read that worked (a failed one names its error).</summary>
internal static class SourceFetches
{
    /// <summary>The source had changes (a first read, a changed feed, a CalDAV sync with items).</summary>
    public const string Changed = "changed";

    /// <summary>The source said nothing changed (a feed's 304, an empty CalDAV sync).</summary>
    public const string Unchanged = "unchanged";
}

/// <summary>The values of the <c>result</c> label of <c>channelservice.pulls</c>.</summary>
internal static class PullResults
{
    /// <summary>Answered "nothing new" by the quick path (no lock, no database write).</summary>
    public const string Unchanged = "unchanged";

    /// <summary>Answered by the full path (resources or none).</summary>
    public const string Ok = "ok";

    /// <summary>The source refused the stored credentials: answered with metadata_needs_update.</summary>
    public const string CredentialsRejected = "credentials_rejected";

    /// <summary>The source failed (502/503 to Zendesk).</summary>
    public const string SourceFailed = "source_failed";

    /// <summary>Another pull of the account held its lock too long (503, retryable).</summary>
    public const string Busy = "busy";

    /// <summary>The state did not verify (400).</summary>
    public const string BadState = "bad_state";
}
