using ChannelService.ZendeskLink;
using ChannelService.ZendeskLink.Changes;

namespace ChannelService.AgentCalendars;

internal static class AgentCalendarServiceCollectionExtensions
{
    /// <summary>
    /// Agents' calendars (issue 19): the store, the change feed handler, the first sync, the feed endpoint's service.
    /// Needs the Zendesk link, its API client and the change feed.
    /// </summary>
    public static IServiceCollection AddAgentCalendars(this IServiceCollection services)
    {
        services.AddSingleton<AgentCalendarStore>();
        services.AddSingleton<AgentCalendarTokens>();
        services.AddSingleton<AgentCalendarFeed>();
        services.AddSingleton<AgentTaskListFeed>();
        services.AddSingleton<AgentTaskUpdater>();
        services.AddSingleton<AgentCalendarService>();
        services.AddSingleton<ITicketChangeHandler, AgentCalendarChangeHandler>();
        services.AddSingleton<AgentCalendarSyncWorker>();
        services.AddSingleton<IZendeskLinkObserver>(sp => sp.GetRequiredService<AgentCalendarSyncWorker>());
        services.AddHostedService(sp => sp.GetRequiredService<AgentCalendarSyncWorker>());

        // v2: straight into agents' CalDAV calendars.
        services.AddSingleton<AgentCalDavStore>();
        services.AddSingleton<AgentCalDavSignal>();
        services.AddSingleton<AgentCalDavPusher>();
        services.AddHostedService(sp => new AgentCalDavWorker(
            new Lazy<AgentCalDavPusher>(sp.GetRequiredService<AgentCalDavPusher>),
            sp.GetRequiredService<AgentCalDavSignal>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<AgentCalDavWorker>>()));
        return services;
    }
}
