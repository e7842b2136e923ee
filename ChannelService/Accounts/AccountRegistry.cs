using System.Data.Common;
using ChannelService.Data;
using Dapper;

namespace ChannelService.Accounts;

/// <summary>One row of the account registry, as operators see it (no secrets).</summary>
internal sealed record AccountRecord
{
    public required string AccountId { get; init; }

    public required string Kind { get; init; }

    public string Name { get; init; } = "";

    public string? Subdomain { get; init; }

    public DateTimeOffset CreatedAt { get; init; }

    public DateTimeOffset UpdatedAt { get; init; }

    public DateTimeOffset? DeactivatedAt { get; init; }

    public string? LastError { get; init; }

    public DateTimeOffset? LastPullAt { get; init; }

    public string? LastPullResult { get; init; }
}

/// <summary>
/// Owner of <c>accounts</c>: the accounts the service knows (admin UI, CLI, create_integration_instance). Secrets
/// never live here: source credentials stay in Zendesk's encrypted metadata, push tokens and inbox secrets in their
/// own sealed tables.
/// </summary>
internal sealed class AccountRegistry(Database database, TimeProvider time)
{
    private const string Columns = """
        account_id AS AccountId, kind AS Kind, name AS Name, subdomain AS Subdomain, created_at AS CreatedAt,
        updated_at AS UpdatedAt, deactivated_at AS DeactivatedAt, last_error AS LastError,
        last_pull_at AS LastPullAt, last_pull_result AS LastPullResult
        """;

    /// <summary>Registers the account or refreshes its name, kind and subdomain; a re-created account is active again.</summary>
    public async Task UpsertAsync(AccountMetadata account, CancellationToken cancellationToken = default)
    {
        const string Sql = """
            INSERT INTO accounts (account_id, kind, name, subdomain, created_at, updated_at)
            VALUES (@AccountId, @Kind, @Name, @Subdomain, @CreatedAt, @Now)
            ON CONFLICT (account_id) DO UPDATE SET kind = excluded.kind, name = excluded.name,
                subdomain = COALESCE(excluded.subdomain, accounts.subdomain), updated_at = excluded.updated_at,
                deactivated_at = NULL, last_error = NULL
            """;
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(Sql, new { account.AccountId, Kind = account.Kind.ToWire(), Name = account.DisplayName ?? "", account.Subdomain, account.CreatedAt, Now = time.GetUtcNow() });
    }

    public async Task<IReadOnlyList<AccountRecord>> ListAsync(CancellationToken cancellationToken = default)
    {
        const string Sql = $"SELECT {Columns} FROM accounts ORDER BY created_at, account_id";
        await using var connection = await database.OpenAsync(cancellationToken);
        return (await connection.QueryAsync<AccountRecord>(Sql)).ToList();
    }

    public async Task<AccountRecord?> GetAsync(string accountId, CancellationToken cancellationToken = default)
    {
        const string Sql = $"SELECT {Columns} FROM accounts WHERE account_id = @accountId";
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<AccountRecord>(Sql, new { accountId });
    }

    /// <summary>Marks the account deactivated by Zendesk, keeping the error Zendesk gave for the dashboard.</summary>
    public async Task<bool> DeactivateAsync(string accountId, string? error, CancellationToken cancellationToken = default)
    {
        const string Sql = "UPDATE accounts SET deactivated_at = @Now, last_error = @error, updated_at = @Now WHERE account_id = @accountId";
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.ExecuteAsync(Sql, new { accountId, error, Now = time.GetUtcNow() }) > 0;
    }

    public async Task<bool> ActivateAsync(string accountId, CancellationToken cancellationToken = default)
    {
        const string Sql = "UPDATE accounts SET deactivated_at = NULL, last_error = NULL, updated_at = @Now WHERE account_id = @accountId";
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.ExecuteAsync(Sql, new { accountId, Now = time.GetUtcNow() }) > 0;
    }

    /// <summary>For the pull endpoint: when it last ran for the account and what came of it (shown on the dashboard).</summary>
    public async Task RecordPullAsync(string accountId, string result, CancellationToken cancellationToken = default)
    {
        const string Sql = "UPDATE accounts SET last_pull_at = @Now, last_pull_result = @result WHERE account_id = @accountId";
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(Sql, new { accountId, result, Now = time.GetUtcNow() });
    }

    /// <summary>
    /// Forgets the account's row, inside the caller's transaction. Purging an account (destroy_integration_instance)
    /// asks every table's owner in one transaction: see Events/AccountPurge.cs.
    /// </summary>
    public async Task DeleteAsync(DbConnection connection, DbTransaction transaction, string accountId)
    {
        const string Sql = "DELETE FROM accounts WHERE account_id = @accountId";
        await connection.ExecuteAsync(Sql, new { accountId }, transaction);
    }

    /// <summary>The ids of the accounts of a Zendesk subdomain (the change feed asks which threads of ours a ticket may hold).</summary>
    public async Task<IReadOnlyList<string>> AccountIdsForSubdomainAsync(string subdomain, CancellationToken cancellationToken = default)
    {
        const string Sql = "SELECT account_id FROM accounts WHERE lower(subdomain) = @subdomain ORDER BY account_id";
        await using var connection = await database.OpenAsync(cancellationToken);
        return (await connection.QueryAsync<string>(new CommandDefinition(Sql, new { subdomain = subdomain.ToLowerInvariant() }, cancellationToken: cancellationToken))).ToList();
    }

    /// <summary>Whether any registered account belongs to this Zendesk subdomain (events without metadata name only that).</summary>
    public async Task<bool> HasSubdomainAsync(string subdomain, CancellationToken cancellationToken = default)
    {
        const string Sql = "SELECT EXISTS (SELECT 1 FROM accounts WHERE lower(subdomain) = @subdomain)";
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<bool>(new CommandDefinition(Sql, new { subdomain = subdomain.ToLowerInvariant() }, cancellationToken: cancellationToken));
    }

    /// <summary>Rows of the owned table(s), for the dashboard's table sizes.</summary>
    public static async Task<IReadOnlyList<TableRows>> RowCountsAsync(System.Data.Common.DbConnection connection) =>
    [
        new("accounts", await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM accounts")),
    ];
}
