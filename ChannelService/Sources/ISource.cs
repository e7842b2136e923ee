using ChannelService.Accounts;
using ChannelService.Sources.Http;

namespace ChannelService.Sources;

/// <summary>What a source can do besides being read; the manifest's <c>allow_channelback</c> follows <see cref="CanComment"/>.</summary>
internal sealed record SourceCapabilities(bool CanComment, bool CanChangeTaskStatus)
{
    public static readonly SourceCapabilities ReadOnly = new(false, false);
}

/// <summary>
/// One account's source, as the pull, channelback, clickthrough and health need it (design §5). Every kind
/// (iCalendar feed, CalDAV tasks or calendar, webhook inbox) implements it.
/// <para>
/// Reading never writes to the database: <see cref="ReadChangesAsync"/> compares what the source holds with
/// the versions in <see cref="SourceItemStore"/> and returns the difference, and the caller applies it with
/// <see cref="SourceItemStore.ApplyAsync"/> in the same transaction as whatever it records for Zendesk. A pull
/// that dies in between therefore sees the same changes again instead of losing them.
/// </para>
/// <para>Failures to reach or read the source are thrown as <see cref="SourceException"/> (plain-words message, typed kind).</para>
/// </summary>
internal interface ISource
{
    SourceKind Kind { get; }

    SourceCapabilities Capabilities { get; }

    /// <summary>
    /// What changed since <paramref name="cursor"/>: added and changed items with their content versions,
    /// deletions (only when the listing was complete), and the new cursor. Pass the cursor stored with the
    /// items (<see cref="SourceItemStore.GetCursorAsync"/>), not an older copy: the delta is computed against
    /// the stored versions, and a cursor from another point in time would not match them.
    /// Null means "no cursor": read everything.
    /// </summary>
    Task<SourceChanges> ReadChangesAsync(string? cursor, CancellationToken cancellationToken = default);

    /// <summary>One item by its key, as the source holds it now (feeds: as last read and stored); null when unknown or deleted.</summary>
    Task<SourceItem?> ReadItemAsync(string itemKey, CancellationToken cancellationToken = default);

    /// <summary>Appends an agent's reply to the item. Read-only sources answer <see cref="SourceWriteOutcome.ReadOnlySource"/>.</summary>
    Task<SourceWriteResult> WriteCommentAsync(SourceCommentWrite comment, CancellationToken cancellationToken = default);

    /// <summary>Changes a task's status (<c>#done</c>, <c>#reopen</c>). Sources without tasks, or read-only ones, say so in the result.</summary>
    Task<SourceWriteResult> ChangeTaskStatusAsync(SourceTaskStatusWrite change, CancellationToken cancellationToken = default);

    /// <summary>Moves a task's due date (<c>#due</c>). Sources without tasks, or read-only ones, say so in the result.</summary>
    Task<SourceWriteResult> ChangeTaskDueAsync(SourceTaskDueWrite change, CancellationToken cancellationToken = default);

    /// <summary>Where an agent can see the item in the source's own web UI; null when there is no such page.</summary>
    Uri? WebUrl(SourceItem item);

    /// <summary>Checks the source without changing anything: what works, and how many items it holds.</summary>
    Task<SourceProbe> ProbeAsync(CancellationToken cancellationToken = default);
}

/// <summary>
/// A first read in two steps, for a source that hands items out one by one while the complete change set
/// (keys for every item, content versions, stored text) is still to be built: the pull answers its first
/// resources from <see cref="Items"/>, then applies <see cref="Complete"/> after the response. Nothing is stored
/// by either step; <see cref="Complete"/> carries the cursor.
/// </summary>
internal sealed record FirstRead(IEnumerable<FirstReadItem> Items, Func<SourceChanges> Complete);

/// <summary>
/// One item of a <see cref="FirstRead"/>: enough to plan its ticket (<see cref="SourceItem.Parsed"/>, no stored text
/// nor content version yet), and the whole item to store, made only for items that go out in the first answer.
/// </summary>
internal sealed record FirstReadItem(SourceItem ForPlanning, Func<SourceItem> Whole);

/// <summary>A source whose first read can answer before its whole listing is built (see <see cref="FirstRead"/>).</summary>
internal interface IFirstReadSource
{
    /// <summary>
    /// The first read of an account the store holds nothing for; null when the store already has items for it
    /// (then <see cref="ISource.ReadChangesAsync"/> is the way). Throws <see cref="SourceException"/> as a read does.
    /// </summary>
    Task<FirstRead?> BeginFirstReadAsync(CancellationToken cancellationToken = default);
}

/// <summary>A source that can tell cheaply, without reading anything into the store, that nothing changed since a cursor.</summary>
internal interface IUnchangedCheckSource
{
    /// <summary>True when the source answers that nothing changed since <paramref name="cursor"/> (e.g. HTTP 304). Throws <see cref="SourceException"/> as a read does.</summary>
    Task<bool> IsUnchangedSinceAsync(string cursor, CancellationToken cancellationToken = default);
}
