using System.Collections.Concurrent;

namespace ChannelService.Events;

/// <summary>One event callback that named nothing of ours, as the dashboard shows it (cut, never its metadata).</summary>
internal sealed record UnverifiedEventSample(DateTimeOffset At, string TypeId, string? Subdomain, string? Error, string Summary);

/// <summary>What the dashboard shows of the events that named nothing of ours since the service started.</summary>
internal sealed record UnverifiedEventsSnapshot(long Total, IReadOnlyDictionary<string, long> ByType, IReadOnlyList<UnverifiedEventSample> Latest);

/// <summary>
/// Event callbacks tied to nothing of ours: metadata that does not decrypt, a subdomain without accounts, ids nobody
/// issued, malformed items. <c>/events</c> is unauthenticated by Zendesk's design (spec §7), so such events cost
/// nothing durable (issue 15 §4): they are counted in memory, per type from a fixed set of names, and the last
/// <see cref="MaxSamples"/> are kept for the dashboard. A restart forgets them.
/// </summary>
internal sealed partial class UnverifiedEvents(ILogger<UnverifiedEvents> logger)
{
    public const int MaxSamples = 20;

    /// <summary>The count under which an event that is not an object of the batch is kept.</summary>
    public const string Malformed = "(malformed)";

    /// <summary>The count under which a type without a handler is kept, so a caller cannot make the map grow.</summary>
    public const string OtherType = "(other)";

    private readonly ConcurrentDictionary<string, long> byType = new(StringComparer.Ordinal);
    private readonly Queue<UnverifiedEventSample> latest = new();
    private long total;

    /// <param name="countAs">The event's type if it is a known one, else <see cref="OtherType"/> or <see cref="Malformed"/>.</param>
    public void Record(string countAs, UnverifiedEventSample sample)
    {
        byType.AddOrUpdate(countAs, 1, (_, n) => n + 1);
        lock (latest)
        {
            latest.Enqueue(sample with
            {
                TypeId = EventJson.Cut(sample.TypeId, 64),
                Subdomain = sample.Subdomain is null ? null : EventJson.Cut(sample.Subdomain, 63),
                Error = sample.Error is null ? null : EventJson.Cut(sample.Error, 200),
                Summary = EventJson.Cut(sample.Summary, 200),
            });
            while (latest.Count > MaxSamples)
            {
                latest.Dequeue();
            }
        }

        // A bounded log: the 1st, 10th, 100th, ... such event, not one line per event a stranger posts.
        var count = Interlocked.Increment(ref total);
        if (IsPowerOfTen(count))
        {
            LogIgnored(logger, count, countAs);
        }
    }

    public UnverifiedEventsSnapshot Snapshot()
    {
        lock (latest)
        {
            return new UnverifiedEventsSnapshot(Interlocked.Read(ref total), new SortedDictionary<string, long>(byType, StringComparer.Ordinal), latest.Reverse().ToList());
        }
    }

    private static bool IsPowerOfTen(long n)
    {
        while (n % 10 == 0)
        {
            n /= 10;
        }

        return n == 1;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Count} event callback(s) named nothing of ours and were not stored (latest: {Type}); see the dashboard")]
    private static partial void LogIgnored(ILogger logger, long count, string type);
}
