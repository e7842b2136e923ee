using System.Globalization;
using ChannelService.Configuration;
using ChannelService.Data;
using Microsoft.Extensions.Options;
using ChannelService.Metrics;

namespace ChannelService.Zendesk;

/// <summary>
/// Delivers the outbox by push (design §9) for accounts with push credentials while <c>Channel:PushClientId</c> is
/// set. Per account, items go in arrival order, at most <c>PushBatchSize</c> per call. Every item's status is read:
/// <c>success</c>/<c>already_imported</c> are done; <c>processing_error</c> and an unknown parent park that one item
/// with Zendesk's description (dashboard, <c>accounts retry-parked</c>) and the rest continue; <c>halted</c> items stay
/// pending and go in the next call. 429 waits Retry-After; 5xx, timeouts and network errors back off with jitter.
/// Each failure either parks an item or backs off, so the worker never spins on the same answer.
/// </summary>
internal sealed partial class PushWorker : BackgroundService
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan RejectedPause = TimeSpan.FromMinutes(10);

    private readonly Outbox outbox;
    private readonly PushCredentialsStore credentials;
    private readonly ZendeskClient zendesk;
    private readonly ServiceErrors errors;
    private readonly ChannelOptions options;
    private readonly TimeProvider time;
    private readonly INamedLocks locks;
    private readonly ILogger<PushWorker> logger;
    private readonly ServiceMetrics metrics;
    private readonly WakeSignal wake = new();
    private readonly Dictionary<string, (DateTimeOffset Until, int Failures)> paused = [];
    private long lastEnqueueTicks;

    public PushWorker(Outbox outbox, PushCredentialsStore credentials, ZendeskClient zendesk, ServiceErrors errors, IOptions<ChannelOptions> options, INamedLocks locks, TimeProvider time, ILogger<PushWorker> logger, ServiceMetrics metrics)
    {
        this.metrics = metrics;
        this.locks = locks;
        this.outbox = outbox;
        this.credentials = credentials;
        this.zendesk = zendesk;
        this.errors = errors;
        this.options = options.Value;
        this.time = time;
        this.logger = logger;
        outbox.Enqueued += _ =>
        {
            Interlocked.Exchange(ref lastEnqueueTicks, time.GetTimestamp());
            wake.Wake();
        };
    }

    public override void Dispose()
    {
        wake.Dispose();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.PushEnabled)
        {
            return;
        }

        // Straight away at start: whatever a crash left pending goes out first.
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var next = await DeliverAllAsync(stoppingToken);
                var wait = next is { } n && n < PollInterval ? n : PollInterval;
                await wake.WaitAsync(wait, stoppingToken);
            }
            catch (Exception) when (stoppingToken.IsCancellationRequested)
            {
                // Stopping: a wait or a query cut short (cancelled, or its signal already disposed by the container
                // during a failed start-up) is the stop, not a failure worth a stack trace.
                return;
            }
            catch (Exception ex) when (ex is System.Data.Common.DbException or InvalidOperationException or System.Text.Json.JsonException)
            {
                LogWorkerError(logger, ex);
                await WorkerPause.AfterFailureAsync(TimeSpan.FromSeconds(1), time, stoppingToken);
            }
        }
    }

    /// <summary>One pass over every account with work. Returns when the earliest paused account may be tried again.</summary>
    internal async Task<TimeSpan?> DeliverAllAsync(CancellationToken cancellationToken)
    {
        TimeSpan? soonest = null;
        foreach (var accountId in await outbox.AccountsToPushAsync(cancellationToken))
        {
            if (paused.TryGetValue(accountId, out var pause) && pause.Until > time.GetUtcNow())
            {
                var left = pause.Until - time.GetUtcNow();
                soonest = soonest is null || left < soonest ? left : soonest;
                continue;
            }

            // Every instance runs a push worker; one delivers an account's work at a time, in order. The claim is an
            // advisory lock on PostgreSQL: an instance killed mid-delivery loses it with its session, and the next
            // pass of another instance (at most PollInterval later) takes the account over. What the dead one sent
            // but did not mark comes again, and Zendesk drops it by its external id (already_imported).
            await using var claim = await locks.TryAcquireAsync("push:" + accountId, TimeSpan.Zero, cancellationToken);
            if (claim is null)
            {
                soonest = soonest is null || PollInterval < soonest ? PollInterval : soonest;
                continue;
            }

            var retryIn = await DeliverAccountAsync(accountId, cancellationToken);
            if (retryIn is { } r)
            {
                soonest = soonest is null || r < soonest ? r : soonest;
            }
        }

        return soonest;
    }

    private async Task<TimeSpan?> DeliverAccountAsync(string accountId, CancellationToken cancellationToken)
    {
        var account = await credentials.GetAsync(accountId, cancellationToken);
        if (account is null)
        {
            return null;
        }

        while (!cancellationToken.IsCancellationRequested)
        {
            await LingerAsync(accountId, cancellationToken);
            var batch = await outbox.TakePendingAsync(accountId, options.PushBatchSize, cancellationToken);
            if (batch.Count == 0)
            {
                paused.Remove(accountId);
                return null;
            }

            var requestId = string.Create(CultureInfo.InvariantCulture, $"{accountId}-{batch[0].Seq}-{batch[^1].Seq}-{batch[0].Attempts}");
            var outcome = await zendesk.PushAsync(account, batch.Select(i => i.Resource).ToList(), requestId, cancellationToken);
            switch (outcome.Kind)
            {
                case ZendeskOutcomeKind.Accepted:
                    if (!await ApplyResultsAsync(batch, outcome.Items!, cancellationToken))
                    {
                        return await PauseAsync(accountId, "Zendesk accepted the push but processed none of its items.", transient: true, batch, cancellationToken);
                    }

                    paused.Remove(accountId);
                    break;
                case ZendeskOutcomeKind.RateLimited:
                    await outbox.RecordFailedAttemptAsync(batch.Select(i => i.Seq).ToList(), outcome.Message, cancellationToken);
                    LogRateLimited(logger, accountId, outcome.RetryAfter!.Value.TotalSeconds);
                    paused[accountId] = (time.GetUtcNow() + outcome.RetryAfter.Value, 0);
                    return outcome.RetryAfter.Value;
                case ZendeskOutcomeKind.Transient:
                    return await PauseAsync(accountId, outcome.Message, transient: true, batch, cancellationToken);
                default:
                    await errors.RecordAsync(accountId, "push", outcome.Message, cancellationToken);
                    return await PauseAsync(accountId, outcome.Message, transient: false, batch, cancellationToken);
            }
        }

        return null;
    }

    /// <summary>Marks what Zendesk answered for. False when not a single item moved (all halted or no results).</summary>
    private async Task<bool> ApplyResultsAsync(IReadOnlyList<OutboxItem> batch, IReadOnlyList<PushItemStatus> results, CancellationToken cancellationToken)
    {
        var delivered = new List<long>();
        var progressed = false;
        for (var i = 0; i < batch.Count && i < results.Count; i++)
        {
            var code = results[i].Code;
            if (code is PushStatusCodes.Success or PushStatusCodes.AlreadyImported)
            {
                delivered.Add(batch[i].Seq);
            }
            else if (code == PushStatusCodes.Halted)
            {
                // Not processed because an earlier item failed: pending, sent again from here in the next call.
                break;
            }
            else
            {
                await outbox.ParkAsync(batch[i].Seq, $"{code}: {results[i].Description ?? "(no description)"}", cancellationToken);
                metrics.ItemParked();
                await errors.RecordAsync(batch[i].AccountId, "push", $"{batch[i].ExternalId} parked: {code} {results[i].Description}", cancellationToken);
                progressed = true;
            }
        }

        await outbox.AcknowledgeAsync(batch[0].AccountId, delivered, cancellationToken);
        metrics.ItemsSent("push", delivered.Count);
        return progressed || delivered.Count > 0;
    }

    private async Task<TimeSpan> PauseAsync(string accountId, string message, bool transient, IReadOnlyList<OutboxItem> batch, CancellationToken cancellationToken)
    {
        await outbox.RecordFailedAttemptAsync(batch.Select(i => i.Seq).ToList(), message, cancellationToken);
        var failures = paused.TryGetValue(accountId, out var previous) ? previous.Failures + 1 : 1;

        // Exponential from 1 s, capped, with full jitter so many accounts do not retry in step.
        var ceiling = transient ? Math.Min(MaxBackoff.TotalMilliseconds, 1000 * Math.Pow(2, failures - 1)) : RejectedPause.TotalMilliseconds;
        var wait = TimeSpan.FromMilliseconds((ceiling / 2) + (Random.Shared.NextDouble() * ceiling / 2));
        paused[accountId] = (time.GetUtcNow() + wait, failures);
        LogPushFailed(logger, accountId, message, wait.TotalSeconds);
        return wait;
    }

    /// <summary>
    /// Waits while a burst is still arriving (new items within the linger time) and the batch is not full, so a
    /// burst goes out in a few full calls rather than one call per message.
    /// </summary>
    private async Task LingerAsync(string accountId, CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        var linger = options.PushLinger;
        while (linger > TimeSpan.Zero
            && time.GetElapsedTime(Interlocked.Read(ref lastEnqueueTicks)) < linger
            && time.GetElapsedTime(started) < linger * 10
            && await outbox.PendingCountAsync(accountId, cancellationToken) < options.PushBatchSize)
        {
            await Task.Delay(linger / 4, time, cancellationToken);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Push for account {AccountId} failed: {Error}; next try in {Seconds:0.#} s")]
    private static partial void LogPushFailed(ILogger logger, string accountId, string error, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Zendesk rate-limited pushes for account {AccountId}; waiting {Seconds:0.#} s as Retry-After asks")]
    private static partial void LogRateLimited(ILogger logger, string accountId, double seconds);

    [LoggerMessage(Level = LogLevel.Error, Message = "The push worker failed; it starts over in a second")]
    private static partial void LogWorkerError(ILogger logger, Exception exception);
}
