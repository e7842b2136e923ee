using System.Data.Common;
using ChannelService.Data;
using Dapper;

namespace ChannelService.Zendesk;

/// <summary>One resource waiting for Zendesk; <see cref="Resource"/> is the external_resource JSON exactly as it will be sent.</summary>
internal sealed record OutboxItem(long Seq, string AccountId, string ExternalId, string ThreadId, string Resource, long Attempts);

/// <summary>Counts per account for the dashboard.</summary>
/// <remarks>
/// Properties, not a positional record: with no outbox rows SQLite reports the SUM columns as BLOBs, and Dapper's
/// constructor matching then finds no constructor (the dashboard failed on an empty outbox).
/// </remarks>
internal sealed record OutboxCounts
{
    public string AccountId { get; init; } = "";

    public long Pending { get; init; }

    public long Parked { get; init; }

    public long Delivered { get; init; }

    public string? LastError { get; init; }
}

/// <summary>The outbox's backlog (properties: Dapper maps an aggregate row by name).</summary>
internal sealed record OutboxBacklogRow
{
    public long Pending { get; init; }

    public DateTimeOffset? Oldest { get; init; }
}

/// <summary>A parked item: Zendesk refused it (processing_error, unknown parent); an operator may retry it.</summary>
internal sealed record ParkedItem
{
    public long Seq { get; init; }

    public string AccountId { get; init; } = "";

    public string ExternalId { get; init; } = "";

    public string? LastError { get; init; }

    public DateTimeOffset CreatedAt { get; init; }
}

/// <summary>
/// The hand-over to the pull endpoint for accounts that cannot push (no <c>Channel:PushClientId</c>, or no push
/// credentials stored for the account). The pull puts <see cref="TakePendingAsync"/>'s resources, in order, into its
/// response and calls <see cref="AcknowledgeAsync"/> once it has answered 200; anything not acknowledged comes again
/// with the next pull, and the deterministic external ids make that repeat harmless.
/// </summary>
internal interface IInboxBacklog
{
    /// <summary>Up to <paramref name="max"/> pending resources of the account, oldest first (arrival order keeps threads in order).</summary>
    Task<IReadOnlyList<OutboxItem>> TakePendingAsync(string accountId, int max, CancellationToken cancellationToken = default);

    /// <summary>Marks the given items (by <see cref="OutboxItem.Seq"/>) delivered.</summary>
    Task AcknowledgeAsync(string accountId, IReadOnlyCollection<long> seqs, CancellationToken cancellationToken = default);
}

/// <summary>
/// Owner of the <c>outbox</c> table (design §9): work for Zendesk is inserted in the transaction that accepts it and leaves only
/// when Zendesk has answered for it, so a crash at any point loses nothing. Delivery is at least once; the
/// external ids are deterministic, so Zendesk drops a repeat as <c>already_imported</c>.
/// </summary>
internal sealed class Outbox(Database database, TimeProvider time) : IInboxBacklog
{
    private const string ItemColumns = "seq AS Seq, account_id AS AccountId, external_id AS ExternalId, thread_id AS ThreadId, resource AS Resource, attempts AS Attempts";

    /// <summary>Raised after an item is enqueued, so the push worker wakes without polling.</summary>
    public event Action<string>? Enqueued;

    /// <summary>Inserts the item inside the caller's transaction. False when the same external id is already queued (a repeat).</summary>
    public async Task<bool> EnqueueAsync(DbConnection connection, DbTransaction transaction, string accountId, string externalId, string threadId, string authorExternalId, string resource, string? sourceThread = null)
    {
        const string Sql = """
            INSERT INTO outbox (account_id, external_id, thread_id, source_thread, author_external_id, resource, created_at)
            VALUES (@accountId, @externalId, @threadId, @sourceThread, @authorExternalId, @resource, @Now)
            ON CONFLICT (account_id, external_id) DO NOTHING
            """;
        var inserted = await connection.ExecuteAsync(
            Sql,
            new { accountId, externalId, threadId, sourceThread, authorExternalId, resource, Now = time.GetUtcNow() },
            transaction);
        return inserted > 0;
    }

    /// <summary>Tells listeners (the push worker) that the account has new work; call after the transaction committed.</summary>
    public void NotifyEnqueued(string accountId) => Enqueued?.Invoke(accountId);

    public async Task<IReadOnlyList<OutboxItem>> TakePendingAsync(string accountId, int max, CancellationToken cancellationToken = default)
    {
        const string Sql = $"SELECT {ItemColumns} FROM outbox WHERE account_id = @accountId AND status = 'pending' ORDER BY seq LIMIT @max";
        await using var connection = await database.OpenAsync(cancellationToken);
        return (await connection.QueryAsync<OutboxItem>(Sql, new { accountId, max })).ToList();
    }

    public async Task AcknowledgeAsync(string accountId, IReadOnlyCollection<long> seqs, CancellationToken cancellationToken = default)
    {
        // A list parameter: Dapper spreads it into IN (…) for SQLite and passes a PostgreSQL array, compared with ANY.
        var deliver = new DialectSql(
            Sqlite: "UPDATE outbox SET status = 'delivered', delivered_at = @Now, last_error = NULL WHERE account_id = @accountId AND seq IN @seqs AND status = 'pending'",
            PostgreSql: "UPDATE outbox SET status = 'delivered', delivered_at = @Now, last_error = NULL WHERE account_id = @accountId AND seq = ANY(@seqs) AND status = 'pending'");
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(deliver.For(database.Dialect), new { accountId, seqs = seqs.ToArray(), Now = time.GetUtcNow() });
    }

    /// <summary>
    /// Retention (Data/Retention.cs): deletes up to <paramref name="batch"/> delivered items delivered before
    /// <paramref name="deliveredBefore"/> and parked items parked before <paramref name="parkedBefore"/>; pending items
    /// always stay. Delivered messages are kept a while (dashboard counts, the sender's thread name for replies), not
    /// for ever: they hold people's messages, and Zendesk has its own copy. Returns how many rows went.
    /// </summary>
    public async Task<int> PruneAsync(DateTimeOffset deliveredBefore, DateTimeOffset parkedBefore, int batch, CancellationToken cancellationToken = default)
    {
        const string Sql = """
            DELETE FROM outbox WHERE seq IN (
                SELECT seq FROM outbox WHERE status = 'delivered' AND delivered_at < @deliveredBefore
                UNION ALL
                SELECT seq FROM outbox WHERE status = 'parked' AND COALESCE(parked_at, created_at) < @parkedBefore
                LIMIT @batch)
            """;
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(Sql, new { deliveredBefore, parkedBefore, batch }, cancellationToken: cancellationToken));
    }

    /// <summary>Rows of the owned table, for the dashboard's table sizes.</summary>
    public static async Task<IReadOnlyList<TableRows>> RowCountsAsync(DbConnection connection) =>
        [new("outbox", await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM outbox"))];

    /// <summary>The sender's own thread name behind one of our thread ids (inbox replies carry it back), if still stored.</summary>
    public async Task<string?> SourceThreadAsync(string accountId, string threadId, CancellationToken cancellationToken = default)
    {
        const string Sql = "SELECT source_thread FROM outbox WHERE account_id = @accountId AND thread_id = @threadId AND source_thread IS NOT NULL LIMIT 1";
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<string?>(Sql, new { accountId, threadId });
    }

    /// <summary>
    /// The messages of one thread still kept (pending, parked, or delivered less than <c>Channel:OutboxDeliveredRetention</c>
    /// ago): the newest <paramref name="max"/>, oldest first. What the clickthrough page of an inbox thread shows.
    /// </summary>
    public async Task<IReadOnlyList<OutboxItem>> ThreadAsync(string accountId, string threadId, int max, CancellationToken cancellationToken = default)
    {
        const string Sql = $"SELECT {ItemColumns} FROM outbox WHERE account_id = @accountId AND thread_id = @threadId ORDER BY seq DESC LIMIT @max";
        await using var connection = await database.OpenAsync(cancellationToken);
        var newestFirst = await connection.QueryAsync<OutboxItem>(new CommandDefinition(Sql, new { accountId, threadId, max }, cancellationToken: cancellationToken));
        return newestFirst.Reverse().ToList();
    }

    public async Task<long> PendingCountAsync(string accountId, CancellationToken cancellationToken = default)
    {
        const string Sql = "SELECT COUNT(*) FROM outbox WHERE account_id = @accountId AND status = 'pending'";
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<long>(Sql, new { accountId });
    }

    /// <summary>
    /// Items waiting across all accounts and the creation time of the oldest (null when none waits), in one aggregate
    /// query over the <c>status</c> index: what the outbox gauges of the metrics read per scrape.
    /// </summary>
    public async Task<(long Pending, DateTimeOffset? Oldest)> BacklogAsync(CancellationToken cancellationToken = default)
    {
        const string Sql = "SELECT COUNT(*) AS Pending, MIN(created_at) AS Oldest FROM outbox WHERE status = 'pending'";
        await using var connection = await database.OpenAsync(cancellationToken);
        var row = await connection.QuerySingleAsync<OutboxBacklogRow>(new CommandDefinition(Sql, cancellationToken: cancellationToken));
        return (row.Pending, row.Oldest);
    }

    /// <summary>
    /// Accounts with pending work, for the push worker. It skips those without push credentials (their work waits
    /// for the pull), which it asks <see cref="PushCredentialsStore"/> about: push_credentials is not this table's.
    /// </summary>
    public async Task<IReadOnlyList<string>> AccountsToPushAsync(CancellationToken cancellationToken = default)
    {
        const string Sql = "SELECT DISTINCT account_id FROM outbox WHERE status = 'pending' ORDER BY account_id";
        await using var connection = await database.OpenAsync(cancellationToken);
        return (await connection.QueryAsync<string>(Sql)).ToList();
    }

    /// <summary>Whether this thread id was issued for one of the account's inbox messages (events name only ids of ours).</summary>
    public async Task<bool> HasThreadAsync(string accountId, string threadId, CancellationToken cancellationToken = default)
    {
        const string Sql = "SELECT EXISTS (SELECT 1 FROM outbox WHERE account_id = @accountId AND thread_id = @threadId)";
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<bool>(new CommandDefinition(Sql, new { accountId, threadId }, cancellationToken: cancellationToken));
    }

    /// <summary>Forgets the account's items, inside the caller's transaction (account purge).</summary>
    public async Task DeleteAccountAsync(DbConnection connection, DbTransaction transaction, string accountId)
    {
        const string Sql = "DELETE FROM outbox WHERE account_id = @accountId";
        await connection.ExecuteAsync(Sql, new { accountId }, transaction);
    }

    /// <summary>Zendesk refused the item for good (its answer is kept); the rest of the account's work continues.</summary>
    public async Task ParkAsync(long seq, string description, CancellationToken cancellationToken = default)
    {
        const string Sql = "UPDATE outbox SET status = 'parked', parked_at = @Now, attempts = attempts + 1, last_error = @description WHERE seq = @seq AND status = 'pending'";
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(Sql, new { seq, Now = time.GetUtcNow(), description = Truncate(description, 1000) });
    }

    /// <summary>A failed attempt that will be repeated (429, 5xx, timeout): counted and described for the dashboard.</summary>
    public async Task RecordFailedAttemptAsync(IReadOnlyCollection<long> seqs, string error, CancellationToken cancellationToken = default)
    {
        var sql = new DialectSql(
            Sqlite: "UPDATE outbox SET attempts = attempts + 1, last_error = @error WHERE seq IN @seqs AND status = 'pending'",
            PostgreSql: "UPDATE outbox SET attempts = attempts + 1, last_error = @error WHERE seq = ANY(@seqs) AND status = 'pending'");
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(sql.For(database.Dialect), new { seqs = seqs.ToArray(), error = Truncate(error, 1000) });
    }

    /// <summary>Puts the account's parked items back in the queue (operator command after fixing the cause). Returns how many.</summary>
    public async Task<int> RetryParkedAsync(string accountId, CancellationToken cancellationToken = default)
    {
        const string Sql = "UPDATE outbox SET status = 'pending' WHERE account_id = @accountId AND status = 'parked'";
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.ExecuteAsync(Sql, new { accountId });
    }

    /// <summary>Deletes what is stored about one author of the account (destroy_user_identity, a GDPR erasure). Returns how many items.</summary>
    public async Task<int> PurgeAuthorAsync(string accountId, string authorExternalId, CancellationToken cancellationToken = default)
    {
        const string Sql = "DELETE FROM outbox WHERE account_id = @accountId AND author_external_id = @authorExternalId";
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.ExecuteAsync(Sql, new { accountId, authorExternalId });
    }

    public async Task<IReadOnlyList<OutboxCounts>> CountsAsync(CancellationToken cancellationToken = default)
    {
        const string Sql = """
            SELECT account_id AS AccountId,
                   COUNT(*) FILTER (WHERE status = 'pending') AS Pending, COUNT(*) FILTER (WHERE status = 'parked') AS Parked,
                   COUNT(*) FILTER (WHERE status = 'delivered') AS Delivered,
                   (SELECT last_error FROM outbox e WHERE e.account_id = o.account_id AND e.last_error IS NOT NULL ORDER BY e.seq DESC LIMIT 1) AS LastError
            FROM outbox o GROUP BY account_id ORDER BY account_id
            """;
        await using var connection = await database.OpenAsync(cancellationToken);
        return (await connection.QueryAsync<OutboxCounts>(Sql)).ToList();
    }

    public async Task<IReadOnlyList<ParkedItem>> ParkedAsync(int max, CancellationToken cancellationToken = default)
    {
        const string Sql = """
            SELECT seq AS Seq, account_id AS AccountId, external_id AS ExternalId, last_error AS LastError, created_at AS CreatedAt
            FROM outbox WHERE status = 'parked' ORDER BY seq DESC LIMIT @max
            """;
        await using var connection = await database.OpenAsync(cancellationToken);
        return (await connection.QueryAsync<ParkedItem>(Sql, new { max })).ToList();
    }

    private static string Truncate(string text, int max) => text.Length <= max ? text : text[..max];
}
