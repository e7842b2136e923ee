namespace ChannelService.Events.Handlers;

/// <summary><c>pull_request</c>: Zendesk's report of one pull, with <c>error</c> when it failed (spec §7).</summary>
internal sealed class PullRequestHandler : IEventHandler
{
    public string TypeId => "pull_request";

    public Task<EventOutcome> HandleAsync(ZendeskEvent e, CancellationToken cancellationToken) => Task.FromResult(RequestReport.Summarize(e));
}

/// <summary>The summary of a request report: its request id, and whether Zendesk says it failed (the error is logged beside it).</summary>
internal static class RequestReport
{
    public static EventOutcome Summarize(ZendeskEvent e)
    {
        var request = EventJson.Cut(EventJson.Text(e.Data["request_id"]) ?? "-", 64);
        return new EventOutcome(e.Error is null ? $"request {request}" : $"request {request} failed");
    }
}
