using System.Data.Common;
using ChannelService.Data;
using Dapper;

namespace ChannelService.AgentCalendars;

/// <summary>An agent's CalDAV calendar (the password only sealed).</summary>
internal sealed record AgentCalDavTarget
{
    public string Subdomain { get; init; } = "";

    public long AgentId { get; init; }

    public string CollectionUrl { get; init; } = "";

    public string Username { get; init; } = "";

    public string SealedPassword { get; init; } = "";

    public DateTimeOffset ConnectedAt { get; init; }

    public DateTimeOffset? LastWriteAt { get; init; }

    public long Writes { get; init; }

    public string? LastError { get; init; }

    public DateTimeOffset? LastErrorAt { get; init; }

    /// <summary>Consecutive failed passes; 0 while writing works.</summary>
    public long Failures { get; init; }

    public DateTimeOffset? NextAttemptAt { get; init; }

    /// <summary>Events the service wrote there and still keeps (filled by <see cref="AgentCalDavStore.TargetsAsync"/>).</summary>
    public long Events { get; init; }

    // A record prints its members: the sealed password stays out of any log line all the same.
    public override string ToString() => $"AgentCalDavTarget {{ Subdomain = {Subdomain}, AgentId = {AgentId}, CollectionUrl = {CollectionUrl} }}";
}

/// <summary>One event the service wrote into an agent's calendar.</summary>
internal sealed record AgentCalDavEvent
{
    public string Subdomain { get; init; } = "";

    public long AgentId { get; init; }

    public long TicketId { get; init; }

    public string Href { get; init; } = "";

    public string? ETag { get; init; }

    public long Sequence { get; init; }

    public DateTimeOffset WrittenAt { get; init; }
}

/// <summary>
/// Owner of the agents' CalDAV tables (Data/Migrations/0018_agent_caldav_targets.sql): each agent's calendar and the
/// events the service wrote into it.
/// </summary>
internal sealed class AgentCalDavStore(Database database)
{
    private const string TargetColumns = """
        t.subdomain AS Subdomain, t.agent_id AS AgentId, t.collection_url AS CollectionUrl, t.username AS Username,
        t.sealed_password AS SealedPassword, t.connected_at AS ConnectedAt, t.last_write_at AS LastWriteAt, t.writes AS Writes,
        t.last_error AS LastError, t.last_error_at AS LastErrorAt, t.failures AS Failures, t.next_attempt_at AS NextAttemptAt,
        (SELECT count(*) FROM agent_caldav_events e WHERE e.subdomain = t.subdomain AND e.agent_id = t.agent_id) AS Events
        """;

    private const string EventColumns = """
        subdomain AS Subdomain, agent_id AS AgentId, ticket_id AS TicketId, href AS Href, etag AS ETag, sequence AS Sequence, written_at AS WrittenAt
        """;

    /// <summary>Rows of the owned tables, for the dashboard's table sizes.</summary>
    public static async Task<IReadOnlyList<TableRows>> RowCountsAsync(DbConnection connection) =>
    [
        new("agent_caldav_targets", await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM agent_caldav_targets")),
        new("agent_caldav_events", await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM agent_caldav_events")),
    ];

    public async Task<IReadOnlyList<AgentCalDavTarget>> TargetsAsync(CancellationToken cancellationToken = default)
    {
        const string Sql = $"SELECT {TargetColumns} FROM agent_caldav_targets t ORDER BY t.subdomain, t.agent_id";
        await using var connection = await database.OpenAsync(cancellationToken);
        return [.. await connection.QueryAsync<AgentCalDavTarget>(new CommandDefinition(Sql, cancellationToken: cancellationToken))];
    }

    public async Task<AgentCalDavTarget?> TargetAsync(string subdomain, long agentId, CancellationToken cancellationToken = default)
    {
        const string Sql = $"SELECT {TargetColumns} FROM agent_caldav_targets t WHERE t.subdomain = @subdomain AND t.agent_id = @agentId";
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<AgentCalDavTarget>(new CommandDefinition(Sql, new { subdomain, agentId }, cancellationToken: cancellationToken));
    }

    /// <summary>
    /// Connects (or re-connects) the agent's calendar. A different collection URL or user forgets the events written
    /// under the old one (they stay where they are; the new calendar gets fresh ones); the same calendar keeps them.
    /// </summary>
    public async Task ConnectAsync(AgentCalDavTarget target, CancellationToken cancellationToken = default)
    {
        const string Forget = """
            DELETE FROM agent_caldav_events WHERE subdomain = @Subdomain AND agent_id = @AgentId
              AND EXISTS (SELECT 1 FROM agent_caldav_targets t WHERE t.subdomain = @Subdomain AND t.agent_id = @AgentId
                          AND (t.collection_url <> @CollectionUrl OR t.username <> @Username))
            """;
        const string Upsert = """
            INSERT INTO agent_caldav_targets (subdomain, agent_id, collection_url, username, sealed_password, connected_at)
            VALUES (@Subdomain, @AgentId, @CollectionUrl, @Username, @SealedPassword, @ConnectedAt)
            ON CONFLICT (subdomain, agent_id) DO UPDATE SET collection_url = excluded.collection_url, username = excluded.username,
                sealed_password = excluded.sealed_password, connected_at = excluded.connected_at, failures = 0, next_attempt_at = NULL
            """;
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(Forget, target, transaction, cancellationToken: cancellationToken));
        await connection.ExecuteAsync(new CommandDefinition(Upsert, target, transaction, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>Forgets the agent's calendar and what was written there. False when none was connected.</summary>
    public async Task<bool> DisconnectAsync(string subdomain, long agentId, CancellationToken cancellationToken = default)
    {
        const string Events = "DELETE FROM agent_caldav_events WHERE subdomain = @subdomain AND agent_id = @agentId";
        const string Target = "DELETE FROM agent_caldav_targets WHERE subdomain = @subdomain AND agent_id = @agentId";
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(Events, new { subdomain, agentId }, transaction, cancellationToken: cancellationToken));
        var removed = await connection.ExecuteAsync(new CommandDefinition(Target, new { subdomain, agentId }, transaction, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
        return removed > 0;
    }

    public async Task<IReadOnlyList<AgentCalDavEvent>> EventsAsync(string subdomain, long agentId, CancellationToken cancellationToken = default)
    {
        const string Sql = $"SELECT {EventColumns} FROM agent_caldav_events WHERE subdomain = @subdomain AND agent_id = @agentId ORDER BY ticket_id";
        await using var connection = await database.OpenAsync(cancellationToken);
        return [.. await connection.QueryAsync<AgentCalDavEvent>(new CommandDefinition(Sql, new { subdomain, agentId }, cancellationToken: cancellationToken))];
    }

    /// <summary>Records a successful PUT of the ticket's event (and counts the write).</summary>
    public async Task RecordWrittenAsync(AgentCalDavEvent written, CancellationToken cancellationToken = default)
    {
        const string Upsert = """
            INSERT INTO agent_caldav_events (subdomain, agent_id, ticket_id, href, etag, sequence, written_at)
            VALUES (@Subdomain, @AgentId, @TicketId, @Href, @ETag, @Sequence, @WrittenAt)
            ON CONFLICT (subdomain, agent_id, ticket_id) DO UPDATE SET href = excluded.href, etag = excluded.etag,
                sequence = excluded.sequence, written_at = excluded.written_at
            """;
        const string Count = "UPDATE agent_caldav_targets SET writes = writes + 1, last_write_at = @WrittenAt WHERE subdomain = @Subdomain AND agent_id = @AgentId";
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(Upsert, written, transaction, cancellationToken: cancellationToken));
        await connection.ExecuteAsync(new CommandDefinition(Count, written, transaction, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>The ticket's event is gone from the agent's calendar; <paramref name="deletedAt"/> set when we deleted it (a write).</summary>
    public async Task RecordGoneAsync(string subdomain, long agentId, long ticketId, DateTimeOffset? deletedAt, CancellationToken cancellationToken = default)
    {
        const string Delete = "DELETE FROM agent_caldav_events WHERE subdomain = @subdomain AND agent_id = @agentId AND ticket_id = @ticketId";
        const string Count = "UPDATE agent_caldav_targets SET writes = writes + 1, last_write_at = @deletedAt WHERE subdomain = @subdomain AND agent_id = @agentId";
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(Delete, new { subdomain, agentId, ticketId }, transaction, cancellationToken: cancellationToken));
        if (deletedAt is not null)
        {
            await connection.ExecuteAsync(new CommandDefinition(Count, new { subdomain, agentId, deletedAt }, transaction, cancellationToken: cancellationToken));
        }

        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>A pass that left nothing pending: the back-off ends (the last error stays, with its time, for the dashboard).</summary>
    public async Task RecordHealthyAsync(string subdomain, long agentId, CancellationToken cancellationToken = default)
    {
        const string Sql = "UPDATE agent_caldav_targets SET failures = 0, next_attempt_at = NULL WHERE subdomain = @subdomain AND agent_id = @agentId AND (failures <> 0 OR next_attempt_at IS NOT NULL)";
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(Sql, new { subdomain, agentId }, cancellationToken: cancellationToken));
    }

    /// <summary>A failed pass: the error (never a secret: CalDAV messages name host and path only) and the next attempt.</summary>
    public async Task RecordFailureAsync(string subdomain, long agentId, string error, DateTimeOffset now, DateTimeOffset nextAttemptAt, CancellationToken cancellationToken = default)
    {
        const string Sql = """
            UPDATE agent_caldav_targets SET last_error = @error, last_error_at = @now, failures = failures + 1, next_attempt_at = @nextAttemptAt
            WHERE subdomain = @subdomain AND agent_id = @agentId
            """;
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(Sql, new { subdomain, agentId, error = error.Length > 1000 ? error[..1000] : error, now, nextAttemptAt }, cancellationToken: cancellationToken));
    }
}
