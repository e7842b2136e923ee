using ChannelService.Accounts;

namespace ChannelService.Events.Handlers;

/// <summary><c>activate_integration_instance</c>.</summary>
internal sealed class ActivateIntegrationInstanceHandler(AccountRegistry registry) : IEventHandler
{
    public string TypeId => "activate_integration_instance";

    public async Task<EventOutcome> HandleAsync(ZendeskEvent e, CancellationToken cancellationToken) =>
        e.Account is not { } account ? EventOutcome.NotOurs
        : new EventOutcome(await registry.ActivateAsync(account.AccountId, cancellationToken) ? "account active" : "account not registered");
}
