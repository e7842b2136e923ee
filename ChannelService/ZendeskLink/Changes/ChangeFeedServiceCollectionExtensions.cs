namespace ChannelService.ZendeskLink.Changes;

internal static class ChangeFeedServiceCollectionExtensions
{
    /// <summary>
    /// The Zendesk change feed: its store, API calls, link observer, webhook endpoint (a controller) and worker.
    /// Consumers register <see cref="ITicketChangeHandler"/>s; writers of tickets record their writes through
    /// <see cref="IOwnTicketWrites"/>.
    /// </summary>
    public static IServiceCollection AddZendeskChangeFeed(this IServiceCollection services)
    {
        services.AddSingleton<ChangeFeedStore>();
        services.AddSingleton<IOwnTicketWrites>(sp => sp.GetRequiredService<ChangeFeedStore>());
        services.AddSingleton<ChangeFeedApi>();
        services.AddSingleton<TicketSnapshots>();
        services.AddSingleton<ChangeFeedLinks>();
        services.AddSingleton<IZendeskLinkObserver>(sp => sp.GetRequiredService<ChangeFeedLinks>());
        services.AddSingleton<ChangeFeedWorker>();
        services.AddHostedService(sp => sp.GetRequiredService<ChangeFeedWorker>());
        return services;
    }
}
