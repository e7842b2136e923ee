namespace ChannelService.Events.Handlers;

/// <summary><c>destroy_integration_instance</c>: the account was removed in Zendesk; what we store about it goes.</summary>
internal sealed class DestroyIntegrationInstanceHandler(AccountPurge purge) : IEventHandler
{
    public string TypeId => "destroy_integration_instance";

    public async Task<EventOutcome> HandleAsync(ZendeskEvent e, CancellationToken cancellationToken)
    {
        if (e.Account is not { } account)
        {
            return EventOutcome.NotOurs;
        }

        await purge.PurgeAsync(account.AccountId, cancellationToken);
        return new EventOutcome("account and its data purged");
    }
}
