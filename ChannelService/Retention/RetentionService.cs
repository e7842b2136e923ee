using ChannelService.Channelback;
using ChannelService.Configuration;
using ChannelService.Events;
using ChannelService.Pull;
using ChannelService.Sources;
using ChannelService.Zendesk;
using Microsoft.Extensions.Options;

namespace ChannelService.Retention;

/// <summary>What one retention pass deleted, per table.</summary>
internal sealed record RetentionResult(int ChannelbackRequests, int EventLog, int ServiceErrors, int Outbox, int ForgottenItems);

/// <summary>
/// Retention (issue 15 §7; README "Retention"): the history tables stop growing. Every
/// <c>Channel:RetentionInterval</c> one pass deletes, in batches of <c>Channel:RetentionBatchSize</c> rows (each its
/// own short transaction, so SQLite's write lock is never held for long and pulls go on between batches):
/// answered channelback requests older than <c>ChannelbackRequestRetention</c> (exactly-once holds as long as Zendesk
/// may repeat a request), event-log entries, service errors, delivered and parked outbox items, and items gone from
/// the source whose closing notice Zendesk has acknowledged. Never pruned: the pull's mirror and generations
/// (<c>pull_mirror</c>, <c>pull_accounts</c>), live source items and cursors, pending outbox items: what the lossless
/// pull and the outbox need.
/// </summary>
internal sealed partial class RetentionService(
    ChannelbackRequestStore channelbacks,
    EventLog events,
    ServiceErrors errors,
    Outbox outbox,
    SourceItemStore items,
    PullMirrorStore mirror,
    AccountLocks locks,
    TimeProvider time,
    IOptions<ChannelOptions> options,
    ILogger<RetentionService> logger) : BackgroundService
{
    /// <summary>How long the pass waits for an account's pull before leaving its forgotten items for the next pass.</summary>
    private static readonly TimeSpan LockWait = TimeSpan.FromSeconds(2);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.RetentionInterval, time);
        try
        {
            do
            {
                try
                {
                    var result = await PruneOnceAsync(stoppingToken);
                    if (result.ChannelbackRequests + result.EventLog + result.ServiceErrors + result.Outbox + result.ForgottenItems > 0)
                    {
                        LogPass(logger, result.ChannelbackRequests, result.EventLog, result.ServiceErrors, result.Outbox, result.ForgottenItems);
                    }
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // The next pass tries again; nothing is lost by pruning later.
                    LogFailed(logger, ex);
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // The service is stopping (or never started): the next start prunes.
        }
    }

    /// <summary>One retention pass over every table, with the current time (tests move it).</summary>
    public async Task<RetentionResult> PruneOnceAsync(CancellationToken cancellationToken = default)
    {
        var settings = options.Value;
        var now = time.GetUtcNow();
        var batch = settings.RetentionBatchSize;
        var channelback = await InBatchesAsync(() => channelbacks.PruneAsync(now - settings.ChannelbackRequestRetention, batch, cancellationToken), batch, cancellationToken);
        var eventLog = await InBatchesAsync(() => events.PruneAsync(now - settings.EventLogRetention, batch, cancellationToken), batch, cancellationToken);
        var serviceErrors = await InBatchesAsync(() => errors.PruneAsync(now - settings.ServiceErrorRetention, batch, cancellationToken), batch, cancellationToken);
        var outboxRows = await InBatchesAsync(() => outbox.PruneAsync(now - settings.OutboxDeliveredRetention, now - settings.OutboxParkedRetention, batch, cancellationToken), batch, cancellationToken);
        var forgotten = await PruneForgottenAsync(now - settings.ForgottenItemRetention, batch, cancellationToken);
        return new RetentionResult(channelback, eventLog, serviceErrors, outboxRows, forgotten);
    }

    private static async Task<int> InBatchesAsync(Func<Task<int>> prune, int batch, CancellationToken cancellationToken)
    {
        var total = 0;
        int deleted;
        do
        {
            deleted = await prune();
            total += deleted;

            // Between batches other writers take the lock first.
            await Task.Yield();
            cancellationToken.ThrowIfCancellationRequested();
        }
        while (deleted >= batch);
        return total;
    }

    /// <summary>
    /// Items gone from the source before <paramref name="before"/>: each account's are checked against the mirror under
    /// the account's pull lock, so no pull sends or acknowledges a closing notice in between; an item whose ticket
    /// has not had its closing notice acknowledged stays (the pull needs it to send it).
    /// </summary>
    private async Task<int> PruneForgottenAsync(DateTimeOffset before, int batch, CancellationToken cancellationToken)
    {
        var total = 0;
        var (afterAccount, afterKey) = (string.Empty, string.Empty);
        while (true)
        {
            var tombstones = await items.TombstonesAsync(before, afterAccount, afterKey, batch, cancellationToken);
            if (tombstones.Count == 0)
            {
                return total;
            }

            foreach (var group in tombstones.GroupBy(t => t.AccountId, StringComparer.Ordinal))
            {
                await using var held = await locks.AcquireAsync(group.Key, LockWait, cancellationToken);
                if (held is null)
                {
                    continue;
                }

                var keys = group.Select(t => t.ItemKey).ToList();
                var awaiting = await mirror.ItemsAwaitingClosingAsync(group.Key, keys, cancellationToken);
                total += await items.ForgetTombstonesAsync(group.Key, keys.Where(k => !awaiting.Contains(k)).ToList(), before, cancellationToken);
            }

            (afterAccount, afterKey) = tombstones[^1];
            await Task.Yield();
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Retention: deleted {Channelbacks} channelback requests, {Events} events, {Errors} errors, {Outbox} outbox items, {Items} forgotten source items")]
    private static partial void LogPass(ILogger logger, int channelbacks, int events, int errors, int outbox, int items);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Retention pass failed; the next pass tries again")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
