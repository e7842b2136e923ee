using System.Data.Common;
using ChannelService.Data;
using Dapper;

namespace ChannelService.ZendeskLink.Status;

/// <summary>One task ticket's two-way status (<c>task_status_sync</c>); states are the words of <see cref="TaskStates"/>.</summary>
internal sealed record StatusSyncRow
{
    public string AccountId { get; init; } = "";

    public string UnitKey { get; init; } = "";

    public string? Subdomain { get; init; }

    public long? TicketId { get; init; }

    /// <summary><c>open</c> or <c>closed</c>; null until one side was seen.</summary>
    public string? Agreed { get; init; }

    public DateTimeOffset? AgreedAt { get; init; }

    public string? SourceState { get; init; }

    public DateTimeOffset? SourceAt { get; init; }

    public long SourceMoved { get; init; }

    public string? SourceWritten { get; init; }

    public long SourceEcho { get; init; }

    public string? TicketStatus { get; init; }

    public DateTimeOffset? TicketAt { get; init; }

    public long TicketMoved { get; init; }

    public string? TicketWritten { get; init; }

    public DateTimeOffset? TicketDueAt { get; init; }

    public long DueMoved { get; init; }

    public DateTimeOffset? ConflictAt { get; init; }

    public string? ConflictNote { get; init; }

    public string? LastError { get; init; }
}

/// <summary>One account's two-way status for the dashboard.</summary>
internal sealed record StatusSyncSummary(long ConflictsLastDay, long WaitingForPull, string? LastConflict, string? LastError);

/// <summary>What a pull settled for one task: the new agreement and what it wrote, guarded by the ticket version it decided on.</summary>
internal sealed record StatusSettlement
{
    public required string Agreed { get; init; }

    public string? SourceState { get; init; }

    public DateTimeOffset? SourceAt { get; init; }

    /// <summary>Set when the service wrote this state to the source now: its read-back is ours.</summary>
    public string? SourceWritten { get; init; }

    /// <summary>Set when the service asked Zendesk for this state now (<c>open</c> or <c>closed</c>).</summary>
    public string? TicketWritten { get; init; }

    /// <summary>The ticket version the decision saw: a newer one that arrived meanwhile keeps its move for the next pull.</summary>
    public DateTimeOffset? TicketAtSeen { get; init; }

    public bool KeepSourceMoved { get; init; }

    public string? ConflictNote { get; init; }

    public string? Error { get; init; }
}

/// <summary>
/// Owner of <c>task_status_sync</c> (Data/Migrations/0016_task_status_sync.sql). The change feed's handler writes
/// only the ticket's columns (<see cref="ObserveTicketAsync"/>), the pull only the source's and the agreement
/// (<see cref="SettleAsync"/>); a settlement clears the ticket's move only when no newer ticket version arrived while the
/// pull decided, so the two writers never lose each other's news.
/// </summary>
internal sealed class StatusSyncStore(Database database)
{
    private const string Columns = """
        account_id AS AccountId, unit_key AS UnitKey, subdomain AS Subdomain, ticket_id AS TicketId, agreed AS Agreed,
        agreed_at AS AgreedAt, source_state AS SourceState, source_at AS SourceAt, source_moved AS SourceMoved,
        source_written AS SourceWritten, source_echo AS SourceEcho, ticket_status AS TicketStatus, ticket_at AS TicketAt,
        ticket_moved AS TicketMoved, ticket_written AS TicketWritten, ticket_due_at AS TicketDueAt, due_moved AS DueMoved,
        conflict_at AS ConflictAt, conflict_note AS ConflictNote, last_error AS LastError
        """;

    public async Task<StatusSyncRow?> GetAsync(string accountId, string unitKey, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await GetAsync(connection, null, accountId, unitKey);
    }

    public static async Task<StatusSyncRow?> GetAsync(DbConnection c, DbTransaction? t, string accountId, string unitKey)
    {
        const string Sql = $"SELECT {Columns} FROM task_status_sync WHERE account_id = @accountId AND unit_key = @unitKey";
        return await c.QuerySingleOrDefaultAsync<StatusSyncRow>(Sql, new { accountId, unitKey }, t);
    }

    /// <summary>
    /// Records a ticket snapshot the change feed passed on (newer than the one stored, else nothing): its status, time
    /// and due date, and whether it moved the ticket's side (decided by the caller from the row it read).
    /// </summary>
    public async Task ObserveTicketAsync(
        string accountId, string unitKey, string subdomain, long ticketId, string status, DateTimeOffset at, DateTimeOffset? dueAt,
        bool moved, bool dueMoved, bool clearWritten, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        const string Sql = """
            INSERT INTO task_status_sync (account_id, unit_key, subdomain, ticket_id, ticket_status, ticket_at, ticket_due_at, ticket_moved, due_moved, updated_at)
            VALUES (@accountId, @unitKey, @subdomain, @ticketId, @status, @at, @dueAt, @movedFlag, @dueFlag, @now)
            ON CONFLICT (account_id, unit_key) DO UPDATE SET
                subdomain = excluded.subdomain, ticket_id = excluded.ticket_id, ticket_status = excluded.ticket_status,
                ticket_at = excluded.ticket_at, ticket_due_at = excluded.ticket_due_at, ticket_moved = excluded.ticket_moved,
                due_moved = excluded.due_moved,
                ticket_written = CASE WHEN @clearWritten THEN NULL ELSE task_status_sync.ticket_written END,
                updated_at = excluded.updated_at
            WHERE task_status_sync.ticket_at IS NULL OR task_status_sync.ticket_at < excluded.ticket_at
            """;
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            Sql,
            new { accountId, unitKey, subdomain, ticketId, status, at, dueAt, movedFlag = moved ? 1 : 0, dueFlag = dueMoved ? 1 : 0, clearWritten, now },
            cancellationToken: cancellationToken));
    }

    /// <summary>The account's tasks whose ticket moved (status or due date) since the last agreement, oldest first.</summary>
    public async Task<IReadOnlyList<StatusSyncRow>> TicketMovesAsync(string accountId, int max, CancellationToken cancellationToken = default)
    {
        const string Sql = $"SELECT {Columns} FROM task_status_sync WHERE account_id = @accountId AND (ticket_moved = 1 OR due_moved = 1) ORDER BY ticket_at, unit_key LIMIT @max";
        await using var connection = await database.OpenAsync(cancellationToken);
        return (await connection.QueryAsync<StatusSyncRow>(new CommandDefinition(Sql, new { accountId, max }, cancellationToken: cancellationToken))).ToList();
    }

    /// <summary>
    /// The states the service wrote to the account's source itself, per unit, inside the caller's transaction: the pull
    /// tells no "Status" change for them (they came from the ticket).
    /// </summary>
    public static async Task<IReadOnlyDictionary<string, string>> WrittenToSourceAsync(DbConnection c, DbTransaction t, string accountId)
    {
        const string Sql = "SELECT unit_key, source_written FROM task_status_sync WHERE account_id = @accountId AND source_written IS NOT NULL";
        var rows = await c.QueryAsync<(string UnitKey, string Written)>(Sql, new { accountId }, t);
        return rows.ToDictionary(r => r.UnitKey, r => r.Written, StringComparer.Ordinal);
    }

    /// <summary>
    /// The pull's record of the source side: creates the row on first sight, else sets what it read. A move is kept
    /// for the next pull to decide (<paramref name="moved"/>); a read-back of our own write clears the echo mark.
    /// </summary>
    public static async Task ObserveSourceAsync(
        DbConnection c, DbTransaction t, string accountId, string unitKey, string? subdomain, string agreedIfNew, string state, DateTimeOffset? at,
        bool moved, bool forgetWritten, DateTimeOffset now)
    {
        const string Sql = """
            INSERT INTO task_status_sync (account_id, unit_key, subdomain, agreed, agreed_at, source_state, source_at, source_moved, updated_at)
            VALUES (@accountId, @unitKey, @subdomain, @agreedIfNew, @now, @state, @at, @movedFlag, @now)
            ON CONFLICT (account_id, unit_key) DO UPDATE SET
                subdomain = COALESCE(excluded.subdomain, task_status_sync.subdomain),
                agreed = COALESCE(task_status_sync.agreed, excluded.agreed),
                agreed_at = COALESCE(task_status_sync.agreed_at, excluded.agreed_at),
                source_state = excluded.source_state, source_at = excluded.source_at,
                source_moved = CASE WHEN excluded.source_moved = 1 THEN 1 ELSE task_status_sync.source_moved END,
                source_echo = 0,
                source_written = CASE WHEN @forgetWritten THEN NULL ELSE task_status_sync.source_written END,
                updated_at = excluded.updated_at
            """;
        await c.ExecuteAsync(Sql, new { accountId, unitKey, subdomain, agreedIfNew, state, at, movedFlag = moved ? 1 : 0, forgetWritten, now }, t);
    }

    /// <summary>A decision applied: the new agreement; the ticket's move is cleared only if no newer ticket version came in.</summary>
    public async Task SettleAsync(string accountId, string unitKey, StatusSettlement s, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await SettleAsync(connection, null, accountId, unitKey, s, now);
    }

    public static async Task SettleAsync(DbConnection c, DbTransaction? t, string accountId, string unitKey, StatusSettlement s, DateTimeOffset now)
    {
        const string Sql = """
            UPDATE task_status_sync SET
                agreed = @Agreed, agreed_at = @now,
                source_state = COALESCE(@SourceState, source_state), source_at = COALESCE(@SourceAt, source_at),
                source_moved = CASE WHEN @KeepSourceMoved THEN source_moved ELSE 0 END,
                source_written = CASE WHEN CAST(@SourceWritten AS TEXT) IS NOT NULL THEN @SourceWritten WHEN CAST(@SourceState AS TEXT) IS NOT NULL AND @SourceState <> COALESCE(source_written, '') THEN NULL ELSE source_written END,
                source_echo = CASE WHEN CAST(@SourceWritten AS TEXT) IS NOT NULL THEN 1 ELSE source_echo END,
                ticket_written = COALESCE(@TicketWritten, ticket_written),
                ticket_moved = CASE WHEN CAST(@TicketAtSeen AS TEXT) IS NULL OR ticket_at IS NULL OR ticket_at <= @TicketAtSeen THEN 0 ELSE ticket_moved END,
                due_moved = CASE WHEN CAST(@TicketAtSeen AS TEXT) IS NULL OR ticket_at IS NULL OR ticket_at <= @TicketAtSeen THEN 0 ELSE due_moved END,
                conflict_at = CASE WHEN CAST(@ConflictNote AS TEXT) IS NOT NULL THEN @now ELSE conflict_at END,
                conflict_note = COALESCE(@ConflictNote, conflict_note),
                last_error = @Error,
                updated_at = @now
            WHERE account_id = @accountId AND unit_key = @unitKey
            """;
        await c.ExecuteAsync(Sql, new { accountId, unitKey, s.Agreed, s.SourceState, s.SourceAt, s.SourceWritten, s.TicketWritten, s.TicketAtSeen, s.KeepSourceMoved, s.ConflictNote, s.Error, now }, t);
    }

    /// <summary>
    /// Per account, for the dashboard: conflicts decided since <paramref name="since"/> (the last day), ticket moves
    /// waiting for the account's next pull, and the latest conflict note and error.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, StatusSyncSummary>> SummaryAsync(DateTimeOffset since, CancellationToken cancellationToken = default)
    {
        const string Sql = """
            SELECT account_id AS AccountId,
                   SUM(CASE WHEN conflict_at >= @since THEN 1 ELSE 0 END) AS Conflicts,
                   SUM(CASE WHEN ticket_moved = 1 OR due_moved = 1 THEN 1 ELSE 0 END) AS Waiting,
                   MAX(conflict_at) AS LastConflictAt,
                   SUM(CASE WHEN last_error IS NOT NULL THEN 1 ELSE 0 END) AS Errors
            FROM task_status_sync GROUP BY account_id
            """;
        const string Notes = """
            SELECT account_id AS AccountId, conflict_note AS Note, last_error AS Error, conflict_at AS ConflictAt, updated_at AS UpdatedAt
            FROM task_status_sync WHERE conflict_note IS NOT NULL OR last_error IS NOT NULL
            """;
        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = (await connection.QueryAsync<(string AccountId, long Conflicts, long Waiting, DateTimeOffset? LastConflictAt, long Errors)>(
            new CommandDefinition(Sql, new { since }, cancellationToken: cancellationToken))).ToList();
        var notes = (await connection.QueryAsync<(string AccountId, string? Note, string? Error, DateTimeOffset? ConflictAt, DateTimeOffset UpdatedAt)>(
            new CommandDefinition(Notes, cancellationToken: cancellationToken))).ToList();
        return rows.ToDictionary(
            r => r.AccountId,
            r => new StatusSyncSummary(
                r.Conflicts,
                r.Waiting,
                notes.Where(n => n.AccountId == r.AccountId && n.Note is not null).OrderByDescending(n => n.ConflictAt).Select(n => n.Note).FirstOrDefault(),
                notes.Where(n => n.AccountId == r.AccountId && n.Error is not null).OrderByDescending(n => n.UpdatedAt).Select(n => n.Error).FirstOrDefault()),
            StringComparer.Ordinal);
    }

    /// <summary>Forgets the account's tasks, inside the caller's transaction (account purge).</summary>
    public async Task DeleteAccountAsync(DbConnection connection, DbTransaction transaction, string accountId)
    {
        const string Sql = "DELETE FROM task_status_sync WHERE account_id = @accountId";
        await connection.ExecuteAsync(Sql, new { accountId }, transaction);
    }

    /// <summary>Rows of the owned table, for the dashboard's table sizes.</summary>
    public static async Task<IReadOnlyList<TableRows>> RowCountsAsync(DbConnection connection) =>
        [new("task_status_sync", await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM task_status_sync"))];
}
