using ChannelService.Calendars;
using ChannelService.Sources.Http;

namespace ChannelService.Sources;

/// <summary>Whether an item in <see cref="SourceChanges.Upserts"/> is new to the store or a new version of a stored one.</summary>
internal enum SourceChangeKind
{
    /// <summary>The store never had this key.</summary>
    Added,

    /// <summary>The store had the key with another content version, or had it marked deleted (it came back).</summary>
    Changed,
}

/// <summary>
/// One item of a source: a task, an event series, or an overridden instance, keyed by (UID, RECURRENCE-ID).
/// </summary>
internal sealed record SourceItem
{
    /// <summary><see cref="SourceItemKeys"/>: a hash of (UID, RECURRENCE-ID), or a synthetic key for an item without UID.</summary>
    public required string Key { get; init; }

    public required CalendarItemKind Kind { get; init; }

    /// <summary>The UID as written; null when the item had none and <see cref="Key"/> is synthetic.</summary>
    public string? Uid { get; init; }

    /// <summary>RECURRENCE-ID in canonical text (<see cref="IcalDateTime.ToString"/>); null for a series master or a single item.</summary>
    public string? RecurrenceId { get; init; }

    /// <summary><see cref="Calendars.ContentVersion"/> of the component: changes exactly when the content changes.</summary>
    public required string ContentVersion { get; init; }

    /// <summary>
    /// A self-contained VCALENDAR holding the component exactly as read (raw lines kept) plus the VTIMEZONEs it
    /// references and X-WR-TIMEZONE: enough to resolve its times and expand its recurrences without the rest of
    /// the source, and to write it back unchanged except for what we add. Parse it with <see cref="SourceItemCalendar"/>.
    /// </summary>
    public string RawIcs
    {
        get => rawIcs ?? WriteRawIcs?.Invoke() ?? string.Empty;
        init => rawIcs = value;
    }

    /// <summary>
    /// Writes <see cref="RawIcs"/> when it is read, instead of holding it: a first read of a large feed lists tens of
    /// thousands of items, and their texts, kept all at once until they are stored, would double its memory. Each
    /// read writes the text again; only the store reads it.
    /// </summary>
    public Func<string>? WriteRawIcs { get; init; }

    private readonly string? rawIcs;

    /// <summary>CalDAV: the resource href holding this item (a series and its overrides share one). Null for feeds.</summary>
    public string? Href { get; init; }

    /// <summary>CalDAV: the resource's ETag as the server sent it, for If-Match. Null for feeds.</summary>
    public string? ETag { get; init; }

    /// <summary>The item's URL property when it is an absolute http(s) URL (clickthrough), else null.</summary>
    public string? WebUrl { get; init; }

    /// <summary>Set in <see cref="SourceChanges.Upserts"/>; <see cref="SourceChangeKind.Added"/> elsewhere.</summary>
    public SourceChangeKind Change { get; init; }

    /// <summary>The stored content version before this change (null when added): the "before" of a change comment id.</summary>
    public string? PreviousVersion { get; init; }

    /// <summary>
    /// The item as this read parsed it, when the source has it at hand (feeds): the pull plans tickets from it
    /// instead of parsing <see cref="RawIcs"/> again. Never stored; null for items read back from the store.
    /// </summary>
    public ParsedSourceItem? Parsed { get; init; }
}

/// <summary>A parsed item with what resolves its times: the calendar's VTIMEZONEs and X-WR-TIMEZONE (shared by all items of one read).</summary>
internal sealed record ParsedSourceItem(CalendarItem Item, string? CalendarTimeZone, IReadOnlyDictionary<string, CalendarComponent> VTimezones)
{
    /// <summary>Reads <see cref="SourceItem.RawIcs"/> back; null if it holds no event or task (never for text this code stored).</summary>
    public static ParsedSourceItem? Parse(SourceItem item)
    {
        var parse = IcalReader.Parse(System.Text.Encoding.UTF8.GetBytes(item.RawIcs));
        var calendar = parse.Roots.FirstOrDefault(r => r.Name == "VCALENDAR");
        var component = calendar?.Components.FirstOrDefault(c => CalendarItemReader.KindOf(c.Name) is CalendarItemKind.Event or CalendarItemKind.Task);
        if (calendar is null || component is null)
        {
            return null;
        }

        var vtimezones = new Dictionary<string, CalendarComponent>(StringComparer.Ordinal);
        foreach (var vtz in calendar.Components.Where(c => c.Name == "VTIMEZONE"))
        {
            if (vtz.GetProperty("TZID")?.RawValue.Trim() is { Length: > 0 } tzid)
            {
                vtimezones.TryAdd(tzid, vtz);
            }
        }

        return new ParsedSourceItem(CalendarItemReader.Read(component), calendar.GetProperty("X-WR-TIMEZONE")?.RawValue, vtimezones);
    }
}

/// <summary>An item the source no longer lists, with the last version the store had.</summary>
internal sealed record SourceDeletion(string Key, string? Uid, string? RecurrenceId, string PreviousVersion);

/// <summary>
/// The result of <see cref="ISource.ReadChangesAsync"/>. Apply it with <see cref="SourceItemStore.ApplyAsync"/>,
/// which also stores <see cref="Cursor"/>.
/// </summary>
internal sealed record SourceChanges
{
    /// <summary>The cursor to store with the applied changes and pass to the next read. Opaque, ASCII, at most a few hundred characters.</summary>
    public required string? Cursor { get; init; }

    /// <summary>Added and changed items (see <see cref="SourceItem.Change"/>): items with a UID in source order, then those without.</summary>
    public required IReadOnlyList<SourceItem> Upserts { get; init; }

    /// <summary>Items gone from the source. Only ever non-empty when <see cref="CompleteListing"/> is true.</summary>
    public required IReadOnlyList<SourceDeletion> Deletions { get; init; }

    /// <summary>
    /// True when the source was listed completely and well-formed, so an absent item really is gone (design §5).
    /// False for a download that was cut short or structurally broken: its readable items are still reported,
    /// but nothing is deleted, and <see cref="Warnings"/> says why.
    /// </summary>
    public required bool CompleteListing { get; init; }

    /// <summary>Nothing was downloaded or parsed: the server answered 304, or sent the very same bytes as last time.</summary>
    public bool Unchanged { get; init; }

    /// <summary>How many items the source listed in this read (0 when <see cref="Unchanged"/>).</summary>
    public int ListedCount { get; init; }

    /// <summary>Problems worth showing an admin that did not stop the read (cut-off feed, duplicate UIDs, ...).</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];

    public bool HasChanges => Upserts.Count > 0 || Deletions.Count > 0;
}

/// <summary>An agent's reply to append to an item (a COMMENT tagged with <see cref="CommentId"/>, so re-sending is harmless).</summary>
/// <param name="ItemKey">The item's key.</param>
/// <param name="CommentId">Idempotency key, e.g. the channelback request id; written as X-ZENDESK-COMMENT-ID.</param>
/// <param name="Text">Plain text of the reply.</param>
/// <param name="AuthorName">Shown with the comment, if the source can show it.</param>
/// <param name="ExpectedVersion">The ETag (CalDAV) the caller last saw; null lets the source read the current one first.</param>
internal sealed record SourceCommentWrite(string ItemKey, string CommentId, string Text, string? AuthorName, string? ExpectedVersion)
{
    /// <summary>
    /// The ticket's unit key when the reply was made on one occurrence's ticket (the reply is written on the series):
    /// marks the COMMENT so that the other occurrences' tickets do not show it as news. Null for a whole item.
    /// </summary>
    public string? Occurrence { get; init; }
}

internal enum SourceTaskStatus
{
    /// <summary>STATUS:COMPLETED with COMPLETED and PERCENT-COMPLETE:100.</summary>
    Completed,

    /// <summary>STATUS:NEEDS-ACTION, COMPLETED removed.</summary>
    NeedsAction,
}

/// <summary>A status change for a task (<c>#done</c>, <c>#reopen</c>), idempotent per <paramref name="RequestId"/>.</summary>
internal sealed record SourceTaskStatusWrite(string ItemKey, string RequestId, SourceTaskStatus Status, string? ExpectedVersion)
{
    /// <summary>
    /// The task's status as the caller read it when deciding (<c>CalDavObjectEditor.StatusFingerprint</c>); when set,
    /// the write is refused as a <see cref="SourceWriteOutcome.Conflict"/> if the status changed meanwhile, so the caller
    /// reads again and decides again (the two-way status sync) instead of overwriting a newer change.
    /// </summary>
    public string? DecidedOn { get; init; }
}

/// <summary>
/// A new due date for a task (<c>#due</c>), idempotent per <paramref name="RequestId"/>. A zoned value needs a
/// VTIMEZONE of that TZID in the task's object (RFC 5545 §3.2.19); dates and UTC times always work.
/// </summary>
internal sealed record SourceTaskDueWrite(string ItemKey, string RequestId, IcalDateTime Due, string? ExpectedVersion);

internal enum SourceWriteOutcome
{
    /// <summary>Written; <see cref="SourceWriteResult.NewVersion"/> is the source's new version (ETag) when it gave one.</summary>
    Written,

    /// <summary>The same change (same comment or request id) was already there; nothing written.</summary>
    AlreadyApplied,

    /// <summary>Someone else kept changing the item; the bounded retries with re-read did not get through.</summary>
    Conflict,

    /// <summary>The item is not in the source (any more).</summary>
    NotFound,

    /// <summary>This source takes no writes at all (iCalendar feeds).</summary>
    ReadOnlySource,

    /// <summary>The source refused the write (permissions, unsupported component, an event with attendees, ...).</summary>
    Rejected,
}

/// <summary>What became of a write; <see cref="Message"/> is plain words for the agent or admin.</summary>
internal sealed record SourceWriteResult(SourceWriteOutcome Outcome, string Message, string? NewVersion = null)
{
    public bool Succeeded => Outcome is SourceWriteOutcome.Written or SourceWriteOutcome.AlreadyApplied;

    public static SourceWriteResult ReadOnly(string sourceDescription) =>
        new(SourceWriteOutcome.ReadOnlySource, $"{sourceDescription} is read-only: replies cannot be written back to it.");
}

/// <summary>
/// What <see cref="ISource.ProbeAsync"/> found. Each step implies the ones before it; when a step fails,
/// <see cref="Error"/> and <see cref="Message"/> say which and why.
/// </summary>
internal sealed record SourceProbe
{
    /// <summary>A connection was made and the server answered HTTP.</summary>
    public bool Reachable { get; init; }

    /// <summary>The server accepted the request (no 401/403).</summary>
    public bool Authenticated { get; init; }

    /// <summary>The answer is a calendar (iCalendar data, a CalDAV calendar collection).</summary>
    public bool IsCalendar { get; init; }

    public int Events { get; init; }

    public int Tasks { get; init; }

    /// <summary>Tasks neither completed nor cancelled.</summary>
    public int OpenTasks { get; init; }

    /// <summary>Why the probe stopped, when it did.</summary>
    public SourceErrorKind? Error { get; init; }

    /// <summary>One line for the admin UI: "Found 23 open tasks and 4 events." or the error in plain words.</summary>
    public required string Message { get; init; }

    public IReadOnlyList<string> Warnings { get; init; } = [];

    public bool Ok => Error is null && IsCalendar;
}
