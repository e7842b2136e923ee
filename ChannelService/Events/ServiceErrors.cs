using ChannelService.Data;
using Dapper;

namespace ChannelService.Events;

/// <summary>An error the dashboard shows: where it came from and what an operator should know (never a secret).</summary>
internal sealed record ServiceError
{
    public long Id { get; init; }

    public DateTimeOffset At { get; init; }

    public string? AccountId { get; init; }

    public string Source { get; init; } = "";

    public string Message { get; init; } = "";
}

/// <summary>Errors nobody else hears about: failed pushes, parked items, asynchronous channelback failures without push.</summary>
internal sealed class ServiceErrors(Database database, TimeProvider time)
{
    public async Task RecordAsync(string? accountId, string source, string message, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(
            "INSERT INTO service_errors (at, account_id, source, message) VALUES (@Now, @accountId, @source, @message)",
            new { Now = time.GetUtcNow(), accountId, source, message = message.Length <= 1000 ? message : message[..1000] });
        await connection.ExecuteAsync("DELETE FROM service_errors WHERE id <= (SELECT MAX(id) FROM service_errors) - 10000");
    }

    public async Task<IReadOnlyList<ServiceError>> RecentAsync(int max, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return (await connection.QueryAsync<ServiceError>(
            "SELECT id AS Id, at AS At, account_id AS AccountId, source AS Source, message AS Message FROM service_errors ORDER BY id DESC LIMIT @max",
            new { max })).ToList();
    }
}
