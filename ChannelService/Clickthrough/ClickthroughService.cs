using System.Globalization;
using ChannelService.Calendars;
using ChannelService.Pull;
using ChannelService.Sources;
using ChannelService.Tickets;

namespace ChannelService.Clickthrough;

/// <summary>The read-only page shown when the source has no web page for an item (no secrets: content only).</summary>
internal sealed record ClickthroughPage(string Title, string Kind, IReadOnlyList<(string Label, string Value)> Facts, string? Description, IReadOnlyList<string> Comments, bool Deleted);

/// <summary>Where a clickthrough leads: a recorded URL, our own page, or nowhere.</summary>
internal abstract record ClickthroughTarget
{
    public sealed record Redirect(Uri Url) : ClickthroughTarget;

    public sealed record Page(ClickthroughPage Content) : ClickthroughTarget;

    public sealed record Unknown : ClickthroughTarget;
}

/// <summary>
/// Resolves an <c>external_id</c> (spec §5; only that id is sent, no metadata) to the item it belongs to:
/// every id we mint starts with the thread, <c>{account}-{unit}</c> (design §4); the mirror maps the unit to
/// the source item, whose URL was recorded when it was pulled. Nothing from the request ever becomes the
/// redirect target (design §7).
/// </summary>
internal sealed class ClickthroughService(PullMirrorStore mirror, SourceItemStore items)
{
    public async Task<ClickthroughTarget> ResolveAsync(string? externalId, CancellationToken cancellationToken)
    {
        if (!ExternalIdShape.TryParse(externalId, out var accountId, out var unitKey))
        {
            return new ClickthroughTarget.Unknown();
        }

        var itemKey = await mirror.ItemKeyOfAsync(accountId, unitKey, cancellationToken);
        var stored = await items.GetAsync(accountId, itemKey ?? unitKey, cancellationToken);
        if (stored is null)
        {
            return new ClickthroughTarget.Unknown();
        }

        // Recorded only for absolute http(s) URL properties (SourceItem.WebUrl); checked again, never trusted blindly.
        if (stored.Item.WebUrl is { } recorded && Uri.TryCreate(recorded, UriKind.Absolute, out var url) && url.Scheme is "https" or "http")
        {
            return new ClickthroughTarget.Redirect(url);
        }

        return SourceItemCalendar.Parse(stored.Item) is { } calendar
            ? new ClickthroughTarget.Page(PageOf(calendar.Item, stored.Deleted))
            : new ClickthroughTarget.Unknown();
    }

    private static ClickthroughPage PageOf(CalendarItem item, bool deleted)
    {
        var facts = new List<(string, string)>();
        void Add(string label, IcalDateTime? value)
        {
            if (value is { } v)
            {
                facts.Add((label, Format(v)));
            }
        }

        Add("Starts", item.Start);
        Add("Ends", item.End);
        Add("Due", item.Due);
        Add("Completed", item.Completed);
        if (item.Status is { Length: > 0 } status)
        {
            facts.Add(("Status", status));
        }

        if (item.Location is { Length: > 0 } location)
        {
            facts.Add(("Location", location));
        }

        return new ClickthroughPage(
            item.Summary is { Length: > 0 } s ? s : "(no title)",
            item.Kind == CalendarItemKind.Task ? "Task" : "Event",
            facts,
            item.Description,
            [.. item.Comments.Select(c => c.Text)],
            deleted);
    }

    private static string Format(IcalDateTime value) => value.Kind switch
    {
        IcalDateKind.Date => value.Date.ToString("uuuu-MM-dd", CultureInfo.InvariantCulture),
        IcalDateKind.Utc => value.Local.ToString("uuuu-MM-dd HH:mm", CultureInfo.InvariantCulture) + " UTC",
        _ => value.Local.ToString("uuuu-MM-dd HH:mm", CultureInfo.InvariantCulture) + (value.TzId is { } tz ? $" ({tz})" : string.Empty),
    };

}
