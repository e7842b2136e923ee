using Flurl.Http.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace ChannelService.Zendesk;

internal static class ZendeskServiceCollectionExtensions
{
    /// <summary>
    /// The hand-over to Zendesk: push credentials, the outbox, the Zendesk clients (one configured Flurl client per
    /// base URL), the push worker and the errors they report.
    /// </summary>
    public static IServiceCollection AddZendeskPush(this IServiceCollection services)
    {
        services.AddSingleton<PushCredentialsStore>();
        services.AddSingleton<Outbox>();
        services.AddSingleton<IInboxBacklog>(sp => sp.GetRequiredService<Outbox>());
        services.TryAddSingleton<IFlurlClientCache, FlurlClientCache>();
        services.AddSingleton<ZendeskHttp>();
        services.AddSingleton<ZendeskClient>();
        services.AddSingleton<ServiceErrors>();
        services.AddSingleton<PushWorker>();
        services.AddHostedService(sp => sp.GetRequiredService<PushWorker>());
        return services;
    }
}
