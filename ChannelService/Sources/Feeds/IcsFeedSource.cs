using System.Globalization;
using System.Runtime.CompilerServices;
using ChannelService.Accounts;
using ChannelService.Calendars;
using ChannelService.Sources.Http;

namespace ChannelService.Sources.Feeds;

/// <summary>What an iCalendar feed account needs: its id (for the store), the URL and optional credentials.</summary>
internal sealed record IcsFeedSettings(string AccountId, string Url, SourceCredentials? Credentials = null)
{
    public override string ToString() => $"IcsFeedSettings {{ AccountId = {AccountId} }}";
}

/// <summary>
/// An iCalendar feed (http, https, webcal): read-only. Each read is one conditional GET; a 304, or a body with
/// the same hash as last time, costs nothing more. Otherwise the feed is parsed, each (UID, RECURRENCE-ID) gets
/// its content version, and the versions are compared with the store to find what was added, changed or removed.
/// </summary>
internal sealed class IcsFeedSource : ISource, IFirstReadSource, IUnchangedCheckSource
{
    private readonly IcsFeedSettings settings;
    private readonly SourceHttpClient http;
    private readonly SourceItemStore store;
    private readonly Uri url;
    private readonly SourceCredentials? credentials;
    private readonly string urlHash;

    /// <summary>The cursor <see cref="IsUnchangedSinceAsync"/> parsed last: the same one is asked about again and again.</summary>
    private ParsedCursor? lastChecked;

    /// <exception cref="SourceException">The URL is not a valid http, https or webcal URL (<see cref="SourceErrorKind.BadUrl"/>).</exception>
    public IcsFeedSource(IcsFeedSettings settings, SourceHttpClient http, SourceItemStore store)
    {
        this.settings = settings;
        this.http = http;
        this.store = store;
        url = SourceUrl.Parse(settings.Url, out var userInfo);
        credentials = settings.Credentials ?? userInfo;
        urlHash = FeedCursor.HashUrl(url);
    }

    public SourceKind Kind => SourceKind.Ics;

    public SourceCapabilities Capabilities => SourceCapabilities.ReadOnly;

    /// <summary>The normalised URL (webcal as https, no userinfo): part of synthetic item keys.</summary>
    public Uri Url => url;

    public async Task<SourceChanges> ReadChangesAsync(string? cursor, CancellationToken cancellationToken = default)
    {
        var previous = FeedCursor.Parse(cursor, urlHash);
        var response = await http.GetAsync(url, credentials, previous?.ETag, previous?.LastModified, cancellationToken);
        if (response.NotModified)
        {
            if (previous is null)
            {
                throw new SourceException(SourceErrorKind.Protocol, "The server answered \"not modified\" to a request for the whole calendar.", 304);
            }

            return Unchanged(FeedCursor.Create(urlHash, response.ETag ?? previous.ETag, response.LastModified ?? previous.LastModified, previous.BodyHash));
        }

        var bodyHash = FeedCursor.HashBody(response.Body);
        if (previous?.BodyHash == bodyHash)
        {
            // Many servers send no validators at all (or change the ETag on every request): the same bytes as
            // last time mean the same items, so there is nothing to parse.
            return Unchanged(FeedCursor.Create(urlHash, response.ETag, response.LastModified, bodyHash));
        }

        var (parse, listing) = Read(response);
        var known = await store.GetKnownVersionsAsync(settings.AccountId, cancellationToken);
        return Diff(parse, listing, known, response.ETag, response.LastModified, bodyHash);
    }

    public async Task<bool> IsUnchangedSinceAsync(string cursor, CancellationToken cancellationToken = default)
    {
        // Only validators can say "unchanged" without a download worth avoiding; a body is compared by hash.
        var memo = lastChecked;
        var previous = memo?.Text == cursor ? memo.Cursor : FeedCursor.Parse(cursor, urlHash);
        if (previous is null || (previous.ETag is null && previous.LastModified is null))
        {
            return false;
        }

        lastChecked = new ParsedCursor(cursor, previous);

        var response = await http.GetAsync(url, credentials, previous.ETag, previous.LastModified, cancellationToken);
        return response.NotModified || (previous.BodyHash is { } hash && FeedCursor.HashBody(response.Body) == hash);
    }

    public async Task<FirstRead?> BeginFirstReadAsync(CancellationToken cancellationToken = default)
    {
        var known = await store.GetKnownVersionsAsync(settings.AccountId, cancellationToken);
        if (known.Count > 0)
        {
            return null;
        }

        var response = await http.GetAsync(url, credentials, cancellationToken: cancellationToken);
        if (response.NotModified)
        {
            throw new SourceException(SourceErrorKind.Protocol, "The server answered \"not modified\" to a request for the whole calendar.", 304);
        }

        FeedSniffer.EnsureLooksLikeCalendar(response.Body);
        var (etag, lastModified) = (response.ETag, response.LastModified);

        // The body is let go once it is parsed and hashed: the listing built from it is what the rest of the first
        // read needs. Both wait until asked for, so the first answer costs neither.
        var held = new StrongBox<SourceResponse?>(response);
        string? bodyHash = null;
        var parse = new Lazy<IcalParseResult>(
            () =>
            {
                var result = Parse(held.Value!);
                bodyHash = FeedCursor.HashBody(held.Value!.Body);
                held.Value = null;
                return result;
            },
            LazyThreadSafetyMode.None);
        var scan = FeedPrescan.Scan(response.Body);
        var items = scan.ZoneInfoAfterItems
            ? SourceListingBuilder.UnambiguousInDocumentOrder(parse.Value)
            : StreamUnambiguous(response, scan);
        return new FirstRead(
            items.Select(i => new FirstReadItem(i.ToPlanningItem(), i.ToSourceItem)),
            () => Diff(parse.Value, SourceListingBuilder.Build(parse.Value, url.AbsoluteUri), known, etag, lastModified, bodyHash!));
    }

    /// <summary>
    /// The items of <see cref="SourceListingBuilder.UnambiguousInDocumentOrder"/>, read from the start of the body
    /// as they are asked for instead of after a parse of the whole file. Only used when every VTIMEZONE and
    /// X-WR-TIMEZONE comes before the first item (<see cref="FeedPrescan.ZoneInfoAfterItems"/>), so each item is
    /// read with the same zones as in the full listing. A component the reader had to close itself (the body was
    /// cut) is left to the full listing.
    /// </summary>
    private static IEnumerable<ListedItem> StreamUnambiguous(SourceResponse response, FeedPrescan scan)
    {
        using var reader = new IcalReader(response.Body, ReaderOptions(response));
        var vtimezones = new Dictionary<string, CalendarComponent>(StringComparer.Ordinal);
        while (reader.TryReadNext(out var next))
        {
            var component = next.Component;
            if (component.Name == "VTIMEZONE")
            {
                if (component.GetProperty("TZID")?.RawValue.Trim() is { Length: > 0 } tzid)
                {
                    vtimezones.TryAdd(tzid, component);
                }

                continue;
            }

            // A component the reader had to close itself (the body was cut) is left to the full listing.
            if (SourceListingBuilder.UnambiguousItem(component, component.EndMissing, scan.Count) is not { } item)
            {
                continue;
            }

            yield return new ListedItem(SourceItemKeys.For(item.Uid!, null), item, next.Calendar, vtimezones);
        }
    }

    public async Task<SourceItem?> ReadItemAsync(string itemKey, CancellationToken cancellationToken = default)
    {
        // One item of a feed costs the whole download; the stored copy is what the last read saw.
        var stored = await store.GetAsync(settings.AccountId, itemKey, cancellationToken);
        return stored is { Deleted: false } ? stored.Item : null;
    }

    public Task<SourceWriteResult> WriteCommentAsync(SourceCommentWrite comment, CancellationToken cancellationToken = default) =>
        Task.FromResult(SourceWriteResult.ReadOnly("An iCalendar feed"));

    public Task<SourceWriteResult> ChangeTaskStatusAsync(SourceTaskStatusWrite change, CancellationToken cancellationToken = default) =>
        Task.FromResult(SourceWriteResult.ReadOnly("An iCalendar feed"));

    public Task<SourceWriteResult> ChangeTaskDueAsync(SourceTaskDueWrite change, CancellationToken cancellationToken = default) =>
        Task.FromResult(SourceWriteResult.ReadOnly("An iCalendar feed"));

    public Uri? WebUrl(SourceItem item) => item.WebUrl is { } u ? new Uri(u) : null;

    public async Task<SourceProbe> ProbeAsync(CancellationToken cancellationToken = default)
    {
        SourceResponse response;
        try
        {
            response = await http.GetAsync(url, credentials, cancellationToken: cancellationToken);
        }
        catch (SourceException e)
        {
            var reachable = e.Kind is not (SourceErrorKind.Unreachable or SourceErrorKind.Timeout or SourceErrorKind.Tls or SourceErrorKind.BlockedAddress or SourceErrorKind.BadUrl);
            return new SourceProbe
            {
                Reachable = reachable || e.StatusCode is not null,
                Authenticated = reachable && e.Kind is not (SourceErrorKind.Unauthorized or SourceErrorKind.Forbidden),
                Error = e.Kind,
                Message = e.Message,
            };
        }

        try
        {
            var (_, listing) = Read(response);
            return new SourceProbe
            {
                Reachable = true,
                Authenticated = true,
                IsCalendar = true,
                Events = listing.Events,
                Tasks = listing.Tasks,
                OpenTasks = listing.OpenTasks,
                Message = Found(listing),
                Warnings = listing.Warnings,
            };
        }
        catch (SourceException e)
        {
            return new SourceProbe { Reachable = true, Authenticated = true, Error = e.Kind, Message = e.Message };
        }
    }

    /// <summary>"Found 23 open tasks (25 tasks) and 4 events." for the admin UI.</summary>
    internal static string Found(SourceListing listing)
    {
        static string Count(int n, string one, string many) => n.ToString(CultureInfo.InvariantCulture) + " " + (n == 1 ? one : many);

        if (listing.Events == 0 && listing.Tasks == 0)
        {
            return "The calendar is readable but holds no events or tasks.";
        }

        var parts = new List<string>();
        if (listing.Tasks > 0)
        {
            parts.Add(listing.OpenTasks == listing.Tasks
                ? Count(listing.OpenTasks, "open task", "open tasks")
                : $"{Count(listing.OpenTasks, "open task", "open tasks")} ({Count(listing.Tasks, "task", "tasks")} in all)");
        }

        if (listing.Events > 0)
        {
            parts.Add(Count(listing.Events, "event", "events"));
        }

        return "Found " + string.Join(" and ", parts) + ".";
    }

    /// <summary>Checks the body is a calendar, then parses and lists it. Throws <see cref="SourceErrorKind.NotACalendar"/>.</summary>
    private (IcalParseResult Parse, SourceListing Listing) Read(SourceResponse response)
    {
        var parse = Parse(response);
        return (parse, SourceListingBuilder.Build(parse, url.AbsoluteUri));
    }

    /// <summary>
    /// The items of a downloaded feed exactly as a pull lists them (same sniffing, reader options and keys), for the
    /// admin UI's Test connection. <paramref name="feedUrl"/> is the normalised URL (<see cref="SourceUrl.Parse"/>).
    /// </summary>
    /// <exception cref="SourceException">The body is not iCalendar data.</exception>
    public static SourceListing List(SourceResponse response, Uri feedUrl) => SourceListingBuilder.Build(Parse(response), feedUrl.AbsoluteUri);

    /// <summary>A feed is never written back, so the verbatim lines a CalDAV write needs would only double its memory.</summary>
    private static IcalReaderOptions ReaderOptions(SourceResponse response) => new() { Charset = response.Charset, KeepRawLines = false };

    private static IcalParseResult Parse(SourceResponse response)
    {
        FeedSniffer.EnsureLooksLikeCalendar(response.Body);
        var parse = IcalReader.Parse(response.Body, ReaderOptions(response));
        if (!parse.Roots.Any(r => r.Name == "VCALENDAR" || CalendarItemReader.KindOf(r.Name) is not null))
        {
            throw new SourceException(SourceErrorKind.NotACalendar, "This URL did not return iCalendar data (no BEGIN:VCALENDAR).");
        }

        return parse;
    }

    private SourceChanges Diff(IcalParseResult parse, SourceListing listing, Dictionary<string, KnownSourceItem> known, string? etag, DateTimeOffset? lastModified, string bodyHash)
    {
        var upserts = new List<SourceItem>();
        var listed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var item in listing.Items)
        {
            listed.Add(item.Key);
            if (!known.TryGetValue(item.Key, out var before))
            {
                upserts.Add(item.ToSourceItem() with { Change = SourceChangeKind.Added });
            }
            else if (before.Deleted || before.ContentVersion != item.ContentVersion)
            {
                upserts.Add(item.ToSourceItem() with { Change = SourceChangeKind.Changed, PreviousVersion = before.ContentVersion });
            }
        }

        var warnings = new List<string>(listing.Warnings);
        var deletions = new List<SourceDeletion>();

        // Deletions are inferred only from a complete, well-formed listing (design §5). A download that was cut
        // short or is structurally broken (Complete is false: END:VCALENDAR missing, components closed by force,
        // the reader's limit hit) says nothing about the items it does not contain. Its added and changed items
        // are still reported: each was read whole (a component cut at the end is skipped by the listing) and
        // change detection is per item, so they are as true as in a complete download; holding them back would
        // leave a feed that is always slightly malformed without any updates at all.
        var complete = parse.Complete;
        if (complete)
        {
            foreach (var before in known.Values)
            {
                if (!before.Deleted && !listed.Contains(before.Key))
                {
                    deletions.Add(new SourceDeletion(before.Key, before.Uid, before.RecurrenceId, before.ContentVersion));
                }
            }
        }
        else
        {
            var missing = known.Values.Count(k => !k.Deleted && !listed.Contains(k.Key));
            warnings.Add("The calendar was incomplete or malformed (it did not end properly), so no items were treated as deleted"
                + (missing > 0 ? string.Create(CultureInfo.InvariantCulture, $"; {missing} known items were missing from it.") : "."));
        }

        if (complete && listing.Items.Count == 0 && deletions.Count > 0)
        {
            warnings.Add(string.Create(CultureInfo.InvariantCulture, $"The calendar is now empty: all {deletions.Count} known items were treated as deleted."));
        }

        // After an incomplete download no validators are kept: a 304 would otherwise keep confirming a body that
        // was never seen whole, and its missing items would never arrive nor its deletions be noticed.
        var cursor = complete
            ? FeedCursor.Create(urlHash, etag, lastModified, bodyHash)
            : FeedCursor.Create(urlHash, null, null, null);
        return new SourceChanges
        {
            Cursor = cursor.ToString(),
            Upserts = upserts,
            Deletions = deletions,
            CompleteListing = complete,
            ListedCount = listing.Items.Count,
            Warnings = warnings,
        };
    }

    /// <summary>A reference, so concurrent pulls swap it whole.</summary>
    private sealed record ParsedCursor(string Text, FeedCursor Cursor);

    private static SourceChanges Unchanged(FeedCursor cursor) => new()
    {
        Cursor = cursor.ToString(),
        Upserts = [],
        Deletions = [],

        // Nothing is missing: the listing is the one already stored. There are no deletions to infer either.
        CompleteListing = true,
        Unchanged = true,
    };
}
