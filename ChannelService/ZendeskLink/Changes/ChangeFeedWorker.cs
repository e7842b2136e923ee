using System.Text.Json;
using ChannelService.Configuration;
using ChannelService.ZendeskLink.Api;
using ChannelService.Zendesk;
using Microsoft.Extensions.Options;

namespace ChannelService.ZendeskLink.Changes;

/// <summary>
/// Runs the change feed: finishes links left half set up, re-reads nudged tickets through the API, hands queued
/// snapshots to each <see cref="ITicketChangeHandler"/>, and reconciles every active link through the cursor-based
/// incremental ticket export every <c>Channel:ChangeFeedReconcileInterval</c> and once at start. Every step works
/// from the durable tables (<see cref="ChangeFeedStore"/>), so a restart between a delivery and its processing
/// loses nothing. A failed step waits (Retry-After on 429, back-off otherwise); nothing is retried blindly at once.
/// </summary>
internal sealed partial class ChangeFeedWorker : BackgroundService
{
    private const int BatchSize = 50;
    private static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromMinutes(10);
    private static readonly TimeSpan SetUpRetry = TimeSpan.FromMinutes(1);

    /// <summary>
    /// The export leaves out tickets changed in the minute before the request
    /// (https://developer.zendesk.com/documentation/ticketing/managing-tickets/using-the-incremental-export-api/), so
    /// the first export of a new link waits until its start time is that far in the past.
    /// </summary>
    private static readonly TimeSpan ExportLag = TimeSpan.FromSeconds(61);

    private readonly ChangeFeedStore store;
    private readonly ChangeFeedApi api;
    private readonly ChangeFeedLinks links;
    private readonly TicketSnapshots snapshots;
    private readonly Dictionary<string, ITicketChangeHandler> handlers;
    private readonly IReadOnlyList<HandlerKey> handlerKeys;
    private readonly ChannelOptions options;
    private readonly TimeProvider time;
    private readonly ILogger<ChangeFeedWorker> logger;
    private readonly WakeSignal wake = new();
    private readonly ExportRateLimiter exportLimiter;
    private readonly Dictionary<string, DateTimeOffset> nextReconcile = [];
    private readonly Dictionary<string, DateTimeOffset> nextSetUp = [];
    private readonly Dictionary<string, DateTimeOffset> apiPausedUntil = [];

    public ChangeFeedWorker(
        ChangeFeedStore store,
        ChangeFeedApi api,
        ChangeFeedLinks links,
        TicketSnapshots snapshots,
        IEnumerable<ITicketChangeHandler> handlers,
        IOptions<ChannelOptions> options,
        TimeProvider time,
        ILogger<ChangeFeedWorker> logger)
    {
        this.store = store;
        this.api = api;
        this.links = links;
        this.snapshots = snapshots;
        this.handlers = handlers.ToDictionary(h => h.Name, StringComparer.Ordinal);
        handlerKeys = this.handlers.Values.Select(h => new HandlerKey(h.Name, h.Scope)).ToList();
        this.options = options.Value;
        this.time = time;
        this.logger = logger;
        exportLimiter = new ExportRateLimiter(this.options.ChangeFeedExportRequestsPerMinute, time);
    }

    /// <summary>False while no feature consumes the feed: deliveries are then acknowledged without a re-read.</summary>
    public bool HasHandlers => handlerKeys.Count > 0;

    /// <summary>True when some handler wants every ticket of the account, not only ours.</summary>
    public bool WantsAllTickets => handlerKeys.Any(h => h.Scope == TicketScope.AllTickets);

    /// <summary>New work was stored (a delivery): run a pass now rather than at the next poll.</summary>
    public void Wake() => wake.Wake();

    public override void Dispose()
    {
        wake.Dispose();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (handlerKeys.Count == 0)
        {
            // Nobody consumes the feed: webhooks are still set up on link (so a later handler has them), nothing runs.
            LogNoHandlers(logger);
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await RunOnceAsync(stoppingToken);
                await wake.WaitAsync(PollInterval, stoppingToken);
            }
            catch (Exception) when (stoppingToken.IsCancellationRequested)
            {
                // Stopping: a wait or a query cut short (cancelled, or its signal already disposed by the container
                // during a failed start-up) is the stop, not a failure worth a stack trace.
                return;
            }
            catch (Exception ex) when (ex is System.Data.Common.DbException or InvalidOperationException or JsonException)
            {
                LogWorkerError(logger, ex);
                await WorkerPause.AfterFailureAsync(TimeSpan.FromSeconds(1), time, stoppingToken);
            }
        }
    }

    /// <summary>One pass: set-ups, nudges, handlers, reconciliation.</summary>
    internal async Task RunOnceAsync(CancellationToken cancellationToken)
    {
        var all = await store.LinksAsync(cancellationToken);
        foreach (var link in all.Where(l => !l.IsActive))
        {
            if (!nextSetUp.TryGetValue(link.LinkId, out var due) || due <= time.GetUtcNow())
            {
                nextSetUp[link.LinkId] = time.GetUtcNow() + SetUpRetry;
                await links.SetUpAsync(link, cancellationToken);
            }
        }

        var bySubdomain = all.ToDictionary(l => l.Subdomain, StringComparer.Ordinal);
        await ProcessNudgesAsync(bySubdomain, cancellationToken);
        await DispatchAsync(cancellationToken);
        foreach (var link in all.Where(l => l.IsActive))
        {
            await ReconcileAsync(link, cancellationToken);
        }
    }

    private async Task ProcessNudgesAsync(Dictionary<string, ChangeFeedLink> bySubdomain, CancellationToken cancellationToken)
    {
        foreach (var nudge in await store.DueNudgesAsync(BatchSize, cancellationToken))
        {
            if (!bySubdomain.ContainsKey(nudge.Subdomain))
            {
                await store.DropNudgeAsync(nudge, cancellationToken);
                continue;
            }

            if (apiPausedUntil.TryGetValue(nudge.Subdomain, out var until) && until > time.GetUtcNow())
            {
                continue;
            }

            var result = await api.ShowTicketAsync(nudge.Subdomain, nudge.TicketId, cancellationToken);
            switch (result.Status)
            {
                case ApiStatus.Ok:
                    var change = ChangeFeedApi.Ticket(result.Body) is { } ticket ? TicketSnapshots.Read(nudge.Subdomain, ticket) : null;
                    if (change is null)
                    {
                        LogUnreadable(logger, nudge.Subdomain, nudge.TicketId);
                        await store.DropNudgeAsync(nudge, cancellationToken);
                        break;
                    }

                    change = await snapshots.WithOriginAsync(change, cancellationToken);
                    await store.IngestAsync(Wanted([change]), handlerKeys, nudge, null, cancellationToken);
                    break;
                case ApiStatus.NotLinked:
                    await store.PostponeNudgeAsync(nudge, time.GetUtcNow() + SetUpRetry, "The Zendesk link has no working token.", cancellationToken);
                    break;
                case ApiStatus.NotFound:
                    // Deleted (or never visible to this link): nothing to re-read; the export reports deletions.
                    await store.DropNudgeAsync(nudge, cancellationToken);
                    break;
                case ApiStatus.RateLimited:
                    apiPausedUntil[nudge.Subdomain] = time.GetUtcNow() + result.RetryAfter!.Value;
                    await store.PostponeNudgeAsync(nudge, time.GetUtcNow() + result.RetryAfter.Value, result.Message, cancellationToken);
                    break;
                default:
                    await store.PostponeNudgeAsync(nudge, time.GetUtcNow() + Backoff(nudge.Attempts), result.Message, cancellationToken);
                    break;
            }
        }
    }

    private async Task DispatchAsync(CancellationToken cancellationToken)
    {
        foreach (var item in await store.DueDispatchAsync(BatchSize, cancellationToken))
        {
            if (!handlers.TryGetValue(item.Handler, out var handler))
            {
                // Its handler is no longer registered (renamed or removed): nobody will ever take it.
                await store.CompleteDispatchAsync(item, cancellationToken);
                continue;
            }

            var change = JsonSerializer.Deserialize<TicketChange>(item.Snapshot, ChangeFeedStore.SnapshotJson)!;
            try
            {
                await handler.HandleAsync(change, cancellationToken);
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                var wait = Backoff(item.Attempts);
                LogHandlerFailed(logger, ex, item.Handler, item.Subdomain, item.TicketId, wait.TotalSeconds);
                await store.PostponeDispatchAsync(item, time.GetUtcNow() + wait, $"{ex.GetType().Name}: {ex.Message}", cancellationToken);
                continue;
            }

            await store.CompleteDispatchAsync(item, cancellationToken);
        }
    }

    /// <summary>
    /// Reads the export from the stored cursor (or the link time) until <c>end_of_stream</c>, each page's tickets
    /// queued in the same transaction that stores its <c>after_cursor</c>: the cursor never passes a ticket that is not
    /// queued. Stops early at the request budget, a 429 (honouring Retry-After) or a failure, leaving the cursor where
    /// the last stored page put it.
    /// </summary>
    private async Task ReconcileAsync(ChangeFeedLink link, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (nextReconcile.TryGetValue(link.Subdomain, out var due) && due > now)
        {
            return;
        }

        if (link.ExportCursor is null && now - DateTimeOffset.FromUnixTimeSeconds(link.ExportStart) < ExportLag)
        {
            nextReconcile[link.Subdomain] = DateTimeOffset.FromUnixTimeSeconds(link.ExportStart) + ExportLag;
            return;
        }

        var cursor = link.ExportCursor;
        while (!cancellationToken.IsCancellationRequested)
        {
            if (exportLimiter.NextFree(link.Subdomain) is { } wait)
            {
                nextReconcile[link.Subdomain] = time.GetUtcNow() + wait;
                return;
            }

            exportLimiter.Take(link.Subdomain);
            var result = await api.ExportAsync(link.Subdomain, link.ExportStart, cursor, cancellationToken);
            if (result.Status == ApiStatus.NotLinked)
            {
                nextReconcile[link.Subdomain] = time.GetUtcNow() + SetUpRetry;
                return;
            }

            if (result.Status == ApiStatus.RateLimited)
            {
                exportLimiter.Pause(link.Subdomain, result.RetryAfter!.Value);
                nextReconcile[link.Subdomain] = time.GetUtcNow() + result.RetryAfter.Value;
                LogExportRateLimited(logger, link.Subdomain, result.RetryAfter.Value.TotalSeconds);
                return;
            }

            var page = result.Ok ? ChangeFeedApi.Page(result.Body) : null;
            if (page is null)
            {
                var message = result.Ok ? "The incremental export answered something that is not an export page." : result.Message;
                await store.RecordErrorAsync(link.LinkId, message, cancellationToken);
                LogExportFailed(logger, link.Subdomain, message);
                nextReconcile[link.Subdomain] = time.GetUtcNow() + TimeSpan.FromMinutes(1);
                return;
            }

            var changes = new List<TicketChange>();
            foreach (var ticket in page.Tickets)
            {
                if (TicketSnapshots.Read(link.Subdomain, ticket) is { } change)
                {
                    changes.Add(await snapshots.WithOriginAsync(change, cancellationToken));
                }
            }

            cursor = page.AfterCursor ?? cursor;
            await store.IngestAsync(Wanted(changes), handlerKeys, null, cursor is null ? null : (link.LinkId, cursor), cancellationToken);
            if (page.EndOfStream)
            {
                nextReconcile[link.Subdomain] = time.GetUtcNow() + options.ChangeFeedReconcileInterval;
                return;
            }
        }
    }

    /// <summary>Only tickets some handler wants reach the queue; with no all-tickets handler, only ours.</summary>
    private List<TicketChange> Wanted(IEnumerable<TicketChange> changes) =>
        handlerKeys.Count == 0 ? [] : changes.Where(c => c.IsOurs || WantsAllTickets).ToList();

    /// <summary>Exponential from 2 s, capped at 10 minutes.</summary>
    private static TimeSpan Backoff(long attempts) =>
        TimeSpan.FromSeconds(Math.Min(MaxBackoff.TotalSeconds, Math.Pow(2, Math.Min(attempts + 1, 20))));

    [LoggerMessage(Level = LogLevel.Information, Message = "No change feed handler is registered; linked subdomains get their webhook, nothing consumes it")]
    private static partial void LogNoHandlers(ILogger logger);

    [LoggerMessage(Level = LogLevel.Error, Message = "Change feed pass failed")]
    private static partial void LogWorkerError(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Ticket {TicketId} of {Subdomain} could not be read from Zendesk's answer; nudge dropped")]
    private static partial void LogUnreadable(ILogger logger, string subdomain, long ticketId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Change handler {Handler} failed for ticket {TicketId} of {Subdomain}; retried in {Seconds} s")]
    private static partial void LogHandlerFailed(ILogger logger, Exception exception, string handler, string subdomain, long ticketId, double seconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "Incremental export of {Subdomain} rate limited by Zendesk; waiting {Seconds} s")]
    private static partial void LogExportRateLimited(ILogger logger, string subdomain, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Incremental export of {Subdomain} failed: {Reason}")]
    private static partial void LogExportFailed(ILogger logger, string subdomain, string reason);
}

/// <summary>
/// At most N incremental export requests in any 60 seconds per subdomain (a sliding window), and a pause after a 429
/// until its Retry-After has passed. In memory: after a restart the window starts empty, which stays under Zendesk's
/// 10 a minute because N is at most 9 and a restart takes time.
/// </summary>
internal sealed class ExportRateLimiter(int perMinute, TimeProvider time)
{
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(1);
    private readonly Dictionary<string, Queue<DateTimeOffset>> sent = [];
    private readonly Dictionary<string, DateTimeOffset> pausedUntil = [];

    /// <summary>Null when a request may go now; otherwise how long to wait.</summary>
    public TimeSpan? NextFree(string subdomain)
    {
        var now = time.GetUtcNow();
        if (pausedUntil.TryGetValue(subdomain, out var until) && until > now)
        {
            return until - now;
        }

        if (!sent.TryGetValue(subdomain, out var queue))
        {
            return null;
        }

        while (queue.Count > 0 && now - queue.Peek() >= Window)
        {
            queue.Dequeue();
        }

        return queue.Count < perMinute ? null : queue.Peek() + Window - now;
    }

    public void Take(string subdomain)
    {
        if (!sent.TryGetValue(subdomain, out var queue))
        {
            sent[subdomain] = queue = new Queue<DateTimeOffset>();
        }

        queue.Enqueue(time.GetUtcNow());
    }

    public void Pause(string subdomain, TimeSpan retryAfter) => pausedUntil[subdomain] = time.GetUtcNow() + retryAfter;
}
