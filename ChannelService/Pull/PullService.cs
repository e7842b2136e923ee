using System.Collections.Concurrent;
using ChannelService.Accounts;
using ChannelService.Calendars;
using ChannelService.Data;
using ChannelService.Sources;
using ChannelService.Sources.Http;
using ChannelService.Tickets;
using Dapper;
using Microsoft.Data.Sqlite;
using NodaTime;

namespace ChannelService.Pull;

/// <summary>How a pull ended, mapped by the controller to the documented status and JSON.</summary>
internal abstract record PullOutcome
{
    public sealed record Ok(PullResponse Response) : PullOutcome;

    /// <summary>The source rejected the stored credentials: 200 with metadata_needs_update, state unchanged.</summary>
    public sealed record CredentialsRejected(string Message) : PullOutcome;

    /// <summary>Source unreachable, timed out or unreadable: 502/503 with a message, state unchanged.</summary>
    public sealed record SourceFailed(int StatusCode, string Message) : PullOutcome;

    /// <summary>Another pull of this account is running and did not finish in time: retryable.</summary>
    public sealed record Busy : PullOutcome;
}

/// <summary>
/// The lossless pull (design §5): promote or discard the previous response by its generation, read the source's
/// changes, compare what the tickets should show with what Zendesk has acknowledged, and answer at most 200
/// resources, oldest change first, recording them as pending until the next pull acknowledges them.
/// </summary>
internal sealed partial class PullService(
    Database database,
    SourceItemStore store,
    ISourceFactory sources,
    PullStateCodec stateCodec,
    TimeProvider time,
    ILogger<PullService> logger,
    Files.FileLinks? fileLinks = null,
    Uri? publicBaseUrl = null,
    ParsedItemCache? parsedItems = null) : IAsyncDisposable
{
    /// <summary>Zendesk's documented maximum per response.</summary>
    public const int MaxResources = 200;

    /// <summary>How long a pull waits for another pull of the same account before answering "busy".</summary>
    public TimeSpan LockWait { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>Budget for reading the source, so the whole answer stays within Zendesk's patience (about 30 s).</summary>
    public TimeSpan SourceBudget { get; init; } = TimeSpan.FromSeconds(22);

    /// <summary>How long storing the rest of a first read may take after its first answer went out.</summary>
    public TimeSpan CompletionBudget { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>First reads still being stored after their answer (see <see cref="FirstRead"/>).</summary>
    private readonly ConcurrentDictionary<Task, byte> completions = new();

    /// <summary>How long a pull that found nothing to do lets identical pulls answer from one conditional request.</summary>
    public TimeSpan UnchangedValidity { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Per account: the last pull found nothing to send and nothing pending (see <see cref="TryUnchangedAsync"/>).</summary>
    private readonly ConcurrentDictionary<string, UnchangedMark> unchanged = new(StringComparer.Ordinal);

    /// <param name="stateText">The state as Zendesk sent it: an unchanged answer gives it back as it came.</param>
    public async Task<PullOutcome> PullAsync(AccountMetadata account, PullState? state, CancellationToken cancellationToken, string? stateText = null)
    {
        if (await TryUnchangedAsync(account, state, stateText, cancellationToken) is { } quick)
        {
            return quick;
        }

        var held = await AccountLocks.AcquireAsync(account.AccountId, LockWait, cancellationToken);
        if (held is null)
        {
            return new PullOutcome.Busy();
        }

        Func<Task>? completion = null;
        try
        {
            (var outcome, completion) = await PullLockedAsync(account, state, cancellationToken);
            return outcome;
        }
        finally
        {
            if (completion is null)
            {
                held.Dispose();
            }
            else
            {
                // The account stays locked until the rest of the first read is stored: the next pull waits for it
                // instead of reading the source a second time.
                Track(Task.Run(async () =>
                {
                    try
                    {
                        await completion();
                    }
                    catch (Exception ex)
                    {
                        // Nothing is lost: without a stored cursor the next pull reads the whole source again.
                        LogCompletionFailed(logger, ex);
                    }
                    finally
                    {
                        held.Dispose();
                    }
                }, CancellationToken.None));
            }
        }
    }

    /// <summary>
    /// A pull that can be answered "nothing new" without the account lock or the database: the previous pull of
    /// this account found nothing to send and nothing pending, Zendesk sends the state that pull answered, nothing
    /// was written for the account since, the metadata is the same, at most <see cref="UnchangedValidity"/> has
    /// passed (the event window moves with the clock, so a full pull re-evaluates it at least that often), and the
    /// source itself says nothing changed (a feed's 304). Anything else, including a failing source, takes the
    /// full path, which reports it properly. Null when the full path must run.
    /// </summary>
    private async Task<PullOutcome?> TryUnchangedAsync(AccountMetadata account, PullState? state, string? stateText, CancellationToken cancellationToken)
    {
        if (state is null || !unchanged.TryGetValue(account.AccountId, out var mark)
            || mark.Until <= time.GetUtcNow() || mark.Epoch != state.StoreEpoch || mark.Generation != state.Generation
            || mark.StoreWrites != store.WritesOf(account.AccountId) || mark.Account != AccountFingerprint(account))
        {
            return null;
        }

        if (mark.Check is not { } check)
        {
            return null;
        }

        using var budget = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        budget.CancelAfter(SourceBudget);
        try
        {
            return await check.IsUnchangedSinceAsync(mark.Cursor, budget.Token)
                ? new PullOutcome.Ok(new PullResponse([], stateText ?? stateCodec.Encode(state)))
                : null;
        }
        catch (SourceException)
        {
            return null;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return null;
        }
    }

    /// <summary>Identifies the metadata (source, credentials, options) without keeping it: a changed setting voids the mark.</summary>
    private static string AccountFingerprint(AccountMetadata account) =>
        Fingerprints.GetValue(account, a => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(a))));

    /// <summary>Per decoded metadata instance (the codec hands out the same instance for the same string).</summary>
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<AccountMetadata, string> Fingerprints = new();

    /// <summary>Waits for first reads still being stored (host shutdown, tests).</summary>
    public async Task WaitForCompletionsAsync()
    {
        while (!completions.IsEmpty)
        {
            await Task.WhenAll(completions.Keys);
        }
    }

    public async ValueTask DisposeAsync() => await WaitForCompletionsAsync();

    private void Track(Task task)
    {
        completions[task] = 0;
        _ = task.ContinueWith(t => completions.TryRemove(t, out _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    private async Task<(PullOutcome Outcome, Func<Task>? Completion)> PullLockedAsync(AccountMetadata account, PullState? state, CancellationToken cancellationToken)
    {
        var accountId = account.AccountId;
        var epoch = await database.GetEpochAsync(cancellationToken);
        var nowOffset = time.GetUtcNow();

        // 1. Acknowledge or discard the previous response. This commits on its own: it is true whatever happens next.
        await using (var connection = await database.OpenAsync(cancellationToken))
        await using (var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken))
        {
            var row = await PullMirror.GetAccountAsync(connection, transaction, accountId);
            if (state is not null && state.StoreEpoch != epoch)
            {
                LogEpochMismatch(logger);
                await PullMirror.ResetAsync(connection, transaction, accountId, state.FirstSyncedAt);
            }
            else if (row.PendingGeneration is { } sent)
            {
                if (state?.Generation == sent)
                {
                    await PullMirror.PromoteAsync(connection, transaction, accountId, sent, nowOffset);
                }
                else
                {
                    LogDiscarded(logger, sent, state?.Generation ?? 0);
                    await PullMirror.DiscardPendingAsync(connection, transaction, accountId);
                }
            }

            await transaction.CommitAsync(cancellationToken);
        }

        // 2. Read the source (network; no transaction open).
        ISource source;
        SourceChanges changes;
        using (var budget = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            budget.CancelAfter(SourceBudget);
            try
            {
                source = sources.Create(account);
                var cursor = await store.GetCursorAsync(accountId, budget.Token);
                if (cursor is null && source is IFirstReadSource staged && await staged.BeginFirstReadAsync(budget.Token) is { } firstRead)
                {
                    if (await FirstPullAsync(account, source, firstRead, epoch, nowOffset, budget.Token) is { } early)
                    {
                        return early;
                    }

                    // The whole source fits one answer: the usual way, with the listing already downloaded.
                    changes = firstRead.Complete();
                }
                else
                {
                    changes = await source.ReadChangesAsync(cursor, budget.Token);
                }
            }
            catch (SourceException ex) when (ex.Kind is SourceErrorKind.Unauthorized or SourceErrorKind.Forbidden)
            {
                await RecordAsync(accountId, nowOffset, "credentials rejected", cancellationToken);
                return (new PullOutcome.CredentialsRejected(ex.Message), null);
            }
            catch (SourceException ex)
            {
                await RecordAsync(accountId, nowOffset, ex.Message, cancellationToken);
                return (new PullOutcome.SourceFailed(ex.Kind is SourceErrorKind.Unreachable or SourceErrorKind.Timeout ? 503 : 502, ex.Message), null);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                await RecordAsync(accountId, nowOffset, "source timed out", cancellationToken);
                return (new PullOutcome.SourceFailed(503, "The source did not answer in time."), null);
            }
        }

        // 3. Apply the changes and compute the response in one transaction.
        await using var c = await database.OpenAsync(cancellationToken);
        await using var t = (SqliteTransaction)await c.BeginTransactionAsync(cancellationToken);
        await store.ApplyAsync(accountId, changes, c, t, cancellationToken);
        var row2 = await PullMirror.GetAccountAsync(c, t, accountId);
        var acked = await PullMirror.GetAckedAsync(c, t, accountId);
        var stored = await ListForPlanningAsync(c, t, accountId, changes, cancellationToken);
        var (resources, pending) = Compute(account, source.Capabilities.CanComment, stored, acked, row2, nowOffset);

        // Generations only grow, so a late or repeated request can never acknowledge a response it did not carry.
        // With nothing pending the generation stays as it is: there is nothing for the next pull to acknowledge.
        var generation = pending.Count > 0 ? row2.IssuedGeneration + 1 : row2.IssuedGeneration;
        var result = $"{resources.Count} resources; {changes.Upserts.Count} changed and {changes.Deletions.Count} deleted in the source"
            + (changes.Warnings.Count > 0 ? "; " + string.Join("; ", changes.Warnings) : string.Empty);
        await PullMirror.RecordPendingAsync(c, t, accountId, generation, pending, nowOffset, result);
        var cursorNow = await c.QuerySingleOrDefaultAsync<string?>("SELECT cursor FROM source_cursors WHERE account_id = @accountId", new { accountId }, t);
        var writes = store.WritesOf(accountId);
        await t.CommitAsync(cancellationToken);

        if (resources.Count == 0 && pending.Count == 0 && cursorNow is not null)
        {
            unchanged[accountId] = new UnchangedMark(AccountFingerprint(account), epoch, generation, cursorNow, writes, nowOffset + UnchangedValidity, source as IUnchangedCheckSource);
        }
        else
        {
            unchanged.TryRemove(accountId, out _);
        }

        var newState = new PullState(accountId, epoch, generation, Truncate(cursorNow), row2.EarliestFirstSync);
        return (new PullOutcome.Ok(new PullResponse(resources, stateCodec.Encode(newState))), null);
    }

    /// <summary>
    /// The first pull of an account the store knows nothing of. A large calendar would keep Zendesk waiting while
    /// every item is keyed, hashed and stored before the first ticket can go out, so the answer is made from the
    /// first items in document order (all of them new: none is older than another) and recorded as pending with
    /// just the items it carries; the whole listing and its cursor are stored after the answer, while the account
    /// stays locked. If that storing fails, no cursor was stored and the next pull reads the source again.
    /// Null when the items ran out before the answer was full (a small source, or few items wanted): then the usual
    /// way costs no more. Also null when the mirror holds acknowledged tickets, which only the usual way compares.
    /// </summary>
    private async Task<(PullOutcome Outcome, Func<Task>? Completion)?> FirstPullAsync(
        AccountMetadata account, ISource source, FirstRead firstRead, string epoch, DateTimeOffset nowOffset, CancellationToken cancellationToken)
    {
        var accountId = account.AccountId;
        await using (var c = await database.OpenAsync(cancellationToken))
        await using (var t = (SqliteTransaction)await c.BeginTransactionAsync(cancellationToken))
        {
            if ((await PullMirror.GetAckedAsync(c, t, accountId)).Count > 0)
            {
                return null;
            }
        }

        var now = Instant.FromDateTimeOffset(nowOffset);
        var builder = Builder(account, source.Capabilities.CanComment, now);
        var resources = new List<ExternalResource>();
        var pending = new List<PendingUnit>();
        var sent = new Dictionary<string, SourceItem>(StringComparer.Ordinal);
        var diagnostics = new List<string>();
        var resolvers = new TicketPlanner.ResolverCache();
        var full = false;
        foreach (var item in firstRead.Items)
        {
            // One item at a time: a recurring series yields its occurrences in the window, a task or event one unit.
            var stored = new StoredSourceItem(item.ForPlanning, false, nowOffset, nowOffset, null);
            var units = TicketPlanner.Plan([stored], account.Options, now, diagnostics, resolvers).Where(u => u.Wanted).ToList();
            var unitResources = units.Select(u => builder.Opening(u, ExternalIds.ThreadId(accountId, u.UnitKey))).ToList();
            if (resources.Count + unitResources.Sum(r => r.Count) > MaxResources)
            {
                // An item with more tickets than one answer holds (a long series) as the very first: the usual way
                // cuts it to 200; an empty first answer would only make Zendesk wait.
                full = resources.Count > 0;
                break;
            }

            foreach (var (unit, made) in units.Zip(unitResources))
            {
                resources.AddRange(made);
                pending.Add(Pending(unit, 0));
                if (!sent.ContainsKey(item.ForPlanning.Key))
                {
                    sent[item.ForPlanning.Key] = item.Whole();
                }
            }
        }

        if (!full)
        {
            return null;
        }

        long generation;
        DateTimeOffset? firstSync;
        await using (var c = await database.OpenAsync(cancellationToken))
        await using (var t = (SqliteTransaction)await c.BeginTransactionAsync(cancellationToken))
        {
            // No cursor yet: until the rest is stored, a pull must read the whole source again.
            await store.ApplyAsync(accountId, new SourceChanges { Cursor = null, Upserts = [.. sent.Values], Deletions = [], CompleteListing = false }, c, t, cancellationToken);
            var row = await PullMirror.GetAccountAsync(c, t, accountId);
            generation = pending.Count > 0 ? row.IssuedGeneration + 1 : row.IssuedGeneration;
            firstSync = row.EarliestFirstSync;
            await PullMirror.RecordPendingAsync(c, t, accountId, generation, pending, nowOffset, $"{resources.Count} resources; first read of the source, the rest is being stored");
            await t.CommitAsync(cancellationToken);
        }

        var state = stateCodec.Encode(new PullState(accountId, epoch, generation, null, firstSync));
        var completeRead = firstRead.Complete; // not the whole first read: its items (and the body they stream from) can go
        return (new PullOutcome.Ok(new PullResponse(resources, state)), async () =>
        {
            using var budget = new CancellationTokenSource(CompletionBudget);
            var complete = completeRead();
            var rest = complete with { Upserts = complete.Upserts.Where(u => !sent.ContainsKey(u.Key)).ToList() };
            await store.ApplyAsync(accountId, rest, cancellationToken: budget.Token);
            foreach (var item in complete.Upserts)
            {
                // The next pulls plan from these parses instead of reading every stored item back.
                if (item.Parsed is { } parsed)
                {
                    parsedItems?.Put(accountId, item.Key, item.ContentVersion, parsed);
                }
            }

            LogFirstReadStored(logger, complete.Upserts.Count);
        });
    }

    /// <summary>What a pull that found nothing to do leaves for <see cref="TryUnchangedAsync"/>.</summary>
    /// <param name="Check">The source this pull read (same metadata, so the same source): asked again by the next pull.</param>
    private sealed record UnchangedMark(string Account, string Epoch, long Generation, string Cursor, long StoreWrites, DateTimeOffset Until, IUnchangedCheckSource? Check);

    private ResourceBuilder Builder(AccountMetadata account, bool sourceTakesReplies, Instant now)
    {
        var zone = (account.Options.TimeZone is { Length: > 0 } z ? DateTimeZoneProviders.Tzdb.GetZoneOrNull(z) : null) ?? DateTimeZone.Utc;
        Func<TicketUnit, int, string?>? inlineFileUrl = fileLinks is null || publicBaseUrl is null ? null
            : (unit, index) => new Uri(publicBaseUrl, "files/" + fileLinks.Token(new Files.FileLinkTarget(account.AccountId, unit.ItemKey, index))).AbsoluteUri;
        return new ResourceBuilder(account, sourceTakesReplies, zone, now, inlineFileUrl);
    }

    /// <summary>
    /// Every stored item, parsed items of this read and of the cache without their text, the rest with it (they are
    /// parsed by the planner and then kept in the cache).
    /// </summary>
    private async Task<IReadOnlyList<StoredSourceItem>> ListForPlanningAsync(SqliteConnection c, SqliteTransaction t, string accountId, SourceChanges changes, CancellationToken cancellationToken)
    {
        if (parsedItems is null)
        {
            return await SourceItemStore.ListAsync(c, t, accountId, includeDeleted: true, cancellationToken);
        }

        foreach (var upsert in changes.Upserts)
        {
            if (upsert.Parsed is { } parsed)
            {
                parsedItems.Put(accountId, upsert.Key, upsert.ContentVersion, parsed);
            }
        }

        // Each item leaves here with its parse or its text: the planner must not depend on a cache entry that
        // another pull's inserts may evict in the meantime.
        var listed = await SourceItemStore.ListAsync(c, t, accountId, includeDeleted: true, includeRaw: false, cancellationToken);
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

        var raw = await SourceItemStore.GetRawAsync(c, t, accountId, missing, cancellationToken);
        return stored.Select(s => raw.TryGetValue(s.Item.Key, out var text) ? s with { Item = s.Item with { RawIcs = text } } : s).ToList();
    }

    /// <summary>The backlog: units whose ticket differs from what Zendesk acknowledged, oldest change first, at most 200 resources.</summary>
    internal (List<ExternalResource> Resources, List<PendingUnit> Pending) Compute(
        AccountMetadata account, bool sourceTakesReplies, IReadOnlyList<StoredSourceItem> stored, Dictionary<string, MirrorRow> acked, PullAccountRow row, DateTimeOffset nowOffset)
    {
        var now = Instant.FromDateTimeOffset(nowOffset);
        var diagnostics = new List<string>();
        var units = TicketPlanner.Plan(stored, account.Options, now, diagnostics, cache: parsedItems, accountId: account.AccountId);
        var builder = Builder(account, sourceTakesReplies, now);
        var firstSyncDone = row.FirstSyncedAt;

        var work = new List<(DateTimeOffset At, string Key, Func<long, (List<ExternalResource>, PendingUnit)> Make)>();
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
                work.Add((unit.Source.ChangedAt, unit.UnitKey, _ =>
                {
                    var ordinal = mirror.AckedOrdinal + 1;
                    return (builder.Change(unit, threadId, before, mirror.AckedVersion!, ordinal), Pending(unit, ordinal));
                }));
                continue;
            }

            // Never acknowledged: a new ticket, if the account wants this item. Closed tasks are skipped on the first
            // sync (tasks=open), but a task that appears after it is imported even if it is already done.
            var wanted = unit.Wanted || (firstSyncDone is { } first && unit.Source.FirstSeen > first && unit.Item.Kind == CalendarItemKind.Task);
            if (TicketPlanner.MayHaveMissedItsClosing(unit, row.EarlierFirstSyncAt, firstSyncDone, out var closedAt))
            {
                work.Add((unit.Source.FirstSeen, unit.UnitKey, _ => (builder.OpeningWithClosing(unit, threadId, closedAt), Pending(unit, 0))));
                continue;
            }

            if (!wanted)
            {
                continue;
            }

            work.Add((unit.Source.FirstSeen, unit.UnitKey, _ => (builder.Opening(unit, threadId), Pending(unit, 0))));
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
            var occurrenceDropped = !gone && mirror.OccurrenceDate is { } date && IsInWindow(date, account.Options, now);
            if (!gone && !occurrenceDropped)
            {
                continue;
            }

            var after = ResourceBuilder.Gone(before, fromSeries: occurrenceDropped);
            var version = ExternalIds.Hash("snapshot", after.ToJson());
            var threadId = ExternalIds.ThreadId(account.AccountId, key);
            work.Add((deleted?.DeletedAt ?? nowOffset, key, _ =>
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
            var (unitResources, unitPending) = make(0);
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

        return (resources, pending);
    }

    private static PendingUnit Pending(TicketUnit unit, long ordinal) =>
        new(unit.UnitKey, unit.ItemKey, unit.SeriesUid, unit.OccurrenceDate, unit.Version, unit.Snapshot.ToJson(), ordinal);

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

    private async Task RecordAsync(string accountId, DateTimeOffset now, string result, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await PullMirror.RecordResultAsync(connection, accountId, now, result);
    }

    /// <summary>The state is ≤ 5000 characters; a source cursor that would not fit stays only in the database.</summary>
    private static string? Truncate(string? cursor) => cursor is { Length: > 1500 } ? null : cursor;

    [LoggerMessage(Level = LogLevel.Information, Message = "First read stored: {Items} items")]
    private static partial void LogFirstReadStored(ILogger logger, int items);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Storing the rest of a first read failed; the next pull reads the source again")]
    private static partial void LogCompletionFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Pull state comes from another database: resynchronising from scratch")]
    private static partial void LogEpochMismatch(ILogger logger);

    [LoggerMessage(Level = LogLevel.Information, Message = "Previous response (generation {Pending}) was not acknowledged (state carries {Received}): computing it again")]
    private static partial void LogDiscarded(ILogger logger, long pending, long received);
}
