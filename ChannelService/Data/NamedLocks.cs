using System.Collections.Concurrent;
using Dapper;

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

/// <summary>
/// Locks for PostgreSQL, shared by every instance on the database: a session-level advisory lock
/// (<c>pg_advisory_lock</c>, keyed by <c>hashtextextended(name, 0)</c>) held on a connection of its own for as long as
/// the holder keeps it. Session-level rather than <c>pg_advisory_xact_lock</c>: a pull holds its account's lock across
/// several transactions and the source's network read between them. The wait is bounded on the server by
/// <c>lock_timeout</c>, and a holder that dies closes its session, which releases the lock
/// (https://www.postgresql.org/docs/15/explicit-locking.html#ADVISORY-LOCKS).
/// </summary>
internal sealed class PostgresNamedLocks(Database database) : INamedLocks
{
    private const string Lock = "SELECT pg_advisory_lock(hashtextextended(@name, 0))";
    private const string TryLock = "SELECT pg_try_advisory_lock(hashtextextended(@name, 0))";
    private const string Unlock = "SELECT pg_advisory_unlock(hashtextextended(@name, 0))";

    /// <summary>SQLSTATE lock_not_available: <c>lock_timeout</c> passed.</summary>
    private const string LockNotAvailable = "55P03";

    public async Task<IAsyncDisposable?> TryAcquireAsync(string name, TimeSpan wait, CancellationToken cancellationToken)
    {
        var connection = await database.OpenAsync(cancellationToken);
        try
        {
            bool acquired;
            if (wait == Timeout.InfiniteTimeSpan)
            {
                await connection.ExecuteAsync(new CommandDefinition(Lock, new { name }, commandTimeout: 0, cancellationToken: cancellationToken));
                acquired = true;
            }
            else if (wait <= TimeSpan.Zero)
            {
                acquired = await connection.ExecuteScalarAsync<bool>(new CommandDefinition(TryLock, new { name }, cancellationToken: cancellationToken));
            }
            else
            {
                var milliseconds = Math.Max(1, (long)Math.Ceiling(wait.TotalMilliseconds));
                await connection.ExecuteAsync(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"SET lock_timeout = {milliseconds}"));
                try
                {
                    await connection.ExecuteAsync(new CommandDefinition(Lock, new { name }, commandTimeout: 0, cancellationToken: cancellationToken));
                    acquired = true;
                }
                catch (Npgsql.PostgresException ex) when (ex.SqlState == LockNotAvailable)
                {
                    acquired = false;
                }

                await connection.ExecuteAsync("RESET lock_timeout");
            }

            if (!acquired)
            {
                await connection.DisposeAsync();
                return null;
            }

            return new Held(connection, name);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    private sealed class Held(System.Data.Common.DbConnection connection, string name) : IAsyncDisposable
    {
        private int released;

        public async ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref released, 1) != 0)
            {
                return;
            }

            try
            {
                await connection.ExecuteAsync(Unlock, new { name });
            }
            catch (Exception ex) when (ex is Npgsql.NpgsqlException or InvalidOperationException)
            {
                // The session is gone, and the lock with it.
            }
            finally
            {
                await connection.DisposeAsync();
            }
        }
    }
}
