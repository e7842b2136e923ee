using System.Collections.Concurrent;

namespace ChannelService.Data;

/// <summary>
/// A lock named by a string and held across every service instance that shares the database: one pull at a time per
/// account, one OAuth refresh at a time per Zendesk link (a refresh rotates the refresh token, so two refreshes racing
/// with the same token would break the link). The holder releases it by disposing what it was given; a holder that
/// dies releases it with its process.
/// </summary>
internal interface INamedLocks
{
    /// <summary>The held lock, or null when <paramref name="wait"/> passed before it came free.</summary>
    Task<IAsyncDisposable?> TryAcquireAsync(string name, TimeSpan wait, CancellationToken cancellationToken);
}

/// <summary>
/// Locks for the embedded SQLite store. One service owns a data folder (<see cref="DataDirectoryLock"/>), so a lock
/// inside this process is a lock for every instance that can reach the database.
/// </summary>
internal sealed class InProcessNamedLocks : INamedLocks
{
    private readonly ConcurrentDictionary<string, SemaphoreSlim> gates = new(StringComparer.Ordinal);

    public async Task<IAsyncDisposable?> TryAcquireAsync(string name, TimeSpan wait, CancellationToken cancellationToken)
    {
        var gate = gates.GetOrAdd(name, _ => new SemaphoreSlim(1, 1));
        return await gate.WaitAsync(wait, cancellationToken) ? new Held(gate) : null;
    }

    private sealed class Held(SemaphoreSlim gate) : IAsyncDisposable
    {
        private int released;

        public ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref released, 1) == 0)
            {
                gate.Release();
            }

            return ValueTask.CompletedTask;
        }
    }
}
