using System.Text.Json;
using ChannelService.Manifest;
using ChannelService.Web;
using ChannelService.ZendeskLink;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace ChannelService.Health;

/// <summary>
/// <c>GET /health</c> (the manifest's healthcheck_url) with ASP.NET Core health checks: cheap readiness, the database
/// is reachable. It answers <c>200 {"status":"ok","database":"ok","version":…}</c> or
/// <c>503 {"status":"unavailable","database":"unreachable","version":…}</c>, with <c>"database_kind"</c> (<c>sqlite</c> or
/// <c>postgresql</c>) after <c>"database"</c>. <c>POST /health</c>, the probe of one
/// account's source, is <see cref="HealthProbeController"/>.
/// </summary>
internal static class HealthEndpoints
{
    private const string DatabaseCheck = "database";

    public static IServiceCollection AddServiceHealthChecks(this IServiceCollection services)
    {
        services.AddHealthChecks().AddCheck<DatabaseHealthCheck>(DatabaseCheck).AddCheck<ZendeskLinkHealthCheck>(ZendeskLinkHealthCheck.Name);
        return services;
    }

    public static IEndpointRouteBuilder MapServiceHealthChecks(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapHealthChecks("/health", new HealthCheckOptions
        {
            ResultStatusCodes =
            {
                [HealthStatus.Healthy] = StatusCodes.Status200OK,
                [HealthStatus.Degraded] = StatusCodes.Status200OK,
                [HealthStatus.Unhealthy] = StatusCodes.Status503ServiceUnavailable,
            },

            // The answer's headers stay as they were before health checks answered it.
            AllowCachingResponses = true,
            ResponseWriter = WriteAsync,
        })
        .WithMetadata(new HttpMethodMetadata([HttpMethods.Get]));
        return endpoints;
    }

    private static Task WriteAsync(HttpContext context, HealthReport report)
    {
        var kind = context.RequestServices.GetRequiredService<ChannelService.Data.Database>().Kind;
        var healthy = report.Status != HealthStatus.Unhealthy;
        var database = report.Entries.TryGetValue(DatabaseCheck, out var entry) && entry.Status != HealthStatus.Unhealthy;

        // A broken Zendesk link is reported, not failed: the pull keeps working without it.
        var broken = report.Entries.TryGetValue(ZendeskLinkHealthCheck.Name, out var links) && links.Data.TryGetValue(ZendeskLinkHealthCheck.BrokenKey, out var names)
            ? ((string[])names).Select(s => new BrokenLink(s, "broken", "reconnect to Zendesk")).ToList()
            : null;
        context.Response.ContentType = "application/json; charset=utf-8";
        return context.Response.WriteAsync(JsonSerializer.Serialize(
            new HealthResponse(healthy ? "ok" : "unavailable", database ? "ok" : "unreachable", kind, ManifestRenderer.Version) { ZendeskLinks = broken },
            JsonDefaults.Options));
    }

    /// <param name="DatabaseKind"><c>sqlite</c> or <c>postgresql</c> (<c>Channel:Database</c>).</param>
    private sealed record HealthResponse(string Status, string Database, string DatabaseKind, string Version)
    {
        /// <summary>Only when a link is broken: the subdomains whose link needs reconnecting.</summary>
        public IReadOnlyList<BrokenLink>? ZendeskLinks { get; init; }
    }

    private sealed record BrokenLink(string Subdomain, string State, string Action);
}
