using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using ChannelService.Calendars;

namespace ChannelService.ZendeskLink.Tickets;

/// <summary>
/// What the service last set on one ticket, per property (<c>zendesk_ticket_properties.applied</c>). A property is
/// sent only when the item's value differs from this: an agent who changed the priority in Zendesk keeps it until
/// the item's own PRIORITY changes.
/// </summary>
internal sealed record AppliedProperties
{
    public string? Type { get; init; }

    public DateTimeOffset? DueAt { get; init; }

    public string? Priority { get; init; }

    /// <summary>The category tags the service added (and so may remove).</summary>
    public IReadOnlyList<string> Tags { get; init; } = [];

    /// <summary>The state tag the service added last (<c>event_upcoming</c> … or <c>task_overdue</c>); null for none.</summary>
    public string? StateTag { get; init; }

    /// <summary>The event start the tags were worked out for: a different one later means the event moved.</summary>
    public DateTimeOffset? Start { get; init; }

    public bool Moved { get; init; }

    /// <summary>The custom date field the event's start date was set in, and that date (<c>YYYY-MM-DD</c>).</summary>
    public long? StartDateField { get; init; }

    public string? StartDate { get; init; }

    /// <summary>The requester e-mail (lower case) the ticket was given.</summary>
    public string? RequesterEmail { get; init; }

    /// <summary>The requester warning last put on the dashboard for this ticket, so it is shown once, not every pass.</summary>
    public string? Warning { get; init; }

    /// <summary>The last status decision sent (<see cref="TicketIntent.StatusChange"/>), for status intents.</summary>
    public string? StatusChange { get; init; }

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static AppliedProperties FromJson(string json) => JsonSerializer.Deserialize<AppliedProperties>(json, Json) ?? new AppliedProperties();
}

/// <summary>
/// One ticket's update: the fields to send (Zendesk's ticket object, without id and requester), the requester to
/// resolve to a user first, what is applied once it succeeds, and when the item's state changes next by the clock.
/// </summary>
internal sealed record PlannedTicketUpdate(JsonObject Fields, TicketRequester? Requester, AppliedProperties Applied, DateTimeOffset? NextChange)
{
    public bool IsEmpty => Fields.Count == 0 && Requester is null;
}

/// <summary>
/// Works out, for the clock's <paramref name="now"/>, which native properties to send (issue 17 §3). Pure: the API
/// worker applies the result and stores <see cref="PlannedTicketUpdate.Applied"/> only after Zendesk took it.
/// Tags go through <c>additional_tags</c>/<c>remove_tags</c>, never <c>tags</c>, so the agents' own tags stay
/// (https://developer.zendesk.com/api-reference/ticketing/tickets/tickets/#update-many-tickets, "additional_tags",
/// "remove_tags").
/// </summary>
internal static class TicketPropertyPlanner
{
    public static PlannedTicketUpdate Plan(TicketIntent intent, AppliedProperties? applied, DateTimeOffset now)
    {
        applied ??= new AppliedProperties();
        var fields = new JsonObject();
        var next = applied;
        if (intent.StatusOnly)
        {
            return PlanStatus(intent, applied);
        }

        if (intent.Kind == CalendarItemKind.Task)
        {
            if (applied.Type != "task")
            {
                fields["type"] = "task";
                next = next with { Type = "task" };
            }

            if (intent.DueAt != applied.DueAt)
            {
                // Zendesk keeps due_at only on tasks; null clears a DUE the item no longer has.
                fields["due_at"] = intent.DueAt is { } due ? JsonValue.Create(Format(due)) : null;
                next = next with { DueAt = intent.DueAt };
            }
        }

        if (intent.Priority is { } priority && priority != applied.Priority)
        {
            fields["priority"] = priority;
            next = next with { Priority = priority };
        }

        var add = new List<string>();
        var remove = new List<string>();
        var wanted = intent.Tags.ToHashSet(StringComparer.Ordinal);
        var had = applied.Tags.ToHashSet(StringComparer.Ordinal);
        add.AddRange(intent.Tags.Where(t => !had.Contains(t)));
        remove.AddRange(applied.Tags.Where(t => !wanted.Contains(t)));
        next = next with { Tags = [.. intent.Tags] };

        var (stateTag, nextChange) = State(intent, now);
        if (stateTag != applied.StateTag)
        {
            if (stateTag is not null)
            {
                add.Add(stateTag);
            }

            if (applied.StateTag is { } old)
            {
                remove.Add(old);
            }

            next = next with { StateTag = stateTag };
        }

        if (intent.Kind == CalendarItemKind.Event)
        {
            if (applied.Start is { } before && intent.Start is { } start && before != start && !applied.Moved)
            {
                add.Add(TagNames.EventMoved);
                next = next with { Moved = true };
            }

            next = next with { Start = intent.Start };

            // The ticket was created with this date through the Channel Framework's fields (Pull/ResourceBuilder.cs);
            // the first pass sends the same date once (tickets created before the option was set get it then, and an
            // unchanged value sent at once cannot undo an agent's edit); after that only a moved start or another
            // field is sent, so an agent's own date survives until the event itself moves.
            if (intent.StartDateField is { } field && intent.StartDate is { } date && (date != applied.StartDate || field != applied.StartDateField))
            {
                fields["custom_fields"] = new JsonArray(new JsonObject { ["id"] = field, ["value"] = date });
                next = next with { StartDateField = field, StartDate = date };
            }
        }

        // A tag added and removed in one update would be a no-op at best: the item's present wins.
        remove.RemoveAll(add.Contains);
        if (add.Count > 0)
        {
            fields["additional_tags"] = new JsonArray([.. add.Distinct(StringComparer.Ordinal).Select(t => (JsonNode)t)]);
        }

        if (remove.Count > 0)
        {
            fields["remove_tags"] = new JsonArray([.. remove.Distinct(StringComparer.Ordinal).Select(t => (JsonNode)t)]);
        }

        TicketRequester? requester = null;
        if (intent.Requester is { } r && !string.Equals(r.Email, applied.RequesterEmail, StringComparison.OrdinalIgnoreCase))
        {
            requester = r;
            next = next with { RequesterEmail = r.Email.ToLowerInvariant() };
        }

        return new PlannedTicketUpdate(fields, requester, next, nextChange);
    }

    /// <summary>
    /// A status intent: <c>status</c> and an internal note (<c>comment</c> with <c>public: false</c>,
    /// https://developer.zendesk.com/api-reference/ticketing/tickets/tickets/#update-ticket and
    /// https://developer.zendesk.com/api-reference/ticketing/tickets/ticket_comments/ "public": false is an internal
    /// note), once per decision.
    /// </summary>
    private static PlannedTicketUpdate PlanStatus(TicketIntent intent, AppliedProperties applied)
    {
        var fields = new JsonObject();
        if (intent.StatusChange is null || intent.StatusChange == applied.StatusChange)
        {
            return new PlannedTicketUpdate(fields, null, applied, null);
        }

        if (intent.Status is { } status)
        {
            fields["status"] = status;
        }

        if (intent.StatusNote is { } note)
        {
            fields["comment"] = new JsonObject { ["body"] = note, ["public"] = false };
        }

        return new PlannedTicketUpdate(fields, null, applied with { StatusChange = intent.StatusChange }, null);
    }

    /// <summary>The state tag at <paramref name="now"/> and the next time it changes by the clock alone.</summary>
    public static (string? Tag, DateTimeOffset? NextChange) State(TicketIntent intent, DateTimeOffset now)
    {
        if (intent.Kind == CalendarItemKind.Task)
        {
            if (intent.Closed || intent.DueAt is not { } due)
            {
                return (null, null);
            }

            return now >= due ? (TagNames.TaskOverdue, null) : (null, due);
        }

        if (intent.Cancelled)
        {
            return (TagNames.EventCancelled, null);
        }

        if (intent.Start is not { } start)
        {
            return (null, null);
        }

        var end = intent.End is { } e && e > start ? e : start;
        if (now < start)
        {
            return (TagNames.EventUpcoming, start);
        }

        return now < end ? (TagNames.EventInProgress, end) : (TagNames.EventEnded, null);
    }

    /// <summary>ISO 8601 in UTC, as Zendesk writes times.</summary>
    public static string Format(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);
}
