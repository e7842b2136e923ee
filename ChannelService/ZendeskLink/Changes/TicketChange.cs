namespace ChannelService.ZendeskLink.Changes;

/// <summary>Which tickets a handler wants to hear about.</summary>
internal enum TicketScope
{
    /// <summary>
    /// Only Channel Framework tickets this service created (<see cref="TicketChange.Origin"/> set): the two-way status.
    /// The feed never re-reads or passes on anybody else's ticket for such a handler.
    /// </summary>
    OwnTickets,

    /// <summary>Every ticket of the linked Zendesk account (agents' calendars list task tickets of any origin).</summary>
    AllTickets,
}

/// <summary>The Channel Framework thread of ours a ticket holds, from the service's own ticket links (never from the delivery).</summary>
internal sealed record TicketOrigin(string AccountId, string ThreadId, string ExternalId);

/// <summary>
/// A verified snapshot of one Zendesk ticket, read by the service through the REST API (a webhook delivery is only a
/// nudge to re-read; the incremental export carries the same ticket object). Field names and values are the API's own
/// (https://developer.zendesk.com/api-reference/ticketing/tickets/tickets/#json-format): <see cref="Status"/> is one of
/// <c>new open pending hold solved closed</c> (or <c>deleted</c> in the export), <see cref="Type"/> one of
/// <c>problem incident question task</c> or null; the API's enums are not localised, unlike trigger placeholders.
/// </summary>
/// <param name="UpdatedAt">The ticket's own <c>updated_at</c>: the version of this snapshot. The feed passes a ticket's snapshots on in
/// increasing order and never the same version twice to a handler that completed it.</param>
/// <param name="ViaChannel">The ticket's <c>via.channel</c> (how it was created): <c>any_channel</c> for a Channel Framework ticket.</param>
/// <param name="ChangedByUs">
/// True when this version is the answer to a write the service made itself (<see cref="IOwnTicketWrites"/>): the
/// <c>updated_at</c> Zendesk returned for our own update equals the snapshot's. Deliberately not decided by the
/// audit's <c>author_id</c>: an OAuth token acts as the admin who authorised it, who also edits tickets by hand,
/// so "the API user" would mistake a person's change for ours (README, "Zendesk link: change feed").
/// </param>
/// <param name="Origin">Set when the ticket is a Channel Framework ticket of this integration; null for any other ticket.</param>
/// <param name="Subject">The ticket's <c>subject</c> (agents' calendars show it); null when absent.</param>
/// <param name="Priority">The ticket's <c>priority</c>: <c>urgent high normal low</c> or null.</param>
/// <param name="RequesterId">The ticket's <c>requester_id</c>.</param>
internal sealed record TicketChange(
    string Subdomain,
    long TicketId,
    string Status,
    string? Type,
    DateTimeOffset? DueAt,
    long? AssigneeId,
    DateTimeOffset UpdatedAt,
    string? ExternalId,
    string? ViaChannel,
    IReadOnlyList<string> Tags,
    bool ChangedByUs,
    TicketOrigin? Origin,
    string? Subject = null,
    string? Priority = null,
    long? RequesterId = null)
{
    public bool IsOurs => Origin is not null;
}

/// <summary>
/// A consumer of the Zendesk change feed (two-way status, agents' calendars). Register any number with
/// <c>services.AddSingleton&lt;ITicketChangeHandler, T&gt;()</c>. Delivery is at least once, per handler, from a durable
/// queue: a handler that throws gets the change again later (with back-off), after a restart too, and a newer
/// snapshot of the same ticket replaces a waiting older one. Handlers must be idempotent.
/// </summary>
internal interface ITicketChangeHandler
{
    /// <summary>A stable key for this handler's rows in the durable queue; changing it drops what waits under the old one.</summary>
    string Name { get; }

    TicketScope Scope { get; }

    Task HandleAsync(TicketChange change, CancellationToken cancellationToken);
}

/// <summary>
/// Where a service-made ticket update is written down, so its echo in the feed is recognised
/// (<see cref="TicketChange.ChangedByUs"/>). Every client that updates tickets calls it with the <c>updated_at</c> of
/// Zendesk's answer to the update.
/// </summary>
internal interface IOwnTicketWrites
{
    Task RecordAsync(string subdomain, long ticketId, DateTimeOffset updatedAt, CancellationToken cancellationToken);
}
