using ChannelService.Configuration;
using Dapper;
using Microsoft.Extensions.Options;

namespace ChannelService.Data;

/// <summary>An instance as the dashboard lists it.</summary>
internal sealed record ServiceInstanceRow
{
    public string Name { get; init; } = "";

    public string Version { get; init; } = "";

    public DateTimeOffset StartedAt { get; init; }

    public DateTimeOffset LastSeenAt { get; init; }
}

/// <summary>
/// Owner of <c>service_instances</c> (Data/Migrations/0014_service_instances.sql): the instances sharing the database,
/// each with the time it last said it was alive. This instance's name is <c>Channel:InstanceName</c>, by default the
/// machine's name (set it when one machine runs several instances, as deploy/channelservice@.service does).
/// </summary>
internal sealed class InstanceRegistry(Database database, IOptions<ChannelOptions> options)
{
    /// <summary>Rows of the owned table, for the dashboard's table sizes.</summary>
    public static async Task<IReadOnlyList<TableRows>> RowCountsAsync(System.Data.Common.DbConnection connection) =>
        [new("service_instances", await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM service_instances"))];

    public string Name { get; } = string.IsNullOrWhiteSpace(options.Value.InstanceName) ? Environment.MachineName : options.Value.InstanceName.Trim();

    public async Task BeatAsync(string version, DateTimeOffset startedAt, DateTimeOffset now, CancellationToken cancellationToken)
    {
        const string Sql = """
            INSERT INTO service_instances (name, version, started_at, last_seen_at) VALUES (@Name, @version, @startedAt, @now)
            ON CONFLICT (name) DO UPDATE SET version = excluded.version, started_at = excluded.started_at, last_seen_at = excluded.last_seen_at
            """;
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(Sql, new { Name, version, startedAt, now }, cancellationToken: cancellationToken));
    }

    public async Task<IReadOnlyList<ServiceInstanceRow>> ListAsync(CancellationToken cancellationToken)
    {
        const string Sql = "SELECT name AS Name, version AS Version, started_at AS StartedAt, last_seen_at AS LastSeenAt FROM service_instances ORDER BY name";
        await using var connection = await database.OpenAsync(cancellationToken);
        return (await connection.QueryAsync<ServiceInstanceRow>(new CommandDefinition(Sql, cancellationToken: cancellationToken))).ToList();
    }
}

/// <summary>Writes this instance's row at start and every <see cref="Interval"/>.</summary>
internal sealed partial class InstanceHeartbeat(InstanceRegistry registry, TimeProvider time, ILogger<InstanceHeartbeat> logger) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(30);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var started = time.GetUtcNow();
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await registry.BeatAsync(ChannelService.Manifest.ManifestRenderer.Version, started, time.GetUtcNow(), stoppingToken);
                await Task.Delay(Interval, time, stoppingToken);
            }
            catch (Exception) when (stoppingToken.IsCancellationRequested)
            {
                // Stopping: a wait or a query cut short (cancelled, or its signal already disposed by the container
                // during a failed start-up) is the stop, not a failure worth a stack trace.
                return;
            }
            catch (System.Data.Common.DbException ex)
            {
                LogBeatFailed(logger, ex.Message);
                await WorkerPause.AfterFailureAsync(Interval, time, stoppingToken);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not record this instance as alive: {Error}")]
    private static partial void LogBeatFailed(ILogger logger, string error);
}
