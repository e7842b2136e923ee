using System.Net;
using System.Text;
using ChannelService.Calendars;
using NodaTime;

namespace ChannelService.Tickets;

/// <summary>The text and HTML Zendesk shows for an item's first resource and for a change notice.</summary>
public static class MessageRenderer
{
    /// <summary>Zendesk's limit for message and html_message (external_resource.json).</summary>
    public const int MaxLength = 65535;

    /// <summary>The title, the summary block (when / due, location, status, priority, organizer, attendees, link), then the description.</summary>
    /// <param name="title">The ticket's subject (<see cref="TicketText.Subject"/>); the item's summary when null.</param>
    public static (string Text, string Html) Opening(ItemSnapshot item, DateTimeZone zone, string? title = null)
    {
        var facts = Facts(item, zone);
        var text = new StringBuilder();
        var html = new StringBuilder();
        title ??= item.Summary ?? "(no title)";
        text.AppendLine(title);
        html.Append("<p><strong>").Append(Encode(title)).Append("</strong></p>");
        if (facts.Count > 0)
        {
            text.AppendLine();
            html.Append("<ul>");
            foreach (var (label, value, link) in facts)
            {
                text.Append(label).Append(": ").AppendLine(value);
                html.Append("<li><strong>").Append(Encode(label)).Append(":</strong> ");
                html.Append(link ? $"<a href=\"{Encode(value)}\" rel=\"noopener noreferrer\">{Encode(value)}</a>" : Encode(value));
                html.Append("</li>");
            }

            html.Append("</ul>");
        }

        if (item.Description is not null || item.HtmlDescription is not null)
        {
            text.AppendLine().AppendLine(item.Description ?? string.Empty);
            html.Append("<hr />");
            html.Append(item.HtmlDescription is not null
                ? HtmlSanitizer.Sanitize(item.HtmlDescription)
                : Paragraphs(item.Description!));
        }

        return (Limit(text.ToString().TrimEnd()), Limit(html.ToString()));
    }

    /// <summary>A change notice: one sentence per line, an HTML list.</summary>
    public static (string Text, string Html) Change(IReadOnlyList<string> sentences)
    {
        var text = string.Join("\n", sentences);
        var html = sentences.Count == 1
            ? $"<p>{Encode(sentences[0])}</p>"
            : "<ul>" + string.Concat(sentences.Select(s => $"<li>{Encode(s)}</li>")) + "</ul>";
        return (Limit(text), Limit(html));
    }

    private static List<(string Label, string Value, bool Link)> Facts(ItemSnapshot item, DateTimeZone zone)
    {
        var facts = new List<(string, string, bool)>();
        var suffix = $" ({zone.Id})";
        if (item.Kind == CalendarItemKind.Event && item.Start is { } start)
        {
            var when = TicketText.Format(start, zone, contextYear: null);
            if (item.End is { } end && end != start)
            {
                var endShown = end.AllDay ? end with { Instant = end.Instant - Duration.FromDays(1) } : end;
                if (endShown != start)
                {
                    var sameDay = !start.AllDay && start.Instant.InZone(zone).Date == end.Instant.InZone(zone).Date;
                    when += " – " + (sameDay
                        ? end.Instant.InZone(zone).LocalDateTime.ToString("HH:mm", System.Globalization.CultureInfo.InvariantCulture)
                        : TicketText.Format(endShown, zone, contextYear: null));
                }
            }

            facts.Add(("When", start.AllDay ? when : when + suffix, false));
        }

        if (item.Kind == CalendarItemKind.Task && item.Start is { } taskStart)
        {
            facts.Add(("Starts", TicketText.Format(taskStart, zone) + (taskStart.AllDay ? string.Empty : suffix), false));
        }

        if (item.Due is { } due)
        {
            facts.Add(("Due", TicketText.Format(due, zone) + (due.AllDay ? string.Empty : suffix), false));
        }

        if (item.Location is not null)
        {
            facts.Add(("Location", item.Location, false));
        }

        if (item.Status is not null || item.Cancelled)
        {
            facts.Add(("Status", item.Cancelled ? "cancelled" : TicketText.Status(item.Status), false));
        }

        if (item.PercentComplete is { } percent)
        {
            facts.Add(("Progress", $"{percent}%", false));
        }

        if (item.Priority is not null)
        {
            facts.Add(("Priority", TicketText.Priority(item.Priority), false));
        }

        if (item.Organizer is not null)
        {
            facts.Add(("Organizer", Person(item.Organizer), false));
        }

        if (item.Attendees.Count > 0)
        {
            facts.Add(("Attendees", string.Join(", ", item.Attendees.Select(a => $"{Person(a)} – {TicketText.Participation(a.Status)}")), false));
        }

        if (item.Categories.Count > 0)
        {
            facts.Add(("Categories", string.Join(", ", item.Categories), false));
        }

        if (item.Url is not null)
        {
            facts.Add(("Link", item.Url, Uri.TryCreate(item.Url, UriKind.Absolute, out var u) && u.Scheme is "http" or "https"));
        }

        return facts;
    }

    private static string Person(SnapshotPerson p) => p.Name is null ? p.Address : $"{p.Name} <{p.Address}>";

    private static string Paragraphs(string text) =>
        string.Concat(text.Replace("\r\n", "\n").Split("\n\n").Select(p => "<p>" + Encode(p).Replace("\n", "<br />") + "</p>"));

    private static string Encode(string s) => WebUtility.HtmlEncode(s);

    private static string Limit(string s) => s.Length <= MaxLength ? s : s[..(MaxLength - 1)] + "…";
}
