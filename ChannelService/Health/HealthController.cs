using ChannelService.Data;
using ChannelService.Manifest;
using Dapper;
using Microsoft.AspNetCore.Mvc;

namespace ChannelService.Health;

/// <summary><c>GET /health</c> (the manifest's healthcheck_url): cheap readiness, the database is reachable.</summary>
[ApiController]
public sealed partial class HealthController(Database database, ILogger<HealthController> logger) : ControllerBase
{
    [HttpGet("/health")]
    public async Task<IActionResult> Get(CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = await database.OpenAsync(cancellationToken);
            await connection.ExecuteScalarAsync<int>("SELECT count(*) FROM store_info");
            return Ok(new HealthResponse("ok", "ok", ManifestRenderer.Version));
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogDatabaseUnreachable(logger, ex.GetType().Name, ex.Message);
            return StatusCode(StatusCodes.Status503ServiceUnavailable, new HealthResponse("unavailable", "unreachable", ManifestRenderer.Version));
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Health check failed: database unreachable ({ErrorType}: {Error})")]
    private static partial void LogDatabaseUnreachable(ILogger logger, string errorType, string error);

    public sealed record HealthResponse(string Status, string Database, string Version);
}
