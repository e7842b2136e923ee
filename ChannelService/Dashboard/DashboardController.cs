using ChannelService.Accounts;
using ChannelService.Configuration;
using ChannelService.Data;
using ChannelService.Events;
using ChannelService.Pull;
using ChannelService.Zendesk;
using ChannelService.ZendeskLink.Changes;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace ChannelService.Dashboard;

internal sealed record DashboardAccountRow(string AccountId, string Kind, string Name, string? Subdomain, string Status, string? LastPull, string? LastPullResult, bool CanPush, long Pending, long Parked, long Delivered, string? LastError, string? PulledBy = null);

/// <summary>A service instance on the database: its name, version, start and last sign of life.</summary>
internal sealed record DashboardInstanceRow(string Name, string Version, string StartedAt, string LastSeen, bool Current, bool Stale);

internal sealed record DashboardEventRow(string At, string TypeId, string? AccountId, string? Error, string Summary);

internal sealed record DashboardErrorRow(string At, string? AccountId, string Source, string Message);

internal sealed record DashboardParkedRow(string AccountId, string ExternalId, string? Reason, string CreatedAt);

internal sealed record DashboardUnverifiedRow(string At, string TypeId, string? Subdomain, string? Error, string Summary);

internal sealed record DashboardUnverified(long Total, IReadOnlyDictionary<string, long> ByType, IReadOnlyList<DashboardUnverifiedRow> Latest);

internal sealed record DashboardTableRow(string Table, long Rows);

internal sealed record DashboardStorage(IReadOnlyList<DashboardTableRow> Tables, long DatabaseBytes, long WalBytes);

/// <summary>A subdomain's Zendesk link as the dashboard lists it: no token, no secret.</summary>
internal sealed record DashboardLinkRow(string Subdomain, string State, string Grant, string LinkedAt, string? TokenExpires, string? LastCall, string? LastError);

internal sealed record DashboardModel(
    bool PushEnabled,
    string DatabaseKind,
    IReadOnlyList<DashboardInstanceRow> Instances,
    IReadOnlyList<DashboardLinkRow> Links,
    IReadOnlyList<DashboardAccountRow> Accounts,
    IReadOnlyList<DashboardParkedRow> Parked,
    IReadOnlyList<DashboardEventRow> Events,
    IReadOnlyList<DashboardErrorRow> Errors,
    DashboardUnverified Unverified,
    DashboardStorage Storage,
    string GeneratedAt)
{
    /// <summary>The Zendesk change feed per linked subdomain.</summary>
    public IReadOnlyList<DashboardChangeFeedRow> ChangeFeed { get; init; } = [];

    /// <summary>The two-way task status per task account.</summary>
    public IReadOnlyList<DashboardStatusRow> StatusSync { get; init; } = [];

    /// <summary>Agents' calendars: each linked subdomain's first sync, and each agent's feed.</summary>
    public IReadOnlyList<DashboardCalendarSyncRow> CalendarSyncs { get; init; } = [];

    public IReadOnlyList<DashboardAgentCalendarRow> AgentCalendars { get; init; } = [];
}

/// <summary>Two-way task status per task account with a subdomain (issue 18 §5).</summary>
internal sealed record DashboardStatusRow(string AccountId, string Subdomain, string LastWebhook, string CursorAge, long ConflictsLastDay, long WaitingForPull, string? LastConflict, string? LastError);

internal sealed record DashboardCalendarSyncRow(string Subdomain, string Synced, long Tasks, string? LastError);

internal sealed record DashboardAgentCalendarRow(string Subdomain, long AgentId, string? Email, long Tasks, string LastFetch, string Feed)
{
    /// <summary>The agent's CalDAV calendar ("-" when none is connected).</summary>
    public string CalDav { get; init; } = "-";

    public string LastCalDavWrite { get; init; } = "";

    public string? CalDavError { get; init; }
}

internal sealed record DashboardChangeFeedRow(string Subdomain, string State, string LastDelivery, string LastReconciliation, long Nudges, long Waiting, long Failing, string? LastError);

/// <summary>
/// <c>GET /dashboard</c> (the manifest's dashboard_url, spec §6): per-account status for operators, behind HTTP Basic
/// with <c>Channel:DashboardUser</c>/<c>Channel:DashboardPassword</c>; 404 when those are not configured, so an
/// unconfigured service exposes nothing. Shows no secret: ids, counts, times and error texts only.
/// </summary>
internal sealed class DashboardController(
    AccountRegistry registry,
    Outbox outbox,
    PushCredentialsStore credentials,
    EventLog events,
    ServiceErrors errors,
    UnverifiedEvents unverified,
    PullMirrorStore pulls,
    TableSizes tableSizes,
    ZendeskLink.ZendeskLinkStore links,
    ZendeskLink.ZendeskApiCallLog linkCalls,
    ChannelService.Data.InstanceRegistry instances,
    ChannelService.Data.Database database,
    ChangeFeedStore changeFeed,
    ZendeskLink.Status.StatusSyncStore statusSync,
    AgentCalendars.AgentCalendarStore agentCalendars,
    AgentCalendars.AgentCalDavStore agentCalDav,
    TimeProvider time,
    IOptions<ChannelOptions> options) : Controller
{
    private const int RecentRows = 50;

    [HttpGet("/dashboard")]
    public async Task<IActionResult> Index(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        switch (DashboardAccess.Check(Request.Headers.Authorization, settings))
        {
            case DashboardAccess.Verdict.Off:
                return NotFound();
            case DashboardAccess.Verdict.Denied:
                Response.Headers.WWWAuthenticate = DashboardAccess.Challenge;
                return Unauthorized();
        }

        Response.Headers.CacheControl = "no-store";
        var accounts = await registry.ListAsync(cancellationToken);
        var counts = (await outbox.CountsAsync(cancellationToken)).ToDictionary(c => c.AccountId);
        var pulledBy = await pulls.LastPullInstancesAsync(cancellationToken);

        // The pull records its time and result per account (quick no-change pulls in batches, see QuickPullActivity).
        var lastPulls = await pulls.LastPullsAsync(cancellationToken);
        var rows = new List<DashboardAccountRow>();
        foreach (var a in accounts)
        {
            counts.TryGetValue(a.AccountId, out var c);
            pulledBy.TryGetValue(a.AccountId, out var pull);
            var pulled = lastPulls.TryGetValue(a.AccountId, out var p) && (a.LastPullAt is null || p.At >= a.LastPullAt)
                ? (At: (DateTimeOffset?)p.At, p.Result)
                : (At: a.LastPullAt, Result: a.LastPullResult);
            rows.Add(new DashboardAccountRow(
                a.AccountId,
                a.Kind,
                a.Name,
                a.Subdomain,
                a.DeactivatedAt is null ? "active" : $"deactivated {Format(a.DeactivatedAt.Value)}",
                pulled.At is { } at ? Format(at) : null,
                pulled.Result,
                settings.PushEnabled && await credentials.HasAsync(a.AccountId, cancellationToken),
                c?.Pending ?? 0,
                c?.Parked ?? 0,
                c?.Delivered ?? 0,
                a.LastError ?? c?.LastError,
                pull?.Instance));
        }

        var parked = (await outbox.ParkedAsync(RecentRows, cancellationToken))
            .Select(p => new DashboardParkedRow(p.AccountId, p.ExternalId, p.LastError, Format(p.CreatedAt))).ToList();
        var recentEvents = (await events.RecentAsync(RecentRows, cancellationToken))
            .Select(e => new DashboardEventRow(Format(e.ReceivedAt), e.TypeId, e.AccountId, e.Error, e.Summary)).ToList();
        var recentErrors = (await errors.RecentAsync(RecentRows, cancellationToken))
            .Select(e => new DashboardErrorRow(Format(e.At), e.AccountId, e.Source, e.Message)).ToList();
        var ignored = unverified.Snapshot();
        var unverifiedRows = new DashboardUnverified(
            ignored.Total,
            ignored.ByType,
            ignored.Latest.Select(e => new DashboardUnverifiedRow(Format(e.At), e.TypeId, e.Subdomain, e.Error, e.Summary)).ToList());
        var sizes = await tableSizes.SnapshotAsync(cancellationToken);
        var storage = new DashboardStorage(sizes.Tables.Select(t => new DashboardTableRow(t.Table, t.Rows)).ToList(), sizes.DatabaseBytes, sizes.WalBytes);
        // API calls are written to the link's row on a change of outcome and once a minute; this process's newer one is shown.
        var linkRows = (await links.ListAsync(cancellationToken)).Select(linkCalls.Overlay).Select(l => new DashboardLinkRow(
            l.Subdomain,
            l.Broken ? "broken: reconnect to Zendesk" : "linked",
            l.Grant,
            Format(l.LinkedAt),
            l.AccessExpiresAt is { } expires ? Format(expires) : null,
            l.LastCallAt is { } call ? $"{Format(call)} ({l.LastCallStatus})" : null,
            l.LastError)).ToList();
        var now = time.GetUtcNow();
        var instanceRows = (await instances.ListAsync(cancellationToken)).Select(i => new DashboardInstanceRow(
            i.Name,
            i.Version,
            Format(i.StartedAt),
            Format(i.LastSeenAt),
            i.Name == instances.Name,
            now - i.LastSeenAt > 3 * ChannelService.Data.InstanceHeartbeat.Interval)).ToList();
        var feedSummary = await changeFeed.SummaryAsync(cancellationToken);
        var feedBySubdomain = feedSummary.ToDictionary(f => f.Subdomain, StringComparer.OrdinalIgnoreCase);
        var statusSummary = await statusSync.SummaryAsync(now - TimeSpan.FromDays(1), cancellationToken);
        var statusRows = accounts
            .Where(a => a.Kind == "caldav-tasks" && a.Subdomain is not null)
            .Select(a =>
            {
                feedBySubdomain.TryGetValue(a.Subdomain!, out var f);
                statusSummary.TryGetValue(a.AccountId, out var st);
                return new DashboardStatusRow(
                    a.AccountId,
                    a.Subdomain!,
                    f?.LastDeliveryAt is { } delivered ? $"{Format(delivered)} ({Age(now - delivered)} ago)" : f is null ? "not linked" : "never",
                    f?.LastExportAt is { } exported ? Age(now - exported) : f is null ? "not linked" : "not yet",
                    st?.ConflictsLastDay ?? 0,
                    st?.WaitingForPull ?? 0,
                    st?.LastConflict,
                    st?.LastError);
            })
            .ToList();
        var feed = feedSummary
            .Select(f => new DashboardChangeFeedRow(
                f.Subdomain,
                f.State,
                f.LastDeliveryAt is { } delivered ? Format(delivered) : "never",
                f.LastExportAt is { } exported ? $"{Format(exported)} ({Age(now - exported)} ago)" : "not yet",
                f.Nudges,
                f.Waiting,
                f.Failing,
                f.LastError))
            .ToList();
        var calendarSyncs = (await agentCalendars.SyncsAsync(cancellationToken))
            .Select(s => new DashboardCalendarSyncRow(
                s.Subdomain,
                s.SyncedAt is { } synced ? Format(synced) : s.AttemptedAt is { } tried ? $"failed {Format(tried)}, retried" : "not yet",
                s.Tickets,
                s.LastError))
            .ToList();
        var calDavTargets = (await agentCalDav.TargetsAsync(cancellationToken)).ToDictionary(t => (t.Subdomain, t.AgentId));
        var agentRows = (await agentCalendars.SummariesAsync(cancellationToken))
            .Select(a => new DashboardAgentCalendarRow(
                a.Subdomain,
                a.AgentId,
                a.Email,
                a.Tasks,
                a.LastFetchAt is { } fetched ? $"{Format(fetched)} ({Age(now - fetched)} ago)" : "never",
                a.RevokedAt is not null ? "revoked" : a.Email is null && a.LastFetchAt is null ? "no address yet (list the agents)" : "active"))
            .ToList();

        // Each agent's CalDAV calendar beside their feed (agents with a calendar but no feed row yet get a row of their own).
        var listed = agentRows.Select(r => (r.Subdomain, r.AgentId)).ToHashSet();
        agentRows.AddRange(calDavTargets.Values.Where(t => !listed.Contains((t.Subdomain, t.AgentId)))
            .Select(t => new DashboardAgentCalendarRow(t.Subdomain, t.AgentId, null, 0, "never", "no address yet (list the agents)")));
        agentRows = [.. agentRows.OrderBy(r => r.Subdomain, StringComparer.Ordinal).ThenBy(r => r.AgentId).Select(r => calDavTargets.TryGetValue((r.Subdomain, r.AgentId), out var t)
            ? r with
            {
                CalDav = CalDavSummary(t),
                LastCalDavWrite = t.LastWriteAt is { } wrote ? $"{Format(wrote)} ({Age(now - wrote)} ago)" : "never",
                CalDavError = t.LastErrorAt is { } failed ? $"{Format(failed)}: {t.LastError}" : null,
            }
            : r)];
        return View(new DashboardModel(settings.PushEnabled, database.Kind, instanceRows, linkRows, rows, parked, recentEvents, recentErrors, unverifiedRows, storage, Format(now))
        {
            ChangeFeed = feed,
            StatusSync = statusRows,
            CalendarSyncs = calendarSyncs,
            AgentCalendars = agentRows,
        });
    }

    private static string CalDavSummary(AgentCalendars.AgentCalDavTarget target) =>
        $"{ChannelService.Sources.CalDav.CalDavException.Describe(new Uri(target.CollectionUrl))} ({target.Events} events, {(target.Failures > 0 ? $"failing, {target.Failures} failed passes" : "ok")})";

    private static string Age(TimeSpan age) =>
        age < TimeSpan.FromMinutes(1) ? $"{Math.Max(0, (int)age.TotalSeconds)} s" : age < TimeSpan.FromHours(2) ? $"{(int)age.TotalMinutes} min" : $"{(int)age.TotalHours} h";

    private static string Format(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", System.Globalization.CultureInfo.InvariantCulture);
}
