using NodaTime;

namespace ChannelService.Tickets;

/// <summary>
/// Says in words what changed between two snapshots of an item: one sentence per change, in a fixed order, in the
/// account's zone. Comments written by others are not described here: they become comments of their own.
/// </summary>
public static class ChangeDescriber
{
    public static IReadOnlyList<string> Describe(ItemSnapshot before, ItemSnapshot after, DateTimeZone zone)
    {
        var lines = new List<string>();
        if (after.Deleted && !before.Deleted)
        {
            lines.Add(after.Excluded ? "Occurrence cancelled"
                : before.Kind == Calendars.CalendarItemKind.Task ? "Deleted from the task list"
                : "Deleted from the calendar");
            return lines;
        }

        if (!after.Deleted && before.Deleted)
        {
            lines.Add(before.Excluded ? "Occurrence restored" : "Restored in the source");
        }

        if (after.Cancelled && !before.Cancelled)
        {
            lines.Add(after.Kind == Calendars.CalendarItemKind.Task ? "Task cancelled" : "Event cancelled");
        }
        else if (!after.Cancelled && before.Cancelled)
        {
            lines.Add(after.Kind == Calendars.CalendarItemKind.Task ? "Task no longer cancelled" : "Event no longer cancelled");
        }

        if (!Equals(before.Summary, after.Summary))
        {
            lines.Add(after.Summary is null ? "Title removed" : $"Title changed from \"{before.Summary ?? string.Empty}\" to \"{after.Summary}\"");
        }

        Time("Start", before.Start, after.Start, zone, lines);
        Time("End", before.End, after.End, zone, lines);
        Time("Due date", before.Due, after.Due, zone, lines);

        if (before.Status != after.Status && !(after.Cancelled && after.Status == "CANCELLED"))
        {
            lines.Add($"Status: {TicketText.Status(after.Status)}");
        }

        if (before.PercentComplete != after.PercentComplete)
        {
            lines.Add($"Percent complete: {before.PercentComplete ?? 0}% → {after.PercentComplete ?? 0}%");
        }

        if (before.Priority != after.Priority)
        {
            lines.Add($"Priority changed from {TicketText.Priority(before.Priority)} to {TicketText.Priority(after.Priority)}");
        }

        if (!Equals(before.Location, after.Location))
        {
            lines.Add(before.Location is null ? $"Location set to {after.Location}"
                : after.Location is null ? "Location removed"
                : $"Location changed to {after.Location}");
        }

        if (!Equals(before.Organizer?.Address?.ToLowerInvariant(), after.Organizer?.Address?.ToLowerInvariant()))
        {
            lines.Add(after.Organizer is null ? "Organizer removed" : $"Organizer changed to {after.Organizer.Display}");
        }

        Attendees(before, after, lines);
        Lists("Categories", before.Categories, after.Categories, lines);

        if (!Equals(before.Url, after.Url))
        {
            lines.Add(after.Url is null ? "Link removed" : $"Link changed to {after.Url}");
        }

        Lists("Attachments", before.Attachments, after.Attachments, lines);

        // Both sides read without reply blocks and in one normal form: a snapshot acknowledged before blocks were
        // recognised may still hold them, and a server that re-wraps the producer's text changed nothing a person wrote.
        var (descriptionBefore, descriptionAfter) = (ReplyBlocks.Strip(before.Description), ReplyBlocks.Strip(after.Description));
        if (!Equals(descriptionBefore, descriptionAfter))
        {
            lines.Add(descriptionAfter is null ? "Description removed" : $"Description changed: {TicketText.Excerpt(descriptionAfter)}");
        }

        return lines;
    }

    /// <summary>What a closing notice says on its own ("Status: completed", "Task cancelled"), for a ticket that missed the transition.</summary>
    public static string Closing(ItemSnapshot after) =>
        after.Cancelled ? "Task cancelled" : $"Status: {TicketText.Status(after.Status ?? "COMPLETED")}";

    private static void Time(string what, SnapshotTime? before, SnapshotTime? after, DateTimeZone zone, List<string> lines)
    {
        if (Equals(before, after))
        {
            return;
        }

        var year = (after ?? before)!.Instant.InZone(zone).Year;
        var suffix = before?.AllDay == true && after?.AllDay == true ? string.Empty : $" ({zone.Id})";
        if (before is null)
        {
            lines.Add($"{what} set to {TicketText.Format(after!, zone, year)}{suffix}");
        }
        else if (after is null)
        {
            lines.Add($"{what} removed");
        }
        else
        {
            var (from, to) = (TicketText.Format(before, zone, year), TicketText.Format(after, zone, year));
            if (from == to)
            {
                // A move of seconds would read "from 17:00 to 17:00".
                (from, to) = (TicketText.FormatPrecise(before, zone), TicketText.FormatPrecise(after, zone));
            }

            lines.Add($"{what} moved from {from} to {to}{suffix}");
        }
    }

    private static void Attendees(ItemSnapshot before, ItemSnapshot after, List<string> lines)
    {
        var old = before.Attendees.GroupBy(a => a.Address.ToLowerInvariant()).ToDictionary(g => g.Key, g => g.First());
        var now = after.Attendees.GroupBy(a => a.Address.ToLowerInvariant()).ToDictionary(g => g.Key, g => g.First());
        foreach (var (address, person) in now)
        {
            if (!old.TryGetValue(address, out var previous))
            {
                lines.Add($"{person.Display} was invited");
            }
            else if (previous.Status != person.Status)
            {
                lines.Add($"{person.Display} {TicketText.Participation(person.Status)}");
            }
        }

        foreach (var (address, person) in old)
        {
            if (!now.ContainsKey(address))
            {
                lines.Add($"{person.Display} was removed");
            }
        }
    }

    private static void Lists(string what, IReadOnlyList<string> before, IReadOnlyList<string> after, List<string> lines)
    {
        var added = after.Except(before, StringComparer.Ordinal).ToList();
        var removed = before.Except(after, StringComparer.Ordinal).ToList();
        if (added.Count == 0 && removed.Count == 0)
        {
            return;
        }

        var parts = new List<string>();
        if (added.Count > 0)
        {
            parts.Add("added " + string.Join(", ", added));
        }

        if (removed.Count > 0)
        {
            parts.Add("removed " + string.Join(", ", removed));
        }

        lines.Add($"{what}: {string.Join("; ", parts)}");
    }
}
