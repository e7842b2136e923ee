using ChannelService.Zendesk;

namespace ChannelService.Metrics;

/// <summary>
/// The outbox gauges' values: one aggregate query over the whole outbox (<see cref="Outbox.BacklogAsync"/>), never one
/// per account. The Prometheus endpoint refreshes it before every scrape (<see cref="MetricsAccessMiddleware"/>), so a
/// scrape costs exactly that one query. A gauge callback is synchronous and must not block on the database: when it
/// finds the figure older than <see cref="MaxAge"/> (an OTLP export, which no request precedes) it reports the last one
/// and starts a refresh in the background, so an OTLP export shows the backlog as of the previous export at worst.
/// The oldest item's age is computed when observed, so it keeps growing between refreshes while nothing moves.
/// </summary>
internal sealed partial class OutboxBacklog(Outbox outbox, TimeProvider time, ILogger<OutboxBacklog> logger)
{
    /// <summary>A figure this old is refreshed in the background when a gauge is read.</summary>
    internal static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(5);

    private Sample? last;
    private int refreshing;

    /// <summary>Reads the backlog now (one query); called before a Prometheus scrape.</summary>
    public async Task RefreshAsync(CancellationToken cancellationToken)
    {
        var (pending, oldest) = await outbox.BacklogAsync(cancellationToken);
        Volatile.Write(ref last, new Sample(pending, oldest, time.GetUtcNow()));
    }

    public long ObservePending() => Current()?.Pending ?? 0;

    public double ObserveOldestAge() =>
        Current() is { Oldest: { } oldest } ? Math.Max(0, (time.GetUtcNow() - oldest).TotalSeconds) : 0;

    private Sample? Current()
    {
        var sample = Volatile.Read(ref last);
        if ((sample is null || time.GetUtcNow() - sample.At > MaxAge) && Interlocked.Exchange(ref refreshing, 1) == 0)
        {
            _ = RefreshInBackgroundAsync();
        }

        return sample;
    }

    private async Task RefreshInBackgroundAsync()
    {
        try
        {
            await RefreshAsync(CancellationToken.None);
        }
        catch (Exception ex) when (ex is System.Data.Common.DbException or InvalidOperationException or TimeoutException)
        {
            // The database is down: /health says so; the gauges keep the last figure rather than fail the export.
            LogRefreshFailed(logger, ex.GetType().Name);
        }
        finally
        {
            Volatile.Write(ref refreshing, 0);
        }
    }

    private sealed record Sample(long Pending, DateTimeOffset? Oldest, DateTimeOffset At);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not read the outbox backlog for the metrics ({Error})")]
    private static partial void LogRefreshFailed(ILogger logger, string error);
}
