using ChannelService.Accounts;

namespace ChannelService.Events.Handlers;

/// <summary><c>create_integration_instance</c>: an admin added an account; it becomes known to the service.</summary>
internal sealed class CreateIntegrationInstanceHandler(AccountRegistry registry) : IEventHandler
{
    public string TypeId => "create_integration_instance";

    public async Task<EventOutcome> HandleAsync(ZendeskEvent e, CancellationToken cancellationToken)
    {
        if (e.Account is not { } account)
        {
            return EventOutcome.NotOurs;
        }

        await registry.UpsertAsync(account.Subdomain is null && e.Subdomain is not null ? account with { Subdomain = e.Subdomain } : account, cancellationToken);
        return new EventOutcome("account registered");
    }
}
