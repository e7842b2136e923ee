using System.Globalization;
using ChannelService.Accounts;
using ChannelService.Calendars;
using ChannelService.Sources;
using ChannelService.Sources.CalDav;
using ChannelService.Tickets;
using NodaTime;

namespace ChannelService.Pull;

/// <summary>
/// One future ticket: a task, an event, or one occurrence of a recurring event, with its snapshot as of now.
/// </summary>
internal sealed record TicketUnit
{
    public required string UnitKey { get; init; }

    public required string ItemKey { get; init; }

    public string? SeriesUid { get; init; }

    public string? OccurrenceDate { get; init; }

    /// <summary>What the ticket shows now; built on first use, since most units of a large account are compared by nothing or sent by no response.</summary>
    public ItemSnapshot Snapshot => snapshot ??= MakeSnapshot();

    /// <summary>Hash of the snapshot: what the ticket shows. Invisible changes (X- properties) make no comment.</summary>
    public string Version => version ??= CachedVersion ?? Remember(ExternalIds.Hash("snapshot", Snapshot.ToJson()));

    /// <summary>The version computed by an earlier pull for the same item content and zone setting.</summary>
    public string? CachedVersion { get; init; }

    public Action<string>? RememberVersion { private get; init; }

    private string Remember(string computed)
    {
        RememberVersion?.Invoke(computed);
        return computed;
    }

    public required Func<ItemSnapshot> MakeSnapshot { private get; init; }

    private ItemSnapshot? snapshot;
    private string? version;

    public required StoredSourceItem Source { get; init; }

    public required CalendarItem Item { get; init; }

    /// <summary>Whether the item, as it is now, would be imported as a new ticket (open task, event in the window).</summary>
    public required bool Wanted { get; init; }
}

/// <summary>
/// Turns the stored source items into ticket units, evaluating the event window against the clock on every pull
/// ("time moves even when the source does not", design §5).
/// </summary>
internal static class TicketPlanner
{
    /// <summary>
    /// Days beyond each end of the window in which a series' occurrences are still listed (see <c>seriesOccurrences</c>
    /// of <see cref="Plan"/>): the planner compares an occurrence's date, in the series' zone, with today's UTC date,
    /// which can be a day and 14 hours away from the window's instants.
    /// </summary>
    public const int SeriesMarginDays = 3;

    /// <summary>One resolver per calendar a read parsed (its VTIMEZONEs and X-WR-TIMEZONE), shared by its items.</summary>
    internal sealed class ResolverCache : Dictionary<(IReadOnlyDictionary<string, CalendarComponent>, string?), TimeZoneResolver>;

    /// <summary>COMMENT parameter that marks replies this service wrote (channelback), with the Zendesk request id.</summary>
    public const string ReplyParameter = CalDavObjectEditor.CommentIdParameter;

    /// <param name="resolvers">Resolvers for parsed items, by the calendar they came from; pass the same one to plan a read in parts.</param>
    /// <param name="cache">Parses kept between pulls, for items without <see cref="SourceItem.Parsed"/>; with <paramref name="accountId"/>.</param>
    /// <param name="horizon">When given, told every instant at which an item enters or leaves the window (for the no-change shortcut).</param>
    /// <param name="seriesOccurrences">When given, receives the unit key of every occurrence each series has from
    /// <see cref="SeriesMarginDays"/> before the window to as long after it: an acknowledged occurrence missing from
    /// the window but listed here has left the window; one not listed was removed from its series.</param>
    public static List<TicketUnit> Plan(
        IReadOnlyList<StoredSourceItem> stored,
        AccountOptions options,
        Instant now,
        List<string> diagnostics,
        ResolverCache? resolvers = null,
        ParsedItemCache? cache = null,
        string accountId = "",
        PlanHorizon? horizon = null,
        HashSet<string>? seriesOccurrences = null)
    {
        resolvers ??= new ResolverCache();
        var units = new List<TicketUnit>();
        var past = Duration.FromDays(options.WindowPastDays);
        var future = Duration.FromDays(options.WindowFutureDays);
        var windowStart = now - past;
        var windowEnd = now + future;
        var zoneOption = options.TimeZone is { Length: > 0 } z ? DateTimeZoneProviders.Tzdb.GetZoneOrNull(z) : null;
        var resolverOptions = new TimeZoneResolverOptions { DefaultZone = zoneOption };

        // Items this read just parsed are planned from that parse, with one resolver per calendar they came from;
        // the rest come from the cache, or are read back from their stored text.
        var zoneKey = options.TimeZone ?? string.Empty;
        var parsed = new List<(StoredSourceItem Stored, SourceItemCalendar Calendar, ParsedItemCache.Entry? Cached)>();
        foreach (var s in stored.Where(s => !s.Deleted))
        {
            var p = s.Item.Parsed;
            var entry = cache?.Get(accountId, s.Item.Key, s.Item.ContentVersion);
            if (entry is not null)
            {
                p = entry.Parsed;
            }
            else
            {
                p ??= ParsedSourceItem.Parse(s.Item);
                if (p is not null && cache is not null)
                {
                    entry = cache.Put(accountId, s.Item.Key, s.Item.ContentVersion, p);
                }
            }

            if (p is null)
            {
                diagnostics.Add($"item {s.Item.Key} could not be read back");
                continue;
            }

            if (!resolvers.TryGetValue((p.VTimezones, p.CalendarTimeZone), out var resolver))
            {
                resolvers[(p.VTimezones, p.CalendarTimeZone)] = resolver = new TimeZoneResolver(p.VTimezones.Values, p.CalendarTimeZone, resolverOptions);
            }

            parsed.Add((s, new SourceItemCalendar(p.Item, resolver), entry));
        }

        // Overrides (RECURRENCE-ID) belong to their master's expansion when the series is split into occurrences.
        var overridesByUid = parsed.Where(p => p.Calendar.Item.RecurrenceId is not null && p.Calendar.Item.Uid is not null)
            .GroupBy(p => p.Calendar.Item.Uid!, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
        var masters = parsed.Where(p => p.Calendar.Item is { IsRecurring: true, RecurrenceId: null, Uid: not null }).Select(p => p.Calendar.Item.Uid!).ToHashSet(StringComparer.Ordinal);

        foreach (var (s, calendar, cached) in parsed)
        {
            var item = calendar.Item;
            if (item.Kind == CalendarItemKind.Task)
            {
                units.Add(Unit(s, calendar, null, item.Uid, null, !item.IsClosedTask || options.Tasks == TaskScope.All, cached: cached, zoneKey: zoneKey));
                continue;
            }

            if (item.Kind != CalendarItemKind.Event)
            {
                continue;
            }

            var isOverrideOfKnownSeries = item.RecurrenceId is not null && item.Uid is not null && masters.Contains(item.Uid);
            if (isOverrideOfKnownSeries && options.Recurring == RecurrenceMode.Occurrence)
            {
                continue;
            }

            if (item.IsRecurring && item.RecurrenceId is null && options.Recurring == RecurrenceMode.Occurrence)
            {
                var overrides = item.Uid is not null && overridesByUid.TryGetValue(item.Uid, out var list) ? list.Select(o => o.Calendar.Item.Component).ToList() : [];
                var expansion = RecurrenceExpander.ExpandSeries(item.Component, overrides, calendar.Resolver, windowStart, windowEnd, new RecurrenceExpansionOptions { MaxOccurrences = 400 });
                diagnostics.AddRange(expansion.Diagnostics);
                var seriesZone = calendar.Resolver.ZoneOf(item.Start ?? IcalDateTime.ForUtc(now));
                LocalDate DateOf(Occurrence o) => o.OriginalStart.IsDate ? o.OriginalStart.Date : calendar.Resolver.ToInstant(o.OriginalStart).InZone(seriesZone).Date;
                var perDay = new Dictionary<LocalDate, int>();
                foreach (var occurrence in expansion.Occurrences)
                {
                    var date = DateOf(occurrence);
                    var ordinal = perDay.TryGetValue(date, out var n) ? n + 1 : 0;
                    perDay[date] = ordinal;
                    var occurrenceItem = occurrence.Override is { } o ? CalendarItemReader.Read(o) : item;
                    units.Add(Unit(s, calendar with { Item = occurrenceItem }, occurrence, item.Uid, date, wanted: true, ordinal));
                    horizon?.NoteSpan(occurrence.Start, occurrence.End, past, future);
                }

                if (horizon is not null || seriesOccurrences is not null)
                {
                    // The series a little beyond the window on both sides: the next occurrences to enter (those starting
                    // at or after the window's end, up to the horizon's limit; one under way at the window's end is in
                    // it now), and every occurrence whose date the planner may still compare with today's.
                    var margin = Duration.FromDays(SeriesMarginDays);
                    var to = windowEnd + (horizon is null ? margin : Duration.Max(margin, horizon.Until - now));
                    var wide = RecurrenceExpander.ExpandSeries(item.Component, overrides, calendar.Resolver, windowStart - margin, to, new RecurrenceExpansionOptions { MaxOccurrences = 2000 });
                    var wideDay = new Dictionary<LocalDate, int>();
                    foreach (var other in wide.Occurrences)
                    {
                        if (horizon is not null && other.Start >= windowEnd)
                        {
                            horizon.Note(other.Start - future);
                        }

                        var date = DateOf(other);
                        var ordinal = wideDay.TryGetValue(date, out var n) ? n + 1 : 0;
                        wideDay[date] = ordinal;
                        if (item.Uid is not null)
                        {
                            seriesOccurrences?.Add(ExternalIds.OccurrenceKey(item.Uid, DateOnly.FromDateTime(date.ToDateTimeUnspecified()), ordinal));
                        }
                    }
                }

                continue;
            }

            var start = item.StartInstant(calendar.Resolver);
            var end = item.EndInstant(calendar.Resolver) ?? start;
            var inWindow = start is null || (start < windowEnd && (end > windowStart || start >= windowStart));
            if (start is { } at)
            {
                horizon?.NoteSpan(at, end ?? at, past, future);
            }

            units.Add(Unit(s, calendar, null, item.Uid, null, inWindow, cached: cached, zoneKey: zoneKey));
        }

        return units;
    }

    /// <summary>
    /// The tickets a first sync of these items creates: one per wanted unit (an open task, an event in the window,
    /// each occurrence of a series in the window). The pull's first answer plans with it, and the admin UI's Test
    /// connection counts with it, so "N would become tickets" is what the first pull sends (issue 15 §5).
    /// </summary>
    public static List<TicketUnit> FirstSyncTickets(IEnumerable<SourceItem> items, AccountOptions options, Instant now, List<string> diagnostics, ResolverCache? resolvers = null)
    {
        var at = now.ToDateTimeOffset();
        var stored = items.Select(i => new StoredSourceItem(i, false, at, at, null)).ToList();
        return Plan(stored, options, now, diagnostics, resolvers).Where(u => u.Wanted).ToList();
    }

    /// <summary>
    /// The resync rule for closed tasks (README, "The pull"). After a resync (a state from another store epoch) the
    /// service cannot know which tickets Zendesk holds; every unit it wants is sent again under its ids. A task
    /// that is closed now (completed or cancelled) and that was closed after the account's first sync in the earlier
    /// store (<paramref name="earlierFirstSync"/>) may have a ticket that never heard so: it was open at that first
    /// sync, or appeared after it, so it was imported. It gets its opening and the closing notice. Tasks closed
    /// before that first sync were skipped then (<c>tasks=open</c>) or imported closed (<c>tasks=all</c>), and are
    /// not told again; nor are tasks this store first saw after its own first sync (new ones are simply imported).
    /// The closing time is COMPLETED, else LAST-MODIFIED, else DTSTAMP; a task without any counts as closed after.
    /// </summary>
    /// <param name="closedAt">The closing time found, for the notice's created_at.</param>
    public static bool MayHaveMissedItsClosing(TicketUnit unit, DateTimeOffset? earlierFirstSync, DateTimeOffset? storeFirstSync, out Instant? closedAt)
    {
        closedAt = null;
        if (earlierFirstSync is not { } earlier || unit.Item.Kind != CalendarItemKind.Task || !unit.Snapshot.IsClosedTask
            || (storeFirstSync is { } first && unit.Source.FirstSeen > first))
        {
            return false;
        }

        closedAt = unit.Snapshot.Completed ?? Utc(unit.Item.LastModified) ?? Utc(unit.Item.Component.GetProperty("DTSTAMP") is { } stamp && IcalDateTime.TryParse(stamp, out var value) ? value : null);
        return closedAt is not { } closed || closed > Instant.FromDateTimeOffset(earlier);
    }

    private static Instant? Utc(IcalDateTime? value) => value is { Kind: IcalDateKind.Utc } v ? v.Local.InUtc().ToInstant() : null;

    /// <summary>
    /// A reply made on one occurrence's ticket is written on the series (one COMMENT for all its occurrences) but
    /// belongs to that ticket alone; on the others it would read as news.
    /// </summary>
    private static bool ShowsComment(CalendarComment comment, string unitKey) =>
        comment.GetParameter(CalDavObjectEditor.OccurrenceParameter) is not { } occurrence || occurrence == unitKey;

    private static TicketUnit Unit(
        StoredSourceItem s, SourceItemCalendar calendar, Occurrence? occurrence, string? uid, LocalDate? date, bool wanted, int ordinal = 0, ParsedItemCache.Entry? cached = null, string zoneKey = "")
    {
        var unitKey = occurrence is not null && uid is not null && date is { } d
            ? ExternalIds.OccurrenceKey(uid, DateOnly.FromDateTime(d.ToDateTimeUnspecified()), ordinal)
            : s.Item.Key;
        return new TicketUnit
        {
            UnitKey = unitKey,
            ItemKey = s.Item.Key,
            SeriesUid = occurrence is not null ? uid : null,
            OccurrenceDate = date?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            MakeSnapshot = () => ItemSnapshot.From(calendar.Item, calendar.Resolver, occurrence, ReplyParameter, c => ShowsComment(c, unitKey)),

            // A whole item's ticket reads the same until the item or the zone setting changes; an occurrence's
            // depends on which occurrence it is and is not kept.
            CachedVersion = occurrence is null && cached?.UnitVersion is { } known && known.Zone == zoneKey ? known.Version : null,
            RememberVersion = occurrence is null && cached is not null ? version => cached.UnitVersion = (zoneKey, version) : null,
            Source = s,
            Item = calendar.Item,
            Wanted = wanted,
        };
    }
}
