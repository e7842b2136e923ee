using System.Data.Common;
using ChannelService.Calendars;
using ChannelService.Data;
using Dapper;

namespace ChannelService.Sources;

/// <summary>A known version of an item, for diffing a fresh listing against the store.</summary>
/// <param name="Href">CalDAV: the resource holding the item (a removed resource removes all its items); null for feeds.</param>
/// <param name="ETag">CalDAV: the resource's ETag when the item last changed (a full resync skips resources whose ETag still matches).</param>
internal sealed record KnownSourceItem(string Key, string? Uid, string? RecurrenceId, string ContentVersion, bool Deleted, string? Href = null, string? ETag = null);

/// <summary>An item as stored, with its bookkeeping.</summary>
internal sealed record StoredSourceItem(SourceItem Item, bool Deleted, DateTimeOffset FirstSeen, DateTimeOffset ChangedAt, DateTimeOffset? DeletedAt);

/// <summary>
/// Per-account store of what the source held when last read (table <c>source_items</c>) and the cursor that goes
/// with it (<c>source_cursors</c>); schema in Data/Migrations/0002_sources.sql.
/// </summary>
internal sealed class SourceItemStore(Database database, TimeProvider? timeProvider = null)
{
    private const string SelectColumns = """
        item_key AS Key, kind AS Kind, uid AS Uid, recurrence_id AS RecurrenceId, content_version AS ContentVersion,
        raw_ics AS RawIcs, href AS Href, etag AS ETag, web_url AS WebUrl, deleted AS Deleted,
        first_seen AS FirstSeen, changed_at AS ChangedAt, deleted_at AS DeletedAt
        """;

    private const string UpsertSql = """
        INSERT INTO source_items (account_id, item_key, kind, uid, recurrence_id, content_version, raw_ics, href, etag, web_url, deleted, first_seen, changed_at, deleted_at)
        VALUES (@AccountId, @Key, @Kind, @Uid, @RecurrenceId, @ContentVersion, @RawIcs, @Href, @ETag, @WebUrl, 0, @Now, @Now, NULL)
        ON CONFLICT (account_id, item_key) DO UPDATE SET
            kind = excluded.kind, uid = excluded.uid, recurrence_id = excluded.recurrence_id,
            content_version = excluded.content_version, raw_ics = excluded.raw_ics, href = excluded.href,
            etag = excluded.etag, web_url = excluded.web_url, deleted = 0, changed_at = excluded.changed_at, deleted_at = NULL
        """;

    private const string DeleteSql = """
        UPDATE source_items SET deleted = 1, deleted_at = @Now, changed_at = @Now
        WHERE account_id = @AccountId AND item_key = @Key AND deleted = 0
        """;

    /// <summary>Stores the cursor when it moved; affects no row when the source answered with the cursor it had (a 304).</summary>
    private const string CursorSql = """
        INSERT INTO source_cursors (account_id, cursor, updated_at) VALUES (@AccountId, @Cursor, @Now)
        ON CONFLICT (account_id) DO UPDATE SET cursor = excluded.cursor, updated_at = excluded.updated_at
        WHERE COALESCE(source_cursors.cursor, '') <> COALESCE(excluded.cursor, '')
        """;

    /// <summary>A list parameter: Dapper spreads it into <c>IN (…)</c> for SQLite and passes a PostgreSQL array, compared with <c>ANY</c>.</summary>
    private static readonly DialectSql RawOfSql = new(
        Sqlite: "SELECT item_key, raw_ics FROM source_items WHERE account_id = @accountId AND item_key IN @chunk",
        PostgreSql: "SELECT item_key, raw_ics FROM source_items WHERE account_id = @accountId AND item_key = ANY(@chunk)");

    private const string CountWriteSql = """
        INSERT INTO source_writes (account_id, writes) VALUES (@accountId, 1)
        ON CONFLICT (account_id) DO UPDATE SET writes = source_writes.writes + 1
        """;

    private const string WritesOfSql = "SELECT COALESCE((SELECT writes FROM source_writes WHERE account_id = @accountId), 0)";

    private readonly TimeProvider time = timeProvider ?? TimeProvider.System;

    /// <summary>Writes so far per account, in this process: a pull that found nothing to do remembers the count, and any later write voids that.</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, long> writes = new(StringComparer.Ordinal);

    /// <summary>How many writes this store made for the account since the process started (see <see cref="writes"/>).</summary>
    public long WritesOf(string accountId) => writes.GetValueOrDefault(accountId);

    /// <summary>
    /// The account's write count as every instance sees it: on SQLite the count of this process (one service owns the
    /// file, and the quick path stays free of the database); on PostgreSQL the row in <c>source_writes</c>, which
    /// another instance's write moves too. Pass the caller's connection to read inside its transaction.
    /// </summary>
    public async Task<long> WritesOfAsync(string accountId, DbConnection? connection = null, DbTransaction? transaction = null, CancellationToken cancellationToken = default)
    {
        if (database.Dialect == SqlDialect.Sqlite)
        {
            return WritesOf(accountId);
        }

        if (connection is not null)
        {
            return await connection.ExecuteScalarAsync<long>(new CommandDefinition(WritesOfSql, new { accountId }, transaction, cancellationToken: cancellationToken));
        }

        await using var own = await database.OpenAsync(cancellationToken);
        return await own.ExecuteScalarAsync<long>(new CommandDefinition(WritesOfSql, new { accountId }, cancellationToken: cancellationToken));
    }

    private const string CursorOfSql = "SELECT cursor FROM source_cursors WHERE account_id = @accountId";

    /// <summary>The cursor stored with the items; null before the first applied read.</summary>
    public async Task<string?> GetCursorAsync(string accountId, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<string?>(new CommandDefinition(CursorOfSql, new { accountId }, cancellationToken: cancellationToken));
    }

    /// <summary>The cursor as the caller's transaction sees it (the pull reads back what it just applied).</summary>
    public async Task<string?> GetCursorAsync(DbConnection connection, DbTransaction? transaction, string accountId, CancellationToken cancellationToken = default) =>
        await connection.QuerySingleOrDefaultAsync<string?>(new CommandDefinition(CursorOfSql, new { accountId }, transaction, cancellationToken: cancellationToken));

    /// <summary>Every stored key with its content version, deleted ones included.</summary>
    public async Task<Dictionary<string, KnownSourceItem>> GetKnownVersionsAsync(string accountId, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<KnownRow>(new CommandDefinition(
            "SELECT item_key AS Key, uid AS Uid, recurrence_id AS RecurrenceId, content_version AS ContentVersion, deleted AS Deleted, href AS Href, etag AS ETag FROM source_items WHERE account_id = @accountId",
            new { accountId },
            cancellationToken: cancellationToken));
        return rows.ToDictionary(r => r.Key, r => new KnownSourceItem(r.Key, r.Uid, r.RecurrenceId, r.ContentVersion, r.Deleted != 0, r.Href, r.ETag), StringComparer.Ordinal);
    }

    public async Task<StoredSourceItem?> GetAsync(string accountId, string itemKey, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<ItemRow>(new CommandDefinition(
            $"SELECT {SelectColumns} FROM source_items WHERE account_id = @accountId AND item_key = @itemKey",
            new { accountId, itemKey },
            cancellationToken: cancellationToken));
        return row?.ToStored();
    }

    /// <summary>All items of an account (the pull re-evaluates event windows from these), in key order.</summary>
    public async Task<IReadOnlyList<StoredSourceItem>> ListAsync(string accountId, bool includeDeleted = false, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await ListAsync(connection, null, accountId, includeDeleted, includeRaw: true, cancellationToken);
    }

    /// <summary>Lists inside the caller's transaction, so changes it applied but has not committed are seen.</summary>
    /// <param name="includeRaw">False leaves <see cref="SourceItem.RawIcs"/> empty (a pull that has most items parsed already
    /// need not read megabytes of text); fetch the few it needs with <see cref="GetRawAsync"/>.</param>
    public async Task<IReadOnlyList<StoredSourceItem>> ListAsync(
        DbConnection connection, DbTransaction? transaction, string accountId, bool includeDeleted, bool includeRaw, CancellationToken cancellationToken = default)
    {
        var columns = includeRaw ? SelectColumns : SelectColumns.Replace("raw_ics AS RawIcs", "'' AS RawIcs", StringComparison.Ordinal);
        var rows = await connection.QueryAsync<ItemRow>(new CommandDefinition(
            $"SELECT {columns} FROM source_items WHERE account_id = @accountId {(includeDeleted ? string.Empty : "AND deleted = 0")} ORDER BY item_key",
            new { accountId },
            transaction,
            cancellationToken: cancellationToken));
        return rows.Select(r => r.ToStored()).ToList();
    }

    /// <summary>The stored text of some items, by key.</summary>
    public async Task<Dictionary<string, string>> GetRawAsync(DbConnection connection, DbTransaction? transaction, string accountId, IReadOnlyCollection<string> keys, CancellationToken cancellationToken = default)
    {
        var raw = new Dictionary<string, string>(keys.Count, StringComparer.Ordinal);
        foreach (var chunk in keys.Chunk(500))
        {
            var rows = await connection.QueryAsync<(string Key, string RawIcs)>(new CommandDefinition(
                RawOfSql.For(connection),
                new { accountId, chunk },
                transaction,
                cancellationToken: cancellationToken));
            foreach (var (key, text) in rows)
            {
                raw[key] = text;
            }
        }

        return raw;
    }

    /// <summary>
    /// Stores the changes and their cursor atomically. Pass <paramref name="connection"/> and
    /// <paramref name="transaction"/> to make it part of a larger unit (the pull records what it emits to
    /// Zendesk in the same transaction); otherwise it runs in its own.
    /// </summary>
    public async Task ApplyAsync(string accountId, SourceChanges changes, DbConnection? connection = null, DbTransaction? transaction = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(changes);
        if (connection is null)
        {
            await using var own = await database.OpenAsync(cancellationToken);
            await using var tx = await own.BeginTransactionAsync(cancellationToken);
            await WriteAsync(own, tx, accountId, changes, cancellationToken);
            await tx.CommitAsync(cancellationToken);
            return;
        }

        await WriteAsync(connection, transaction, accountId, changes, cancellationToken);
    }

    /// <summary>Forgets an account's items and cursor (account removed, or a full resync from scratch).</summary>
    public async Task ForgetAsync(string accountId, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("DELETE FROM source_items WHERE account_id = @accountId", new { accountId }, tx, cancellationToken: cancellationToken));
        await connection.ExecuteAsync(new CommandDefinition("DELETE FROM source_cursors WHERE account_id = @accountId", new { accountId }, tx, cancellationToken: cancellationToken));
        await connection.ExecuteAsync(new CommandDefinition(CountWriteSql, new { accountId }, tx, cancellationToken: cancellationToken));
        await tx.CommitAsync(cancellationToken);
        writes.AddOrUpdate(accountId, 1, (_, n) => n + 1);
    }

    internal static string KindText(CalendarItemKind kind) => kind switch
    {
        CalendarItemKind.Event => "event",
        CalendarItemKind.Task => "task",
        _ => "journal",
    };

    private async Task WriteAsync(DbConnection connection, DbTransaction? transaction, string accountId, SourceChanges changes, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();

        // One prepared statement for every upsert: a first sync stores tens of thousands of items, and building and
        // preparing a command for each would cost more than the writes.
        await using (var upsert = connection.CreateCommand())
        {
            upsert.CommandText = UpsertSql;
            upsert.Transaction = transaction;
            var p = new Dictionary<string, DbParameter>(StringComparer.Ordinal);
            foreach (var name in new[] { "@AccountId", "@Key", "@Kind", "@Uid", "@RecurrenceId", "@ContentVersion", "@RawIcs", "@Href", "@ETag", "@WebUrl", "@Now" })
            {
                // Typed as text: PostgreSQL cannot infer a type from a null, and every column here is text.
                var parameter = upsert.CreateParameter();
                parameter.ParameterName = name;
                parameter.DbType = System.Data.DbType.String;
                parameter.Value = DBNull.Value;
                upsert.Parameters.Add(parameter);
                p[name] = parameter;
            }

            p["@AccountId"].Value = accountId;
            p["@Now"].Value = Database.FormatTime(now);
            foreach (var item in changes.Upserts)
            {
                p["@Key"].Value = item.Key;
                p["@Kind"].Value = KindText(item.Kind);
                p["@Uid"].Value = (object?)item.Uid ?? DBNull.Value;
                p["@RecurrenceId"].Value = (object?)item.RecurrenceId ?? DBNull.Value;
                p["@ContentVersion"].Value = item.ContentVersion;
                p["@RawIcs"].Value = item.RawIcs;
                p["@Href"].Value = (object?)item.Href ?? DBNull.Value;
                p["@ETag"].Value = (object?)item.ETag ?? DBNull.Value;
                p["@WebUrl"].Value = (object?)item.WebUrl ?? DBNull.Value;
                await upsert.ExecuteNonQueryAsync(cancellationToken);
            }
        }

        foreach (var deletion in changes.Deletions)
        {
            await connection.ExecuteAsync(new CommandDefinition(DeleteSql, new { AccountId = accountId, deletion.Key, Now = now }, transaction, cancellationToken: cancellationToken));
        }

        var cursorMoved = await connection.ExecuteAsync(new CommandDefinition(CursorSql, new { AccountId = accountId, changes.Cursor, Now = now }, transaction, cancellationToken: cancellationToken)) > 0;

        // Only a read that stored something counts as a write. A pull that found nothing (the feed's 304, an empty
        // sync) leaves the count alone: on PostgreSQL another instance's quick-path mark for the account stays good,
        // where counting it would void the marks of two instances behind a balancer in turn, sending every pull down
        // the full path (benchmarks/postgres-scale.sh measured 53% quick answers and a sixth of one instance's rate).
        if (changes.Upserts.Count > 0 || changes.Deletions.Count > 0 || cursorMoved)
        {
            await CountWriteAsync(connection, transaction, accountId, cancellationToken);
        }
    }

    /// <summary>
    /// Counts a write for the account inside the caller's transaction: what the store wrote, and what the pull records
    /// for Zendesk beside it when that changes the answer an identical pull would get (a response with resources).
    /// </summary>
    public async Task CountWriteAsync(DbConnection connection, DbTransaction? transaction, string accountId, CancellationToken cancellationToken = default)
    {
        await connection.ExecuteAsync(new CommandDefinition(CountWriteSql, new { accountId }, transaction, cancellationToken: cancellationToken));

        // Counted once written: a pull that reads the count after its own write sees every write that could be
        // hidden from it, and a write that lands later changes the count it remembered.
        writes.AddOrUpdate(accountId, 1, (_, n) => n + 1);
    }

    private sealed class KnownRow
    {
        public string Key { get; init; } = string.Empty;

        public string? Uid { get; init; }

        public string? RecurrenceId { get; init; }

        public string ContentVersion { get; init; } = string.Empty;

        public long Deleted { get; init; }

        public string? Href { get; init; }

        public string? ETag { get; init; }
    }

    private sealed class ItemRow
    {
        public string Key { get; init; } = string.Empty;

        public string Kind { get; init; } = string.Empty;

        public string? Uid { get; init; }

        public string? RecurrenceId { get; init; }

        public string ContentVersion { get; init; } = string.Empty;

        public string RawIcs { get; init; } = string.Empty;

        public string? Href { get; init; }

        public string? ETag { get; init; }

        public string? WebUrl { get; init; }

        public long Deleted { get; init; }

        public DateTimeOffset FirstSeen { get; init; }

        public DateTimeOffset ChangedAt { get; init; }

        public DateTimeOffset? DeletedAt { get; init; }

        public StoredSourceItem ToStored() => new(
            new SourceItem
            {
                Key = Key,
                Kind = Kind == "task" ? CalendarItemKind.Task : Kind == "event" ? CalendarItemKind.Event : CalendarItemKind.Journal,
                Uid = Uid,
                RecurrenceId = RecurrenceId,
                ContentVersion = ContentVersion,
                RawIcs = RawIcs,
                Href = Href,
                ETag = ETag,
                WebUrl = WebUrl,
            },
            Deleted != 0,
            FirstSeen,
            ChangedAt,
            DeletedAt);
    }

    /// <summary>Rows of the owned table(s), for the dashboard's table sizes.</summary>
    public static async Task<IReadOnlyList<TableRows>> RowCountsAsync(System.Data.Common.DbConnection connection) =>
    [
        new("source_items", await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM source_items")),
        new("source_cursors", await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM source_cursors")),
        new("source_writes", await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM source_writes")),
    ];

    /// <summary>
    /// Retention (Data/Retention.cs): items gone from the source (tombstones) deleted before <paramref name="before"/>,
    /// in key order after (<paramref name="afterAccount"/>, <paramref name="afterKey"/>), at most <paramref name="batch"/>.
    /// </summary>
    public async Task<IReadOnlyList<(string AccountId, string ItemKey)>> TombstonesAsync(
        DateTimeOffset before, string afterAccount, string afterKey, int batch, CancellationToken cancellationToken = default)
    {
        const string Sql = """
            SELECT account_id, item_key FROM source_items
            WHERE deleted = 1 AND deleted_at < @before AND (account_id > @afterAccount OR (account_id = @afterAccount AND item_key > @afterKey))
            ORDER BY account_id, item_key LIMIT @batch
            """;
        await using var connection = await database.OpenAsync(cancellationToken);
        return (await connection.QueryAsync<(string, string)>(new CommandDefinition(Sql, new { before, afterAccount, afterKey, batch }, cancellationToken: cancellationToken))).ToList();
    }

    /// <summary>
    /// Forgets tombstones whose closing notice Zendesk has acknowledged (the caller checked the mirror under the account's
    /// pull lock). Only rows still deleted before <paramref name="before"/> go: an item that came back stays.
    /// </summary>
    public async Task<int> ForgetTombstonesAsync(string accountId, IReadOnlyCollection<string> keys, DateTimeOffset before, CancellationToken cancellationToken = default)
    {
        // A list parameter: Dapper spreads it into IN (…) for SQLite and passes a PostgreSQL array, compared with ANY.
        var sql = new DialectSql(
            Sqlite: "DELETE FROM source_items WHERE account_id = @accountId AND item_key IN @keys AND deleted = 1 AND deleted_at < @before",
            PostgreSql: "DELETE FROM source_items WHERE account_id = @accountId AND item_key = ANY(@keys) AND deleted = 1 AND deleted_at < @before");
        if (keys.Count == 0)
        {
            return 0;
        }

        await using var connection = await database.OpenAsync(cancellationToken);
        var deleted = await connection.ExecuteAsync(new CommandDefinition(sql.For(database.Dialect), new { accountId, keys = keys.ToArray(), before }, cancellationToken: cancellationToken));

        // Counted as a write: a quick no-change answer must not outlive a change of the store, however harmless.
        writes.AddOrUpdate(accountId, 1, (_, n) => n + 1);
        return deleted;
    }
}
