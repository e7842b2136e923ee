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

    /// <summary>
    /// Retention (Data/Retention.cs): deletes up to <paramref name="batch"/> requests answered before
    /// <paramref name="before"/>. Zendesk repeats a channelback with the same request_unique_identifier only after a
    /// network error (developer.zendesk.com/documentation/channel_framework/understanding-the-channel-framework/channelback/),
    /// and documents no retry window, so the retention (<c>Channel:ChannelbackRequestRetention</c>, 7 days by default,
    /// at least 1 day) is far longer than any network retry could take. Returns how many rows went.
    /// </summary>
    public async Task<int> PruneAsync(DateTimeOffset before, int batch, CancellationToken cancellationToken = default)
    {
        // created_at is written with the round-trip format ("O"), so the cutoff is compared in the same format.
        const string Sql = """
            DELETE FROM channelback_requests WHERE (account_id, request_id) IN (
                SELECT account_id, request_id FROM channelback_requests WHERE created_at < @cutoff ORDER BY created_at LIMIT @batch)
            """;
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(
            Sql, new { cutoff = before.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture), batch }, cancellationToken: cancellationToken));
    }

    /// <summary>Rows of the owned table, for the dashboard's table sizes.</summary>
    public static async Task<IReadOnlyList<TableRows>> RowCountsAsync(DbConnection connection) =>
        [new("channelback_requests", await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM channelback_requests"))];
}
