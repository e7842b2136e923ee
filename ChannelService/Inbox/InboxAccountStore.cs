using System.Data.Common;
using System.Security.Cryptography;
using ChannelService.Accounts;
using ChannelService.Data;
using Dapper;

namespace ChannelService.Inbox;

/// <summary>An inbox account's callback URL and signing secret (opened), for verifying and replying.</summary>
internal sealed record InboxAccount(string AccountId, Uri CallbackUrl, string Secret)
{
    public override string ToString() => $"InboxAccount {{ AccountId = {AccountId}, CallbackUrl = {CallbackUrl}, Secret = ******** }}";
}

/// <summary>
/// Owner of <c>inbox_accounts</c>: <c>POST /inbox/{account id}</c> carries no metadata, so the signing secret must
/// live here, sealed with the key ring. The secret is shown once (admin UI, CLI) and can only be replaced, not read back.
/// </summary>
internal sealed class InboxAccountStore(Database database, SecretSealer sealer, TimeProvider time)
{
    /// <summary>Registers the account (or replaces its callback URL) with a fresh secret, which is returned to show once.</summary>
    public async Task<string> RegisterAsync(string accountId, Uri callbackUrl, CancellationToken cancellationToken = default)
    {
        const string Sql = """
            INSERT INTO inbox_accounts (account_id, callback_url, secret_sealed, updated_at) VALUES (@accountId, @Url, @Sealed, @Now)
            ON CONFLICT (account_id) DO UPDATE SET callback_url = excluded.callback_url, secret_sealed = excluded.secret_sealed, updated_at = excluded.updated_at
            """;
        var secret = NewSecret();
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(
            Sql,
            new { accountId, Url = callbackUrl.AbsoluteUri, Sealed = sealer.Seal(SecretSealer.InboxSecretPurpose, accountId, secret), Now = time.GetUtcNow() });
        return secret;
    }

    /// <summary>Points a registered account at a new callback URL, keeping its secret; false when it is not registered.</summary>
    public async Task<bool> UpdateCallbackAsync(string accountId, Uri callbackUrl, CancellationToken cancellationToken = default)
    {
        const string Sql = "UPDATE inbox_accounts SET callback_url = @Url, updated_at = @Now WHERE account_id = @accountId";
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.ExecuteAsync(
            Sql,
            new { accountId, Url = callbackUrl.AbsoluteUri, Now = time.GetUtcNow() }) > 0;
    }

    /// <summary>Replaces the secret; null when the account is not an inbox account of ours.</summary>
    public async Task<string?> RotateSecretAsync(string accountId, CancellationToken cancellationToken = default)
    {
        const string Sql = "UPDATE inbox_accounts SET secret_sealed = @Sealed, updated_at = @Now WHERE account_id = @accountId";
        var secret = NewSecret();
        await using var connection = await database.OpenAsync(cancellationToken);
        var changed = await connection.ExecuteAsync(
            Sql,
            new { accountId, Sealed = sealer.Seal(SecretSealer.InboxSecretPurpose, accountId, secret), Now = time.GetUtcNow() });
        return changed > 0 ? secret : null;
    }

    public async Task<InboxAccount?> GetAsync(string accountId, CancellationToken cancellationToken = default)
    {
        const string Sql = "SELECT callback_url, secret_sealed FROM inbox_accounts WHERE account_id = @accountId";
        if (!AccountIds.IsValid(accountId))
        {
            return null;
        }

        await using var connection = await database.OpenAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<(string Url, string Sealed)>(Sql, new { accountId });
        if (row.Sealed is null)
        {
            return null;
        }

        var secret = sealer.Open(SecretSealer.InboxSecretPurpose, accountId, row.Sealed);
        return secret is null ? null : new InboxAccount(accountId, new Uri(row.Url), secret);
    }

    /// <summary>Forgets the account's row, inside the caller's transaction (account purge).</summary>
    public async Task DeleteAccountAsync(DbConnection connection, DbTransaction transaction, string accountId)
    {
        const string Sql = "DELETE FROM inbox_accounts WHERE account_id = @accountId";
        await connection.ExecuteAsync(Sql, new { accountId }, transaction);
    }

    /// <summary>256 random bits, base64url: typed into the sender's configuration and used as a literal UTF-8 HMAC key.</summary>
    private static string NewSecret() => "isk_" + System.Buffers.Text.Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));

    /// <summary>Rows of the owned table(s), for the dashboard's table sizes.</summary>
    public static async Task<IReadOnlyList<TableRows>> RowCountsAsync(System.Data.Common.DbConnection connection) =>
    [
        new("inbox_accounts", await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM inbox_accounts")),
    ];
}
