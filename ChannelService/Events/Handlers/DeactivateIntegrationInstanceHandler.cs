using ChannelService.Accounts;

namespace ChannelService.Events.Handlers;

/// <summary><c>deactivate_integration_instance</c>: kept with Zendesk's reason for the dashboard.</summary>
internal sealed class DeactivateIntegrationInstanceHandler(AccountRegistry registry) : IEventHandler
{
    public string TypeId => "deactivate_integration_instance";

    public async Task<EventOutcome> HandleAsync(ZendeskEvent e, CancellationToken cancellationToken)
    {
        if (e.Account is not { } account)
        {
            return EventOutcome.NotOurs;
        }

        var by = EventJson.Text(e.Data["deactivated_by"]) ?? "unknown";
        var reason = EventJson.Text(e.Data["deactivating_error"]) ?? e.Error ?? $"deactivated by {by}";
        return new EventOutcome(await registry.DeactivateAsync(account.AccountId, EventJson.Cut(reason, 1000), cancellationToken)
            ? $"account deactivated by {EventJson.Cut(by, 20)}"
            : "account not registered");
    }
}
