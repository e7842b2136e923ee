using System.Data.Common;
using ChannelService.Data;
using Dapper;

namespace ChannelService.ZendeskLink.Work;

/// <summary>One queued piece of API work: the intent for one ticket unit, claimed under a lease.</summary>
internal sealed record ApiWorkRow
{
    public long Id { get; init; }

    public string AccountId { get; init; } = "";

    public string UnitKey { get; init; } = "";

    public string Subdomain { get; init; } = "";

    public string Intent { get; init; } = "";

    public long Version { get; init; }

    public int Attempts { get; init; }

    public DateTimeOffset CreatedAt { get; init; }
}

/// <summary>What a unit's work is to go in the queue: the unit and its intent (JSON).</summary>
internal sealed record ApiWorkItem(string UnitKey, string Intent);

/// <summary>
/// Owner of <c>zendesk_api_work</c> (Data/Migrations/0010_zendesk_api_work.sql): the durable queue of REST API work.
/// Writers (the pull, inside its own transaction; the resources_created handler) only insert or bring rows forward;
/// <see cref="ApiWorker"/> claims due rows with a lease and completes, reschedules or releases them. Every change to a
/// claimed row names the lease owner, and completion also names the intent version it applied, so a row that got a
/// newer intent (or learnt its ticket) meanwhile, or that another worker took over after the lease ran out, is never lost or applied twice.
/// </summary>
internal sealed class ApiWorkStore(Database database)
{
    /// <summary>Queues (or replaces) the intents of units, inside the caller's transaction: due now.</summary>
    public async Task EnqueueAsync(DbConnection c, DbTransaction t, string accountId, string subdomain, IReadOnlyList<ApiWorkItem> items, DateTimeOffset now)
    {
        const string Sql = """
            INSERT INTO zendesk_api_work (account_id, unit_key, subdomain, intent, version, due_at, attempts, created_at, updated_at)
            VALUES (@accountId, @UnitKey, @subdomain, @Intent, 1, @now, 0, @now, @now)
            ON CONFLICT (account_id, unit_key) DO UPDATE SET
                subdomain = excluded.subdomain, intent = excluded.intent, version = zendesk_api_work.version + 1,
                due_at = excluded.due_at, attempts = 0, last_error = NULL, updated_at = excluded.updated_at
            WHERE zendesk_api_work.intent <> excluded.intent OR zendesk_api_work.subdomain <> excluded.subdomain
            """;
        foreach (var item in items)
        {
            await c.ExecuteAsync(Sql, new { accountId, item.UnitKey, subdomain, item.Intent, now }, t);
        }
    }

    /// <summary>
    /// Makes a unit's waiting work due now (its ticket just became known). A row a worker holds at this moment (the
    /// event usually lands while the pass that first met the row is still running, about to put it off until
    /// <see cref="ApiWorkOptions.SearchAfter"/>) gets a new version instead: the holder's reschedule or completion then
    /// leaves it due at once (<see cref="RescheduleAsync"/>, <see cref="CompleteAsync"/>), and nothing waits two minutes
    /// for a ticket that is already known.
    /// </summary>
    public async Task<bool> BringForwardAsync(string accountId, string unitKey, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        const string Sql = """
            UPDATE zendesk_api_work SET
                due_at = CASE WHEN due_at > @now THEN @now ELSE due_at END,
                version = CASE WHEN lease_owner IS NOT NULL THEN version + 1 ELSE version END
            WHERE account_id = @accountId AND unit_key = @unitKey AND (due_at > @now OR lease_owner IS NOT NULL)
            """;
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(Sql, new { accountId, unitKey, now }, cancellationToken: cancellationToken)) > 0;
    }

    /// <summary>Makes a subdomain's waiting work due now (its link started working).</summary>
    public async Task<int> BringForwardSubdomainAsync(string subdomain, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        const string Sql = "UPDATE zendesk_api_work SET due_at = @now WHERE subdomain = @subdomain AND due_at > @now";
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(Sql, new { subdomain, now }, cancellationToken: cancellationToken));
    }

    /// <summary>
    /// Claims up to <paramref name="max"/> due rows that nobody holds (or whose lease ran out) for
    /// <paramref name="owner"/> until <paramref name="leaseUntil"/>, oldest due first. One statement: two workers can
    /// never claim the same row.
    /// </summary>
    public async Task<IReadOnlyList<ApiWorkRow>> ClaimAsync(string owner, DateTimeOffset now, DateTimeOffset leaseUntil, int max, CancellationToken cancellationToken = default)
    {
        const string Sql = """
            UPDATE zendesk_api_work SET lease_owner = @owner, lease_until = @leaseUntil, attempts = attempts + 1
            WHERE id IN (
                SELECT id FROM zendesk_api_work
                WHERE due_at <= @now AND (lease_until IS NULL OR lease_until < @now)
                ORDER BY due_at, id LIMIT @max)
            RETURNING id AS Id, account_id AS AccountId, unit_key AS UnitKey, subdomain AS Subdomain, intent AS Intent,
                version AS Version, attempts AS Attempts, created_at AS CreatedAt
            """;
        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<ApiWorkRow>(new CommandDefinition(Sql, new { owner, now, leaseUntil, max }, cancellationToken: cancellationToken));
        return rows.OrderBy(r => r.Id).ToList();
    }

    /// <summary>Extends the lease of rows still held by <paramref name="owner"/>; returns the ids it still holds.</summary>
    public async Task<IReadOnlySet<long>> RenewAsync(string owner, IReadOnlyCollection<long> ids, DateTimeOffset leaseUntil, CancellationToken cancellationToken = default)
    {
        // A list parameter: Dapper spreads it into IN (…) for SQLite and passes a PostgreSQL array, compared with ANY.
        var sql = new DialectSql(
            Sqlite: "UPDATE zendesk_api_work SET lease_until = @leaseUntil WHERE lease_owner = @owner AND id IN @ids RETURNING id",
            PostgreSql: "UPDATE zendesk_api_work SET lease_until = @leaseUntil WHERE lease_owner = @owner AND id = ANY(@ids) RETURNING id");
        await using var connection = await database.OpenAsync(cancellationToken);
        var held = await connection.QueryAsync<long>(new CommandDefinition(sql.For(database.Dialect), new { owner, ids = ids.ToArray(), leaseUntil }, cancellationToken: cancellationToken));
        return held.ToHashSet();
    }

    /// <summary>
    /// The row's work is done: deleted when nothing replaced its intent meanwhile; else released, due now, for the
    /// newer intent.
    /// </summary>
    public async Task CompleteAsync(ApiWorkRow row, string owner, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        const string Delete = "DELETE FROM zendesk_api_work WHERE id = @Id AND lease_owner = @owner AND version = @Version";
        const string Release = """
            UPDATE zendesk_api_work SET lease_owner = NULL, lease_until = NULL, due_at = @now, attempts = 0, last_error = NULL
            WHERE id = @Id AND lease_owner = @owner
            """;
        await using var connection = await database.OpenAsync(cancellationToken);
        if (await connection.ExecuteAsync(new CommandDefinition(Delete, new { row.Id, owner, row.Version }, cancellationToken: cancellationToken)) == 0)
        {
            await connection.ExecuteAsync(new CommandDefinition(Release, new { row.Id, owner, now }, cancellationToken: cancellationToken));
        }
    }

    /// <summary>
    /// Releases the row until <paramref name="dueAt"/>: a time-driven change ahead (<paramref name="succeeded"/>: the
    /// attempt count starts over), or a retry after a failure (<paramref name="error"/> kept for the dashboard). A row
    /// whose intent was replaced meanwhile is due at once instead.
    /// </summary>
    public async Task RescheduleAsync(ApiWorkRow row, string owner, DateTimeOffset dueAt, DateTimeOffset now, string? error, bool succeeded, CancellationToken cancellationToken = default)
    {
        const string Sql = """
            UPDATE zendesk_api_work SET lease_owner = NULL, lease_until = NULL,
                due_at = CASE WHEN version = @Version THEN @dueAt ELSE @now END,
                attempts = CASE WHEN @succeeded OR version <> @Version THEN 0 ELSE attempts END,
                last_error = @error, updated_at = @now
            WHERE id = @Id AND lease_owner = @owner
            """;
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(Sql, new { row.Id, row.Version, owner, dueAt, now, error, succeeded }, cancellationToken: cancellationToken));
    }

    /// <summary>Drops a row that can never be applied (its ticket was not found after every search), if still ours.</summary>
    public async Task DropAsync(ApiWorkRow row, string owner, CancellationToken cancellationToken = default)
    {
        const string Sql = "DELETE FROM zendesk_api_work WHERE id = @Id AND lease_owner = @owner AND version = @Version";
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(Sql, new { row.Id, owner, row.Version }, cancellationToken: cancellationToken));
    }

    /// <summary>The unit's queued row, if any: when it is due, its attempts and its last error.</summary>
    public async Task<(DateTimeOffset DueAt, int Attempts, string? LastError)?> FindAsync(string accountId, string unitKey, CancellationToken cancellationToken = default)
    {
        const string Sql = "SELECT due_at AS DueAt, attempts AS Attempts, last_error AS LastError FROM zendesk_api_work WHERE account_id = @accountId AND unit_key = @unitKey";
        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<(DateTimeOffset DueAt, long Attempts, string? LastError)>(new CommandDefinition(Sql, new { accountId, unitKey }, cancellationToken: cancellationToken));
        return rows.Select(r => ((DateTimeOffset, int, string?)?)(r.DueAt, (int)r.Attempts, r.LastError)).FirstOrDefault();
    }

    /// <summary>Forgets the account's queued work, inside the caller's transaction (account purge).</summary>
    public async Task DeleteAccountAsync(DbConnection connection, DbTransaction transaction, string accountId)
    {
        const string Sql = "DELETE FROM zendesk_api_work WHERE account_id = @accountId";
        await connection.ExecuteAsync(Sql, new { accountId }, transaction);
    }

    /// <summary>Rows of the owned table, for the dashboard's table sizes.</summary>
    public static async Task<IReadOnlyList<TableRows>> RowCountsAsync(System.Data.Common.DbConnection connection) =>
        [new("zendesk_api_work", await Dapper.SqlMapper.ExecuteScalarAsync<long>(connection, "SELECT count(*) FROM zendesk_api_work"))];
}
