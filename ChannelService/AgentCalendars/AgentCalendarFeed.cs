using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Xml;
using ChannelService.Calendars;
using ChannelService.Configuration;
using Microsoft.Extensions.Options;

namespace ChannelService.AgentCalendars;

/// <summary>One rendered feed and its strong entity tag.</summary>
internal sealed record RenderedFeed(byte[] Body, string ETag);

/// <summary>
/// Writes an agent's task tickets as an iCalendar feed (RFC 5545) with the service's own writer
/// (<see cref="IcalWriter"/>: escaping, folding, CRLF). The output depends only on the stored rows and the settings,
/// never on the clock, so an unchanged feed has the same bytes and the same ETag on every fetch.
/// </summary>
internal sealed class AgentCalendarFeed(IOptions<ChannelOptions> options)
{
    public RenderedFeed Render(string subdomain, IReadOnlyList<AgentTask> tasks)
    {
        var settings = options.Value;
        var calendar = Envelope("-//ChannelService//Zendesk agent tasks//EN", $"Zendesk tasks ({subdomain})", settings);
        foreach (var task in tasks)
        {
            if (task.DueAt is { } due)
            {
                calendar.Components.Add(Event(subdomain, task, due, settings));
            }
        }

        return Finish(calendar, etagPrefix: "");
    }

    /// <summary>The VCALENDAR both feed variants share, with the refresh hints, before their components.</summary>
    internal static CalendarComponent Envelope(string productId, string name, ChannelOptions settings)
    {
        var calendar = new CalendarComponent("VCALENDAR");
        calendar.Properties.Add(Raw("VERSION", "2.0"));
        calendar.Properties.Add(Raw("PRODID", productId));
        calendar.Properties.Add(Raw("CALSCALE", "GREGORIAN"));
        calendar.Properties.Add(CalendarProperty.FromText("X-WR-CALNAME", name));

        // RFC 7986 §5.7 REFRESH-INTERVAL, and the older X-PUBLISHED-TTL that Outlook and Apple Calendar read.
        var refresh = XmlConvert.ToString(settings.AgentCalendarRefreshInterval);
        calendar.Properties.Add(new CalendarProperty("REFRESH-INTERVAL", [new CalendarParameter("VALUE", "DURATION")], refresh));
        calendar.Properties.Add(Raw("X-PUBLISHED-TTL", refresh));
        return calendar;
    }

    /// <summary>The feed's bytes and its strong ETag: the first 16 bytes of their SHA-256, after the variant's prefix.</summary>
    internal static RenderedFeed Finish(CalendarComponent calendar, string etagPrefix)
    {
        var body = IcalWriter.WriteToBytes([calendar], new IcalWriterOptions { UseRawLines = false });
        return new RenderedFeed(body, "\"" + etagPrefix + Convert.ToHexStringLower(SHA256.HashData(body).AsSpan(0, 16)) + "\"");
    }

    /// <summary>
    /// The version properties every task's component carries: without METHOD, DTSTAMP means what LAST-MODIFIED means
    /// (RFC 5545 §3.8.7.2), both the time the task last changed; SEQUENCE counts the changes.
    /// </summary>
    internal static void AddVersion(CalendarComponent component, AgentTask task)
    {
        component.Properties.Add(Raw("DTSTAMP", Utc(task.ChangedAt)));
        component.Properties.Add(Raw("LAST-MODIFIED", Utc(task.ChangedAt)));
        component.Properties.Add(Raw("SEQUENCE", task.Sequence.ToString(CultureInfo.InvariantCulture)));
    }

    /// <summary>SUMMARY <c>#id subject</c>, DESCRIPTION with status, priority, requester and link, and URL to the ticket.</summary>
    internal static void AddTicketText(CalendarComponent component, string subdomain, AgentTask task)
    {
        var url = TicketUrl(subdomain, task.TicketId);
        component.Properties.Add(CalendarProperty.FromText("SUMMARY", string.Create(CultureInfo.InvariantCulture, $"#{task.TicketId} {task.Subject ?? ""}").TrimEnd()));
        var description = new StringBuilder()
            .Append("Status: ").Append(task.Status).Append('\n')
            .Append("Priority: ").Append(task.Priority ?? "-").Append('\n')
            .Append("Requester: ").Append(task.RequesterName ?? (task.RequesterId is { } id ? "user " + id.ToString(CultureInfo.InvariantCulture) : "-")).Append('\n')
            .Append(url);
        component.Properties.Add(CalendarProperty.FromText("DESCRIPTION", description.ToString()));
        component.Properties.Add(new CalendarProperty("URL", [new CalendarParameter("VALUE", "URI")], url));
    }

    internal static CalendarProperty Raw(string name, string value) => new(name, Array.Empty<CalendarParameter>(), value);

    internal static string Utc(DateTimeOffset time) => time.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);

    /// <summary>
    /// One task as a calendar object resource for CalDAV (RFC 4791 §4.1: one VCALENDAR holding one VEVENT with its UID),
    /// the same VEVENT the feed lists; null for a task without a due date.
    /// </summary>
    public string? RenderEvent(string subdomain, AgentTask task)
    {
        if (task.DueAt is not { } due)
        {
            return null;
        }

        var calendar = new CalendarComponent("VCALENDAR");
        calendar.Properties.Add(Raw("VERSION", "2.0"));
        calendar.Properties.Add(Raw("PRODID", "-//ChannelService//Zendesk agent tasks//EN"));
        calendar.Components.Add(Event(subdomain, task, due, options.Value));
        return Encoding.UTF8.GetString(IcalWriter.WriteToBytes([calendar], new IcalWriterOptions { UseRawLines = false }));
    }

    /// <summary>Stable per subdomain and ticket: the same event in every fetch and after reassignment.</summary>
    public static string Uid(string subdomain, long ticketId) => string.Create(CultureInfo.InvariantCulture, $"zendesk-{subdomain}-ticket-{ticketId}@channelservice");

    /// <summary>The ticket in Zendesk's agent interface.</summary>
    public static string TicketUrl(string subdomain, long ticketId) => string.Create(CultureInfo.InvariantCulture, $"https://{subdomain}.zendesk.com/agent/tickets/{ticketId}");

    private static CalendarComponent Event(string subdomain, AgentTask task, DateTimeOffset due, ChannelOptions settings)
    {
        var vevent = new CalendarComponent("VEVENT");
        vevent.Properties.Add(CalendarProperty.FromText("UID", Uid(subdomain, task.TicketId)));
        AddVersion(vevent, task);
        if (settings.AgentCalendarAllDay)
        {
            // Zendesk keeps a task's due date as noon of the chosen day in the account's time zone, so its UTC date is
            // the chosen day for every zone within ±11 hours.
            var day = due.UtcDateTime.Date;
            vevent.Properties.Add(new CalendarProperty("DTSTART", [new CalendarParameter("VALUE", "DATE")], day.ToString("yyyyMMdd", CultureInfo.InvariantCulture)));
            vevent.Properties.Add(new CalendarProperty("DTEND", [new CalendarParameter("VALUE", "DATE")], day.AddDays(1).ToString("yyyyMMdd", CultureInfo.InvariantCulture)));
        }
        else
        {
            vevent.Properties.Add(Raw("DTSTART", Utc(due)));
            vevent.Properties.Add(Raw("DTEND", Utc(due + settings.AgentCalendarEventDuration)));
        }

        AddTicketText(vevent, subdomain, task);
        vevent.Properties.Add(Raw("TRANSP", "TRANSPARENT"));
        return vevent;
    }

}
