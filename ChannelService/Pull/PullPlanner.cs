using System.Data.Common;
using ChannelService.Accounts;
using ChannelService.Calendars;
using ChannelService.Configuration;
using ChannelService.Files;
using ChannelService.Sources;
using ChannelService.Tickets;
using ChannelService.ZendeskLink.Tickets;
using Microsoft.Extensions.Options;
using NodaTime;

namespace ChannelService.Pull;

/// <summary>What a response carries: its resources and, per ticket, what to record as pending.</summary>
/// <param name="StableUntil">Until when the same plan would come out if only the clock moved (see <see cref="PlanHorizon"/>).</param>
internal sealed record PlannedResponse(List<ExternalResource> Resources, List<PendingUnit> Pending, DateTimeOffset StableUntil);

/// <summary>A first answer made from the first items of a first read, and the whole items it carries (to store now).</summary>
internal sealed record PlannedFirstAnswer(List<ExternalResource> Resources, List<PendingUnit> Pending, IReadOnlyDictionary<string, SourceItem> Sent);

/// <summary>
/// Planning (design §5): compares what each ticket should show with what Zendesk acknowledged and picks at most
/// <see cref="MaxResources"/> resources, oldest change first. Pure apart from reading the stored items it plans
/// from; the pull orchestrator (<see cref="PullService"/>) records what it picked.
/// </summary>
internal sealed class PullPlanner(SourceItemStore store, ParsedItemCache parsedItems, FileLinks fileLinks, IOptions<ChannelOptions> channel)
{
    /// <summary>Zendesk's documented maximum per response.</summary>
    public const int MaxResources = 200;

    /// <summary>The backlog: units whose ticket differs from what Zendesk acknowledged, oldest change first, at most 200 resources.</summary>
    /// <param name="stableAtMost">The latest <see cref="PlannedResponse.StableUntil"/> to report, whatever the items say.</param>
    /// <param name="statusWrittenBySync">
    /// Per task unit, the state the two-way status sync wrote to the source itself (ZendeskLink/Status): a change to
    /// exactly that state came from the ticket, so it is not told back to the ticket as a "Status" change.
    /// </param>
    public PlannedResponse PlanBacklog(
        AccountMetadata account,
        bool sourceTakesReplies,
        IReadOnlyList<StoredSourceItem> stored,
        Dictionary<string, MirrorRow> acked,
        PullAccountRow row,
        DateTimeOffset nowOffset,
        DateTimeOffset? stableAtMost = null,
        IReadOnlyDictionary<string, string>? statusWrittenBySync = null)
    {
        var now = Instant.FromDateTimeOffset(nowOffset);
        var diagnostics = new List<string>();
        var horizon = new PlanHorizon(now, Instant.FromDateTimeOffset(stableAtMost ?? nowOffset));
        var seriesOccurrences = new HashSet<string>(StringComparer.Ordinal);
        var units = TicketPlanner.Plan(stored, account.Options, now, diagnostics, cache: parsedItems, accountId: account.AccountId, horizon: horizon, seriesOccurrences: seriesOccurrences);
        var builder = Builder(account, sourceTakesReplies, now);
        var zone = Zone(account);
        var firstSyncDone = row.FirstSyncedAt;

        var work = new List<(DateTimeOffset At, string Key, Func<(List<ExternalResource>, PendingUnit)> Make)>();
        var present = new HashSet<string>(StringComparer.Ordinal);
        foreach (var unit in units)
        {
            present.Add(unit.UnitKey);
            var threadId = ExternalIds.ThreadId(account.AccountId, unit.UnitKey);
            if (acked.TryGetValue(unit.UnitKey, out var mirror))
            {
                if (mirror.AckedVersion == unit.Version)
                {
                    continue;
                }

                var before = ItemSnapshot.FromJson(mirror.AckedSnapshot!);
                var acknowledged = before;
                if (statusWrittenBySync is not null && statusWrittenBySync.TryGetValue(unit.UnitKey, out var written) && TaskState(unit.Snapshot) == written)
                {
                    // The status came from the ticket (the sync wrote it): the rest of the change is still told.
                    before = before with { Status = unit.Snapshot.Status, PercentComplete = unit.Snapshot.PercentComplete, Completed = unit.Snapshot.Completed, Cancelled = unit.Snapshot.Cancelled };
                }

                work.Add((unit.Source.ChangedAt, unit.UnitKey, () =>
                {
                    var ordinal = mirror.AckedOrdinal + 1;
                    return (builder.Change(unit, threadId, before, mirror.AckedVersion!, ordinal), Pending(account, zone, threadId, unit, ordinal, acknowledged));
                }));
                continue;
            }

            // Never acknowledged: a new ticket, if the account wants this item. Closed tasks are skipped on the first
            // sync (tasks=open), but a task that appears after it is imported even if it is already done.
            var wanted = unit.Wanted || (firstSyncDone is { } first && unit.Source.FirstSeen > first && unit.Item.Kind == CalendarItemKind.Task);
            if (TicketPlanner.MayHaveMissedItsClosing(unit, row.EarlierFirstSyncAt, firstSyncDone, out var closedAt))
            {
                work.Add((unit.Source.FirstSeen, unit.UnitKey, () => (builder.OpeningWithClosing(unit, threadId, closedAt), Pending(account, zone, threadId, unit, 0))));
                continue;
            }

            if (!wanted)
            {
                continue;
            }

            work.Add((unit.Source.FirstSeen, unit.UnitKey, () => (builder.Opening(unit, threadId), Pending(account, zone, threadId, unit, 0))));
        }

        // Acknowledged tickets whose item is gone: deleted from the source, or an occurrence removed from its series.
        var deletedItems = stored.Where(s => s.Deleted).ToDictionary(s => s.Item.Key, StringComparer.Ordinal);
        var liveItems = stored.Where(s => !s.Deleted).Select(s => s.Item.Key).ToHashSet(StringComparer.Ordinal);
        foreach (var (key, mirror) in acked)
        {
            if (present.Contains(key))
            {
                continue;
            }

            var before = ItemSnapshot.FromJson(mirror.AckedSnapshot!);
            if (before.Deleted)
            {
                continue;
            }

            var gone = deletedItems.TryGetValue(mirror.ItemKey, out var deleted) || !liveItems.Contains(mirror.ItemKey);
            // Removed from its series: the series no longer has it. One the series still has merely left the window.
            var occurrenceDropped = !gone && mirror.OccurrenceDate is { } date && IsInWindow(date, account.Options, now) && !seriesOccurrences.Contains(key);
            if (!gone && mirror.OccurrenceDate is not null)
            {
                // IsInWindow compares with today's UTC date, which changes at midnight.
                horizon.Note(now.InUtc().Date.PlusDays(1).AtMidnight().InUtc().ToInstant());
            }

            if (!gone && !occurrenceDropped)
            {
                continue;
            }

            var after = ResourceBuilder.Gone(before, fromSeries: occurrenceDropped);
            var version = ExternalIds.Hash("snapshot", after.ToJson());
            var threadId = ExternalIds.ThreadId(account.AccountId, key);
            work.Add((deleted?.DeletedAt ?? nowOffset, key, () =>
            {
                var ordinal = mirror.AckedOrdinal + 1;
                var resource = builder.Deletion(threadId, before, after, mirror.AckedVersion!, ordinal, version);
                return ([resource], new PendingUnit(key, mirror.ItemKey, mirror.SeriesUid, mirror.OccurrenceDate, version, after.ToJson(), ordinal));
            }));
        }

        var resources = new List<ExternalResource>();
        var pending = new List<PendingUnit>();
        foreach (var (_, _, make) in work.OrderBy(w => w.At).ThenBy(w => w.Key, StringComparer.Ordinal))
        {
            var (unitResources, unitPending) = make();
            if (unitResources.Count > MaxResources)
            {
                unitResources = unitResources.Take(MaxResources).ToList();
            }

            if (resources.Count + unitResources.Count > MaxResources)
            {
                break;
            }

            resources.AddRange(unitResources);
            pending.Add(unitPending);
        }

        return new PlannedResponse(resources, pending, horizon.Until.ToDateTimeOffset());
    }

    /// <summary>
    /// The first answer of a first read, from the first items in document order (all of them new: none is older than
    /// another). Null when the items ran out before the answer was full (a small source, or few items wanted): then
    /// the usual way costs no more.
    /// </summary>
    public PlannedFirstAnswer? PlanFirstAnswer(AccountMetadata account, bool sourceTakesReplies, IEnumerable<FirstReadItem> items, DateTimeOffset nowOffset)
    {
        var accountId = account.AccountId;
        var now = Instant.FromDateTimeOffset(nowOffset);
        var builder = Builder(account, sourceTakesReplies, now);
        var zone = Zone(account);
        var resources = new List<ExternalResource>();
        var pending = new List<PendingUnit>();
        var sent = new Dictionary<string, SourceItem>(StringComparer.Ordinal);
        var diagnostics = new List<string>();
        var resolvers = new TicketPlanner.ResolverCache();
        foreach (var item in items)
        {
            // One item at a time: a recurring series yields its occurrences in the window, a task or event one unit.
            var units = TicketPlanner.FirstSyncTickets([item.ForPlanning], account.Options, now, diagnostics, resolvers);
            var unitResources = units.Select(u => builder.Opening(u, ExternalIds.ThreadId(accountId, u.UnitKey))).ToList();
            if (resources.Count + unitResources.Sum(r => r.Count) > MaxResources)
            {
                // An item with more tickets than one answer holds (a long series) as the very first: the usual way
                // cuts it to 200; an empty first answer would only make Zendesk wait.
                return resources.Count > 0 ? new PlannedFirstAnswer(resources, pending, sent) : null;
            }

            foreach (var (unit, made) in units.Zip(unitResources))
            {
                resources.AddRange(made);
                pending.Add(Pending(account, zone, ExternalIds.ThreadId(accountId, unit.UnitKey), unit, 0));
                if (!sent.ContainsKey(item.ForPlanning.Key))
                {
                    sent[item.ForPlanning.Key] = item.Whole();
                }
            }
        }

        return null;
    }

    /// <summary>
    /// Every stored item to plan from, inside the caller's transaction: parsed items of this read and of the cache
    /// without their text, the rest with it (they are parsed by the planner and then kept in the cache).
    /// </summary>
    public async Task<IReadOnlyList<StoredSourceItem>> ListForPlanningAsync(DbConnection c, DbTransaction t, string accountId, SourceChanges changes, CancellationToken cancellationToken)
    {
        foreach (var upsert in changes.Upserts)
        {
            if (upsert.Parsed is { } parsed)
            {
                parsedItems.Put(accountId, upsert.Key, upsert.ContentVersion, parsed);
            }
        }

        // Each item leaves here with its parse or its text: the planner must not depend on a cache entry that
        // another pull's inserts may evict in the meantime.
        var listed = await store.ListAsync(c, t, accountId, includeDeleted: true, includeRaw: false, cancellationToken);
        var stored = new List<StoredSourceItem>(listed.Count);
        var missing = new List<string>();
        foreach (var s in listed)
        {
            if (!s.Deleted && parsedItems.Get(accountId, s.Item.Key, s.Item.ContentVersion) is { } entry)
            {
                stored.Add(s with { Item = s.Item with { Parsed = entry.Parsed } });
                continue;
            }

            stored.Add(s);
            if (!s.Deleted)
            {
                missing.Add(s.Item.Key);
            }
        }

        if (missing.Count == 0)
        {
            return stored;
        }

        var raw = await store.GetRawAsync(c, t, accountId, missing, cancellationToken);
        return stored.Select(s => raw.TryGetValue(s.Item.Key, out var text) ? s with { Item = s.Item with { RawIcs = text } } : s).ToList();
    }

    private static DateTimeZone Zone(AccountMetadata account) => ResourceBuilder.ZoneOf(account.Options);

    private ResourceBuilder Builder(AccountMetadata account, bool sourceTakesReplies, Instant now)
    {
        var zone = ResourceBuilder.ZoneOf(account.Options);

        // Inline attachments travel as signed links to /files, which need the public address Zendesk fetches them from.
        var publicBaseUrl = channel.Value.BaseUri;
        Func<TicketUnit, int, string?>? inlineFileUrl = publicBaseUrl is null ? null
            : (unit, index) => new Uri(publicBaseUrl, "files/" + fileLinks.Token(new FileLinkTarget(account.AccountId, unit.ItemKey, index))).AbsoluteUri;
        return new ResourceBuilder(account, sourceTakesReplies, zone, now, inlineFileUrl);
    }

    /// <summary>
    /// What a response records for a unit, with the intent for its ticket's native properties when the account has a
    /// subdomain the Zendesk link could serve (queued by the pull, applied by ZendeskLink/Work/ApiWorker.cs).
    /// </summary>
    private static PendingUnit Pending(AccountMetadata account, DateTimeZone zone, string threadId, TicketUnit unit, long ordinal, ItemSnapshot? before = null) =>
        new(unit.UnitKey, unit.ItemKey, unit.SeriesUid, unit.OccurrenceDate, unit.Version, unit.Snapshot.ToJson(), ordinal)
        {
            Intent = account.Subdomain is null ? null : TicketIntent.From(threadId, unit.Snapshot, unit.Item, account.Options, zone)?.ToJson(),
            TaskState = unit.Item.Kind == CalendarItemKind.Task ? TaskState(unit.Snapshot) : null,
            TaskStateAt = unit.Item.Kind == CalendarItemKind.Task
                ? (unit.Snapshot.IsClosedTask ? unit.Snapshot.Completed?.ToDateTimeOffset() : null) ?? Utc(unit.Item.LastModified) ?? unit.Source.ChangedAt
                : null,
            TaskStateBefore = unit.Item.Kind == CalendarItemKind.Task && before is not null ? TaskState(before) : null,
        };

    /// <summary>A task's state as the two-way status sees it: <c>cancelled</c>, <c>completed</c> (STATUS or COMPLETED) or <c>open</c>.</summary>
    public static string TaskState(ItemSnapshot snapshot) =>
        snapshot.Cancelled || snapshot.Status == "CANCELLED" ? "cancelled" : snapshot.IsClosedTask ? "completed" : "open";

    private static DateTimeOffset? Utc(IcalDateTime? value) => value is { Kind: IcalDateKind.Utc } v ? v.Local.InUtc().ToInstant().ToDateTimeOffset() : null;

    private static bool IsInWindow(string date, AccountOptions options, Instant now)
    {
        var day = NodaTime.Text.LocalDatePattern.Iso.Parse(date);
        if (!day.Success)
        {
            return false;
        }

        var today = now.InUtc().Date;
        return day.Value >= today.PlusDays(-options.WindowPastDays) && day.Value <= today.PlusDays(options.WindowFutureDays);
    }
}
