using System.Text.Json;
using ChannelService.Data;
using Dapper;

namespace ChannelService.Sources.CalDav;

/// <summary>
/// <see cref="ICalDavEtagStore"/> in the service database (table <c>caldav_etag_snapshots</c>), so fallback
/// cursors that name a snapshot survive a restart. Keeps the newest <paramref name="keepPerCollection"/>
/// snapshots of each collection: enough for the acknowledged and the newest cursor of every account on it.
/// </summary>
internal sealed class SqliteCalDavEtagStore(Database database, TimeProvider? timeProvider = null, int keepPerCollection = 8) : ICalDavEtagStore
{
    /// <summary>
    /// Keeps the newest snapshots; equal times (a coarse or frozen clock) are ordered by which was written last:
    /// SQLite's insertion order (<c>rowid</c>), PostgreSQL's writing transaction (<c>xmin</c>).
    /// </summary>
    private static readonly DialectSql Trim = new(
        Sqlite: """
            DELETE FROM caldav_etag_snapshots WHERE collection_url = @url AND snapshot_id NOT IN (
                SELECT snapshot_id FROM caldav_etag_snapshots WHERE collection_url = @url ORDER BY saved_at DESC, rowid DESC LIMIT @keepPerCollection)
            """,
        PostgreSql: """
            DELETE FROM caldav_etag_snapshots WHERE collection_url = @url AND snapshot_id NOT IN (
                SELECT snapshot_id FROM caldav_etag_snapshots WHERE collection_url = @url ORDER BY saved_at DESC, xmin::text::bigint DESC LIMIT @keepPerCollection)
            """);

    private readonly TimeProvider time = timeProvider ?? TimeProvider.System;

    public async Task SaveAsync(Uri collection, string snapshotId, IReadOnlyDictionary<string, string> etags, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        var url = collection.AbsoluteUri;

        // Saving the same snapshot again refreshes its age: it is in use.
        await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO caldav_etag_snapshots (collection_url, snapshot_id, etags, saved_at) VALUES (@url, @snapshotId, @json, @now)
            ON CONFLICT (collection_url, snapshot_id) DO UPDATE SET saved_at = excluded.saved_at
            """,
            new { url, snapshotId, json = JsonSerializer.Serialize(etags), now = time.GetUtcNow() },
            tx,
            cancellationToken: cancellationToken));
        await connection.ExecuteAsync(new CommandDefinition(
            Trim.For(database.Dialect),
            new { url, keepPerCollection },
            tx,
            cancellationToken: cancellationToken));
        await tx.CommitAsync(cancellationToken);
    }

    public async Task<IReadOnlyDictionary<string, string>?> LoadAsync(Uri collection, string snapshotId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var json = await connection.QuerySingleOrDefaultAsync<string?>(new CommandDefinition(
            "SELECT etags FROM caldav_etag_snapshots WHERE collection_url = @url AND snapshot_id = @snapshotId",
            new { url = collection.AbsoluteUri, snapshotId },
            cancellationToken: cancellationToken));
        return json is null ? null : JsonSerializer.Deserialize<Dictionary<string, string>>(json);
    }

    /// <summary>How many snapshots are kept for a collection.</summary>
    public async Task<int> CountAsync(Uri collection, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<int>(new CommandDefinition(
            "SELECT COUNT(*) FROM caldav_etag_snapshots WHERE collection_url = @url",
            new { url = collection.AbsoluteUri },
            cancellationToken: cancellationToken));
    }

    /// <summary>Rows of the owned table(s), for the dashboard's table sizes.</summary>
    public static async Task<IReadOnlyList<TableRows>> RowCountsAsync(System.Data.Common.DbConnection connection) =>
    [
        new("caldav_etag_snapshots", await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM caldav_etag_snapshots")),
    ];
}
