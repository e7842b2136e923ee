using System.Collections.Concurrent;

namespace ChannelService.Pull;

/// <summary>One pull at a time per account (design §5): a second pull waits, or gives up after a while.</summary>
internal static class AccountLocks
{
    private static readonly ConcurrentDictionary<string, SemaphoreSlim> Locks = new(StringComparer.Ordinal);

    /// <summary>The held lock (dispose to release), or null when <paramref name="wait"/> passed first.</summary>
    public static async Task<IDisposable?> AcquireAsync(string accountId, TimeSpan wait, CancellationToken cancellationToken)
    {
        var gate = Locks.GetOrAdd(accountId, _ => new SemaphoreSlim(1, 1));
        return await gate.WaitAsync(wait, cancellationToken) ? new Held(gate) : null;
    }

    private sealed class Held(SemaphoreSlim gate) : IDisposable
    {
        private int released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref released, 1) == 0)
            {
                gate.Release();
            }
        }
    }
}
