using System.Globalization;
using ChannelService.Accounts;
using ChannelService.Calendars;
using ChannelService.Sources.Feeds;
using ChannelService.Sources.Http;

namespace ChannelService.Sources.CalDav;

/// <summary>What a CalDAV account needs besides its client: which collection, which component kind, and the reply options.</summary>
/// <param name="AccountId">The account (the store is per account).</param>
/// <param name="Kind"><see cref="SourceKind.CalDavTasks"/> (VTODO) or <see cref="SourceKind.CalDavCalendar"/> (VEVENT).</param>
/// <param name="CollectionUrl">The calendar collection (a task list or a calendar).</param>
internal sealed record CalDavSourceSettings(string AccountId, SourceKind Kind, Uri CollectionUrl)
{
    /// <summary>Account option <c>reply_target</c>: COMMENT, a DESCRIPTION block, or both.</summary>
    public ReplyTarget ReplyTarget { get; init; } = ReplyTarget.Both;

    /// <summary>Account option <c>event_replies</c>: write replies to events that have attendees too.</summary>
    public bool EventReplies { get; init; }

    /// <summary>Read-modify-write rounds on 412 before a write gives up with <see cref="SourceWriteOutcome.Conflict"/>.</summary>
    public int MaxWriteAttempts { get; init; } = 4;
}

/// <summary>
/// A CalDAV task list (VTODO) or calendar (VEVENT) as an <see cref="ISource"/>. Reading is an RFC 6578 sync (or
/// the getctag fallback) plus calendar-multiget of what changed; every component of a resource (a series master
/// and its overrides) is one item keyed by (UID, RECURRENCE-ID), sharing the resource's href and ETag. Writes are
/// read-modify-write with If-Match on the current ETag, re-applied on 412 (calendar.md 3.1), changing only the
/// lines they add (<see cref="CalDavObjectEditor"/>).
/// </summary>
internal sealed class CalDavSource : ISource
{
    private readonly CalDavSourceSettings settings;
    private readonly CalDavClient client;
    private readonly SourceItemStore store;
    private readonly TimeProvider time;
    private readonly CalendarItemKind itemKind;

    public CalDavSource(CalDavSourceSettings settings, CalDavClient client, SourceItemStore store, TimeProvider? timeProvider = null)
    {
        if (settings.Kind is not (SourceKind.CalDavTasks or SourceKind.CalDavCalendar))
        {
            throw new ArgumentException($"A CalDAV source reads tasks or events, not {settings.Kind}.", nameof(settings));
        }

        if (!settings.CollectionUrl.IsAbsoluteUri || settings.CollectionUrl.Scheme is not ("http" or "https"))
        {
            throw new SourceException(SourceErrorKind.BadUrl, "A CalDAV collection URL must be an absolute http or https URL.");
        }

        this.settings = settings;
        this.client = client;
        this.store = store;
        time = timeProvider ?? TimeProvider.System;
        itemKind = settings.Kind == SourceKind.CalDavTasks ? CalendarItemKind.Task : CalendarItemKind.Event;
        Collection = settings.CollectionUrl.AbsolutePath.EndsWith('/') ? settings.CollectionUrl : new Uri(settings.CollectionUrl.AbsoluteUri + "/");
    }

    public SourceKind Kind => settings.Kind;

    public SourceCapabilities Capabilities => new(CanComment: true, CanChangeTaskStatus: settings.Kind == SourceKind.CalDavTasks);

    /// <summary>The account whose items the store holds.</summary>
    public string AccountId => settings.AccountId;

    /// <summary>The collection URL, with a trailing slash.</summary>
    public Uri Collection { get; }

    /// <summary>
    /// Reads what changed since <paramref name="cursor"/>. The CalDAV delta is authoritative, so
    /// <see cref="SourceChanges.CompleteListing"/> is true whenever the read succeeded: deletions come from the
    /// server's own report of removed resources (incremental), from components gone from a changed resource, or
    /// on a full resync (first read, expired token, fallback without a usable map) from every stored item the
    /// complete listing no longer holds. A resource that cannot be parsed is reported in the warnings and its
    /// stored items are kept.
    /// </summary>
    public async Task<SourceChanges> ReadChangesAsync(string? cursor, CancellationToken cancellationToken = default)
    {
        var sync = await Call(() => client.SyncAsync(Collection, cursor, cancellationToken), "reading the collection");
        var known = await store.GetKnownVersionsAsync(settings.AccountId, cancellationToken);
        var liveByHref = known.Values
            .Where(k => !k.Deleted && k.Href is not null)
            .GroupBy(k => k.Href!, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);

        var fetch = new List<string>();
        foreach (var change in sync.Changed)
        {
            // On a full resync most resources are unchanged; one whose every stored item was stored with the
            // listed ETag needs no download. (An ETag stored with an item can be older than the resource's, when
            // another component of it changed: then the resource is simply fetched again.)
            if (sync.IsFullResync && change.ETag is not null && liveByHref.TryGetValue(change.Href, out var stored)
                && stored.All(k => k.ETag == change.ETag))
            {
                continue;
            }

            fetch.Add(change.Href);
        }

        var objects = fetch.Count == 0
            ? new CalDavMultigetResult([], [])
            : await Call(() => client.MultigetAsync(Collection, fetch, cancellationToken), "fetching calendar objects");

        var upserts = new List<SourceItem>();
        var uidless = new List<SourceItem>();
        var warnings = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var goneHrefs = new HashSet<string>(sync.Deleted, StringComparer.Ordinal);
        goneHrefs.UnionWith(objects.Missing);
        var removedComponents = new List<KnownSourceItem>();
        var unreadable = 0;
        var duplicates = 0;
        var listed = 0;

        foreach (var obj in objects.Objects)
        {
            var items = ReadObject(obj, warnings);
            if (items is null)
            {
                unreadable++;
                seen.UnionWith(liveByHref.TryGetValue(obj.Href, out var keep) ? keep.Select(k => k.Key) : []);
                continue;
            }

            var here = new HashSet<string>(StringComparer.Ordinal);
            foreach (var item in items)
            {
                if (!seen.Add(item.Key))
                {
                    duplicates++;
                    continue;
                }

                here.Add(item.Key);
                listed++;
                if (!known.TryGetValue(item.Key, out var before))
                {
                    (item.Uid is null ? uidless : upserts).Add(item with { Change = SourceChangeKind.Added });
                }
                else if (before.Deleted || before.ContentVersion != item.ContentVersion)
                {
                    (item.Uid is null ? uidless : upserts).Add(item with { Change = SourceChangeKind.Changed, PreviousVersion = before.ContentVersion });
                }
            }

            if (liveByHref.TryGetValue(obj.Href, out var previously))
            {
                removedComponents.AddRange(previously.Where(k => !here.Contains(k.Key)));
            }
        }

        var deletions = new List<SourceDeletion>();
        var deleted = new HashSet<string>(StringComparer.Ordinal);
        void Delete(KnownSourceItem k)
        {
            // An item seen in this read under another href (moved between resources) is not gone.
            if (!seen.Contains(k.Key) && deleted.Add(k.Key))
            {
                deletions.Add(new SourceDeletion(k.Key, k.Uid, k.RecurrenceId, k.ContentVersion));
            }
        }

        removedComponents.ForEach(Delete);
        foreach (var href in goneHrefs)
        {
            if (liveByHref.TryGetValue(href, out var items))
            {
                items.ForEach(Delete);
            }
        }

        if (sync.IsFullResync)
        {
            var present = new HashSet<string>(sync.Changed.Select(c => c.Href), StringComparer.Ordinal);
            present.ExceptWith(objects.Missing);
            foreach (var k in known.Values)
            {
                if (!k.Deleted && (k.Href is null || !present.Contains(k.Href)))
                {
                    Delete(k);
                }
            }

            var fetched = new HashSet<string>(fetch, StringComparer.Ordinal);
            listed += liveByHref.Where(p => present.Contains(p.Key) && !fetched.Contains(p.Key)).Sum(p => p.Value.Count);
        }

        if (unreadable > 0)
        {
            warnings.Add(string.Create(CultureInfo.InvariantCulture, $"{unreadable} calendar objects could not be read as iCalendar data; their items were kept as they were."));
        }

        if (duplicates > 0)
        {
            warnings.Add(string.Create(CultureInfo.InvariantCulture, $"{duplicates} items appeared in more than one calendar object; the first copy of each was kept."));
        }

        upserts.AddRange(uidless);
        return new SourceChanges
        {
            Cursor = sync.Cursor,
            Upserts = upserts,
            Deletions = deletions,
            CompleteListing = true,
            Unchanged = !sync.IsFullResync && sync.Changed.Count == 0 && sync.Deleted.Count == 0,
            ListedCount = listed,
            Warnings = warnings,
        };
    }

    public async Task<SourceItem?> ReadItemAsync(string itemKey, CancellationToken cancellationToken = default)
    {
        var stored = await store.GetAsync(settings.AccountId, itemKey, cancellationToken);
        if (stored is not { Deleted: false, Item.Href: { } href })
        {
            return null;
        }

        CalDavObject obj;
        try
        {
            obj = await client.GetAsync(CalDavClient.ObjectUrl(Collection, href), cancellationToken);
        }
        catch (CalDavException e) when (e.Kind == CalDavErrorKind.NotFound)
        {
            return null;
        }
        catch (CalDavException e)
        {
            throw Translate(e, "reading an item");
        }

        return ReadObject(obj with { Href = href }, [])?.FirstOrDefault(i => i.Key == itemKey);
    }

    public Task<SourceWriteResult> WriteCommentAsync(SourceCommentWrite comment, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(comment);
        if (string.IsNullOrWhiteSpace(comment.CommentId) || comment.CommentId.AsSpan().IndexOfAny('\r', '\n') >= 0)
        {
            throw new ArgumentException("A comment id is required and must be one line.", nameof(comment));
        }

        return UpdateAsync(
            comment.ItemKey,
            (body, url) => CalDavObjectEditor.AddReply(body, url, comment.ItemKey, comment.CommentId, comment.Text, comment.AuthorName, settings.ReplyTarget, settings.EventReplies, time.GetUtcNow(), comment.Occurrence),
            "The reply was written to the item.",
            "The reply was already on the item.",
            cancellationToken);
    }

    public Task<SourceWriteResult> ChangeTaskStatusAsync(SourceTaskStatusWrite change, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(change);
        if (settings.Kind != SourceKind.CalDavTasks)
        {
            return Task.FromResult(new SourceWriteResult(SourceWriteOutcome.Rejected, "This account reads a calendar: only tasks have a status to change."));
        }

        var done = change.Status == SourceTaskStatus.Completed;
        return UpdateAsync(
            change.ItemKey,
            (body, url) => CalDavObjectEditor.SetTaskStatus(body, url, change.ItemKey, change.RequestId, change.Status, time.GetUtcNow(), change.DecidedOn),
            done ? "The task was marked as completed." : "The task was reopened.",
            done ? "The task was already completed." : "The task was already open.",
            cancellationToken);
    }

    public Task<SourceWriteResult> ChangeTaskDueAsync(SourceTaskDueWrite change, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(change);
        if (settings.Kind != SourceKind.CalDavTasks)
        {
            return Task.FromResult(new SourceWriteResult(SourceWriteOutcome.Rejected, "This account reads a calendar: only tasks have a due date to change."));
        }

        return UpdateAsync(
            change.ItemKey,
            (body, url) => CalDavObjectEditor.SetTaskDue(body, url, change.ItemKey, change.RequestId, change.Due, time.GetUtcNow()),
            "The task's due date was changed.",
            "The task already had that due date.",
            cancellationToken);
    }

    public Uri? WebUrl(SourceItem item) => item.WebUrl is { } u && Uri.TryCreate(u, UriKind.Absolute, out var uri) ? uri : null;

    /// <summary>
    /// Checks the collection (a calendar? one that takes our component?) and counts what it holds. A URL that is
    /// not a calendar collection is looked into with discovery, so the message can name the calendars found there.
    /// </summary>
    public async Task<SourceProbe> ProbeAsync(CancellationToken cancellationToken = default)
    {
        CalDavCollection collection;
        try
        {
            collection = await client.GetCollectionAsync(Collection, cancellationToken);
        }
        catch (CalDavException e) when (e.Kind == CalDavErrorKind.NotACalendar)
        {
            return new SourceProbe
            {
                Reachable = true,
                Authenticated = true,
                Error = SourceErrorKind.NotACalendar,
                Message = await NotACalendarMessageAsync(cancellationToken),
            };
        }
        catch (CalDavException e)
        {
            var error = Translate(e, "checking the collection");
            var reachable = error.Kind is not (SourceErrorKind.Unreachable or SourceErrorKind.Timeout or SourceErrorKind.Tls or SourceErrorKind.BlockedAddress or SourceErrorKind.BadUrl);
            return new SourceProbe
            {
                Reachable = reachable,
                Authenticated = reachable && error.Kind is not (SourceErrorKind.Unauthorized or SourceErrorKind.Forbidden),
                Error = error.Kind,
                Message = error.Message,
            };
        }

        var warnings = new List<string>();
        if (settings.Kind == SourceKind.CalDavTasks ? !collection.AcceptsTodos : !collection.AcceptsEvents)
        {
            warnings.Add(settings.Kind == SourceKind.CalDavTasks
                ? "This collection does not take tasks (VTODO); pick a task list."
                : "This collection does not take events (VEVENT); pick a calendar.");
        }

        try
        {
            var sync = await client.SyncAsync(Collection, null, cancellationToken);
            var objects = await client.MultigetAsync(Collection, sync.Changed.Select(c => c.Href), cancellationToken);
            var parsed = objects.Objects.Select(o => SourceListingBuilder.Build(IcalReader.Parse(System.Text.Encoding.UTF8.GetBytes(o.Body)), CalDavClient.ObjectUrl(Collection, o.Href).AbsoluteUri)).ToList();
            var counts = new SourceListing([], [], parsed.Sum(l => l.Events), parsed.Sum(l => l.Tasks), parsed.Sum(l => l.OpenTasks));
            var wanted = settings.Kind == SourceKind.CalDavTasks ? counts.Tasks : counts.Events;
            if (wanted == 0 && counts.Events + counts.Tasks > 0)
            {
                warnings.Add(settings.Kind == SourceKind.CalDavTasks
                    ? "The collection holds events but no tasks; this account reads tasks only."
                    : "The collection holds tasks but no events; this account reads events only.");
            }

            var name = string.IsNullOrWhiteSpace(collection.DisplayName) ? string.Empty : $" in \"{collection.DisplayName.Trim()}\"";
            var found = IcsFeedSource.Found(counts);
            return new SourceProbe
            {
                Reachable = true,
                Authenticated = true,
                IsCalendar = true,
                Events = counts.Events,
                Tasks = counts.Tasks,
                OpenTasks = counts.OpenTasks,
                Message = found.StartsWith("Found ", StringComparison.Ordinal) && name.Length > 0 ? found[..^1] + name + "." : found,
                Warnings = warnings,
            };
        }
        catch (CalDavException e)
        {
            var error = Translate(e, "counting the items");
            return new SourceProbe { Reachable = true, Authenticated = error.Kind is not SourceErrorKind.Unauthorized, IsCalendar = true, Error = error.Kind, Message = error.Message, Warnings = warnings };
        }
    }

    /// <summary>
    /// Maps a CalDAV failure to the source error an admin sees. An SSRF refusal surfaces from inside the
    /// connection attempt, wrapped by HttpClient; it is unwrapped so its own message ("private address") shows.
    /// </summary>
    internal static SourceException Translate(CalDavException e, string doing)
    {
        for (Exception? inner = e.InnerException; inner is not null; inner = inner.InnerException)
        {
            if (inner is SourceException source)
            {
                return source;
            }
        }

        return e.Kind switch
        {
            CalDavErrorKind.Unauthorized => new SourceException(SourceErrorKind.Unauthorized, "The server rejected the username or password.", 401),
            CalDavErrorKind.Forbidden => new SourceException(SourceErrorKind.Forbidden, "The server does not allow this account to access the collection.", 403),
            CalDavErrorKind.NotFound => new SourceException(SourceErrorKind.NotFound, $"There is nothing at this address any more ({e.HttpStatus?.ToString(CultureInfo.InvariantCulture) ?? "404"}): check the collection URL.", e.HttpStatus ?? 404),
            CalDavErrorKind.NotACalendar => new SourceException(SourceErrorKind.NotACalendar, "This URL is not a calendar collection: pick a calendar or task list URL."),
            CalDavErrorKind.Unreachable => new SourceException(SourceErrorKind.Unreachable, $"The CalDAV server could not be reached while {doing}.", e),
            CalDavErrorKind.Timeout => new SourceException(SourceErrorKind.Timeout, $"The CalDAV server did not answer in time while {doing}.", e),
            CalDavErrorKind.ServerError => new SourceException(SourceErrorKind.ServerError, e.Message, e),
            _ => new SourceException(SourceErrorKind.Protocol, e.Message, e),
        };
    }

    private async Task<string> NotACalendarMessageAsync(CancellationToken cancellationToken)
    {
        const string Plain = "This URL is not a calendar collection: pick a calendar or task list URL.";
        try
        {
            var discovery = await client.DiscoverAsync(Collection, cancellationToken);
            var fitting = discovery.Collections.Where(c => settings.Kind == SourceKind.CalDavTasks ? c.AcceptsTodos : c.AcceptsEvents).Take(5).ToList();
            return fitting.Count == 0
                ? Plain
                : Plain + " Found here: " + string.Join(", ", fitting.Select(c => (string.IsNullOrWhiteSpace(c.DisplayName) ? string.Empty : c.DisplayName.Trim() + " ") + "<" + c.Url.AbsoluteUri + ">")) + ".";
        }
        catch (CalDavException)
        {
            return Plain;
        }
    }

    /// <summary>
    /// The items of one resource as a pull lists them (the admin UI's Test connection uses it too); null when it holds
    /// no iCalendar data at all. Items of both kinds: the account keeps those of its own.
    /// </summary>
    public static SourceListing? ListObject(CalDavObject obj, Uri collection)
    {
        var parse = IcalReader.Parse(System.Text.Encoding.UTF8.GetBytes(obj.Body));
        return parse.Roots.Any(r => r.Name == "VCALENDAR")
            ? SourceListingBuilder.Build(parse, CalDavClient.ObjectUrl(collection, obj.Href).AbsoluteUri)
            : null;
    }

    /// <summary>Parses one resource into items of this account's kind; null when it holds no iCalendar data at all.</summary>
    private List<SourceItem>? ReadObject(CalDavObject obj, List<string> warnings)
    {
        if (ListObject(obj, Collection) is not { } listing)
        {
            return null;
        }

        if (listing.Warnings.Count > 0)
        {
            warnings.AddRange(listing.Warnings.Select(w => $"{obj.Href}: {w}"));
        }

        return listing.Items
            .Where(i => i.Item.Kind == itemKind)
            .Select(i => i.ToSourceItem() with { Href = obj.Href, ETag = obj.ETag })
            .ToList();
    }

    private async Task<SourceWriteResult> UpdateAsync(string itemKey, Func<string, string, CalDavEdit> edit, string written, string already, CancellationToken cancellationToken)
    {
        var stored = await store.GetAsync(settings.AccountId, itemKey, cancellationToken);
        if (stored is not { Deleted: false, Item.Href: { } href })
        {
            return new SourceWriteResult(SourceWriteOutcome.NotFound, "The item is not in the source (any more).");
        }

        var url = CalDavClient.ObjectUrl(Collection, href);
        CalDavEdit? last = null;
        CalDavUpdateResult result;
        try
        {
            result = await client.UpdateWithRetryAsync(
                url,
                body =>
                {
                    last = edit(body, url.AbsoluteUri);
                    return last.Outcome == CalDavEditOutcome.Changed ? last.Body : null;
                },
                settings.MaxWriteAttempts,
                cancellationToken);
        }
        catch (CalDavException e) when (e.Kind == CalDavErrorKind.NotFound)
        {
            return new SourceWriteResult(SourceWriteOutcome.NotFound, "The item is not in the source (any more).");
        }
        catch (CalDavException e)
        {
            throw Translate(e, "writing to the item");
        }

        return result.Status switch
        {
            CalDavWriteStatus.Written => new SourceWriteResult(SourceWriteOutcome.Written, written, result.ETag),
            CalDavWriteStatus.AlreadyApplied => last?.Outcome switch
            {
                CalDavEditOutcome.ItemNotFound => new SourceWriteResult(SourceWriteOutcome.NotFound, last.Message ?? "The item is not in the source (any more)."),
                CalDavEditOutcome.Rejected => new SourceWriteResult(SourceWriteOutcome.Rejected, last.Message ?? "The change was refused."),
                CalDavEditOutcome.Stale => new SourceWriteResult(SourceWriteOutcome.Conflict, last.Message ?? "The item changed since it was read."),
                _ => new SourceWriteResult(SourceWriteOutcome.AlreadyApplied, already, result.ETag),
            },
            CalDavWriteStatus.PreconditionFailed => new SourceWriteResult(
                SourceWriteOutcome.Conflict,
                string.Create(CultureInfo.InvariantCulture, $"The item kept changing on the server; the change was not written after {result.Attempts} attempts.")),
            CalDavWriteStatus.Unauthorized => throw new SourceException(SourceErrorKind.Unauthorized, "The server rejected the username or password.", 401),
            CalDavWriteStatus.Forbidden => new SourceWriteResult(
                SourceWriteOutcome.Rejected,
                "The server does not allow this account to change the item" + (result.Write.Precondition is { } p ? $" ({p})." : ".")),
            _ => new SourceWriteResult(
                SourceWriteOutcome.Rejected,
                "The server refused the change" + (result.Write.Precondition is { } c ? $" ({c})." : string.Create(CultureInfo.InvariantCulture, $" (HTTP {result.Write.HttpStatus})."))),
        };
    }

    private static async Task<T> Call<T>(Func<Task<T>> action, string doing)
    {
        try
        {
            return await action();
        }
        catch (CalDavException e)
        {
            throw Translate(e, doing);
        }
    }
}
