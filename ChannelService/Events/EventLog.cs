using ChannelService.Data;
using Dapper;

namespace ChannelService.Events;

internal sealed record EventLogEntry
{
    public long Id { get; init; }

    public DateTimeOffset ReceivedAt { get; init; }

    public string TypeId { get; init; } = "";

    public string? Subdomain { get; init; }

    /// <summary>The account the event's metadata decrypted to; null for an event tied to us only by its subdomain or ids.</summary>
    public string? AccountId { get; init; }

    public string? Error { get; init; }

    public string Summary { get; init; } = "";
}

/// <summary>
/// Owner of <c>event_log</c>: the event callbacks tied to an account of ours, without their metadata (a bearer
/// credential), newest first for the dashboard. Events are unsigned (spec §7), so the table is bounded twice: at
/// most <see cref="MaxEntries"/> rows, and of those at most <see cref="MaxUnprovenEntries"/> without an account
/// (tied to us by a subdomain or by ids of ours, which anybody could name). Events tied to nothing of ours are never
/// written here (<see cref="UnverifiedEvents"/> counts them in memory).
/// </summary>
internal sealed class EventLog(Database database)
{
    /// <summary>Entries kept; older ones are deleted as new ones arrive.</summary>
    public const int MaxEntries = 10_000;

    /// <summary>Entries without an account kept (also in Data/Migrations/0007_bounded_event_storage.sql).</summary>
    public const int MaxUnprovenEntries = 500;

    public async Task AppendAsync(EventLogEntry entry, CancellationToken cancellationToken = default)
    {
        const string Insert = """
            INSERT INTO event_log (received_at, type_id, subdomain, account_id, error, summary)
            VALUES (@ReceivedAt, @TypeId, @Subdomain, @AccountId, @Error, @Summary)
            """;
        const string TrimAll = "DELETE FROM event_log WHERE id <= (SELECT MAX(id) FROM event_log) - @MaxEntries";
        const string TrimUnproven = """
            DELETE FROM event_log WHERE account_id IS NULL AND id NOT IN (
                SELECT id FROM event_log WHERE account_id IS NULL ORDER BY id DESC LIMIT @MaxUnprovenEntries)
            """;
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await connection.ExecuteAsync(Insert, entry, transaction);
        await connection.ExecuteAsync(TrimAll, new { MaxEntries }, transaction);
        if (entry.AccountId is null)
        {
            await connection.ExecuteAsync(TrimUnproven, new { MaxUnprovenEntries }, transaction);
        }

        await transaction.CommitAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<EventLogEntry>> RecentAsync(int max, CancellationToken cancellationToken = default)
    {
        const string Sql = """
            SELECT id AS Id, received_at AS ReceivedAt, type_id AS TypeId, subdomain AS Subdomain, account_id AS AccountId, error AS Error, summary AS Summary
            FROM event_log ORDER BY id DESC LIMIT @max
            """;
        await using var connection = await database.OpenAsync(cancellationToken);
        return (await connection.QueryAsync<EventLogEntry>(Sql, new { max })).ToList();
    }

    /// <summary>Retention (Data/Retention.cs): deletes up to <paramref name="batch"/> entries received before <paramref name="before"/>.</summary>
    public async Task<int> PruneAsync(DateTimeOffset before, int batch, CancellationToken cancellationToken = default)
    {
        const string Sql = "DELETE FROM event_log WHERE id IN (SELECT id FROM event_log WHERE received_at < @before ORDER BY received_at LIMIT @batch)";
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(Sql, new { before, batch }, cancellationToken: cancellationToken));
    }

    /// <summary>Rows of the owned table, for the dashboard's table sizes.</summary>
    public static async Task<IReadOnlyList<TableRows>> RowCountsAsync(System.Data.Common.DbConnection connection) =>
        [new("event_log", await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM event_log"))];
}
