using ChannelService.Configuration;
using ChannelService.Zendesk;
using ChannelService.ZendeskLink;
using ChannelService.ZendeskLink.Api;
using ChannelService.ZendeskLink.Changes;

namespace ChannelService.AgentCalendars;

/// <summary>
/// The first sync of each linked subdomain: the change feed only reports tickets that change after the link, so the
/// open task tickets that already exist are listed once through "Export Search Results"
/// (<c>GET /api/v2/search/export?query=ticket_type:task status&lt;solved&amp;filter[type]=ticket&amp;page[size]=100</c>,
/// https://developer.zendesk.com/api-reference/ticketing/ticket-management/search/#export-search-results: cursor
/// pagination through <c>meta.has_more</c>/<c>links.next</c>, no 1,000-result cap unlike List Search Results, 100
/// requests a minute, <c>type</c> given as <c>filter[type]</c> because a <c>type:</c> in the query is an error).
/// <c>ticket_type</c> and <c>status&lt;solved</c> are ticket keywords of the Zendesk Support search reference
/// (https://support.zendesk.com/hc/en-us/articles/4408886879258). The query only narrows the listing: the delete rule
/// (type, status, due date, assignee) is applied to every result as to every change, so a looser match costs only
/// reading more tickets, never a wrong event.
/// Search indexes new tickets "within a few minutes", so a task created in the minutes before the link may be missed
/// by the sync; its next change reaches the calendars through the feed. Also forgets an unlinked subdomain's tasks,
/// and prunes rows removed from every feed a month ago.
/// </summary>
internal sealed partial class AgentCalendarSyncWorker(
    AgentCalendarStore store,
    ChangeFeedStore links,
    AgentTaskUpdater updater,
    AgentCalDavSignal calDav,
    ZendeskApiClient api,
    TimeProvider time,
    ILogger<AgentCalendarSyncWorker> logger) : BackgroundService, IZendeskLinkObserver
{
    public const string Query = "ticket_type:task status<solved";

    private static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan RetryAfterFailure = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan RemovedRetention = TimeSpan.FromDays(30);
    private DateTimeOffset nextPrune;

    public Task LinkedAsync(string subdomain, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Unlinked: no fresh data can reach the feeds, so they empty; a new link syncs again.</summary>
    /// <remarks>Agents' CalDAV calendars lose the subdomain's events the same way (their worker deletes what it wrote).</remarks>
    public async Task UnlinkingAsync(string subdomain, CancellationToken cancellationToken)
    {
        await store.ForgetSubdomainAsync(subdomain.ToLowerInvariant(), cancellationToken);
        calDav.Wake();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await RunOnceAsync(stoppingToken);
                await Task.Delay(PollInterval, time, stoppingToken);
            }
            catch (Exception) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is System.Data.Common.DbException or InvalidOperationException or System.Text.Json.JsonException or HttpRequestException)
            {
                LogPassFailed(logger, ex);
                await WorkerPause.AfterFailureAsync(TimeSpan.FromSeconds(5), time, stoppingToken);
            }
        }
    }

    /// <summary>One pass: every active link without a finished first sync is synced (a failed one again after a minute).</summary>
    internal async Task RunOnceAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        foreach (var link in (await links.LinksAsync(cancellationToken)).Where(l => l.IsActive))
        {
            var sync = await store.SyncAsync(link.Subdomain, cancellationToken);
            if (sync?.SyncedAt is null && (sync?.AttemptedAt is not { } attempted || now - attempted >= RetryAfterFailure))
            {
                await SyncAsync(link.Subdomain, cancellationToken);
            }
        }

        if (now >= nextPrune)
        {
            nextPrune = now + TimeSpan.FromHours(1);
            await store.PruneAsync(now - RemovedRetention, cancellationToken);
        }
    }

    /// <summary>Lists the subdomain's open task tickets and stores each by the delete rule; returns how many are in a feed.</summary>
    internal async Task<long> SyncAsync(string subdomain, CancellationToken cancellationToken)
    {
        var request = new ZendeskRequest(HttpMethod.Get, ["api", "v2", "search", "export"])
        {
            Query = [new("query", Query), new("filter[type]", "ticket"), new("page[size]", "100")],
        };
        var (last, results) = await api.ListAsync(subdomain, "search/export", request, "results", maxPages: 10_000, cancellationToken);
        long inFeed = 0;
        foreach (var result in results)
        {
            using var document = System.Text.Json.JsonDocument.Parse(result.ToJsonString());
            if (TicketSnapshots.Read(subdomain, document.RootElement) is { } change && (await updater.ApplyAsync(change, cancellationToken))?.InFeed == true)
            {
                inFeed++;
            }
        }

        // Tickets already read are kept even when a later page failed: they are true, and the sync runs again.
        await store.RecordSyncAsync(subdomain, time.GetUtcNow(), last.Ok, inFeed, last.Ok ? null : last.Message, cancellationToken);
        if (last.Ok)
        {
            LogSynced(logger, subdomain, inFeed);
        }
        else
        {
            LogSyncFailed(logger, subdomain, last.Message);
        }

        return inFeed;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Agents' calendars of {Subdomain}: first sync found {Tasks} open task ticket(s) with a due date")]
    private static partial void LogSynced(ILogger logger, string subdomain, long tasks);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Agents' calendars of {Subdomain}: first sync failed ({Reason}); tried again in a minute")]
    private static partial void LogSyncFailed(ILogger logger, string subdomain, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Agents' calendars sync pass failed")]
    private static partial void LogPassFailed(ILogger logger, Exception exception);
}
