using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Xml;
using ChannelService.Calendars;
using ChannelService.Configuration;
using Microsoft.Extensions.Options;

namespace ChannelService.AgentCalendars;

/// <summary>Which representation of an agent's tasks a feed URL asks for.</summary>
internal enum AgentFeedVariant
{
    /// <summary><c>/calendars/{token}.ics</c>: a VEVENT per task (<see cref="AgentCalendarFeed"/>).</summary>
    Events,

    /// <summary><c>/calendars/{token}/tasks.ics</c>: a VTODO per task (<see cref="AgentTaskListFeed"/>).</summary>
    Tasks,
}

/// <summary>
/// The VTODO variant of an agent's feed (issue 19, "optionally a VTODO variant for clients that show tasks":
/// Thunderbird, Apple Reminders through a CalDAV server's subscription, some Outlook setups): the same tasks as
/// <see cref="AgentCalendarFeed"/>, each a VTODO (RFC 5545 §3.6.2) due at the ticket's <c>due_at</c>. Kept beside the
/// VEVENT writer rather than inside it so either can change without reshaping the other. Like the VEVENT feed, the
/// bytes depend only on the stored rows and the settings.
/// </summary>
internal sealed class AgentTaskListFeed(IOptions<ChannelOptions> options)
{
    /// <summary>
    /// Prefix of this variant's ETags. The VEVENT feed's ETag is a bare hash of its body; this one is marked, so the two
    /// variants of one agent never share a strong validator even when their bodies could (RFC 9110 §8.8.3: a strong
    /// ETag names one representation).
    /// </summary>
    private const string ETagPrefix = "todo-";

    public RenderedFeed Render(string subdomain, IReadOnlyList<AgentTask> tasks)
    {
        var settings = options.Value;
        var calendar = AgentCalendarFeed.Envelope("-//ChannelService//Zendesk agent task list//EN", $"Zendesk task list ({subdomain})", settings);
        foreach (var task in tasks)
        {
            if (task.DueAt is { } due)
            {
                calendar.Components.Add(Todo(subdomain, task, due, settings.AgentCalendarAllDay));
            }
        }

        return AgentCalendarFeed.Finish(calendar, ETagPrefix);
    }

    /// <summary>
    /// Stable per subdomain and ticket, and never the VEVENT's UID: a UID names one calendar object (RFC 5545 §3.8.4.7),
    /// and a CalDAV collection keeps each UID in one resource of one component type (RFC 4791 §4.1). A client that
    /// subscribes to both variants into one store (Thunderbird, a CalDAV server's subscription) would otherwise merge the
    /// event and the to-do into one item, or reject one of them.
    /// </summary>
    public static string Uid(string subdomain, long ticketId) => string.Create(CultureInfo.InvariantCulture, $"zendesk-{subdomain}-ticket-{ticketId}-todo@channelservice");

    /// <summary>
    /// RFC 5545 §3.8.1.11 gives a VTODO NEEDS-ACTION, IN-PROCESS, COMPLETED or CANCELLED. <c>new</c> and <c>open</c> wait
    /// for the agent: NEEDS-ACTION. <c>pending</c> (waiting for the requester) and <c>hold</c> (waiting for a third
    /// party) are tickets the agent has started on that wait for someone else: IN-PROCESS, which every client still
    /// shows as not done. Solved and closed tickets are not in the feed at all (the delete rule), so COMPLETED is never
    /// written: a subscribed list mirrors the feed, and a task that left it (solved, reassigned, no longer a task, no
    /// due date) disappears from the app at the next refresh, as the event does. Listing solved tickets as COMPLETED
    /// would only work for one of those reasons and would make the feed grow with every ticket ever solved.
    /// </summary>
    public static string Status(string zendeskStatus) =>
        zendeskStatus.ToLowerInvariant() switch
        {
            "pending" or "hold" => "IN-PROCESS",
            _ => "NEEDS-ACTION",
        };

    /// <summary>
    /// RFC 5545 §3.8.1.9: 1 highest, 9 lowest, 0 undefined; 1-4 "high", 5 "medium", 6-9 "low" for three-level clients
    /// (Apple Reminders, Thunderbird). Zendesk's four priorities: urgent 1, high 3 (both "high", urgent still first when
    /// sorted), normal 5, low 9; no priority writes no PRIORITY (the same as 0).
    /// </summary>
    public static int? Priority(string? zendeskPriority) =>
        zendeskPriority?.ToLowerInvariant() switch
        {
            "urgent" => 1,
            "high" => 3,
            "normal" => 5,
            "low" => 9,
            _ => null,
        };

    private static CalendarComponent Todo(string subdomain, AgentTask task, DateTimeOffset due, bool allDay)
    {
        var todo = new CalendarComponent("VTODO");
        todo.Properties.Add(CalendarProperty.FromText("UID", Uid(subdomain, task.TicketId)));
        AgentCalendarFeed.AddVersion(todo, task);

        // Only DUE: a ticket has no start, and a VTODO takes no DTEND (RFC 5545 §3.6.2). All-day as the VEVENT's option:
        // Zendesk keeps a task's due date as noon of the chosen day in the account's zone, so its UTC date is that day.
        if (allDay)
        {
            todo.Properties.Add(new CalendarProperty("DUE", [new CalendarParameter("VALUE", "DATE")], due.UtcDateTime.Date.ToString("yyyyMMdd", CultureInfo.InvariantCulture)));
        }
        else
        {
            todo.Properties.Add(Raw("DUE", Utc(due)));
        }

        AgentCalendarFeed.AddTicketText(todo, subdomain, task);
        todo.Properties.Add(Raw("STATUS", Status(task.Status)));
        if (Priority(task.Priority) is { } priority)
        {
            todo.Properties.Add(Raw("PRIORITY", priority.ToString(CultureInfo.InvariantCulture)));
        }

        return todo;
    }

    private static CalendarProperty Raw(string name, string value) => AgentCalendarFeed.Raw(name, value);

    private static string Utc(DateTimeOffset time) => AgentCalendarFeed.Utc(time);
}
