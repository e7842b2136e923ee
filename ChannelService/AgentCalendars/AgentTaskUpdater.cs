using System.Globalization;
using ChannelService.Zendesk;
using ChannelService.ZendeskLink.Api;
using ChannelService.ZendeskLink.Changes;

namespace ChannelService.AgentCalendars;

/// <summary>
/// Turns a ticket snapshot (from the change feed or the first sync) into the calendars' row, by Cronofy's delete rule:
/// a ticket is in its assignee's feed while it is open (not solved, closed or deleted), of type <c>task</c>, has a
/// <c>due_at</c> and an <c>assignee_id</c>. Anything else takes it out of every feed; a new assignee moves it.
/// </summary>
internal sealed partial class AgentTaskUpdater(AgentCalendarStore store, ZendeskApiClient api, AgentCalDavSignal calDav, ILogger<AgentTaskUpdater> logger)
{
    private static readonly HashSet<string> ClosedStatuses = new(["solved", "closed", "deleted"], StringComparer.OrdinalIgnoreCase);

    /// <summary>The delete rule's complement: whether the ticket belongs in its assignee's feed.</summary>
    public static bool InFeed(TicketChange change) =>
        !ClosedStatuses.Contains(change.Status)
        && string.Equals(change.Type, "task", StringComparison.OrdinalIgnoreCase)
        && change.DueAt is not null
        && change.AssigneeId is not null;

    public async Task<AgentTask?> ApplyAsync(TicketChange change, CancellationToken cancellationToken)
    {
        var inFeed = InFeed(change);
        var current = await store.TaskAsync(change.Subdomain, change.TicketId, cancellationToken);
        if (current is null && !inFeed)
        {
            return null;
        }

        string? requesterName = null;
        if (inFeed && change.RequesterId is { } requesterId)
        {
            requesterName = current is { RequesterName: { } known } && current.RequesterId == requesterId
                ? known
                : await RequesterNameAsync(change.Subdomain, requesterId, cancellationToken);
        }

        var stored = await store.ApplyAsync(new AgentTask
        {
            Subdomain = change.Subdomain,
            TicketId = change.TicketId,
            AssigneeId = change.AssigneeId,
            DueAt = change.DueAt,
            Subject = change.Subject,
            Status = change.Status,
            Priority = change.Priority,
            RequesterId = change.RequesterId,
            RequesterName = inFeed ? requesterName : current?.RequesterName,
            UpdatedAt = change.UpdatedAt,
            InFeed = inFeed,
        }, cancellationToken);

        // Agents' CalDAV calendars catch up at once (their worker compares what it wrote with the stored tasks).
        if (stored is not null && (current is null || !current.SameEventAs(stored) || current.Sequence != stored.Sequence))
        {
            calDav.Wake();
        }

        return stored;
    }

    /// <summary>
    /// The requester's name through "Show User" (<c>GET /api/v2/users/{id}</c>,
    /// https://developer.zendesk.com/api-reference/ticketing/users/users/#show-user, scope <c>users:read</c> or
    /// <c>read</c>). Null when it cannot be read: the event then says "user {id}" and the next change tries again.
    /// </summary>
    private async Task<string?> RequesterNameAsync(string subdomain, long requesterId, CancellationToken cancellationToken)
    {
        var result = await api.SendAsync(subdomain, "users/{id}", new ZendeskRequest(HttpMethod.Get, ["api", "v2", "users", requesterId.ToString(CultureInfo.InvariantCulture)]), cancellationToken);
        if (!result.Ok)
        {
            LogRequesterUnknown(logger, subdomain, requesterId, result.Message);
            return null;
        }

        return ZendeskApiClient.Text(result.Body?["user"]?["name"]) is { Length: > 0 and <= 255 } name ? name : null;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Requester {RequesterId} of {Subdomain} could not be read for agents' calendars: {Reason}")]
    private static partial void LogRequesterUnknown(ILogger logger, string subdomain, long requesterId, string reason);
}

/// <summary>The change feed's consumer for agents' calendars: every ticket of the linked account (task tickets of any origin).</summary>
internal sealed class AgentCalendarChangeHandler(AgentTaskUpdater updater) : ITicketChangeHandler
{
    public string Name => "agent-calendars";

    public TicketScope Scope => TicketScope.AllTickets;

    public Task HandleAsync(TicketChange change, CancellationToken cancellationToken) => updater.ApplyAsync(change, cancellationToken);
}
