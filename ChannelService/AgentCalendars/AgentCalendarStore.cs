using System.Data.Common;
using ChannelService.Data;
using Dapper;

namespace ChannelService.AgentCalendars;

/// <summary>An agent's feed token row (never the token itself).</summary>
internal sealed record AgentCalendarToken
{
    public string Subdomain { get; init; } = "";

    public long AgentId { get; init; }

    public string TokenHash { get; init; } = "";

    public string Generation { get; init; } = "";

    public string KeyId { get; init; } = "";

    public string? Email { get; init; }

    public string? Name { get; init; }

    public DateTimeOffset CreatedAt { get; init; }

    public DateTimeOffset? RotatedAt { get; init; }

    public DateTimeOffset? RevokedAt { get; init; }

    public DateTimeOffset? LastFetchAt { get; init; }

    /// <summary>Grows whenever an event of this agent's feed changes: a rendered feed of the same version is still true.</summary>
    public long FeedVersion { get; init; }
}

/// <summary>One task ticket as the calendars know it.</summary>
internal sealed record AgentTask
{
    public string Subdomain { get; init; } = "";

    public long TicketId { get; init; }

    public long? AssigneeId { get; init; }

    public DateTimeOffset? DueAt { get; init; }

    public string? Subject { get; init; }

    public string Status { get; init; } = "";

    public string? Priority { get; init; }

    public long? RequesterId { get; init; }

    public string? RequesterName { get; init; }

    public DateTimeOffset UpdatedAt { get; init; }

    public DateTimeOffset ChangedAt { get; init; }

    public long Sequence { get; init; }

    /// <summary>In the assignee's feed; false once the delete rule removed it.</summary>
    public bool InFeed { get; init; }

    /// <summary>The <c>in_feed</c> column (0/1; SQLite and PostgreSQL both store it as an integer).</summary>
    public long InFeedFlag
    {
        get => InFeed ? 1 : 0;
        init => InFeed = value != 0;
    }

    /// <summary>Whether an event made from this row looks different from one made from <paramref name="other"/>.</summary>
    public bool SameEventAs(AgentTask other) =>
        InFeed == other.InFeed && AssigneeId == other.AssigneeId && DueAt == other.DueAt && Subject == other.Subject
        && Status == other.Status && Priority == other.Priority && RequesterId == other.RequesterId && RequesterName == other.RequesterName;
}

/// <summary>A linked subdomain's first sync.</summary>
internal sealed record AgentCalendarSync
{
    public string Subdomain { get; init; } = "";

    public DateTimeOffset? SyncedAt { get; init; }

    public long Tickets { get; init; }

    public string? LastError { get; init; }

    public DateTimeOffset? AttemptedAt { get; init; }
}

/// <summary>An agent's line on the dashboard.</summary>
internal sealed record AgentCalendarSummary
{
    public string Subdomain { get; init; } = "";

    public long AgentId { get; init; }

    public string? Email { get; init; }

    public long Tasks { get; init; }

    public DateTimeOffset? LastFetchAt { get; init; }

    public DateTimeOffset? RevokedAt { get; init; }
}

/// <summary>
/// Owner of the agents' calendar tables (Data/Migrations/0017_agent_calendars.sql): feed tokens (hash only), the task
/// tickets the feeds list, and the first sync of each linked subdomain.
/// </summary>
internal sealed class AgentCalendarStore(Database database)
{
    /// <summary>A fetch is written down at most this often per agent, so a busy feed does not write on every request.</summary>
    public static readonly TimeSpan FetchRecordInterval = TimeSpan.FromMinutes(1);

    private const string TokenColumns = """
        subdomain AS Subdomain, agent_id AS AgentId, token_hash AS TokenHash, generation AS Generation, key_id AS KeyId,
        email AS Email, name AS Name, created_at AS CreatedAt, rotated_at AS RotatedAt, revoked_at AS RevokedAt, last_fetch_at AS LastFetchAt,
        feed_version AS FeedVersion
        """;

    private const string TaskColumns = """
        subdomain AS Subdomain, ticket_id AS TicketId, assignee_id AS AssigneeId, due_at AS DueAt, subject AS Subject, status AS Status,
        priority AS Priority, requester_id AS RequesterId, requester_name AS RequesterName, updated_at AS UpdatedAt, changed_at AS ChangedAt,
        sequence AS Sequence, in_feed AS InFeedFlag
        """;

    /// <summary>Rows of the owned tables, for the dashboard's table sizes.</summary>
    public static async Task<IReadOnlyList<TableRows>> RowCountsAsync(DbConnection connection) =>
    [
        new("agent_calendar_tokens", await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM agent_calendar_tokens")),
        new("agent_calendar_tasks", await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM agent_calendar_tasks")),
        new("agent_calendar_syncs", await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM agent_calendar_syncs")),
    ];

    public async Task<AgentCalendarToken?> TokenAsync(string subdomain, long agentId, CancellationToken cancellationToken = default)
    {
        const string Sql = $"SELECT {TokenColumns} FROM agent_calendar_tokens WHERE subdomain = @subdomain AND agent_id = @agentId";
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<AgentCalendarToken>(new CommandDefinition(Sql, new { subdomain, agentId }, cancellationToken: cancellationToken));
    }

    public async Task<IReadOnlyList<AgentCalendarToken>> TokensAsync(string subdomain, CancellationToken cancellationToken = default)
    {
        const string Sql = $"SELECT {TokenColumns} FROM agent_calendar_tokens WHERE subdomain = @subdomain ORDER BY agent_id";
        await using var connection = await database.OpenAsync(cancellationToken);
        return [.. await connection.QueryAsync<AgentCalendarToken>(new CommandDefinition(Sql, new { subdomain }, cancellationToken: cancellationToken))];
    }

    /// <summary>
    /// The agent whose live (not revoked) token hashes to <paramref name="tokenHash"/>. Looked up by the hash, never by
    /// the token, so the comparison the database makes reveals nothing about a valid token (README, "Calendars for agents").
    /// </summary>
    public async Task<AgentCalendarToken?> ByHashAsync(string tokenHash, CancellationToken cancellationToken = default)
    {
        const string Sql = $"SELECT {TokenColumns} FROM agent_calendar_tokens WHERE token_hash = @tokenHash AND revoked_at IS NULL";
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<AgentCalendarToken>(new CommandDefinition(Sql, new { tokenHash }, cancellationToken: cancellationToken));
    }

    /// <summary>Creates the agent's token row unless one exists (then only the e-mail and name are refreshed).</summary>
    public async Task EnsureTokenAsync(AgentCalendarToken token, CancellationToken cancellationToken = default)
    {
        const string Sql = """
            INSERT INTO agent_calendar_tokens (subdomain, agent_id, token_hash, generation, key_id, email, name, created_at)
            VALUES (@Subdomain, @AgentId, @TokenHash, @Generation, @KeyId, @Email, @Name, @CreatedAt)
            ON CONFLICT (subdomain, agent_id) DO UPDATE SET email = COALESCE(excluded.email, agent_calendar_tokens.email),
                name = COALESCE(excluded.name, agent_calendar_tokens.name)
            """;
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(Sql, token, cancellationToken: cancellationToken));
    }

    /// <summary>Replaces the agent's token (a new generation; the old URL stops working at once) and lifts a revocation.</summary>
    public async Task RotateAsync(AgentCalendarToken token, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        const string Sql = """
            INSERT INTO agent_calendar_tokens (subdomain, agent_id, token_hash, generation, key_id, email, name, created_at, rotated_at)
            VALUES (@Subdomain, @AgentId, @TokenHash, @Generation, @KeyId, @Email, @Name, @now, @now)
            ON CONFLICT (subdomain, agent_id) DO UPDATE SET token_hash = excluded.token_hash, generation = excluded.generation,
                key_id = excluded.key_id, rotated_at = excluded.rotated_at, revoked_at = NULL,
                email = COALESCE(excluded.email, agent_calendar_tokens.email), name = COALESCE(excluded.name, agent_calendar_tokens.name)
            """;
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(Sql, new { token.Subdomain, token.AgentId, token.TokenHash, token.Generation, token.KeyId, token.Email, token.Name, now }, cancellationToken: cancellationToken));
    }

    /// <summary>The agent's feed answers 404 from now on (until rotated). False when the agent has no token.</summary>
    public async Task<bool> RevokeAsync(string subdomain, long agentId, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        const string Sql = "UPDATE agent_calendar_tokens SET revoked_at = @now WHERE subdomain = @subdomain AND agent_id = @agentId";
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(Sql, new { subdomain, agentId, now }, cancellationToken: cancellationToken)) > 0;
    }

    public async Task RecordFetchAsync(string tokenHash, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        const string Sql = """
            UPDATE agent_calendar_tokens SET last_fetch_at = @now
            WHERE token_hash = @tokenHash AND (last_fetch_at IS NULL OR last_fetch_at < @before)
            """;
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(Sql, new { tokenHash, now, before = now - FetchRecordInterval }, cancellationToken: cancellationToken));
    }

    /// <summary>
    /// Every agent's feed version by subdomain and agent: the CalDAV push skips a calendar whose agent's version has not
    /// moved since its last clean pass (any change of the agent's tasks bumps it).
    /// </summary>
    public async Task<IReadOnlyDictionary<(string Subdomain, long AgentId), long>> FeedVersionsAsync(CancellationToken cancellationToken = default)
    {
        const string Sql = "SELECT subdomain AS Subdomain, agent_id AS AgentId, feed_version AS FeedVersion FROM agent_calendar_tokens";
        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<AgentCalendarToken>(new CommandDefinition(Sql, cancellationToken: cancellationToken));
        return rows.ToDictionary(r => (r.Subdomain, r.AgentId), r => r.FeedVersion);
    }

    public async Task<AgentTask?> TaskAsync(string subdomain, long ticketId, CancellationToken cancellationToken = default)
    {
        const string Sql = $"SELECT {TaskColumns} FROM agent_calendar_tasks WHERE subdomain = @subdomain AND ticket_id = @ticketId";
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<AgentTask>(new CommandDefinition(Sql, new { subdomain, ticketId }, cancellationToken: cancellationToken));
    }

    /// <summary>The tasks in one agent's feed, by ticket id: only that subdomain's tickets assigned to that agent.</summary>
    public async Task<IReadOnlyList<AgentTask>> FeedAsync(string subdomain, long agentId, CancellationToken cancellationToken = default)
    {
        const string Sql = $"SELECT {TaskColumns} FROM agent_calendar_tasks WHERE subdomain = @subdomain AND assignee_id = @agentId AND in_feed = 1 ORDER BY ticket_id";
        await using var connection = await database.OpenAsync(cancellationToken);
        return [.. await connection.QueryAsync<AgentTask>(new CommandDefinition(Sql, new { subdomain, agentId }, cancellationToken: cancellationToken))];
    }

    /// <summary>
    /// Stores a ticket's newer state. <paramref name="next"/> carries the snapshot's fields and <see cref="AgentTask.InFeed"/>
    /// by the delete rule; sequence and changed_at are worked out here. An older snapshot than the stored one changes
    /// nothing; a ticket never in a feed that does not qualify is not stored. Returns the stored row (null: none).
    /// </summary>
    public async Task<AgentTask?> ApplyAsync(AgentTask next, CancellationToken cancellationToken = default)
    {
        const string Insert = """
            INSERT INTO agent_calendar_tasks (subdomain, ticket_id, assignee_id, due_at, subject, status, priority, requester_id, requester_name,
                updated_at, changed_at, sequence, in_feed)
            VALUES (@Subdomain, @TicketId, @AssigneeId, @DueAt, @Subject, @Status, @Priority, @RequesterId, @RequesterName,
                @UpdatedAt, @ChangedAt, @Sequence, @InFeedFlag)
            ON CONFLICT (subdomain, ticket_id) DO NOTHING
            """;

        // Optimistic: the row is replaced only if nobody stored another version since it was read.
        const string Update = """
            UPDATE agent_calendar_tasks SET assignee_id = @AssigneeId, due_at = @DueAt, subject = @Subject, status = @Status, priority = @Priority,
                requester_id = @RequesterId, requester_name = @RequesterName, updated_at = @UpdatedAt, changed_at = @ChangedAt,
                sequence = @Sequence, in_feed = @InFeedFlag
            WHERE subdomain = @Subdomain AND ticket_id = @TicketId AND updated_at = @previousUpdatedAt AND sequence = @previousSequence
            """;
        // The feeds the change touches get a new version in the same transaction as the change (the render cache's key).
        const string Bump = """
            UPDATE agent_calendar_tokens SET feed_version = feed_version + 1
            WHERE subdomain = @subdomain AND (agent_id = @first OR agent_id = @second)
            """;
        await using var connection = await database.OpenAsync(cancellationToken);
        for (var attempt = 0; attempt < 5; attempt++)
        {
            const string Read = $"SELECT {TaskColumns} FROM agent_calendar_tasks WHERE subdomain = @Subdomain AND ticket_id = @TicketId";
            var current = await connection.QuerySingleOrDefaultAsync<AgentTask>(new CommandDefinition(Read, new { next.Subdomain, next.TicketId }, cancellationToken: cancellationToken));
            if (current is null)
            {
                if (!next.InFeed)
                {
                    return null;
                }

                var row = next with { ChangedAt = next.UpdatedAt, Sequence = 0 };
                await using (var inserting = await connection.BeginTransactionAsync(cancellationToken))
                {
                    if (await connection.ExecuteAsync(new CommandDefinition(Insert, Parameters(row), inserting, cancellationToken: cancellationToken)) > 0)
                    {
                        await connection.ExecuteAsync(new CommandDefinition(Bump, new { subdomain = row.Subdomain, first = row.AssigneeId, second = row.AssigneeId }, inserting, cancellationToken: cancellationToken));
                        await inserting.CommitAsync(cancellationToken);
                        return row;
                    }
                }

                continue;
            }

            if (current.UpdatedAt > next.UpdatedAt)
            {
                return current;
            }

            // A removed ticket's other fields no longer show anywhere: only its coming back is a change of the event.
            var changed = current.InFeed || next.InFeed ? !current.SameEventAs(next) : false;
            var stored = next with
            {
                Sequence = current.Sequence + (changed ? 1 : 0),
                ChangedAt = changed ? next.UpdatedAt : current.ChangedAt,
            };
            var parameters = Parameters(stored);
            parameters.Add("previousUpdatedAt", current.UpdatedAt);
            parameters.Add("previousSequence", current.Sequence);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            if (await connection.ExecuteAsync(new CommandDefinition(Update, parameters, transaction, cancellationToken: cancellationToken)) > 0)
            {
                if (changed)
                {
                    await connection.ExecuteAsync(new CommandDefinition(Bump, new { subdomain = stored.Subdomain, first = current.AssigneeId, second = stored.AssigneeId }, transaction, cancellationToken: cancellationToken));
                }

                await transaction.CommitAsync(cancellationToken);
                return stored;
            }
        }

        throw new InvalidOperationException($"Ticket {next.TicketId} of {next.Subdomain} kept changing while it was stored; the change feed hands it over again.");
    }

    /// <summary>Rows removed from every feed more than <paramref name="olderThan"/> ago are forgotten (the table stays bounded).</summary>
    public async Task<int> PruneAsync(DateTimeOffset olderThan, CancellationToken cancellationToken = default)
    {
        const string Sql = "DELETE FROM agent_calendar_tasks WHERE in_feed = 0 AND changed_at < @olderThan";
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(Sql, new { olderThan }, cancellationToken: cancellationToken));
    }

    public async Task<AgentCalendarSync?> SyncAsync(string subdomain, CancellationToken cancellationToken = default)
    {
        const string Sql = """
            SELECT subdomain AS Subdomain, synced_at AS SyncedAt, tickets AS Tickets, last_error AS LastError, attempted_at AS AttemptedAt
            FROM agent_calendar_syncs WHERE subdomain = @subdomain
            """;
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<AgentCalendarSync>(new CommandDefinition(Sql, new { subdomain }, cancellationToken: cancellationToken));
    }

    public async Task RecordSyncAsync(string subdomain, DateTimeOffset now, bool done, long tickets, string? error, CancellationToken cancellationToken = default)
    {
        const string Sql = """
            INSERT INTO agent_calendar_syncs (subdomain, synced_at, tickets, last_error, attempted_at)
            VALUES (@subdomain, @syncedAt, @tickets, @error, @now)
            ON CONFLICT (subdomain) DO UPDATE SET synced_at = COALESCE(excluded.synced_at, agent_calendar_syncs.synced_at),
                tickets = excluded.tickets, last_error = excluded.last_error, attempted_at = excluded.attempted_at
            """;
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(Sql, new { subdomain, syncedAt = done ? now : (DateTimeOffset?)null, tickets, error, now }, cancellationToken: cancellationToken));
    }

    /// <summary>The subdomain is unlinked: its sync is forgotten (a new link syncs again) and its tasks leave every feed.</summary>
    public async Task ForgetSubdomainAsync(string subdomain, CancellationToken cancellationToken = default)
    {
        const string Syncs = "DELETE FROM agent_calendar_syncs WHERE subdomain = @subdomain";
        const string Tasks = "DELETE FROM agent_calendar_tasks WHERE subdomain = @subdomain";
        const string Versions = "UPDATE agent_calendar_tokens SET feed_version = feed_version + 1 WHERE subdomain = @subdomain";
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(Syncs, new { subdomain }, transaction, cancellationToken: cancellationToken));
        await connection.ExecuteAsync(new CommandDefinition(Tasks, new { subdomain }, transaction, cancellationToken: cancellationToken));
        await connection.ExecuteAsync(new CommandDefinition(Versions, new { subdomain }, transaction, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>Every agent with a token or a task, with the number of tasks in their feed (the dashboard).</summary>
    public async Task<IReadOnlyList<AgentCalendarSummary>> SummariesAsync(CancellationToken cancellationToken = default)
    {
        const string Sql = """
            SELECT t.subdomain AS Subdomain, t.agent_id AS AgentId, t.email AS Email, t.last_fetch_at AS LastFetchAt, t.revoked_at AS RevokedAt,
                (SELECT count(*) FROM agent_calendar_tasks k WHERE k.subdomain = t.subdomain AND k.assignee_id = t.agent_id AND k.in_feed = 1) AS Tasks
            FROM agent_calendar_tokens t
            UNION ALL
            SELECT k.subdomain, k.assignee_id, NULL, NULL, NULL, count(*)
            FROM agent_calendar_tasks k
            WHERE k.in_feed = 1 AND NOT EXISTS (SELECT 1 FROM agent_calendar_tokens t WHERE t.subdomain = k.subdomain AND t.agent_id = k.assignee_id)
            GROUP BY k.subdomain, k.assignee_id
            ORDER BY 1, 2
            """;
        await using var connection = await database.OpenAsync(cancellationToken);
        return [.. await connection.QueryAsync<AgentCalendarSummary>(new CommandDefinition(Sql, cancellationToken: cancellationToken))];
    }

    public async Task<IReadOnlyList<AgentCalendarSync>> SyncsAsync(CancellationToken cancellationToken = default)
    {
        const string Sql = """
            SELECT subdomain AS Subdomain, synced_at AS SyncedAt, tickets AS Tickets, last_error AS LastError, attempted_at AS AttemptedAt
            FROM agent_calendar_syncs ORDER BY subdomain
            """;
        await using var connection = await database.OpenAsync(cancellationToken);
        return [.. await connection.QueryAsync<AgentCalendarSync>(new CommandDefinition(Sql, cancellationToken: cancellationToken))];
    }

    private static DynamicParameters Parameters(AgentTask row) => new(row);
}
