using ChannelService.Events.Handlers;

namespace ChannelService.Events;

internal static class EventsServiceCollectionExtensions
{
    /// <summary>The event callback: one handler per event type, the factory that picks one, and the event stores.</summary>
    public static IServiceCollection AddEvents(this IServiceCollection services)
    {
        services.AddSingleton<IEventHandler, CreateIntegrationInstanceHandler>();
        services.AddSingleton<IEventHandler, DestroyIntegrationInstanceHandler>();
        services.AddSingleton<IEventHandler, ActivateIntegrationInstanceHandler>();
        services.AddSingleton<IEventHandler, DeactivateIntegrationInstanceHandler>();
        services.AddSingleton<IEventHandler, DestroyUserIdentityHandler>();
        services.AddSingleton<IEventHandler, ResourcesCreatedHandler>();
        services.AddSingleton<IEventHandler, PullRequestHandler>();
        services.AddSingleton<IEventHandler, ChannelbackReportHandler>();
        services.AddSingleton<IEventHandler, CreateIntegrationHandler>();
        services.AddSingleton<IEventHandler, DestroyIntegrationHandler>();
        services.AddSingleton<EventHandlerFactory>();
        services.AddSingleton<EventDispatcher>();
        services.AddSingleton<AccountPurge>();
        services.AddSingleton<EventLog>();
        services.AddSingleton<TicketLinkStore>();
        services.AddSingleton<UnverifiedEvents>();
        return services;
    }
}
