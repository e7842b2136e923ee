using ChannelService.Configuration;
using ChannelService.Dashboard;
using Microsoft.Extensions.Options;

namespace ChannelService.Metrics;

/// <summary>
/// In front of the Prometheus exporter at <c>/metrics</c>: the dashboard's credentials (<see cref="DashboardAccess"/>),
/// 404 when the dashboard is off, 401 with the Basic challenge without them; then one read of the outbox backlog so
/// the scrape's gauges are current. Built with the pipeline at start, it also creates the meter's instruments before
/// the first scrape (the outbox gauges exist from then on).
/// </summary>
internal sealed class MetricsAccessMiddleware(RequestDelegate next, IOptions<ChannelOptions> options, ServiceMetrics metrics)
{
    public async Task InvokeAsync(HttpContext context)
    {
        switch (DashboardAccess.Check(context.Request.Headers.Authorization, options.Value))
        {
            case DashboardAccess.Verdict.Off:
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return;
            case DashboardAccess.Verdict.Denied:
                context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                context.Response.Headers.WWWAuthenticate = DashboardAccess.Challenge;
                return;
            default:
                context.Response.Headers.CacheControl = "no-store";
                await metrics.RefreshBacklogAsync(context.RequestAborted);
                await next(context);
                return;
        }
    }
}
