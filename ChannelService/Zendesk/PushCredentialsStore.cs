using System.Data.Common;
using ChannelService.Accounts;
using ChannelService.Data;
using Dapper;

namespace ChannelService.Zendesk;

/// <summary>What the service needs to push for one account (spec §8): never logged, the token never rendered.</summary>
internal sealed record PushCredentials(string AccountId, string Subdomain, string InstancePushId, string Token)
{
    public override string ToString() => $"PushCredentials {{ AccountId = {AccountId}, Subdomain = {Subdomain}, InstancePushId = {InstancePushId}, Token = ******** }}";
}

/// <summary>
/// Owner of <c>push_credentials</c>: push credentials per account. The admin UI calls <see cref="SaveAsync"/> on
/// every create and edit, because Zendesk issues a new token each time (spec rule 4); the token is sealed with the key
/// ring before it is stored.
/// </summary>
internal sealed class PushCredentialsStore(Database database, SecretSealer sealer, TimeProvider time)
{
    public const int MaxSubdomainLength = 63;
    public const int MaxPushIdLength = 255;
    public const int MaxTokenLength = 2000;

    /// <summary>Stores (or replaces) the account's push credentials. Throws <see cref="ArgumentException"/> for values Zendesk would never send.</summary>
    public async Task SaveAsync(string accountId, string subdomain, string instancePushId, string token, CancellationToken cancellationToken = default)
    {
        if (!AccountIds.IsValid(accountId))
        {
            throw new ArgumentException("Not an account id.", nameof(accountId));
        }

        if (!IsValidSubdomain(subdomain))
        {
            throw new ArgumentException("subdomain must be 1-63 letters, digits or hyphens.", nameof(subdomain));
        }

        if (string.IsNullOrWhiteSpace(instancePushId) || instancePushId.Length > MaxPushIdLength || instancePushId.Any(char.IsControl))
        {
            throw new ArgumentException($"instance_push_id must be 1-{MaxPushIdLength} characters.", nameof(instancePushId));
        }

        if (string.IsNullOrWhiteSpace(token) || token.Length > MaxTokenLength || token.Any(char.IsControl))
        {
            throw new ArgumentException($"zendesk_access_token must be 1-{MaxTokenLength} characters.", nameof(token));
        }

        const string Sql = """
            INSERT INTO push_credentials (account_id, subdomain, instance_push_id, token_sealed, updated_at)
            VALUES (@accountId, @subdomain, @instancePushId, @Sealed, @Now)
            ON CONFLICT (account_id) DO UPDATE SET subdomain = excluded.subdomain, instance_push_id = excluded.instance_push_id,
                token_sealed = excluded.token_sealed, updated_at = excluded.updated_at
            """;
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(
            Sql,
            new { accountId, subdomain = subdomain.ToLowerInvariant(), instancePushId, Sealed = sealer.Seal(SecretSealer.PushTokenPurpose, accountId, token), Now = time.GetUtcNow() });
    }

    /// <summary>The account's credentials, or null when it has none (or the token no longer opens, e.g. its key was removed).</summary>
    public async Task<PushCredentials?> GetAsync(string accountId, CancellationToken cancellationToken = default)
    {
        const string Sql = "SELECT subdomain, instance_push_id, token_sealed FROM push_credentials WHERE account_id = @accountId";
        await using var connection = await database.OpenAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<(string Subdomain, string PushId, string Sealed)>(Sql, new { accountId });
        if (row.Sealed is null)
        {
            return null;
        }

        var token = sealer.Open(SecretSealer.PushTokenPurpose, accountId, row.Sealed);
        return token is null ? null : new PushCredentials(accountId, row.Subdomain, row.PushId, token);
    }

    public async Task<bool> HasAsync(string accountId, CancellationToken cancellationToken = default)
    {
        const string Sql = "SELECT COUNT(*) FROM push_credentials WHERE account_id = @accountId";
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<long>(Sql, new { accountId }) > 0;
    }

    /// <summary>Forgets the account's row, inside the caller's transaction (account purge).</summary>
    public async Task DeleteAccountAsync(DbConnection connection, DbTransaction transaction, string accountId)
    {
        const string Sql = "DELETE FROM push_credentials WHERE account_id = @accountId";
        await connection.ExecuteAsync(Sql, new { accountId }, transaction);
    }

    public static bool IsValidSubdomain(string? subdomain) =>
        subdomain is { Length: > 0 and <= MaxSubdomainLength } && subdomain.All(c => char.IsAsciiLetterOrDigit(c) || c == '-') && subdomain[0] != '-' && subdomain[^1] != '-';

    /// <summary>Rows of the owned table(s), for the dashboard's table sizes.</summary>
    public static async Task<IReadOnlyList<TableRows>> RowCountsAsync(System.Data.Common.DbConnection connection) =>
    [
        new("push_credentials", await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM push_credentials")),
    ];
}
