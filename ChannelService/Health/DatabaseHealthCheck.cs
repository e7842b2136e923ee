using ChannelService.Data;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace ChannelService.Health;

/// <summary>Readiness: the database opens and answers (it contacts nothing outside the service).</summary>
internal sealed partial class DatabaseHealthCheck(Database database, ILogger<DatabaseHealthCheck> logger) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await database.CheckAsync(cancellationToken);
            return HealthCheckResult.Healthy();
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogDatabaseUnreachable(logger, ex.GetType().Name, ex.Message);
            return HealthCheckResult.Unhealthy("database unreachable");
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Health check failed: database unreachable ({ErrorType}: {Error})")]
    private static partial void LogDatabaseUnreachable(ILogger logger, string errorType, string error);
}
