using ChannelService.Data;

namespace ChannelService.Pull;

/// <summary>
/// One pull at a time per account (design §5), across every instance sharing the database (<see cref="INamedLocks"/>:
/// in-process for SQLite, an advisory lock on PostgreSQL): a second pull waits, or gives up after a while. One instance
/// is shared by the source pull and the inbox pull, so the two never interleave for the same account.
/// </summary>
internal sealed class AccountLocks(INamedLocks locks)
{
    /// <summary>Locks in this process only (the standalone pull of tests and benchmarks, on SQLite).</summary>
    public AccountLocks()
        : this(new InProcessNamedLocks())
    {
    }

    /// <summary>The held lock (dispose to release), or null when <paramref name="wait"/> passed first.</summary>
    public Task<IAsyncDisposable?> AcquireAsync(string accountId, TimeSpan wait, CancellationToken cancellationToken) =>
        locks.TryAcquireAsync("pull:" + accountId, wait, cancellationToken);
}
