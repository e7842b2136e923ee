using System.Globalization;
using System.Text.Json.Nodes;
using ChannelService.Calendars;
using ChannelService.Pull;
using ChannelService.Sources;
using ChannelService.Sources.CalDav;
using ChannelService.Tickets;
using ChannelService.Zendesk;

namespace ChannelService.Clickthrough;

/// <summary>One comment or message on the read-only page; <see cref="Link"/> is an absolute http(s) URL when set.</summary>
internal sealed record ClickthroughEntry(string? Heading, string Text, string? Link = null);

/// <summary>The read-only page shown when the source has no web page for an item (no secrets: content only).</summary>
/// <param name="Lead">What the page is, in one sentence.</param>
internal sealed record ClickthroughPage(string Title, string Lead, IReadOnlyList<(string Label, string Value)> Facts, string? Description, IReadOnlyList<ClickthroughEntry> Comments, bool Deleted)
{
    public string CommentsHeading { get; init; } = "Comments";
}

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
internal sealed class ClickthroughService(PullMirrorStore mirror, SourceItemStore items, Outbox inbox)
{
    /// <summary>At most this many messages of an inbox thread are shown (the newest).</summary>
    internal const int MaxMessages = 200;

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
            // Not a calendar item: an inbox thread has the same id shape (its thread id is the account plus a hash).
            return await InboxAsync(accountId, accountId + "-" + unitKey, externalId, cancellationToken);
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

    /// <summary>
    /// An inbox thread's messages as the service received them, kept for a while after delivery (the outbox's
    /// retention). The message clicked on leads to the URL its sender gave, when it gave one; that URL was
    /// validated when the signed message came in and is checked again here.
    /// </summary>
    private async Task<ClickthroughTarget> InboxAsync(string accountId, string threadId, string externalId, CancellationToken cancellationToken)
    {
        var messages = (await inbox.ThreadAsync(accountId, threadId, MaxMessages, cancellationToken)).Select(InboxEntry.Read).OfType<InboxEntry>().ToList();
        if (messages.Count == 0)
        {
            return new ClickthroughTarget.Unknown();
        }

        if (messages.FirstOrDefault(m => m.ExternalId == externalId)?.Entry.Link is { } link)
        {
            return new ClickthroughTarget.Redirect(new Uri(link));
        }

        var last = messages[^1];
        return new ClickthroughTarget.Page(new ClickthroughPage(
            last.Thread is { Length: > 0 } thread ? $"Conversation {thread}" : "Conversation",
            "Messages of this conversation as the service received them from the sending system. This page is read-only; agents' replies are in the ticket.",
            [("Messages", messages.Count.ToString(CultureInfo.InvariantCulture)), ("Last message", last.CreatedAt ?? "unknown")],
            null,
            [.. messages.Select(m => m.Entry)],
            false)
        {
            CommentsHeading = "Messages",
        });
    }

    /// <summary>One stored inbox message (the external_resource JSON the outbox keeps), read for the page.</summary>
    private sealed record InboxEntry(string ExternalId, string? Thread, string? CreatedAt, ClickthroughEntry Entry)
    {
        public static InboxEntry? Read(OutboxItem item)
        {
            try
            {
                var resource = JsonNode.Parse(item.Resource);
                var data = resource?["display_info"]?[0]?["data"];
                var author = (string?)resource?["author"]?["name"];
                var createdAt = DateTimeOffset.TryParse((string?)resource?["created_at"], CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at)
                    ? at.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) + " UTC"
                    : null;
                var heading = string.Join(", ", new[] { author, createdAt }.Where(p => !string.IsNullOrEmpty(p)));
                return new InboxEntry(
                    item.ExternalId,
                    (string?)data?["thread"],
                    createdAt,
                    new ClickthroughEntry(heading.Length > 0 ? heading : null, (string?)resource?["message"] ?? string.Empty, WebLink((string?)data?["url"])));
            }
            catch (System.Text.Json.JsonException)
            {
                return null;
            }
        }
    }

    private static string? WebLink(string? url) =>
        url is not null && Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme is "https" or "http" ? uri.AbsoluteUri : null;

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
            facts.Add(("Status", TicketText.Status(status)));
        }

        if (item.Priority is { } priority)
        {
            facts.Add(("Priority", TicketText.Priority(priority)));
        }

        if (item.Location is { Length: > 0 } location)
        {
            facts.Add(("Location", location));
        }

        // Agents' replies written into DESCRIPTION are shown as replies, not with their markers, and once when
        // the reply is also a COMMENT (reply_target=both).
        var (description, blockReplies) = ReplyBlocks.Split(item.Description);
        var commentIds = item.Comments.Select(c => c.GetParameter(CalDavObjectEditor.CommentIdParameter)).OfType<string>().ToHashSet(StringComparer.Ordinal);
        var comments = item.Comments
            .Select(c => new ClickthroughEntry(c.GetParameter(CalDavObjectEditor.CommentIdParameter) is null ? null : ReplyHeading, c.Text))
            .Concat(blockReplies.Where(r => !commentIds.Contains(r.CommentId)).Select(r => new ClickthroughEntry(ReplyHeading, r.Text)));

        var kind = item.Kind == CalendarItemKind.Task ? "Task" : "Event";
        return new ClickthroughPage(
            item.Summary is { Length: > 0 } s ? s : "(no title)",
            $"{kind} as the service last read it from its source. This page is read-only; the source has no web page for it.",
            facts,
            description,
            [.. comments],
            deleted);
    }

    private const string ReplyHeading = "Reply from Zendesk";

    private static string Format(IcalDateTime value) => value.Kind switch
    {
        IcalDateKind.Date => value.Date.ToString("uuuu-MM-dd", CultureInfo.InvariantCulture),
        IcalDateKind.Utc => value.Local.ToString("uuuu-MM-dd HH:mm", CultureInfo.InvariantCulture) + " UTC",
        _ => value.Local.ToString("uuuu-MM-dd HH:mm", CultureInfo.InvariantCulture) + (value.TzId is { } tz ? $" ({tz})" : string.Empty),
    };
}
