namespace ChannelService.Inbox;

internal static class InboxServiceCollectionExtensions
{
    /// <summary>Webhook inboxes: their registrations (signing secret, callback URL) and the sender of agents' replies.</summary>
    public static IServiceCollection AddInbox(this IServiceCollection services)
    {
        services.AddSingleton<InboxAccountStore>();
        services.AddSingleton<InboxReplySender>();
        return services;
    }
}
