using System.Security.Cryptography;
using ChannelService.Accounts;
using ChannelService.Configuration;
using ChannelService.Data;
using ChannelService.Files;
using ChannelService.Metrics;
using ChannelService.Sources;
using ChannelService.Sources.Http;
using ChannelService.ZendeskLink.Work;
using Microsoft.Extensions.Options;

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
/// The lossless pull (design §5), as an orchestrator of its parts: the quick answer when nothing changed
/// (<see cref="UnchangedPulls"/>), one pull at a time per account (<see cref="AccountLocks"/>), then acknowledge or
/// discard the previous response by its generation (<see cref="PullMirrorStore"/>), read the source's changes,
/// plan what the tickets should show against what Zendesk acknowledged (<see cref="PullPlanner"/>), and record the
/// answer as pending until the next pull acknowledges it. A large first read answers early and stores the rest in
/// the background (<see cref="FirstReadCompletions"/>).
/// </summary>
internal sealed partial class PullService
{
    /// <summary>Zendesk's documented maximum per response.</summary>
    public const int MaxResources = PullPlanner.MaxResources;

    private readonly Database database;
    private readonly PullMirrorStore mirror;
    private readonly SourceItemStore store;
    private readonly ISourceFactory sources;
    private readonly PullStateCodec stateCodec;
    private readonly AccountLocks locks;
    private readonly UnchangedPulls unchanged;
    private readonly FirstReadCompletions firstReads;
    private readonly PullPlanner planner;
    private readonly ApiWorkStore apiWork;
    private readonly ApiWorkSignal apiWorkSignal;
    private readonly ZendeskLink.Status.TaskStatusSync? statusSync;
    private readonly TimeProvider time;
    private readonly PullOptions options;
    private readonly ILogger<PullService> logger;
    private readonly ServiceMetrics? metrics;

    public PullService(
        Database database,
        PullMirrorStore mirror,
        SourceItemStore store,
        ISourceFactory sources,
        PullStateCodec stateCodec,
        AccountLocks locks,
        UnchangedPulls unchanged,
        FirstReadCompletions firstReads,
        PullPlanner planner,
        ApiWorkStore apiWork,
        ApiWorkSignal apiWorkSignal,
        TimeProvider time,
        IOptions<PullOptions> options,
        ILogger<PullService> logger,
        ServiceMetrics? metrics = null,
        ZendeskLink.Status.TaskStatusSync? statusSync = null)
    {
        this.database = database;
        this.mirror = mirror;
        this.store = store;
        this.sources = sources;
        this.stateCodec = stateCodec;
        this.locks = locks;
        this.unchanged = unchanged;
        this.firstReads = firstReads;
        this.planner = planner;
        this.apiWork = apiWork;
        this.apiWorkSignal = apiWorkSignal;
        this.statusSync = statusSync;
        this.time = time;
        this.options = options.Value;
        this.logger = logger;
        this.metrics = metrics;
    }

    /// <summary>
    /// A pull outside the web host (the command line's preview over a throw-away database): builds its parts with
    /// default options. It has no public address, so inline attachments get no <c>/files</c> link; the file-link key
    /// is a throw-away one for that reason.
    /// </summary>
    public PullService(Database database, SourceItemStore store, ISourceFactory sources, PullStateCodec stateCodec, TimeProvider time, ILogger<PullService> logger)
        : this(database, store, sources, stateCodec, time, logger, Options.Create(new PullOptions()), new ParsedItemCache(ParsedItemCache.DefaultCapacity))
    {
    }

    private PullService(
        Database database, SourceItemStore store, ISourceFactory sources, PullStateCodec stateCodec, TimeProvider time, ILogger<PullService> logger, IOptions<PullOptions> options, ParsedItemCache parsedItems)
        : this(
            database,
            new PullMirrorStore(database),
            store,
            sources,
            stateCodec,
            new AccountLocks(),
            new UnchangedPulls(store, stateCodec, time, options),
            new FirstReadCompletions(store, parsedItems, options, Microsoft.Extensions.Logging.Abstractions.NullLogger<FirstReadCompletions>.Instance),
            new PullPlanner(
                store,
                parsedItems,
                new FileLinks(KeyRing.FromConfiguredKeys([new ConfiguredKey("standalone", Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)))]), time),
                Options.Create(new ChannelOptions())),
            new ApiWorkStore(database),
            new ApiWorkSignal(),
            time,
            options,
            logger)
    {
    }

    /// <param name="stateText">The state as Zendesk sent it: an unchanged answer gives it back as it came.</param>
    /// <param name="quickTried">The quick path already asked the source for this request (<see cref="QuickPullMiddleware"/>): not again.</param>
    /// <param name="answerSent">
    /// Completes once the answer has gone out (the web host's response completed). The rest of a large first read is
    /// stored after it, not beside it: the rest parses the whole source again, which on a small machine would share the
    /// CPU with, and pause for its garbage collections, the first answer it exists to speed up. Null: started at once.
    /// </param>
    public async Task<PullOutcome> PullAsync(AccountMetadata account, PullState? state, CancellationToken cancellationToken, string? stateText = null, bool quickTried = false, Task? answerSent = null)
    {
        if (!quickTried && await unchanged.TryAnswerAsync(account, state, stateText, cancellationToken) is { } quick)
        {
            return quick;
        }

        var held = await locks.AcquireAsync(account.AccountId, options.LockWait, cancellationToken);
        if (held is null)
        {
            return new PullOutcome.Busy();
        }

        FirstReadRest? rest = null;
        try
        {
            (var outcome, rest) = await PullLockedAsync(account, state, cancellationToken);
            return outcome;
        }
        finally
        {
            if (rest is null)
            {
                await held.DisposeAsync();
            }
            else
            {
                // The account stays locked until the rest of the first read is stored.
                firstReads.Start(rest, held, answerSent);
            }
        }
    }

    private async Task<(PullOutcome Outcome, FirstReadRest? Remaining)> PullLockedAsync(AccountMetadata account, PullState? state, CancellationToken cancellationToken)
    {
        var accountId = account.AccountId;
        var epoch = await database.GetEpochAsync(cancellationToken);
        var now = time.GetUtcNow();

        // 1. Acknowledge or discard the previous response. This commits on its own: it is true whatever happens next.
        await AcknowledgeAsync(accountId, state, epoch, now, cancellationToken);

        // 2. Read the source (network; no transaction open).
        ISource source;
        SourceChanges changes;
        using (var budget = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            budget.CancelAfter(options.SourceBudget);
            try
            {
                source = sources.Create(account);
                var cursor = await store.GetCursorAsync(accountId, budget.Token);
                if (cursor is null && source is IFirstReadSource staged && await staged.BeginFirstReadAsync(budget.Token) is { } firstRead)
                {
                    if (await AnswerFirstReadEarlyAsync(account, source, firstRead, epoch, now, budget.Token) is { } early)
                    {
                        metrics?.SourceFetch(account.Kind, SourceFetches.Changed);
                        return early;
                    }

                    // The whole source fits one answer: the usual way, with the listing already downloaded.
                    changes = firstRead.Complete();
                }
                else
                {
                    // Two-way task status: the tickets' moves go to the source first, so this read already carries them.
                    if (statusSync is not null && cursor is not null && ZendeskLink.Status.TaskStatusSync.Applies(account, source))
                    {
                        await statusSync.ApplyTicketMovesAsync(account, source, options.SourceBudget / 2, budget.Token);
                    }

                    changes = await source.ReadChangesAsync(cursor, budget.Token);
                }

                metrics?.SourceFetch(account.Kind, changes.Upserts.Count + changes.Deletions.Count > 0 ? SourceFetches.Changed : SourceFetches.Unchanged);
            }
            catch (SourceException ex) when (ex.Kind is SourceErrorKind.Unauthorized or SourceErrorKind.Forbidden)
            {
                metrics?.SourceFetch(account.Kind, ServiceMetrics.SourceFailure(ex.Kind));
                await mirror.RecordResultAsync(accountId, now, "credentials rejected", cancellationToken);
                return (new PullOutcome.CredentialsRejected(ex.Message), null);
            }
            catch (SourceException ex)
            {
                metrics?.SourceFetch(account.Kind, ServiceMetrics.SourceFailure(ex.Kind));
                await mirror.RecordResultAsync(accountId, now, ex.Message, cancellationToken);
                return (new PullOutcome.SourceFailed(ex.Kind is SourceErrorKind.Unreachable or SourceErrorKind.Timeout ? 503 : 502, ex.Message), null);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                metrics?.SourceFetch(account.Kind, ServiceMetrics.SourceFailure(SourceErrorKind.Timeout));
                await mirror.RecordResultAsync(accountId, now, "source timed out", cancellationToken);
                return (new PullOutcome.SourceFailed(503, "The source did not answer in time."), null);
            }
        }

        // 3. Apply the changes, plan and record the response in one transaction.
        await using var c = await database.OpenAsync(cancellationToken);
        await using var t = await c.BeginTransactionAsync(cancellationToken);
        await store.ApplyAsync(accountId, changes, c, t, cancellationToken);
        var row = await mirror.GetAccountAsync(c, t, accountId);
        var acked = await mirror.GetAckedAsync(c, t, accountId);
        var stored = await planner.ListForPlanningAsync(c, t, accountId, changes, cancellationToken);
        var writtenBySync = statusSync is null ? null : await ZendeskLink.Status.StatusSyncStore.WrittenToSourceAsync(c, t, accountId);
        var (resources, pending, stableUntil) = planner.PlanBacklog(
            account, source.Capabilities.CanComment, stored, acked, row, now, stableAtMost: now + options.UnchangedValidity, statusWrittenBySync: writtenBySync);

        // Generations only grow, so a late or repeated request can never acknowledge a response it did not carry.
        // With nothing pending the generation stays as it is: there is nothing for the next pull to acknowledge.
        var generation = pending.Count > 0 ? row.IssuedGeneration + 1 : row.IssuedGeneration;
        var result = $"{resources.Count} resources; {changes.Upserts.Count} changed and {changes.Deletions.Count} deleted in the source"
            + (changes.Warnings.Count > 0 ? "; " + string.Join("; ", changes.Warnings) : string.Empty);
        await mirror.RecordPendingAsync(c, t, accountId, generation, pending, now, result);
        if (pending.Count > 0)
        {
            // A new generation with resources pending: another instance's "nothing new" mark for the account no longer
            // holds (Zendesk may lose this answer and send that instance the old state). A pull that found nothing to
            // do changes no answer and counts nothing (SourceItemStore.ApplyAsync).
            await store.CountWriteAsync(c, t, accountId, cancellationToken);
        }

        var queued = await QueueApiWorkAsync(c, t, account, pending, now);
        if (statusSync is not null)
        {
            queued |= await statusSync.RecordSourceAsync(c, t, account, pending, now);
        }

        var cursorNow = await store.GetCursorAsync(c, t, accountId, cancellationToken);
        var writes = await store.WritesOfAsync(accountId, c, t, cancellationToken);
        await t.CommitAsync(cancellationToken);
        if (queued)
        {
            apiWorkSignal.Wake();
        }

        unchanged.Record(account, resources.Count == 0 && pending.Count == 0, epoch, generation, cursorNow, writes, stableUntil, source);
        var newState = new PullState(accountId, epoch, generation, Truncate(cursorNow), row.EarliestFirstSync);
        return (new PullOutcome.Ok(new PullResponse(resources, stateCodec.Encode(newState))), null);
    }

    /// <summary>Promotes the previous response when the state carries its generation, otherwise discards it (design §5).</summary>
    private async Task AcknowledgeAsync(string accountId, PullState? state, string epoch, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var row = await mirror.GetAccountAsync(connection, transaction, accountId);
        if (state is not null && state.StoreEpoch != epoch)
        {
            LogEpochMismatch(logger);
            await mirror.ResetAsync(connection, transaction, accountId, state.FirstSyncedAt);
        }
        else if (row.PendingGeneration is { } sent)
        {
            if (state?.Generation == sent)
            {
                await mirror.PromoteAsync(connection, transaction, accountId, sent, now);
            }
            else
            {
                LogDiscarded(logger, sent, state?.Generation ?? 0);
                await mirror.DiscardPendingAsync(connection, transaction, accountId);
            }
        }

        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>
    /// The first pull of an account the store knows nothing of. A large calendar would keep Zendesk waiting while
    /// every item is keyed, hashed and stored before the first ticket can go out, so the answer is made from the
    /// first items (<see cref="PullPlanner.PlanFirstAnswer"/>) and recorded as pending with just the items it
    /// carries; the rest is stored after the answer (<see cref="FirstReadCompletions"/>). Null when the items ran
    /// out before the answer was full, or when the mirror holds acknowledged tickets, which only the usual way compares.
    /// </summary>
    private async Task<(PullOutcome Outcome, FirstReadRest? Remaining)?> AnswerFirstReadEarlyAsync(
        AccountMetadata account, ISource source, FirstRead firstRead, string epoch, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var accountId = account.AccountId;
        await using (var c = await database.OpenAsync(cancellationToken))
        await using (var t = await c.BeginTransactionAsync(cancellationToken))
        {
            if ((await mirror.GetAckedAsync(c, t, accountId)).Count > 0)
            {
                return null;
            }
        }

        if (planner.PlanFirstAnswer(account, source.Capabilities.CanComment, firstRead.Items, now) is not { } answer)
        {
            return null;
        }

        long generation;
        DateTimeOffset? firstSync;
        await using (var c = await database.OpenAsync(cancellationToken))
        await using (var t = await c.BeginTransactionAsync(cancellationToken))
        {
            // No cursor yet: until the rest is stored, a pull must read the whole source again.
            await store.ApplyAsync(accountId, new SourceChanges { Cursor = null, Upserts = [.. answer.Sent.Values], Deletions = [], CompleteListing = false }, c, t, cancellationToken);
            var row = await mirror.GetAccountAsync(c, t, accountId);
            generation = answer.Pending.Count > 0 ? row.IssuedGeneration + 1 : row.IssuedGeneration;
            firstSync = row.EarliestFirstSync;
            await mirror.RecordPendingAsync(c, t, accountId, generation, answer.Pending, now, $"{answer.Resources.Count} resources; first read of the source, the rest is being stored");
            var queued = await QueueApiWorkAsync(c, t, account, answer.Pending, now);
            await t.CommitAsync(cancellationToken);
            if (queued)
            {
                apiWorkSignal.Wake();
            }
        }

        var state = stateCodec.Encode(new PullState(accountId, epoch, generation, null, firstSync));

        // Not the whole first read: its items (and the body they stream from) can go.
        var rest = new FirstReadRest(accountId, firstRead.Complete, answer.Sent.Keys.ToHashSet(StringComparer.Ordinal));
        return (new PullOutcome.Ok(new PullResponse(answer.Resources, state)), rest);
    }

    /// <summary>
    /// Queues the intents of the tickets this response carries for the Zendesk link's API worker, in the pull's
    /// transaction: the pull itself never calls the REST API (issue 17 §5). Nothing is queued without intents (no
    /// subdomain known, <c>ticket_properties=off</c>), and an unchanged pull carries no units at all.
    /// </summary>
    private async Task<bool> QueueApiWorkAsync(System.Data.Common.DbConnection c, System.Data.Common.DbTransaction t, AccountMetadata account, IReadOnlyList<PendingUnit> pending, DateTimeOffset now)
    {
        if (account.Subdomain is not { } subdomain)
        {
            return false;
        }

        var items = pending.Where(p => p.Intent is not null).Select(p => new ApiWorkItem(p.UnitKey, p.Intent!)).ToList();
        if (items.Count == 0)
        {
            return false;
        }

        await apiWork.EnqueueAsync(c, t, account.AccountId, subdomain, items, now);
        return true;
    }

    /// <summary>The state is ≤ 5000 characters; a source cursor that would not fit stays only in the database.</summary>
    private static string? Truncate(string? cursor) => cursor is { Length: > 1500 } ? null : cursor;

    [LoggerMessage(Level = LogLevel.Information, Message = "Pull state comes from another database: resynchronising from scratch")]
    private static partial void LogEpochMismatch(ILogger logger);

    [LoggerMessage(Level = LogLevel.Information, Message = "Previous response (generation {Pending}) was not acknowledged (state carries {Received}): computing it again")]
    private static partial void LogDiscarded(ILogger logger, long pending, long received);
}
