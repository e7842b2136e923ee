namespace ChannelService.Events.Handlers;

/// <summary><c>channelback</c>: Zendesk's report of one channelback, with <c>error</c> when it failed (spec §7).</summary>
internal sealed class ChannelbackReportHandler : IEventHandler
{
    public string TypeId => "channelback";

    public Task<EventOutcome> HandleAsync(ZendeskEvent e, CancellationToken cancellationToken) => Task.FromResult(RequestReport.Summarize(e));
}
