using ChannelService.Calendars;
using ChannelService.Tickets;

namespace ChannelService.Sources;

/// <summary>
/// Item keys (design §4, calendar.md 2.6): a hash of (UID, RECURRENCE-ID) via <see cref="ExternalIds.ItemKey"/>,
/// with RECURRENCE-ID in one canonical spelling so <c>VALUE=DATE</c> or quoting differences do not split an item.
/// </summary>
internal static class SourceItemKeys
{
    /// <summary>The key of an item with a UID.</summary>
    public static string For(string uid, string? recurrenceId) => ExternalIds.ItemKey(uid, recurrenceId);

    /// <summary>
    /// RECURRENCE-ID as key text: the parsed value's canonical form, or the trimmed raw text when it does not
    /// parse (an unreadable RECURRENCE-ID must still not fall together with the series master); null when absent.
    /// </summary>
    public static string? RecurrenceIdText(CalendarItem item)
    {
        if (item.RecurrenceId is { } rid)
        {
            return rid.ToString();
        }

        return item.Component.GetProperty("RECURRENCE-ID") is { } raw ? raw.RawValue.Trim() : null;
    }

    /// <summary>
    /// A stable key for an item without UID (RFC 5545 requires one, but hand-written and some exported feeds lack
    /// it). Built from what identifies such an entry to a person and what a producer keeps when it re-exports:
    /// <list type="bullet">
    /// <item>DTSTART and SUMMARY: the "when" and "what" of the entry; DTSTAMP is left out because producers rewrite
    /// it on every export (calendar.md 2.6), DESCRIPTION, LOCATION and the rest because editing them should update
    /// the ticket, not open a new one;</item>
    /// <item>the kind, so a task and an event with the same start and title stay apart;</item>
    /// <item>the source URL (normalised), so the same entry in two feeds is two items, as it would be with UIDs;</item>
    /// <item>never the position in the file: inserting one entry would renumber every later one.</item>
    /// </list>
    /// The price: changing the title or start of a UID-less entry looks like a deletion plus a new item; nothing
    /// better exists without an identity in the data. The hash purpose differs from <see cref="For"/>, so a
    /// synthetic key can never equal the key of a real UID. <paramref name="ordinal"/> separates different entries
    /// that share start, title and kind (0 for the first, in content-version order).
    /// </summary>
    public static string Synthetic(CalendarItem item, string sourceUrl, int ordinal = 0)
    {
        var start = item.Start?.ToString() ?? item.Component.GetProperty("DTSTART")?.RawValue.Trim() ?? string.Empty;
        var summary = item.Summary?.Trim() ?? string.Empty;
        string[] parts = ordinal == 0
            ? [item.Kind.ToString(), start, summary, sourceUrl]
            : [item.Kind.ToString(), start, summary, sourceUrl, ordinal.ToString(System.Globalization.CultureInfo.InvariantCulture)];
        return ExternalIds.Hash("synthetic-item", parts);
    }
}
