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
    Uri? publicBaseUrl = null)
{
    /// <summary>Zendesk's documented maximum per response.</summary>
    public const int MaxResources = 200;

    /// <summary>How long a pull waits for another pull of the same account before answering "busy".</summary>
    public TimeSpan LockWait { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>Budget for reading the source, so the whole answer stays within Zendesk's patience (about 30 s).</summary>
    public TimeSpan SourceBudget { get; init; } = TimeSpan.FromSeconds(22);

    public async Task<PullOutcome> PullAsync(AccountMetadata account, PullState? state, CancellationToken cancellationToken)
    {
        using var held = await AccountLocks.AcquireAsync(account.AccountId, LockWait, cancellationToken);
        return held is null ? new PullOutcome.Busy() : await PullLockedAsync(account, state, cancellationToken);
    }

    private async Task<PullOutcome> PullLockedAsync(AccountMetadata account, PullState? state, CancellationToken cancellationToken)
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
                await PullMirror.ResetAsync(connection, transaction, accountId);
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
                changes = await source.ReadChangesAsync(cursor, budget.Token);
            }
            catch (SourceException ex) when (ex.Kind is SourceErrorKind.Unauthorized or SourceErrorKind.Forbidden)
            {
                await RecordAsync(accountId, nowOffset, "credentials rejected", cancellationToken);
                return new PullOutcome.CredentialsRejected(ex.Message);
            }
            catch (SourceException ex)
            {
                await RecordAsync(accountId, nowOffset, ex.Message, cancellationToken);
                return new PullOutcome.SourceFailed(ex.Kind is SourceErrorKind.Unreachable or SourceErrorKind.Timeout ? 503 : 502, ex.Message);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                await RecordAsync(accountId, nowOffset, "source timed out", cancellationToken);
                return new PullOutcome.SourceFailed(503, "The source did not answer in time.");
            }
        }

        // 3. Apply the changes and compute the response in one transaction.
        await using var c = await database.OpenAsync(cancellationToken);
        await using var t = (SqliteTransaction)await c.BeginTransactionAsync(cancellationToken);
        await store.ApplyAsync(accountId, changes, c, t, cancellationToken);
        var row2 = await PullMirror.GetAccountAsync(c, t, accountId);
        var acked = await PullMirror.GetAckedAsync(c, t, accountId);
        var stored = await SourceItemStore.ListAsync(c, t, accountId, includeDeleted: true, cancellationToken);
        var (resources, pending) = Compute(account, source.Capabilities.CanComment, stored, acked, row2, nowOffset);

        // Generations only grow, so a late or repeated request can never acknowledge a response it did not carry.
        // With nothing pending the generation stays as it is: there is nothing for the next pull to acknowledge.
        var generation = pending.Count > 0 ? row2.IssuedGeneration + 1 : row2.IssuedGeneration;
        var result = $"{resources.Count} resources; {changes.Upserts.Count} changed and {changes.Deletions.Count} deleted in the source"
            + (changes.Warnings.Count > 0 ? "; " + string.Join("; ", changes.Warnings) : string.Empty);
        await PullMirror.RecordPendingAsync(c, t, accountId, generation, pending, nowOffset, result);
        var cursorNow = await c.QuerySingleOrDefaultAsync<string?>("SELECT cursor FROM source_cursors WHERE account_id = @accountId", new { accountId }, t);
        await t.CommitAsync(cancellationToken);

        var newState = new PullState(accountId, epoch, generation, Truncate(cursorNow));
        return new PullOutcome.Ok(new PullResponse(resources, stateCodec.Encode(newState)));
    }

    /// <summary>The backlog: units whose ticket differs from what Zendesk acknowledged, oldest change first, at most 200 resources.</summary>
    internal (List<ExternalResource> Resources, List<PendingUnit> Pending) Compute(
        AccountMetadata account, bool sourceTakesReplies, IReadOnlyList<StoredSourceItem> stored, Dictionary<string, MirrorRow> acked, PullAccountRow row, DateTimeOffset nowOffset)
    {
        var now = Instant.FromDateTimeOffset(nowOffset);
        var diagnostics = new List<string>();
        var units = TicketPlanner.Plan(stored, account.Options, now, diagnostics);
        var zone = (account.Options.TimeZone is { Length: > 0 } z ? DateTimeZoneProviders.Tzdb.GetZoneOrNull(z) : null) ?? DateTimeZone.Utc;
        Func<TicketUnit, int, string?>? inlineFileUrl = fileLinks is null || publicBaseUrl is null ? null
            : (unit, index) => new Uri(publicBaseUrl, "files/" + fileLinks.Token(new Files.FileLinkTarget(account.AccountId, unit.ItemKey, index))).AbsoluteUri;
        var builder = new ResourceBuilder(account, sourceTakesReplies, zone, now, inlineFileUrl);
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

            var after = before with { Deleted = true };
            var version = ExternalIds.Hash("snapshot", after.ToJson());
            var threadId = ExternalIds.ThreadId(account.AccountId, key);
            work.Add((deleted?.DeletedAt ?? nowOffset, key, _ =>
            {
                var ordinal = mirror.AckedOrdinal + 1;
                var resource = builder.Deletion(threadId, before, mirror.AckedVersion!, ordinal, version);
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

    [LoggerMessage(Level = LogLevel.Information, Message = "Pull state comes from another database: resynchronising from scratch")]
    private static partial void LogEpochMismatch(ILogger logger);

    [LoggerMessage(Level = LogLevel.Information, Message = "Previous response (generation {Pending}) was not acknowledged (state carries {Received}): computing it again")]
    private static partial void LogDiscarded(ILogger logger, long pending, long received);
}
