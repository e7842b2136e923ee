using System.Globalization;
using System.Text.Json.Nodes;
using ChannelService.Accounts;
using ChannelService.Calendars;
using ChannelService.Tickets;
using NodaTime;

namespace ChannelService.Pull;

/// <summary>Turns a ticket unit (and what Zendesk last acknowledged of it) into external resources.</summary>
internal sealed class ResourceBuilder(AccountMetadata account, bool sourceTakesReplies, DateTimeZone zone, Instant now, Func<TicketUnit, int, string?>? inlineFileUrl = null)
{
    private readonly CultureInfo? culture = account.Options.Locale is { } locale ? CultureInfo.GetCultureInfo(locale) : null;

    /// <summary>display_info type: a URI of ours (the schema asks for a globally unique GUID or URI).</summary>
    public const string DisplayInfoType = "urn:channelservice:calendar-item";

    /// <summary>The resources for a unit never acknowledged before: the opening, then the comments it already has.</summary>
    public List<ExternalResource> Opening(TicketUnit unit, string threadId)
    {
        var subject = Subject(unit);
        var (text, html) = MessageRenderer.Opening(unit.Snapshot, zone, subject);
        var created = Clamp(unit.Item.Created ?? unit.Item.LastModified, unit);
        var resources = new List<ExternalResource>
        {
            new()
            {
                ExternalId = ExternalIds.Opening(threadId),
                ThreadId = threadId,
                Message = text,
                HtmlMessage = html,
                CreatedAt = Format(created),
                Author = Author(unit.Snapshot),
                AllowChannelback = AllowChannelback(unit),
                Fields = Fields(unit, subject),
                DisplayInfo = [new DisplayInfo(DisplayInfoType, DisplayData(unit))],
                FileUrls = FileUrls(unit),
            },
        };
        resources.AddRange(Comments(unit, threadId, [], created));
        return resources;
    }

    /// <summary>The resources for a change since the acknowledged snapshot: a notice (if anything visible changed) and new comments.</summary>
    public List<ExternalResource> Change(TicketUnit unit, string threadId, ItemSnapshot before, string beforeVersion, long ordinal)
    {
        var resources = new List<ExternalResource>();
        var sentences = ChangeDescriber.Describe(before, unit.Snapshot, zone);
        var changedAt = Instant.FromDateTimeOffset(unit.Source.ChangedAt);
        var at = changedAt > now ? now : changedAt;
        if (sentences.Count > 0)
        {
            var (text, html) = MessageRenderer.Change(sentences);
            // A task closing gets the id a resync would give its closing notice (ExternalIds.Closing).
            var closes = unit.Snapshot.IsClosedTask && !before.IsClosedTask;
            resources.Add(new ExternalResource
            {
                ExternalId = closes ? ExternalIds.Closing(threadId, unit.Snapshot.Status, unit.Snapshot.Completed) : ExternalIds.Change(threadId, ordinal, beforeVersion, unit.Version),
                ThreadId = threadId,
                Message = text,
                HtmlMessage = html,
                CreatedAt = Format(at),
                Author = AccountAuthor(),
                InternalNote = account.Options.ChangeNotes == ChangeNoteVisibility.Internal ? true : null,
                AllowChannelback = AllowChannelback(unit),
            });
        }

        resources.AddRange(Comments(unit, threadId, before.Comments, at));
        return resources;
    }

    /// <summary>
    /// After a resync, a closed task whose ticket may exist without having heard it was closed
    /// (<see cref="TicketPlanner.MayHaveMissedItsClosing"/>): the opening (Zendesk drops it when the ticket exists; the ids
    /// are the same) and the closing notice under <see cref="ExternalIds.Closing"/>, which Zendesk drops in turn
    /// when the earlier store had sent it.
    /// </summary>
    public List<ExternalResource> OpeningWithClosing(TicketUnit unit, string threadId, Instant? closedAt)
    {
        var resources = Opening(unit, threadId);
        var (text, html) = MessageRenderer.Change([ChangeDescriber.Closing(unit.Snapshot)]);
        resources.Add(new ExternalResource
        {
            ExternalId = ExternalIds.Closing(threadId, unit.Snapshot.Status, unit.Snapshot.Completed),
            ThreadId = threadId,
            Message = text,
            HtmlMessage = html,
            CreatedAt = Format(closedAt is { } at && at < now ? at : now),
            Author = AccountAuthor(),
            InternalNote = account.Options.ChangeNotes == ChangeNoteVisibility.Internal ? true : null,
            AllowChannelback = AllowChannelback(unit),
        });
        return resources;
    }

    /// <summary>
    /// What a ticket shows once its item is gone: deleted, or for an occurrence that left a series still there
    /// (<paramref name="fromSeries"/>: EXDATE, a changed rule), cancelled.
    /// </summary>
    public static ItemSnapshot Gone(ItemSnapshot before, bool fromSeries) => before with { Deleted = true, Excluded = fromSeries };

    /// <summary>The item is gone from the source (<paramref name="after"/>, see <see cref="Gone"/>): one notice, and no more replies.</summary>
    public ExternalResource Deletion(string threadId, ItemSnapshot before, ItemSnapshot after, string beforeVersion, long ordinal, string deletedVersion)
    {
        var sentences = ChangeDescriber.Describe(before, after, zone);
        var (text, html) = MessageRenderer.Change(sentences);
        return new ExternalResource
        {
            ExternalId = ExternalIds.Change(threadId, ordinal, beforeVersion, deletedVersion),
            ThreadId = threadId,
            Message = text,
            HtmlMessage = html,
            CreatedAt = Format(now),
            Author = AccountAuthor(),
            InternalNote = account.Options.ChangeNotes == ChangeNoteVisibility.Internal ? true : null,
            AllowChannelback = false,
        };
    }

    private IEnumerable<ExternalResource> Comments(TicketUnit unit, string threadId, IReadOnlyList<SnapshotComment> known, Instant at)
    {
        var seen = known.Select(c => c.Id).ToHashSet(StringComparer.Ordinal);
        foreach (var comment in unit.Snapshot.Comments.Where(c => !seen.Contains(c.Id)))
        {
            // A reply this service wrote (channelback) maps to the id channelback answered, so Zendesk drops the echo.
            yield return new ExternalResource
            {
                ExternalId = comment.ReplyId is { Length: > 0 } reply ? ExternalIds.Reply(threadId, reply) : ExternalIds.SourceComment(threadId, comment.Id),
                ThreadId = threadId,
                Message = string.IsNullOrWhiteSpace(comment.Text) ? "(empty comment)" : Limit(comment.Text),
                CreatedAt = Format(at),
                Author = AccountAuthor(),
                AllowChannelback = AllowChannelback(unit),
            };
        }
    }

    private bool AllowChannelback(TicketUnit unit)
    {
        if (!sourceTakesReplies || unit.Snapshot.Deleted)
        {
            return false;
        }

        // Implicit scheduling (RFC 6638) would e-mail every attendee when the organizer's copy changes.
        return unit.Item.Kind != CalendarItemKind.Event || unit.Item.Attendees.Count == 0 || account.Options.EventReplies;
    }

    private ExternalAuthor Author(ItemSnapshot snapshot) =>
        snapshot.Organizer is { } organizer && organizer.Address.Contains('@', StringComparison.Ordinal)
            ? new ExternalAuthor(ExternalIds.Author(organizer.Address), Truncate(organizer.Name ?? organizer.Address, 255))
            : AccountAuthor();

    private ExternalAuthor AccountAuthor() =>
        new($"account-{account.AccountId}", Truncate(account.Options.AuthorName ?? account.DisplayName ?? "Calendar", 255));

    /// <summary>
    /// The subject, set when the ticket is created (Zendesk applies fields of a thread's first resource only): an
    /// occurrence's carries its date, so the tickets of a series differ (a daily stand-up makes a dozen of them).
    /// </summary>
    private string Subject(TicketUnit unit) => SubjectOf(unit, zone, culture);

    private static string SubjectOf(TicketUnit unit, DateTimeZone zone, CultureInfo? culture) =>
        TicketText.Subject(unit.Snapshot.Summary, unit.OccurrenceDate is null ? null : unit.Snapshot.Start, zone, culture);

    /// <summary>The subject a unit's ticket is created with, for an account with these options (Test connection lists them).</summary>
    public static string SubjectOf(TicketUnit unit, AccountOptions options) =>
        SubjectOf(unit, ZoneOf(options), options.Locale is { } locale ? CultureInfo.GetCultureInfo(locale) : null);

    /// <summary>The zone an account's tickets show times in: its <c>time_zone</c> option, else UTC.</summary>
    public static DateTimeZone ZoneOf(AccountOptions options) =>
        (options.TimeZone is { Length: > 0 } z ? DateTimeZoneProviders.Tzdb.GetZoneOrNull(z) : null) ?? DateTimeZone.Utc;

    private List<ExternalField> Fields(TicketUnit unit, string subject)
    {
        var fields = new List<ExternalField> { new("subject", JsonValue.Create(subject)) };
        foreach (var (fieldId, property) in account.Options.CustomFields)
        {
            if (unit.Item.Component.GetProperty(property) is { } p)
            {
                fields.Add(new ExternalField(fieldId, JsonValue.Create(IcalText.Unescape(p.RawValue))));
            }
        }

        // start_date_field: the event's start date in a custom date field (YYYY-MM-DD in the account's zone; format and
        // sources at ZendeskLink/Tickets/TicketIntent.cs, StartDateOf). Channel Framework fields take custom fields by id
        // and apply only when the ticket is created; a moved start goes through the Zendesk link's API work. A field the
        // custom_fields mapping already fills keeps that mapping's value.
        if (account.Options.StartDateField is { } dateField && !account.Options.CustomFields.ContainsKey(dateField)
            && unit.Snapshot.Kind == CalendarItemKind.Event && unit.Snapshot.Start is { } start)
        {
            fields.Add(new ExternalField(dateField, JsonValue.Create(ZendeskLink.Tickets.TicketIntent.StartDateOf(start, zone))));
        }

        return fields;
    }

    private JsonObject DisplayData(TicketUnit unit)
    {
        var s = unit.Snapshot;
        var data = new JsonObject
        {
            ["kind"] = s.Kind.ToString().ToLowerInvariant(),
            ["summary"] = s.Summary,
            ["status"] = s.Status,
        };
        if (unit.Item.Uid is { } uid)
        {
            data["uid"] = uid;
        }

        if (s.Start is { } start)
        {
            data["start"] = Format(start.Instant);
        }

        if (s.End is { } end)
        {
            data["end"] = Format(end.Instant);
        }

        if (s.Due is { } due)
        {
            data["due"] = Format(due.Instant);
        }

        if (unit.OccurrenceDate is { } date)
        {
            data["occurrence_date"] = date;
        }

        return data;
    }

    /// <summary>https ATTACH URIs as they are; inline attachments through signed /files links (at most 10).</summary>
    private List<string>? FileUrls(TicketUnit unit)
    {
        var urls = new List<string>();
        for (var i = 0; i < unit.Item.Attachments.Count && urls.Count < 10; i++)
        {
            var attachment = unit.Item.Attachments[i];
            var url = attachment.IsInline ? inlineFileUrl?.Invoke(unit, i) : attachment.Uri;
            if (url is not null && Uri.TryCreate(url, UriKind.Absolute, out var u) && (u.Scheme == Uri.UriSchemeHttps || (attachment.IsInline && u.IsLoopback)) && url.Length <= 511)
            {
                urls.Add(url);
            }
        }

        return urls.Count > 0 ? urls : null;
    }

    /// <summary>created_at never lies in the future (calendar producers write odd CREATED values).</summary>
    private Instant Clamp(IcalDateTime? value, TicketUnit unit)
    {
        Instant? instant = value is { } v && v.Kind == IcalDateKind.Utc ? Instant.FromDateTimeUtc(DateTime.SpecifyKind(v.Local.ToDateTimeUnspecified(), DateTimeKind.Utc)) : null;
        var candidate = instant ?? Instant.FromDateTimeOffset(unit.Source.FirstSeen);
        return candidate > now ? now : candidate;
    }

    private static string Format(Instant instant) => instant.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private static string Truncate(string s, int max) => s.Length <= max ? s : s[..max];

    private static string Limit(string s) => s.Length <= MessageRenderer.MaxLength ? s : s[..(MessageRenderer.MaxLength - 1)] + "…";
}
