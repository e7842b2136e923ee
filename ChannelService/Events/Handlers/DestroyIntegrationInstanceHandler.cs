using ChannelService.Accounts;
using ChannelService.Zendesk;
using ChannelService.ZendeskLink;

namespace ChannelService.Events.Handlers;

/// <summary>
/// <c>destroy_integration_instance</c>: the account was removed in Zendesk; what we store about it goes. When it was
/// the last account of its subdomain, the subdomain's Zendesk link goes too (its observers are told first): the
/// integration is gone from that Zendesk, and a link serves only its accounts.
/// </summary>
internal sealed class DestroyIntegrationInstanceHandler(AccountPurge purge, AccountRegistry registry, ZendeskLinkManager links) : IEventHandler
{
    public string TypeId => "destroy_integration_instance";

    public async Task<EventOutcome> HandleAsync(ZendeskEvent e, CancellationToken cancellationToken)
    {
        if (e.Account is not { } account)
        {
            return EventOutcome.NotOurs;
        }

        var subdomain = (await registry.GetAsync(account.AccountId, cancellationToken))?.Subdomain ?? account.Subdomain;
        await purge.PurgeAsync(account.AccountId, cancellationToken);
        if (PushCredentialsStore.IsValidSubdomain(subdomain) && !await registry.HasSubdomainAsync(subdomain!, cancellationToken)
            && (await links.UnlinkAsync(subdomain!, cancellationToken)).Existed)
        {
            return new EventOutcome("account and its data purged; its subdomain's Zendesk link removed (no account left)");
        }

        return new EventOutcome("account and its data purged");
    }
}
