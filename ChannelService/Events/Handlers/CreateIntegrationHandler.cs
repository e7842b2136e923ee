namespace ChannelService.Events.Handlers;

/// <summary><c>create_integration</c>: the installer app was installed; nothing to do.</summary>
internal sealed class CreateIntegrationHandler : IEventHandler
{
    public string TypeId => "create_integration";

    public Task<EventOutcome> HandleAsync(ZendeskEvent e, CancellationToken cancellationToken) => Task.FromResult(new EventOutcome("noted"));
}
