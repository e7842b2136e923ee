using System.Globalization;
using ChannelService.Accounts;
using ChannelService.Calendars;
using ChannelService.Configuration;
using ChannelService.Data;
using ChannelService.Sources;
using ChannelService.Sources.CalDav;
using ChannelService.Sources.Http;

namespace ChannelService.AgentCalendars;

/// <summary>Wakes the CalDAV push worker when a task changed here (other instances catch up with their periodic pass).</summary>
internal sealed class AgentCalDavSignal : WakeSignal;

/// <summary>How connecting or disconnecting an agent's CalDAV calendar went: one plain sentence either way.</summary>
internal sealed record AgentCalDavResult(bool Ok, string Message);

/// <summary>
/// Writes each agent's task tickets straight into the agent's own CalDAV calendar (issue 19 v2): one VEVENT per task,
/// the same event the feed lists (<see cref="AgentCalendarFeed.RenderEvent"/>), named after its UID.
/// <para>
/// What is pending is never kept in memory: it is <c>agent_caldav_events</c> (what we wrote) compared with the agent's
/// tasks (<see cref="AgentCalendarStore.FeedAsync"/>): a task without an event is created (<c>If-None-Match: *</c>), a task
/// whose SEQUENCE differs from the one we wrote is updated (<c>If-Match</c> our ETag), an event whose ticket left the
/// agent's feed (delete rule, reassignment, unlink) is deleted (<c>If-Match</c>). Only hrefs in that table are ever
/// updated or deleted, so the agent's other events are never touched. One pass per calendar at a time across every
/// instance (<see cref="INamedLocks"/>), so two instances never write the same event twice.
/// </para>
/// <para>
/// The agent editing or deleting our event by hand: we only write when the ticket changes, so their edit or deletion
/// stands until the ticket's next change, which then wins. An update answered 412 (edited: the ETag moved, or deleted:
/// RFC 9110 §13.1.1 makes If-Match on a missing resource fail too) reads the resource again: gone, it is created anew;
/// still our UID, it is overwritten with If-Match on its current ETag. A resource at our href with another UID is no
/// longer ours and is left alone. A delete by the rule likewise removes an event the agent edited, never one that is
/// not ours.
/// </para>
/// Failures (401, 403, 5xx, network) end the calendar's pass with its last error recorded and a back-off
/// (<see cref="RetryBase"/> doubling up to <see cref="RetryMax"/>); the pending work stays derivable and is done on the
/// next pass.
/// </summary>
internal sealed partial class AgentCalDavPusher(
    AgentCalDavStore targets,
    AgentCalendarStore tasks,
    AgentCalendarFeed feed,
    SecretSealer sealer,
    SourceHttpClient http,
    INamedLocks locks,
    AgentCalDavSignal signal,
    TimeProvider time,
    ILogger<AgentCalDavPusher> logger)
{
    public const string PasswordPurpose = "agent-caldav-password/v1";

    public static readonly TimeSpan RetryBase = TimeSpan.FromSeconds(15);
    public static readonly TimeSpan RetryMax = TimeSpan.FromMinutes(15);

    /// <summary>How long a pass waits for another instance's pass of the same calendar before leaving it to that one.</summary>
    private static readonly TimeSpan LockWait = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Per calendar, the connection and the agent's feed version of its last clean pass on this instance. A pass skips a
    /// calendar whose pair is unchanged: nothing of the agent's tasks changed since, so comparing them with what was
    /// written would find nothing (the version is read before the pass, so a change racing it only causes one more pass).
    /// Only a hint: a restart, another instance or an agent without a feed version simply compares again.
    /// </summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<(string Subdomain, long AgentId), (DateTimeOffset ConnectedAt, long Version)> clean = new();

    private const int MaxUserNameLength = 256;
    private const int MaxPasswordLength = 1024;

    /// <summary>The resource name of a task's event: its UID with every character outside <c>[A-Za-z0-9._-]</c> as '-', plus <c>.ics</c>.</summary>
    public static string ResourceName(string uid) =>
        string.Concat(uid.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '-')) + ".ics";

    /// <summary>
    /// Checks and stores an agent's calendar: an absolute http(s) URL (no credentials inside it), reachable under the
    /// same network rules as sources (<c>Channel:AllowedSourceNetworks</c>), a calendar collection (PROPFIND) that takes
    /// VEVENT. Nothing is stored when a check fails.
    /// </summary>
    public async Task<AgentCalDavResult> ConnectAsync(string subdomain, long agentId, string url, string username, string password, CancellationToken cancellationToken)
    {
        subdomain = subdomain.ToLowerInvariant();
        Uri collectionUrl;
        try
        {
            collectionUrl = SourceUrl.Parse(url, out var userInfo);
            if (userInfo is not null)
            {
                return new(false, "Give the CalDAV user name and password as their own fields, not inside the URL.");
            }
        }
        catch (SourceException e)
        {
            return new(false, e.Message);
        }

        if (username.Length is 0 or > MaxUserNameLength || username.Any(char.IsControl))
        {
            return new(false, "The CalDAV user name must be 1-256 characters without control characters.");
        }

        if (password.Length is 0 or > MaxPasswordLength)
        {
            return new(false, "The CalDAV password must be 1-1024 characters.");
        }

        using var client = Client(username, password);
        CalDavCollection collection;
        try
        {
            collection = await client.Dav.GetCollectionAsync(collectionUrl, cancellationToken);
        }
        catch (CalDavException e)
        {
            return new(false, CalDavSource.Translate(e, "checking the calendar").Message);
        }

        if (!collection.AcceptsEvents)
        {
            return new(false, $"This calendar takes only {string.Join(", ", collection.Components)}, not events (VEVENT): pick a calendar that holds events.");
        }

        await targets.ConnectAsync(new AgentCalDavTarget
        {
            Subdomain = subdomain,
            AgentId = agentId,
            CollectionUrl = collection.Url.AbsoluteUri,
            Username = username,
            SealedPassword = sealer.Seal(PasswordPurpose, Account(subdomain, agentId), password),
            ConnectedAt = time.GetUtcNow(),
        }, cancellationToken);
        LogConnected(logger, subdomain, agentId, CalDavException.Describe(collection.Url));
        signal.Wake();
        return new(true, string.Create(CultureInfo.InvariantCulture, $"Connected agent {agentId} of {subdomain} to {CalDavException.Describe(collection.Url)}{(collection.DisplayName is { } name ? " (" + name + ")" : "")}."));
    }

    /// <summary>
    /// Stops writing into the agent's calendar. With <paramref name="removeEvents"/> the events we wrote there are deleted
    /// first (only ours, by the same rules as the delete rule); if that fails the calendar stays connected and nothing is
    /// forgotten. Without it our events stay in the calendar as they are.
    /// </summary>
    public async Task<AgentCalDavResult> DisconnectAsync(string subdomain, long agentId, bool removeEvents, CancellationToken cancellationToken)
    {
        subdomain = subdomain.ToLowerInvariant();
        await using var held = await locks.TryAcquireAsync(LockName(subdomain, agentId), Timeout.InfiniteTimeSpan, cancellationToken);
        if (await targets.TargetAsync(subdomain, agentId, cancellationToken) is not { } target)
        {
            return new(false, string.Create(CultureInfo.InvariantCulture, $"Agent {agentId} of {subdomain} has no CalDAV calendar connected."));
        }

        var removed = 0;
        if (removeEvents)
        {
            using var client = ClientFor(target);
            if (client is null)
            {
                return new(false, "The stored CalDAV password cannot be opened (its key left the key ring), so the events cannot be removed; connect again first.");
            }

            var problems = new List<string>();
            try
            {
                foreach (var written in await targets.EventsAsync(subdomain, agentId, cancellationToken))
                {
                    if (await RemoveAsync(client.Dav, target, written, problems, cancellationToken))
                    {
                        removed++;
                    }
                }
            }
            catch (CalDavException e)
            {
                problems.Add(CalDavSource.Translate(e, "removing the events").Message);
            }

            if (problems.Count > 0)
            {
                return new(false, $"Still connected: not every event could be removed ({problems[0]}).");
            }
        }

        await targets.DisconnectAsync(subdomain, agentId, cancellationToken);
        LogDisconnected(logger, subdomain, agentId, removed);
        return new(true, removeEvents
            ? string.Create(CultureInfo.InvariantCulture, $"Disconnected agent {agentId} of {subdomain}; removed {removed} event(s) written there.")
            : string.Create(CultureInfo.InvariantCulture, $"Disconnected agent {agentId} of {subdomain}; the events written there were left in the calendar."));
    }

    /// <summary>
    /// One pass over every connected calendar that is not backing off and whose agent's tasks changed since its last
    /// clean pass here; returns how many calendars were compared.
    /// </summary>
    public async Task<int> RunOnceAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var connected = await targets.TargetsAsync(cancellationToken);
        if (connected.Count == 0)
        {
            return 0;
        }

        var versions = await tasks.FeedVersionsAsync(cancellationToken);
        var compared = 0;
        foreach (var target in connected)
        {
            if (target.NextAttemptAt is { } next && next > now)
            {
                continue;
            }

            var key = (target.Subdomain, target.AgentId);
            var known = versions.TryGetValue(key, out var version);
            if (known && target.Failures == 0 && clean.TryGetValue(key, out var seen) && seen == (target.ConnectedAt, version))
            {
                continue;
            }

            compared++;
            if (await PushAsync(target.Subdomain, target.AgentId, cancellationToken) && known)
            {
                clean[key] = (target.ConnectedAt, version);
            }
            else
            {
                clean.TryRemove(key, out _);
            }
        }

        return compared;
    }

    /// <summary>
    /// Brings one agent's calendar in line with their tasks. False when the pass failed (error recorded, back-off set)
    /// or another instance held the calendar for longer than <see cref="LockWait"/> (its pass does the same work).
    /// </summary>
    public async Task<bool> PushAsync(string subdomain, long agentId, CancellationToken cancellationToken)
    {
        await using var held = await locks.TryAcquireAsync(LockName(subdomain, agentId), LockWait, cancellationToken);
        if (held is null)
        {
            return false;
        }

        // Read again under the lock: disconnected, or written by the pass that held the lock.
        if (await targets.TargetAsync(subdomain, agentId, cancellationToken) is not { } target)
        {
            return true;
        }

        using var client = ClientFor(target);
        if (client is null)
        {
            await FailAsync(target, "The stored CalDAV password cannot be opened (its key left the key ring): connect the calendar again.", cancellationToken);
            return false;
        }

        var problems = new List<string>();
        try
        {
            await SyncAsync(client.Dav, target, problems, cancellationToken);
        }
        catch (CalDavException e)
        {
            problems.Insert(0, CalDavSource.Translate(e, "writing the agent's calendar").Message);
        }

        if (problems.Count > 0)
        {
            await FailAsync(target, problems[0], cancellationToken);
            return false;
        }

        if (target.Failures > 0 || target.NextAttemptAt is not null)
        {
            await targets.RecordHealthyAsync(subdomain, agentId, cancellationToken);
        }

        return true;
    }

    private async Task SyncAsync(CalDavClient client, AgentCalDavTarget target, List<string> problems, CancellationToken cancellationToken)
    {
        var due = (await tasks.FeedAsync(target.Subdomain, target.AgentId, cancellationToken)).Where(t => t.DueAt is not null).ToDictionary(t => t.TicketId);
        var written = (await targets.EventsAsync(target.Subdomain, target.AgentId, cancellationToken)).ToDictionary(e => e.TicketId);

        // Removals first: a reassignment's delete in the old calendar does not wait behind the other writes.
        foreach (var gone in written.Values.Where(e => !due.ContainsKey(e.TicketId)))
        {
            await RemoveAsync(client, target, gone, problems, cancellationToken);
        }

        foreach (var task in due.Values)
        {
            if (!written.TryGetValue(task.TicketId, out var ours))
            {
                await CreateAsync(client, target, task, problems, cancellationToken);
            }
            else if (ours.Sequence != task.Sequence)
            {
                await UpdateAsync(client, target, task, ours, problems, cancellationToken);
            }
        }
    }

    private async Task CreateAsync(CalDavClient client, AgentCalDavTarget target, AgentTask task, List<string> problems, CancellationToken cancellationToken)
    {
        var uid = AgentCalendarFeed.Uid(target.Subdomain, task.TicketId);
        var url = new Uri(new Uri(target.CollectionUrl), ResourceName(uid));
        var body = feed.RenderEvent(target.Subdomain, task)!;
        var result = await client.CreateAsync(url, body, cancellationToken);
        if (result.Status == CalDavWriteStatus.PreconditionFailed)
        {
            // The name is taken: our event from a write whose answer was lost, or one left by an earlier connection of
            // this calendar. Only an event with our UID is taken over.
            result = await client.TryGetAsync(url, cancellationToken) switch
            {
                null => await client.CreateAsync(url, body, cancellationToken),
                { ETag: { } etag } existing when IsOurs(existing.Body, uid) => await client.PutAsync(url, body, etag, cancellationToken),
                _ => result,
            };
        }

        await RecordAsync(target, task, url, result, problems, cancellationToken);
    }

    private async Task UpdateAsync(CalDavClient client, AgentCalDavTarget target, AgentTask task, AgentCalDavEvent ours, List<string> problems, CancellationToken cancellationToken)
    {
        var uid = AgentCalendarFeed.Uid(target.Subdomain, task.TicketId);
        var url = CalDavClient.ObjectUrl(new Uri(target.CollectionUrl), ours.Href);
        var body = feed.RenderEvent(target.Subdomain, task)!;
        CalDavWriteResult result;
        try
        {
            result = ours.ETag is { } etag
                ? await client.PutAsync(url, body, etag, cancellationToken)
                : new CalDavWriteResult(CalDavWriteStatus.PreconditionFailed, 412, null);
        }
        catch (CalDavException e) when (e.Kind == CalDavErrorKind.NotFound)
        {
            result = new CalDavWriteResult(CalDavWriteStatus.PreconditionFailed, 404, null);
        }

        if (result.Status == CalDavWriteStatus.PreconditionFailed)
        {
            // Edited or deleted by hand since our last write: the ticket's change wins (class comment).
            var existing = await client.TryGetAsync(url, cancellationToken);
            if (existing is null)
            {
                result = await client.CreateAsync(url, body, cancellationToken);
            }
            else if (existing.ETag is { } current && IsOurs(existing.Body, uid))
            {
                result = await client.PutAsync(url, body, current, cancellationToken);
            }
            else
            {
                // Something else lives at our href now: not ours to overwrite. Forget it; the next pass creates ours anew
                // (and reports the name as taken if the stranger is still there).
                await targets.RecordGoneAsync(target.Subdomain, target.AgentId, task.TicketId, null, cancellationToken);
                problems.Add($"{CalDavException.Describe(url)} now holds an event that is not ours; it is left alone.");
                return;
            }
        }

        await RecordAsync(target, task, url, result, problems, cancellationToken);
    }

    /// <summary>Deletes one of our events (If-Match); true when it is gone from the calendar and forgotten here.</summary>
    private async Task<bool> RemoveAsync(CalDavClient client, AgentCalDavTarget target, AgentCalDavEvent ours, List<string> problems, CancellationToken cancellationToken)
    {
        var uid = AgentCalendarFeed.Uid(target.Subdomain, ours.TicketId);
        var url = CalDavClient.ObjectUrl(new Uri(target.CollectionUrl), ours.Href);
        var status = ours.ETag is { } etag ? await client.DeleteAsync(url, etag, cancellationToken) : CalDavDeleteStatus.PreconditionFailed;
        if (status == CalDavDeleteStatus.PreconditionFailed)
        {
            // Edited by hand (or deleted: then nothing is left to do). Our event edited by the agent is still removed by
            // the delete rule; anything that no longer carries our UID is left alone.
            var existing = await client.TryGetAsync(url, cancellationToken);
            status = existing is { ETag: { } current } && IsOurs(existing.Body, uid)
                ? await client.DeleteAsync(url, current, cancellationToken)
                : CalDavDeleteStatus.NotFound;
        }

        switch (status)
        {
            case CalDavDeleteStatus.Deleted:
                await targets.RecordGoneAsync(target.Subdomain, target.AgentId, ours.TicketId, time.GetUtcNow(), cancellationToken);
                return true;
            case CalDavDeleteStatus.NotFound:
                await targets.RecordGoneAsync(target.Subdomain, target.AgentId, ours.TicketId, null, cancellationToken);
                return true;
            default:
                problems.Add($"{CalDavException.Describe(url)} kept changing while it was deleted; tried again on the next pass.");
                return false;
        }
    }

    private async Task RecordAsync(AgentCalDavTarget target, AgentTask task, Uri url, CalDavWriteResult result, List<string> problems, CancellationToken cancellationToken)
    {
        switch (result.Status)
        {
            case CalDavWriteStatus.Written:
                await targets.RecordWrittenAsync(new AgentCalDavEvent
                {
                    Subdomain = target.Subdomain,
                    AgentId = target.AgentId,
                    TicketId = task.TicketId,
                    Href = url.AbsolutePath,
                    ETag = result.ETag,
                    Sequence = task.Sequence,
                    WrittenAt = time.GetUtcNow(),
                }, cancellationToken);
                return;
            case CalDavWriteStatus.Unauthorized:
                // The whole calendar fails alike: stop the pass here.
                throw CalDavException.FromStatus(401, url, "writing the agent's calendar");
            case CalDavWriteStatus.PreconditionFailed:
                problems.Add($"{CalDavException.Describe(url)} is taken by an event that is not ours; it is left alone.");
                return;
            default:
                problems.Add(string.Create(CultureInfo.InvariantCulture, $"The CalDAV server refused the event of ticket {task.TicketId} ({result.HttpStatus}{(result.Precondition is { } p ? ", " + p : "")}) at {CalDavException.Describe(url)}."));
                return;
        }
    }

    private async Task FailAsync(AgentCalDavTarget target, string message, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var delay = TimeSpan.FromTicks(Math.Min(RetryMax.Ticks, RetryBase.Ticks << (int)Math.Min(target.Failures, 16)));
        await targets.RecordFailureAsync(target.Subdomain, target.AgentId, message, now, now + delay, cancellationToken);
        LogPassFailed(logger, target.Subdomain, target.AgentId, message, delay);
    }

    /// <summary>Whether a calendar object's VEVENT carries <paramref name="uid"/>: ours, even if the agent edited it.</summary>
    private static bool IsOurs(string body, string uid)
    {
        var parse = IcalReader.Parse(System.Text.Encoding.UTF8.GetBytes(body));
        return parse.Roots.SelectMany(r => r.Components).Any(c => c.Name == "VEVENT" && c.GetProperty("UID") is { } p && IcalText.Unescape(p.RawValue) == uid);
    }

    private OwnedClient? ClientFor(AgentCalDavTarget target) =>
        sealer.Open(PasswordPurpose, Account(target.Subdomain, target.AgentId), target.SealedPassword) is { } password ? Client(target.Username, password) : null;

    private OwnedClient Client(string username, string password)
    {
        var protocol = http.CreateProtocolClient();
        return new OwnedClient(protocol, new CalDavClient(
            protocol,
            new CalDavCredentials(username, password),
            options: new CalDavClientOptions { MaxResponseBytes = http.Options.MaxSourceResponseBytes, MaxRedirects = http.Options.MaxSourceRedirects }));
    }

    /// <summary>The sealed password is bound to its subdomain and agent: it opens for that calendar only.</summary>
    private static string Account(string subdomain, long agentId) => string.Create(CultureInfo.InvariantCulture, $"{subdomain}/{agentId}");

    private static string LockName(string subdomain, long agentId) => string.Create(CultureInfo.InvariantCulture, $"agent-caldav/{subdomain}/{agentId}");

    private sealed class OwnedClient(HttpClient protocol, CalDavClient dav) : IDisposable
    {
        public CalDavClient Dav { get; } = dav;

        public void Dispose() => protocol.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Agent {AgentId} of {Subdomain}: CalDAV calendar {Collection} connected")]
    private static partial void LogConnected(ILogger logger, string subdomain, long agentId, string collection);

    [LoggerMessage(Level = LogLevel.Information, Message = "Agent {AgentId} of {Subdomain}: CalDAV calendar disconnected ({Removed} event(s) removed)")]
    private static partial void LogDisconnected(ILogger logger, string subdomain, long agentId, int removed);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Agent {AgentId} of {Subdomain}: writing the CalDAV calendar failed ({Reason}); trying again in {Delay}")]
    private static partial void LogPassFailed(ILogger logger, string subdomain, long agentId, string reason, TimeSpan delay);
}

/// <summary>Runs <see cref="AgentCalDavPusher"/>: at once when a task changed here, and every minute (changes made on other instances, retries).</summary>
/// <remarks>
/// The pusher comes lazily: it holds the shared <see cref="SourceHttpClient"/>, whose settings are validated when the
/// host starts, and building it while the host collects its hosted services would turn a bad setting's one-line
/// message into a crash.
/// </remarks>
internal sealed partial class AgentCalDavWorker(Lazy<AgentCalDavPusher> pusher, AgentCalDavSignal signal, TimeProvider time, ILogger<AgentCalDavWorker> logger) : BackgroundService
{
    public static readonly TimeSpan ReconcileInterval = TimeSpan.FromMinutes(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await pusher.Value.RunOnceAsync(stoppingToken);
                await signal.WaitAsync(ReconcileInterval, stoppingToken);
            }
            catch (Exception) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is System.Data.Common.DbException or InvalidOperationException or HttpRequestException)
            {
                LogPassFailed(logger, ex);
                await WorkerPause.AfterFailureAsync(TimeSpan.FromSeconds(5), time, stoppingToken);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Agents' CalDAV push pass failed")]
    private static partial void LogPassFailed(ILogger logger, Exception exception);
}
