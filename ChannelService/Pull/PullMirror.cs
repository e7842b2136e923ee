using System.Data.Common;
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

/// <summary>What one response sends for one ticket, recorded as pending until Zendesk acknowledges it.</summary>
internal sealed record PendingUnit(string UnitKey, string ItemKey, string? SeriesUid, string? OccurrenceDate, string Version, string Snapshot, long Ordinal);

/// <summary>
/// The mirror and its generations (design §5), in plain SQL. Every method runs inside the caller's transaction
/// so a pull's bookkeeping commits or rolls back as one.
/// </summary>
internal static class PullMirror
{
    public static async Task<PullAccountRow> GetAccountAsync(DbConnection c, DbTransaction t, string accountId)
    {
        await c.ExecuteAsync(
            "INSERT OR IGNORE INTO pull_accounts (account_id, issued_generation) VALUES (@accountId, 0)", new { accountId }, t);
        return await c.QuerySingleAsync<PullAccountRow>(
            """
            SELECT issued_generation AS IssuedGeneration, pending_generation AS PendingGeneration, first_synced_at AS FirstSyncedAt,
                   earlier_first_sync_at AS EarlierFirstSyncAt
            FROM pull_accounts WHERE account_id = @accountId
            """,
            new { accountId },
            t);
    }

    /// <summary>Zendesk stored the state of the pending response: what it carried is now acknowledged.</summary>
    public static async Task PromoteAsync(DbConnection c, DbTransaction t, string accountId, long generation, DateTimeOffset now)
    {
        await c.ExecuteAsync(
            """
            UPDATE pull_mirror SET acked_version = pending_version, acked_snapshot = pending_snapshot, acked_ordinal = pending_ordinal,
                pending_generation = NULL, pending_version = NULL, pending_snapshot = NULL, pending_ordinal = NULL
            WHERE account_id = @accountId AND pending_generation = @generation
            """,
            new { accountId, generation },
            t);
        await c.ExecuteAsync(
            "UPDATE pull_accounts SET pending_generation = NULL, first_synced_at = COALESCE(first_synced_at, @now) WHERE account_id = @accountId",
            new { accountId, now },
            t);
    }

    /// <summary>The pending response never reached Zendesk: forget it; the next response is computed again.</summary>
    public static async Task DiscardPendingAsync(DbConnection c, DbTransaction t, string accountId)
    {
        await c.ExecuteAsync(
            "UPDATE pull_mirror SET pending_generation = NULL, pending_version = NULL, pending_snapshot = NULL, pending_ordinal = NULL WHERE account_id = @accountId AND pending_generation IS NOT NULL",
            new { accountId },
            t);
        await c.ExecuteAsync("DELETE FROM pull_mirror WHERE account_id = @accountId AND acked_version IS NULL", new { accountId }, t);
        await c.ExecuteAsync("UPDATE pull_accounts SET pending_generation = NULL WHERE account_id = @accountId", new { accountId }, t);
    }

    /// <summary>Acknowledged rows, keyed by unit.</summary>
    public static async Task<Dictionary<string, MirrorRow>> GetAckedAsync(DbConnection c, DbTransaction t, string accountId)
    {
        var rows = await c.QueryAsync<MirrorRow>(
            """
            SELECT unit_key AS UnitKey, item_key AS ItemKey, series_uid AS SeriesUid, occurrence_date AS OccurrenceDate,
                   acked_version AS AckedVersion, acked_snapshot AS AckedSnapshot, acked_ordinal AS AckedOrdinal
            FROM pull_mirror WHERE account_id = @accountId AND acked_version IS NOT NULL
            """,
            new { accountId },
            t);
        return rows.ToDictionary(r => r.UnitKey, StringComparer.Ordinal);
    }

    public static async Task RecordPendingAsync(DbConnection c, DbTransaction t, string accountId, long generation, IReadOnlyList<PendingUnit> units, DateTimeOffset now, string result)
    {
        foreach (var u in units)
        {
            await c.ExecuteAsync(
                """
                INSERT INTO pull_mirror (account_id, unit_key, item_key, series_uid, occurrence_date, pending_generation, pending_version, pending_snapshot, pending_ordinal)
                VALUES (@accountId, @UnitKey, @ItemKey, @SeriesUid, @OccurrenceDate, @generation, @Version, @Snapshot, @Ordinal)
                ON CONFLICT (account_id, unit_key) DO UPDATE SET
                    pending_generation = excluded.pending_generation, pending_version = excluded.pending_version,
                    pending_snapshot = excluded.pending_snapshot, pending_ordinal = excluded.pending_ordinal
                """,
                new { accountId, generation, u.UnitKey, u.ItemKey, u.SeriesUid, u.OccurrenceDate, u.Version, u.Snapshot, u.Ordinal },
                t);
        }

        await c.ExecuteAsync(
            "UPDATE pull_accounts SET issued_generation = @generation, pending_generation = @pending, last_pull_at = @now, last_result = @result WHERE account_id = @accountId",
            new { accountId, generation, pending = units.Count > 0 ? generation : (long?)null, now, result },
            t);
    }

    public static async Task RecordResultAsync(DbConnection c, string accountId, DateTimeOffset now, string result) =>
        await c.ExecuteAsync(
            """
            INSERT INTO pull_accounts (account_id, issued_generation, last_pull_at, last_result) VALUES (@accountId, 0, @now, @result)
            ON CONFLICT (account_id) DO UPDATE SET last_pull_at = excluded.last_pull_at, last_result = excluded.last_result
            """,
            new { accountId, now, result });

    /// <summary>
    /// A state from another database: nothing here matches what Zendesk has; resync from scratch, remembering the
    /// first sync that state carried (<paramref name="earlierFirstSync"/>, when it carried one).
    /// </summary>
    public static async Task ResetAsync(DbConnection c, DbTransaction t, string accountId, DateTimeOffset? earlierFirstSync)
    {
        await c.ExecuteAsync("DELETE FROM pull_mirror WHERE account_id = @accountId", new { accountId }, t);
        await c.ExecuteAsync(
            "UPDATE pull_accounts SET pending_generation = NULL, first_synced_at = NULL, earlier_first_sync_at = @earlierFirstSync WHERE account_id = @accountId",
            new { accountId, earlierFirstSync },
            t);
    }
}
