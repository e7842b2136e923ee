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

/// <summary><c>activate_integration_instance</c>.</summary>
internal sealed class ActivateIntegrationInstanceHandler(AccountRegistry registry) : IEventHandler
{
    public string TypeId => "activate_integration_instance";

    public async Task<EventOutcome> HandleAsync(ZendeskEvent e, CancellationToken cancellationToken) =>
        e.Account is not { } account ? EventOutcome.NotOurs
        : new EventOutcome(await registry.ActivateAsync(account.AccountId, cancellationToken) ? "account active" : "account not registered");
}

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
