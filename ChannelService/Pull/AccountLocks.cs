using System.Collections.Concurrent;

namespace ChannelService.Pull;

/// <summary>
/// One pull at a time per account (design §5): a second pull waits, or gives up after a while. One instance is
/// shared by the source pull and the inbox pull, so the two never interleave for the same account.
/// </summary>
internal sealed class AccountLocks
{
    private readonly ConcurrentDictionary<string, SemaphoreSlim> locks = new(StringComparer.Ordinal);

    /// <summary>The held lock (dispose to release), or null when <paramref name="wait"/> passed first.</summary>
    public async Task<IDisposable?> AcquireAsync(string accountId, TimeSpan wait, CancellationToken cancellationToken)
    {
        var gate = locks.GetOrAdd(accountId, _ => new SemaphoreSlim(1, 1));
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
