using System.Data.Common;
using System.Globalization;
using ChannelService.Data;
using Dapper;

namespace ChannelService.Pull;

/// <summary>A mirror row: what Zendesk has acknowledged for one ticket, and what the newest response sent.</summary>
internal sealed record MirrorRow
{
    public string UnitKey { get; init; } = string.Empty;

    public string ItemKey { get; init; } = string.Empty;

    public string? SeriesUid { get; init; }

    public string? OccurrenceDate { get; init; }

    public string? AckedVersion { get; init; }

    public string? AckedSnapshot { get; init; }

    public long AckedOrdinal { get; init; }
}

/// <param name="FirstSyncedAt">When this store's first answer for the account was acknowledged.</param>
/// <param name="EarlierFirstSyncAt">After a resync: the first sync in the store before (carried by the state); else null.</param>
internal sealed record PullAccountRow(long IssuedGeneration, long? PendingGeneration, DateTimeOffset? FirstSyncedAt, DateTimeOffset? EarlierFirstSyncAt = null)
{
    /// <summary>The account's first sync in any store: what every state carries on.</summary>
    public DateTimeOffset? EarliestFirstSync => EarlierFirstSyncAt ?? FirstSyncedAt;
}

/// <summary>An account's last pull as the dashboard shows it.</summary>
internal sealed record LastPull
{
    public string AccountId { get; init; } = "";

    public DateTimeOffset? At { get; init; }

    public string? Result { get; init; }

    public string? Instance { get; init; }
}

/// <summary>When an account was last pulled and what came of it.</summary>
internal sealed record PullActivity
{
    public string AccountId { get; init; } = string.Empty;

    public DateTimeOffset At { get; init; }

    public string? Result { get; init; }
}

/// <summary>What one response sends for one ticket, recorded as pending until Zendesk acknowledges it.</summary>
internal sealed record PendingUnit(string UnitKey, string ItemKey, string? SeriesUid, string? OccurrenceDate, string Version, string Snapshot, long Ordinal)
{
    /// <summary>The ticket's native properties for the Zendesk link (ZendeskLink/Tickets/TicketIntent.cs, JSON), if the account wants them.</summary>
    public string? Intent { get; init; }

    /// <summary>A task's state in this snapshot (<c>open</c>, <c>completed</c>, <c>cancelled</c>) for the two-way status; null for events.</summary>
    public string? TaskState { get; init; }

    /// <summary>When the item set that state: COMPLETED when done, else LAST-MODIFIED, else when the service saw the change.</summary>
    public DateTimeOffset? TaskStateAt { get; init; }

    /// <summary>The task's state in the snapshot Zendesk acknowledged before (null for a new ticket).</summary>
    public string? TaskStateBefore { get; init; }
}

/// <summary>
/// Owner of <c>pull_mirror</c> and <c>pull_accounts</c> (Data/Migrations/0003_pull.sql; <c>earlier_first_sync_at</c>
/// from 0008_pull_resync.sql): the mirror of what Zendesk has acknowledged and its generations (design §5). The pull's
/// bookkeeping methods take the caller's connection and transaction, so what a pull records commits or rolls back as
/// one with the source items it applied.
/// </summary>
/// <param name="instanceName">Noted with each pull (the dashboard's "pulled by"): the service host passes its instance's name.</param>
internal sealed class PullMirrorStore(Database database, string? instanceName = null)
{
    /// <summary>Unit keys of webhook-inbox messages carry this prefix; their item key is the outbox sequence number.</summary>
    public const string InboxUnitPrefix = "inbox-";

    /// <summary>The account's generations, creating its row on first use.</summary>
    public async Task<PullAccountRow> GetAccountAsync(DbConnection c, DbTransaction t, string accountId)
    {
        const string Insert = "INSERT INTO pull_accounts (account_id, issued_generation) VALUES (@accountId, 0) ON CONFLICT (account_id) DO NOTHING";
        const string Select = """
            SELECT issued_generation AS IssuedGeneration, pending_generation AS PendingGeneration, first_synced_at AS FirstSyncedAt,
                   earlier_first_sync_at AS EarlierFirstSyncAt
            FROM pull_accounts WHERE account_id = @accountId
            """;
        await c.ExecuteAsync(Insert, new { accountId }, t);
        return await c.QuerySingleAsync<PullAccountRow>(Select, new { accountId }, t);
    }

    /// <summary>Zendesk stored the state of the pending response: what it carried is now acknowledged.</summary>
    public async Task PromoteAsync(DbConnection c, DbTransaction t, string accountId, long generation, DateTimeOffset now)
    {
        const string PromoteUnits = """
            UPDATE pull_mirror SET acked_version = pending_version, acked_snapshot = pending_snapshot, acked_ordinal = pending_ordinal,
                pending_generation = NULL, pending_version = NULL, pending_snapshot = NULL, pending_ordinal = NULL
            WHERE account_id = @accountId AND pending_generation = @generation
            """;
        const string PromoteAccount = "UPDATE pull_accounts SET pending_generation = NULL, first_synced_at = COALESCE(first_synced_at, @now) WHERE account_id = @accountId";
        await c.ExecuteAsync(PromoteUnits, new { accountId, generation }, t);
        await c.ExecuteAsync(PromoteAccount, new { accountId, now }, t);
    }

    /// <summary>The pending response never reached Zendesk: forget it; the next response is computed again.</summary>
    public async Task DiscardPendingAsync(DbConnection c, DbTransaction t, string accountId)
    {
        const string ClearUnits = """
            UPDATE pull_mirror SET pending_generation = NULL, pending_version = NULL, pending_snapshot = NULL, pending_ordinal = NULL
            WHERE account_id = @accountId AND pending_generation IS NOT NULL
            """;
        const string DropNeverAcked = "DELETE FROM pull_mirror WHERE account_id = @accountId AND acked_version IS NULL";
        const string ClearAccount = "UPDATE pull_accounts SET pending_generation = NULL WHERE account_id = @accountId";
        await c.ExecuteAsync(ClearUnits, new { accountId }, t);
        await c.ExecuteAsync(DropNeverAcked, new { accountId }, t);
        await c.ExecuteAsync(ClearAccount, new { accountId }, t);
    }

    /// <summary>Acknowledged rows, keyed by unit.</summary>
    public async Task<Dictionary<string, MirrorRow>> GetAckedAsync(DbConnection c, DbTransaction t, string accountId)
    {
        const string Sql = """
            SELECT unit_key AS UnitKey, item_key AS ItemKey, series_uid AS SeriesUid, occurrence_date AS OccurrenceDate,
                   acked_version AS AckedVersion, acked_snapshot AS AckedSnapshot, acked_ordinal AS AckedOrdinal
            FROM pull_mirror WHERE account_id = @accountId AND acked_version IS NOT NULL
            """;
        var rows = await c.QueryAsync<MirrorRow>(Sql, new { accountId }, t);
        return rows.ToDictionary(r => r.UnitKey, StringComparer.Ordinal);
    }

    /// <summary>Records what a response carries as pending under <paramref name="generation"/>, and the pull's result.</summary>
    public async Task RecordPendingAsync(DbConnection c, DbTransaction t, string accountId, long generation, IReadOnlyList<PendingUnit> units, DateTimeOffset now, string result)
    {
        const string Unit = """
            INSERT INTO pull_mirror (account_id, unit_key, item_key, series_uid, occurrence_date, pending_generation, pending_version, pending_snapshot, pending_ordinal)
            VALUES (@accountId, @UnitKey, @ItemKey, @SeriesUid, @OccurrenceDate, @generation, @Version, @Snapshot, @Ordinal)
            ON CONFLICT (account_id, unit_key) DO UPDATE SET
                pending_generation = excluded.pending_generation, pending_version = excluded.pending_version,
                pending_snapshot = excluded.pending_snapshot, pending_ordinal = excluded.pending_ordinal
            """;
        const string Account = """
            UPDATE pull_accounts SET issued_generation = @generation, pending_generation = @pending, last_pull_at = @now, last_result = @result,
                last_pull_instance = @instanceName
            WHERE account_id = @accountId
            """;
        foreach (var u in units)
        {
            await c.ExecuteAsync(Unit, new { accountId, generation, u.UnitKey, u.ItemKey, u.SeriesUid, u.OccurrenceDate, u.Version, u.Snapshot, u.Ordinal }, t);
        }

        await c.ExecuteAsync(Account, new { accountId, generation, pending = units.Count > 0 ? generation : (long?)null, now, result, instanceName }, t);
    }

    /// <summary>A pull that ended without an answer to record (source failed, credentials rejected): when and why.</summary>
    public async Task RecordResultAsync(string accountId, DateTimeOffset now, string result, CancellationToken cancellationToken)
    {
        const string Sql = """
            INSERT INTO pull_accounts (account_id, issued_generation, last_pull_at, last_result, last_pull_instance) VALUES (@accountId, 0, @now, @result, @instanceName)
            ON CONFLICT (account_id) DO UPDATE SET last_pull_at = excluded.last_pull_at, last_result = excluded.last_result,
                last_pull_instance = excluded.last_pull_instance
            """;
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(Sql, new { accountId, now, result, instanceName }, cancellationToken: cancellationToken));
    }

    /// <summary>Per account: when it was last pulled, with what result, by which instance (dashboard).</summary>
    public async Task<IReadOnlyDictionary<string, LastPull>> LastPullInstancesAsync(CancellationToken cancellationToken)
    {
        const string Sql = "SELECT account_id AS AccountId, last_pull_at AS At, last_result AS Result, last_pull_instance AS Instance FROM pull_accounts";
        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<LastPull>(new CommandDefinition(Sql, cancellationToken: cancellationToken));
        return rows.ToDictionary(r => r.AccountId, StringComparer.Ordinal);
    }

    /// <summary>
    /// A state from another database: nothing here matches what Zendesk has; resync from scratch, remembering the
    /// first sync that state carried (<paramref name="earlierFirstSync"/>, when it carried one).
    /// </summary>
    public async Task ResetAsync(DbConnection c, DbTransaction t, string accountId, DateTimeOffset? earlierFirstSync)
    {
        const string DropUnits = "DELETE FROM pull_mirror WHERE account_id = @accountId";
        const string ClearAccount = """
            UPDATE pull_accounts SET pending_generation = NULL, first_synced_at = NULL, earlier_first_sync_at = @earlierFirstSync
            WHERE account_id = @accountId
            """;
        await c.ExecuteAsync(DropUnits, new { accountId }, t);
        await c.ExecuteAsync(ClearAccount, new { accountId, earlierFirstSync }, t);
    }

    /// <summary>
    /// The source item behind one of our tickets (occurrences map to their series); null when the mirror has no such
    /// unit. Channelback and clickthrough resolve the ids Zendesk sends back with it.
    /// </summary>
    public async Task<string?> ItemKeyOfAsync(string accountId, string unitKey, CancellationToken cancellationToken)
    {
        const string Sql = "SELECT item_key FROM pull_mirror WHERE account_id = @accountId AND unit_key = @unitKey";
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<string?>(new CommandDefinition(Sql, new { accountId, unitKey }, cancellationToken: cancellationToken));
    }

    /// <summary>The outbox sequence numbers an inbox account's pending response carried under <paramref name="generation"/>.</summary>
    public async Task<IReadOnlyList<long>> PendingInboxItemsAsync(DbConnection c, DbTransaction t, string accountId, long? generation)
    {
        const string Sql = "SELECT item_key FROM pull_mirror WHERE account_id = @accountId AND pending_generation = @generation AND unit_key LIKE 'inbox-%'";
        var keys = await c.QueryAsync<string>(Sql, new { accountId, generation }, t);
        return keys.Select(k => long.Parse(k, CultureInfo.InvariantCulture)).ToList();
    }

    /// <summary>Forgets an inbox account's pending response once the outbox has taken over what it carried.</summary>
    public async Task ClearInboxPendingAsync(DbConnection c, string accountId)
    {
        const string DropUnits = "DELETE FROM pull_mirror WHERE account_id = @accountId AND unit_key LIKE 'inbox-%'";
        const string ClearAccount = "UPDATE pull_accounts SET pending_generation = NULL WHERE account_id = @accountId";
        await c.ExecuteAsync(DropUnits, new { accountId });
        await c.ExecuteAsync(ClearAccount, new { accountId });
    }

    /// <summary>Rows of the owned table(s), for the dashboard's table sizes.</summary>
    public static async Task<IReadOnlyList<TableRows>> RowCountsAsync(System.Data.Common.DbConnection connection) =>
    [
        new("pull_accounts", await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM pull_accounts")),
        new("pull_mirror", await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM pull_mirror")),
    ];

    /// <summary>
    /// Retention of forgotten items: of <paramref name="itemKeys"/>, those that still have a ticket Zendesk has not
    /// acknowledged as closed (a unit never acknowledged, a response pending, or an acknowledged snapshot that is not
    /// deleted). Their source items must stay: the pull still needs them to send or resend the closing notice.
    /// </summary>
    public async Task<HashSet<string>> ItemsAwaitingClosingAsync(string accountId, IReadOnlyCollection<string> itemKeys, CancellationToken cancellationToken = default)
    {
        // A list parameter: Dapper spreads it into IN (…) for SQLite and passes a PostgreSQL array, compared with ANY.
        var sql = new DialectSql(
            Sqlite: """
                SELECT item_key AS ItemKey, acked_snapshot AS AckedSnapshot, pending_generation AS PendingGeneration
                FROM pull_mirror WHERE account_id = @accountId AND item_key IN @chunk
                """,
            PostgreSql: """
                SELECT item_key AS ItemKey, acked_snapshot AS AckedSnapshot, pending_generation AS PendingGeneration
                FROM pull_mirror WHERE account_id = @accountId AND item_key = ANY(@chunk)
                """);
        var open = new HashSet<string>(StringComparer.Ordinal);
        await using var connection = await database.OpenAsync(cancellationToken);
        foreach (var chunk in itemKeys.Chunk(500))
        {
            var rows = await connection.QueryAsync<(string ItemKey, string? AckedSnapshot, long? PendingGeneration)>(
                new CommandDefinition(sql.For(database.Dialect), new { accountId, chunk }, cancellationToken: cancellationToken));
            foreach (var row in rows)
            {
                if (row.PendingGeneration is not null || row.AckedSnapshot is null || !Tickets.ItemSnapshot.FromJson(row.AckedSnapshot).Deleted)
                {
                    open.Add(row.ItemKey);
                }
            }
        }

        return open;
    }

    /// <summary>When each account was last pulled and what came of it (the dashboard).</summary>
    public async Task<IReadOnlyDictionary<string, PullActivity>> LastPullsAsync(CancellationToken cancellationToken = default)
    {
        const string Sql = "SELECT account_id AS AccountId, last_pull_at AS At, last_result AS Result FROM pull_accounts WHERE last_pull_at IS NOT NULL";
        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<PullActivity>(new CommandDefinition(Sql, cancellationToken: cancellationToken));
        return rows.ToDictionary(r => r.AccountId, StringComparer.Ordinal);
    }

    /// <summary>
    /// Records the latest quick pulls of many accounts in one transaction (<see cref="QuickPullActivity"/>). A newer
    /// time already recorded (a full pull in between) is kept.
    /// </summary>
    public async Task RecordResultsAsync(IReadOnlyCollection<PullActivity> latest, CancellationToken cancellationToken = default)
    {
        const string Sql = """
            INSERT INTO pull_accounts (account_id, issued_generation, last_pull_at, last_result) VALUES (@AccountId, 0, @At, @Result)
            ON CONFLICT (account_id) DO UPDATE SET last_pull_at = excluded.last_pull_at, last_result = excluded.last_result
            WHERE pull_accounts.last_pull_at IS NULL OR pull_accounts.last_pull_at < excluded.last_pull_at
            """;
        if (latest.Count == 0)
        {
            return;
        }

        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(Sql, latest, transaction, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
    }
}
