using ChannelService.ZendeskLink.Changes;

namespace ChannelService.ZendeskLink.Status;

internal static class StatusSyncServiceCollectionExtensions
{
    /// <summary>
    /// The two-way task status (issue 18 §2–4): its store, the change feed's handler for the Zendesk side, and the
    /// pull's part for the source side (README, "Two-way task status").
    /// </summary>
    public static IServiceCollection AddTaskStatusSync(this IServiceCollection services)
    {
        services.AddSingleton<StatusSyncStore>();
        services.AddSingleton<TaskStatusSync>();
        services.AddSingleton<ITicketChangeHandler, TicketStatusHandler>();
        return services;
    }
}
