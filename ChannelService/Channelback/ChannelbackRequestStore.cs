using System.Data.Common;
using System.Globalization;
using ChannelService.Data;
using Dapper;

namespace ChannelService.Channelback;

/// <summary>
/// Owner of <c>channelback_requests</c> (Data/Migrations/0006_channelback.sql): the channelback requests already
/// answered, by Zendesk's idempotency key <c>request_unique_identifier</c> (spec §4).
/// </summary>
internal sealed class ChannelbackRequestStore(Database database, TimeProvider time)
{
    /// <summary>The external id answered for this request before; null for a request not seen yet.</summary>
    public async Task<string?> RecordedAsync(string accountId, string requestId, CancellationToken cancellationToken)
    {
        const string Sql = "SELECT external_id FROM channelback_requests WHERE account_id = @accountId AND request_id = @requestId";
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<string?>(new CommandDefinition(Sql, new { accountId, requestId }, cancellationToken: cancellationToken));
    }

    /// <summary>Records the answer once the source accepted the reply; a repeat of the same request keeps the first.</summary>
    public async Task RecordAsync(string accountId, string requestId, string externalId, CancellationToken cancellationToken)
    {
        const string Sql = """
            INSERT INTO channelback_requests (account_id, request_id, external_id, created_at)
            VALUES (@accountId, @requestId, @externalId, @createdAt)
            ON CONFLICT (account_id, request_id) DO NOTHING
            """;
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            Sql,
            new { accountId, requestId, externalId, createdAt = time.GetUtcNow().ToString("O", CultureInfo.InvariantCulture) },
            cancellationToken: cancellationToken));
    }

    /// <summary>Forgets the account's requests, inside the caller's transaction (account purge).</summary>
    public async Task DeleteAccountAsync(DbConnection connection, DbTransaction transaction, string accountId)
    {
        const string Sql = "DELETE FROM channelback_requests WHERE account_id = @accountId";
        await connection.ExecuteAsync(Sql, new { accountId }, transaction);
    }
}
