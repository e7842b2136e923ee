namespace ChannelService.Events.Handlers;

/// <summary><c>destroy_integration</c>: the installer app was removed; nothing to do.</summary>
internal sealed class DestroyIntegrationHandler : IEventHandler
{
    public string TypeId => "destroy_integration";

    public Task<EventOutcome> HandleAsync(ZendeskEvent e, CancellationToken cancellationToken) => Task.FromResult(new EventOutcome("noted"));
}
