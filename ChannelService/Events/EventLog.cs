using ChannelService.Data;
using Dapper;

namespace ChannelService.Events;

internal sealed record EventLogEntry
{
    public long Id { get; init; }

    public DateTimeOffset ReceivedAt { get; init; }

    public string TypeId { get; init; } = "";

    public string? Subdomain { get; init; }

    public string? AccountId { get; init; }

    public string? Error { get; init; }

    public string Summary { get; init; } = "";
}

/// <summary>Every event callback received, without its metadata (a bearer credential), newest first for the dashboard.</summary>
internal sealed class EventLog(Database database)
{
    /// <summary>Entries kept; older ones are deleted as new ones arrive.</summary>
    public const int MaxEntries = 10_000;

    public async Task AppendAsync(EventLogEntry entry, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(
            "INSERT INTO event_log (received_at, type_id, subdomain, account_id, error, summary) VALUES (@ReceivedAt, @TypeId, @Subdomain, @AccountId, @Error, @Summary)",
            entry);

        // Unsigned input must not grow the database without bound: the newest entries are what the dashboard shows.
        await connection.ExecuteAsync("DELETE FROM event_log WHERE id <= (SELECT MAX(id) FROM event_log) - @MaxEntries", new { MaxEntries });
    }

    public async Task<IReadOnlyList<EventLogEntry>> RecentAsync(int max, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return (await connection.QueryAsync<EventLogEntry>(
            "SELECT id AS Id, received_at AS ReceivedAt, type_id AS TypeId, subdomain AS Subdomain, account_id AS AccountId, error AS Error, summary AS Summary FROM event_log ORDER BY id DESC LIMIT @max",
            new { max })).ToList();
    }

    /// <summary>external_id → ticket, from resources_created_from_external_ids (later events overwrite: a follow-up ticket wins).</summary>
    public async Task LinkTicketAsync(string externalId, long ticketId, long? commentId, string? requestId, DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(
            """
            INSERT INTO ticket_links (external_id, ticket_id, comment_id, request_id, created_at) VALUES (@externalId, @ticketId, @commentId, @requestId, @at)
            ON CONFLICT (external_id) DO UPDATE SET ticket_id = excluded.ticket_id, comment_id = excluded.comment_id, request_id = excluded.request_id
            """,
            new { externalId, ticketId, commentId, requestId, at });
    }

    public async Task<long?> TicketForAsync(string externalId, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<long?>("SELECT ticket_id FROM ticket_links WHERE external_id = @externalId", new { externalId });
    }
}
