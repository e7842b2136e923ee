using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace ChannelService.ZendeskLink;

/// <summary>
/// The links in <c>/health</c>: a broken link makes the check Degraded (never Unhealthy: the pull does not depend on
/// the link, so the service stays healthy) and names the subdomain that needs "reconnect to Zendesk". Working links
/// are not listed, so the public health answer does not enumerate the service's customers.
/// </summary>
internal sealed class ZendeskLinkHealthCheck(ZendeskLinkStore store) : IHealthCheck
{
    public const string Name = "zendesk-links";

    public const string BrokenKey = "broken";

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var broken = (await store.ListAsync(cancellationToken)).Where(l => l.Broken).Select(l => l.Subdomain).ToArray();
        return broken.Length == 0
            ? HealthCheckResult.Healthy()
            : HealthCheckResult.Degraded("reconnect to Zendesk", data: new Dictionary<string, object> { [BrokenKey] = broken });
    }
}
