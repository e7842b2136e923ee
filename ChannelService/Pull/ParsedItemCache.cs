using System.Collections.Concurrent;
using ChannelService.Sources;

namespace ChannelService.Pull;

/// <summary>
/// Parsed source items, shared by the pulls of all accounts, so that a pull plans from what it parsed before
/// instead of parsing every stored item again: every pull re-evaluates every item against the clock (design §5),
/// and for an account with 20,000 items parsing them all would cost seconds each time. An entry is valid for one
/// content version of one item of one account; a changed item gets a new entry. Bounded by item count: beyond
/// <see cref="Capacity"/> (<see cref="PullOptions.ParsedItemCapacity"/>) the least recently used quarter is dropped and parsed
/// again when next needed.
/// </summary>
internal sealed class ParsedItemCache(int capacity)
{
    public const int DefaultCapacity = 50_000;

    private readonly ConcurrentDictionary<(string Account, string Key), Entry> entries = new();
    private long clock;

    public int Capacity => capacity;

    public int Count => entries.Count;

    /// <summary>The parse of this version of the item, or null when it is not held.</summary>
    public Entry? Get(string accountId, string itemKey, string contentVersion)
    {
        if (entries.TryGetValue((accountId, itemKey), out var entry) && entry.ContentVersion == contentVersion)
        {
            entry.LastUsed = Interlocked.Increment(ref clock);
            return entry;
        }

        return null;
    }

    public Entry Put(string accountId, string itemKey, string contentVersion, ParsedSourceItem parsed)
    {
        var entry = new Entry(contentVersion, parsed) { LastUsed = Interlocked.Increment(ref clock) };
        entries[(accountId, itemKey)] = entry;
        if (entries.Count > capacity)
        {
            Trim();
        }

        return entry;
    }

    private void Trim()
    {
        var oldest = entries.OrderBy(e => e.Value.LastUsed).Take(entries.Count - (capacity * 3 / 4)).Select(e => e.Key).ToList();
        foreach (var key in oldest)
        {
            entries.TryRemove(key, out _);
        }
    }

    /// <summary>A parsed item, and the version of its ticket (not of its occurrences) once computed for a time zone setting.</summary>
    internal sealed class Entry(string contentVersion, ParsedSourceItem parsed)
    {
        public string ContentVersion { get; } = contentVersion;

        public ParsedSourceItem Parsed { get; } = parsed;

        public long LastUsed { get; set; }

        /// <summary>The ticket version keyed by the account's time zone option, which decides how floating times read.</summary>
        public (string Zone, string Version)? UnitVersion { get; set; }
    }
}
