using System.Collections.Concurrent;

namespace ChannelService.Sources.CalDav;

/// <summary>
/// Keeps href→ETag maps of the ctag fallback when they are too large for the pull state. A snapshot is
/// immutable and named by a hash of its content, so a repeated pull with an older cursor (Zendesk never got
/// the last response, design.md §5) still finds the map it was based on. Callers should keep at least the
/// snapshots named by their acknowledged and their newest cursor; a missing snapshot only costs a full resync.
/// </summary>
internal interface ICalDavEtagStore
{
    Task SaveAsync(Uri collection, string snapshotId, IReadOnlyDictionary<string, string> etags, CancellationToken cancellationToken);

    /// <summary>The map saved under this id, or null if it is gone.</summary>
    Task<IReadOnlyDictionary<string, string>?> LoadAsync(Uri collection, string snapshotId, CancellationToken cancellationToken);
}

/// <summary>In-process store for tests and single-run tools; keeps the newest few snapshots per collection.</summary>
internal sealed class InMemoryCalDavEtagStore(int keepPerCollection = 4) : ICalDavEtagStore
{
    private readonly ConcurrentDictionary<string, List<(string Id, IReadOnlyDictionary<string, string> Map)>> _maps = new();

    public Task SaveAsync(Uri collection, string snapshotId, IReadOnlyDictionary<string, string> etags, CancellationToken cancellationToken)
    {
        var list = _maps.GetOrAdd(collection.AbsoluteUri, _ => []);
        lock (list)
        {
            list.RemoveAll(s => s.Id == snapshotId);
            list.Add((snapshotId, new Dictionary<string, string>(etags, StringComparer.Ordinal)));
            if (list.Count > keepPerCollection)
            {
                list.RemoveRange(0, list.Count - keepPerCollection);
            }
        }

        return Task.CompletedTask;
    }

    public Task<IReadOnlyDictionary<string, string>?> LoadAsync(Uri collection, string snapshotId, CancellationToken cancellationToken)
    {
        if (_maps.TryGetValue(collection.AbsoluteUri, out var list))
        {
            lock (list)
            {
                foreach (var s in list)
                {
                    if (s.Id == snapshotId)
                    {
                        return Task.FromResult<IReadOnlyDictionary<string, string>?>(s.Map);
                    }
                }
            }
        }

        return Task.FromResult<IReadOnlyDictionary<string, string>?>(null);
    }

    /// <summary>How many snapshots are kept for a collection (tests check the inline/store split).</summary>
    public int Count(Uri collection) => _maps.TryGetValue(collection.AbsoluteUri, out var list) ? list.Count : 0;
}
