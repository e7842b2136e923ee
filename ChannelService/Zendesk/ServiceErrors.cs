using System.Data.Common;
using ChannelService.Data;
using Dapper;

namespace ChannelService.Zendesk;

/// <summary>An error the dashboard shows: where it came from and what an operator should know (never a secret).</summary>
internal sealed record ServiceError
{
    public long Id { get; init; }

    public DateTimeOffset At { get; init; }

    public string? AccountId { get; init; }

    public string Source { get; init; } = "";

    public string Message { get; init; } = "";
}

/// <summary>
/// Owner of <c>service_errors</c> (Data/Migrations/0005_outbox_events_inbox.sql): errors nobody else hears about,
/// shown on the dashboard. Its writers are the hand-over to Zendesk (failed pushes, parked items) and channelback's
/// failures on the source's side, so it lives beside the push worker.
/// </summary>
internal sealed class ServiceErrors(Database database, TimeProvider time)
{
    /// <summary>Rows kept; older ones are deleted as new ones arrive.</summary>
    public const int MaxEntries = 10_000;

    public async Task RecordAsync(string? accountId, string source, string message, CancellationToken cancellationToken = default)
    {
        const string Insert = "INSERT INTO service_errors (at, account_id, source, message) VALUES (@Now, @accountId, @source, @message)";
        const string Trim = "DELETE FROM service_errors WHERE id <= (SELECT MAX(id) FROM service_errors) - @MaxEntries";
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(Insert, new { Now = time.GetUtcNow(), accountId, source, message = message.Length <= 1000 ? message : message[..1000] });
        await connection.ExecuteAsync(Trim, new { MaxEntries });
    }

    public async Task<IReadOnlyList<ServiceError>> RecentAsync(int max, CancellationToken cancellationToken = default)
    {
        const string Sql = "SELECT id AS Id, at AS At, account_id AS AccountId, source AS Source, message AS Message FROM service_errors ORDER BY id DESC LIMIT @max";
        await using var connection = await database.OpenAsync(cancellationToken);
        return (await connection.QueryAsync<ServiceError>(Sql, new { max })).ToList();
    }

    /// <summary>Forgets the account's errors, inside the caller's transaction (account purge).</summary>
    public async Task DeleteAccountAsync(DbConnection connection, DbTransaction transaction, string accountId)
    {
        const string Sql = "DELETE FROM service_errors WHERE account_id = @accountId";
        await connection.ExecuteAsync(Sql, new { accountId }, transaction);
    }

    /// <summary>Retention (Data/Retention.cs): deletes up to <paramref name="batch"/> errors recorded before <paramref name="before"/>.</summary>
    public async Task<int> PruneAsync(DateTimeOffset before, int batch, CancellationToken cancellationToken = default)
    {
        const string Sql = "DELETE FROM service_errors WHERE id IN (SELECT id FROM service_errors WHERE at < @before ORDER BY at LIMIT @batch)";
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(Sql, new { before, batch }, cancellationToken: cancellationToken));
    }

    /// <summary>Rows of the owned table, for the dashboard's table sizes.</summary>
    public static async Task<IReadOnlyList<TableRows>> RowCountsAsync(DbConnection connection) =>
        [new("service_errors", await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM service_errors"))];
}
