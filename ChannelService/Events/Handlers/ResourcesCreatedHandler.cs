using System.Globalization;
using System.Text.Json.Nodes;
using ChannelService.Pull;
using ChannelService.Tickets;
using ChannelService.Zendesk;
using ChannelService.ZendeskLink.Work;

namespace ChannelService.Events.Handlers;

/// <summary>
/// <c>resources_created_from_external_ids</c>: which ticket each resource of a pull or push became. It carries no
/// metadata, so an id counts only when its thread is one this service issued (the pull mirror or the outbox holds
/// it); anything else a caller names is ignored, and the links stay one per thread of ours. A follow-up ticket's
/// event replaces the closed ticket's link. A link is only a claim: the Zendesk link's API worker confirms the ticket
/// through the API before it changes it (ZendeskLink/Work/ApiWorker.cs); here the unit's queued API work is made due
/// at once, since its ticket now exists.
/// </summary>
internal sealed class ResourcesCreatedHandler(TicketLinkStore links, PullMirrorStore mirror, Outbox outbox, ApiWorkStore apiWork, ApiWorkSignal apiWorkSignal, TimeProvider time) : IEventHandler
{
    /// <summary>A batch names at most this many ids we look up; Zendesk reports one per resource of a response (≤ 200).</summary>
    private const int MaxIdsPerEvent = 256;

    public string TypeId => "resources_created_from_external_ids";

    public async Task<EventOutcome> HandleAsync(ZendeskEvent e, CancellationToken cancellationToken)
    {
        var linked = 0;
        var requestId = EventJson.Text(e.Data["request_id"]) is { } id ? EventJson.Cut(id, 64) : null;
        foreach (var item in (e.Data["resource_events"] as JsonArray ?? []).Take(MaxIdsPerEvent))
        {
            if (EventJson.Text(item?["external_id"]) is not { } externalId || EventJson.Number(item?["ticket_id"]) is not { } ticket
                || !ExternalIdShape.TryParse(externalId, out var accountId, out var unitKey))
            {
                continue;
            }

            var threadId = ExternalIds.ThreadId(accountId, unitKey);
            if (await mirror.ItemKeyOfAsync(accountId, unitKey, cancellationToken) is null && !await outbox.HasThreadAsync(accountId, threadId, cancellationToken))
            {
                continue;
            }

            await links.LinkAsync(accountId, threadId, ticket, EventJson.Number(item?["comment_id"]), externalId, requestId, e.ReceivedAt, cancellationToken);
            linked++;
            if (await apiWork.BringForwardAsync(accountId, unitKey, time.GetUtcNow(), cancellationToken))
            {
                apiWorkSignal.Wake();
            }
        }

        return new EventOutcome(string.Create(CultureInfo.InvariantCulture, $"{linked} external id(s) linked to tickets"), NamesOurs: linked > 0);
    }
}
