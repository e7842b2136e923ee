using ChannelService.Accounts;
using ChannelService.Events;
using ChannelService.Inbox;
using Flurl.Http.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace ChannelService.Zendesk;

internal static class ZendeskServiceCollectionExtensions
{
    /// <summary>The account registry, sealed secrets, outbox, Zendesk clients (one configured Flurl client per base URL), push worker, inbox and event stores.</summary>
    public static IServiceCollection AddZendeskPush(this IServiceCollection services)
    {
        services.AddSingleton<SecretSealer>();
        services.AddSingleton<AccountRegistry>();
        services.AddSingleton<PushCredentialsStore>();
        services.AddSingleton<InboxAccountStore>();
        services.AddSingleton<Outbox>();
        services.AddSingleton<IInboxBacklog>(sp => sp.GetRequiredService<Outbox>());
        services.TryAddSingleton<IFlurlClientCache, FlurlClientCache>();
        services.AddSingleton<ZendeskHttp>();
        services.AddSingleton<ZendeskClient>();
        services.AddSingleton<ServiceErrors>();
        services.AddSingleton<EventLog>();
        services.AddSingleton<ChannelbackErrorReporter>();
        services.AddSingleton<InboxReplySender>();
        services.AddSingleton<PushWorker>();
        services.AddHostedService(sp => sp.GetRequiredService<PushWorker>());
        return services;
    }
}
