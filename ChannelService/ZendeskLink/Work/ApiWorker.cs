using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json.Nodes;
using ChannelService.Configuration;
using ChannelService.Events;
using ChannelService.Tickets;
using ChannelService.Zendesk;
using ChannelService.ZendeskLink.Api;
using ChannelService.ZendeskLink.Tickets;
using Microsoft.Extensions.Options;

namespace ChannelService.ZendeskLink.Work;

/// <summary>Wakes the API worker when work was queued or brought forward (the pull, the resources_created handler).</summary>
internal sealed class ApiWorkSignal : WakeSignal;

/// <summary>
/// Applies queued ticket intents through the REST API (issue 17 §2–5), outside any pull request. Per pass it claims
/// due rows under a lease (<see cref="ApiWorkStore"/>), and per subdomain:
/// <list type="number">
/// <item>finds each unit's ticket: the one <c>resources_created_from_external_ids</c> named (<see cref="TicketLinkStore"/>)
/// is used only once the API confirms it (<see cref="IsOurs"/>), since event callbacks are unsigned and a forged one
/// must not make the service edit somebody else's ticket; without a confirmed ticket it waits
/// <see cref="ApiWorkOptions.SearchAfter"/> for the event and then searches by the opening's external_id, again later
/// with back-off when the search index does not know it yet;</item>
/// <item>plans what changed since the service last set each property (<see cref="TicketPropertyPlanner"/>);</item>
/// <item>resolves requesters to users (search, else create), then sends one PUT per ticket, or update_many jobs of 100
/// when more than a handful change at once, polling each job's status;</item>
/// <item>records what Zendesk took, and keeps a row due at the item's next time-driven change (an event starting or
/// ending, a task falling due).</item>
/// </list>
/// Failures keep the work: not linked (until the link works), 429 (Retry-After), 5xx and 401 (back-off).
/// </summary>
internal sealed partial class ApiWorker : BackgroundService, IZendeskLinkObserver
{
    private readonly ApiWorkStore store;
    private readonly TicketPropertyStore properties;
    private readonly TicketLinkStore links;
    private readonly ZendeskTicketsApi tickets;
    private readonly ZendeskUsersApi users;
    private readonly ServiceErrors errors;
    private readonly Changes.IOwnTicketWrites ownWrites;
    private readonly ApiWorkSignal signal;
    private readonly ApiWorkOptions options;
    private readonly TimeProvider time;
    private readonly ILogger<ApiWorker> logger;
    private readonly ConcurrentDictionary<(string Subdomain, string Email), long> userIds = new();

    public ApiWorker(
        ApiWorkStore store,
        TicketPropertyStore properties,
        TicketLinkStore links,
        ZendeskTicketsApi tickets,
        ZendeskUsersApi users,
        ServiceErrors errors,
        Changes.IOwnTicketWrites ownWrites,
        ApiWorkSignal signal,
        IOptions<ApiWorkOptions> options,
        TimeProvider time,
        ILogger<ApiWorker> logger)
    {
        this.store = store;
        this.properties = properties;
        this.links = links;
        this.tickets = tickets;
        this.users = users;
        this.errors = errors;
        this.ownWrites = ownWrites;
        this.signal = signal;
        this.options = options.Value;
        this.time = time;
        this.logger = logger;
    }

    /// <summary>This worker's name on its leases: unique per process, so a second instance never completes our claims.</summary>
    public string Owner { get; init; } = $"{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid():N}";

    public async Task LinkedAsync(string subdomain, CancellationToken cancellationToken)
    {
        if (await store.BringForwardSubdomainAsync(subdomain, time.GetUtcNow(), cancellationToken) > 0)
        {
            signal.Wake();
        }
    }

    public Task UnlinkingAsync(string subdomain, CancellationToken cancellationToken) => Task.CompletedTask;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Background)
        {
            return;
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (!await RunOnceAsync(stoppingToken))
                {
                    await signal.WaitAsync(options.PollInterval, stoppingToken);
                }
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

    /// <summary>One pass: claims due rows and works them off. False when nothing was due.</summary>
    public async Task<bool> RunOnceAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var rows = await store.ClaimAsync(Owner, now, now + options.Lease, options.BatchSize, cancellationToken);
        if (rows.Count == 0)
        {
            return false;
        }

        foreach (var group in rows.GroupBy(r => r.Subdomain, StringComparer.OrdinalIgnoreCase))
        {
            await ProcessSubdomainAsync(group.Key, [.. group], cancellationToken);
        }

        return true;
    }

    private sealed class Unit(ApiWorkRow row, TicketIntent intent, TicketProperties? stored)
    {
        public ApiWorkRow Row { get; } = row;

        public TicketIntent Intent { get; } = intent;

        public TicketProperties? Stored { get; } = stored;

        public long? Ticket { get; set; }

        public PlannedTicketUpdate? Plan { get; set; }

        public bool Done { get; set; }
    }

    private async Task ProcessSubdomainAsync(string subdomain, List<ApiWorkRow> rows, CancellationToken cancellationToken)
    {
        var units = new List<Unit>();
        foreach (var row in rows)
        {
            TicketIntent intent;
            try
            {
                intent = TicketIntent.FromJson(row.Intent);
            }
            catch (System.Text.Json.JsonException)
            {
                await store.DropAsync(row, Owner, cancellationToken);
                continue;
            }

            units.Add(new Unit(row, intent, await properties.GetAsync(row.AccountId, row.UnitKey, cancellationToken)));
        }

        // 1. Which ticket holds each unit: confirmed before, or named by an event and confirmed now.
        var toConfirm = new Dictionary<long, List<Unit>>();
        foreach (var unit in units)
        {
            var linked = await links.TicketForAsync(unit.Intent.ThreadId, cancellationToken);
            if (linked is { } id && unit.Stored?.TicketId == id)
            {
                unit.Ticket = id;
            }
            else if (linked is { } named)
            {
                (toConfirm.TryGetValue(named, out var list) ? list : toConfirm[named] = []).Add(unit);
            }
        }

        foreach (var chunk in toConfirm.Keys.Chunk(ZendeskTicketsApi.MaxPerCall))
        {
            var (result, shown) = await tickets.ShowManyAsync(subdomain, chunk, cancellationToken);
            if (!result.Ok)
            {
                await FailAsync(subdomain, chunk.SelectMany(id => toConfirm[id]), result, cancellationToken);
                continue;
            }

            var byId = shown.ToDictionary(t => t.Id);
            foreach (var id in chunk)
            {
                foreach (var unit in toConfirm[id])
                {
                    if (byId.TryGetValue(id, out var ticket) && IsOurs(ticket, unit.Row))
                    {
                        unit.Ticket = id;
                    }
                    else
                    {
                        LogNotOurs(logger, subdomain, id, unit.Intent.ThreadId);
                        await errors.RecordAsync(unit.Row.AccountId, "zendesk-api", string.Create(CultureInfo.InvariantCulture,
                            $"Ticket {id} was named for {unit.Intent.ThreadId} by an event, but Zendesk does not show it as that item's ticket: left alone."), cancellationToken);
                    }
                }
            }
        }

        // 2. The rest: wait for the event, then search (eventually consistent: again later when not found yet).
        var now = time.GetUtcNow();
        foreach (var unit in units.Where(u => u.Ticket is null && !u.Done))
        {
            if (now - unit.Row.CreatedAt < options.SearchAfter)
            {
                await store.RescheduleAsync(unit.Row, Owner, unit.Row.CreatedAt + options.SearchAfter, now, null, succeeded: false, cancellationToken);
                unit.Done = true;
                continue;
            }

            var opening = ExternalIds.Opening(unit.Intent.ThreadId);
            var (result, found) = await tickets.SearchByExternalIdAsync(subdomain, opening, cancellationToken);
            if (!result.Ok)
            {
                await FailAsync(subdomain, [unit], result, cancellationToken);
                continue;
            }

            if (found.FirstOrDefault(t => IsOurs(t, unit.Row)) is { } ticket)
            {
                LogFoundBySearch(logger, subdomain, ticket.Id, unit.Intent.ThreadId);
                await links.LinkAsync(unit.Row.AccountId, unit.Intent.ThreadId, ticket.Id, null, ticket.ExternalId!, null, now, cancellationToken);
                unit.Ticket = ticket.Id;
                continue;
            }

            if (unit.Row.Attempts >= options.MaxAttempts)
            {
                await errors.RecordAsync(unit.Row.AccountId, "zendesk-api", $"No ticket of {unit.Intent.ThreadId} was found in Zendesk after {unit.Row.Attempts} tries: its properties were not set.", cancellationToken);
                await store.DropAsync(unit.Row, Owner, cancellationToken);
            }
            else
            {
                await store.RescheduleAsync(unit.Row, Owner, now + Backoff(unit.Row.Attempts, options.SearchRetry), now, "ticket not found yet (search index)", succeeded: false, cancellationToken);
            }

            unit.Done = true;
        }

        // 3. What changed since we last set each property.
        var ready = units.Where(u => u.Ticket is not null && !u.Done).ToList();
        foreach (var unit in ready)
        {
            var applied = unit.Stored is { } s && s.TicketId == unit.Ticket ? s.Applied : null;
            unit.Plan = TicketPropertyPlanner.Plan(unit.Intent, applied, now);
            if (unit.Intent.RequesterWarning is { } warning && applied?.Warning != warning)
            {
                await errors.RecordAsync(unit.Row.AccountId, "zendesk-api", $"{unit.Intent.ThreadId}: {warning}", cancellationToken);
                unit.Plan = unit.Plan with { Applied = unit.Plan.Applied with { Warning = warning } };
            }
        }

        // 4. Requesters: one lookup per e-mail.
        foreach (var group in ready.Where(u => u.Plan!.Requester is not null).GroupBy(u => u.Plan!.Requester!.Email.ToLowerInvariant(), StringComparer.Ordinal))
        {
            var requester = group.First().Plan!.Requester!;
            if (!userIds.TryGetValue((subdomain, group.Key), out var userId))
            {
                var (result, id) = await users.ResolveAsync(subdomain, requester.Email, requester.Name, cancellationToken);
                if (!result.Ok || id is null)
                {
                    await FailAsync(subdomain, group, result.Ok ? result with { Status = ApiStatus.Rejected, Message = "Zendesk answered without a user id." } : result, cancellationToken);
                    continue;
                }

                userId = id.Value;
                if (userIds.Count < 10_000)
                {
                    userIds[(subdomain, group.Key)] = userId;
                }
            }

            foreach (var unit in group)
            {
                unit.Plan!.Fields["requester_id"] = userId;
            }
        }

        // 5. Send. Leases are renewed first: a row another worker took over meanwhile is not sent again.
        ready = ready.Where(u => !u.Done).ToList();
        var held = await store.RenewAsync(Owner, ready.Select(u => u.Row.Id).ToList(), time.GetUtcNow() + options.Lease, cancellationToken);
        ready = ready.Where(u => held.Contains(u.Row.Id)).ToList();
        var sending = ready.Where(u => u.Plan!.Fields.Count > 0).ToList();
        foreach (var unit in ready.Where(u => u.Plan!.Fields.Count == 0))
        {
            await SucceededAsync(unit, cancellationToken);
        }

        // Status intents always go alone: each answer's updated_at is recorded, so the change feed knows the version as
        // ours (an update_many job reports no updated_at), and a note is never applied by a job that may fail half-way.
        var batched = sending.Count > options.Handful ? sending.Where(u => !u.Intent.StatusOnly).ToList() : [];
        if (batched.Count > 0)
        {
            await SendManyAsync(subdomain, batched, cancellationToken);
        }

        foreach (var unit in sending.Except(batched))
        {
            var result = await tickets.UpdateAsync(subdomain, unit.Ticket!.Value, unit.Plan!.Fields, cancellationToken);
            if (result.Ok)
            {
                await RecordOwnWriteAsync(subdomain, unit.Ticket.Value, result, cancellationToken);
                await SucceededAsync(unit, cancellationToken);
            }
            else if (result.Status == ApiStatus.NotFound)
            {
                // The ticket was deleted in Zendesk: nothing left to set.
                await store.DropAsync(unit.Row, Owner, cancellationToken);
            }
            else
            {
                await FailAsync(subdomain, [unit], result, cancellationToken);
            }
        }
    }

    /// <summary>
    /// Writes down the <c>updated_at</c> of Zendesk's answer to our update (the ticket object it returns,
    /// https://developer.zendesk.com/api-reference/ticketing/tickets/tickets/#update-ticket), so the change feed passes
    /// that version on as ours (<c>ChangedByUs</c>) and nobody acts on it as an agent's change.
    /// </summary>
    private async Task RecordOwnWriteAsync(string subdomain, long ticketId, ApiResult result, CancellationToken cancellationToken)
    {
        if (ZendeskApiClient.Text(result.Body?["ticket"]?["updated_at"]) is { } text
            && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var updatedAt))
        {
            await ownWrites.RecordAsync(subdomain, ticketId, updatedAt, cancellationToken);
        }
    }

    private async Task SendManyAsync(string subdomain, List<Unit> sending, CancellationToken cancellationToken)
    {
        // One object per ticket: a ticket held by two units would need two jobs; the second waits for the next pass.
        var distinct = sending.GroupBy(u => u.Ticket!.Value).Select(g => g.First()).ToList();
        foreach (var unit in sending.Except(distinct))
        {
            await store.RescheduleAsync(unit.Row, Owner, time.GetUtcNow(), time.GetUtcNow(), null, succeeded: false, cancellationToken);
        }

        foreach (var batch in distinct.Chunk(ZendeskTicketsApi.MaxPerCall))
        {
            var objects = batch.Select(u =>
            {
                var fields = (JsonObject)u.Plan!.Fields.DeepClone();
                fields.Insert(0, "id", u.Ticket!.Value);
                return fields;
            }).ToList();
            var (queued, jobId) = await tickets.UpdateManyAsync(subdomain, objects, cancellationToken);
            if (!queued.Ok || jobId is null)
            {
                await FailAsync(subdomain, batch, queued.Ok ? queued with { Status = ApiStatus.Transient, Message = "Zendesk queued no job." } : queued, cancellationToken);
                continue;
            }

            JobStatus? job = null;
            for (var poll = 0; poll < options.MaxJobPolls; poll++)
            {
                await Task.Delay(options.JobPollInterval, time, cancellationToken);
                var (result, status) = await tickets.JobStatusAsync(subdomain, jobId, cancellationToken);
                if (!result.Ok)
                {
                    break;
                }

                job = status;
                if (job!.Finished)
                {
                    break;
                }
            }

            if (job is not { Finished: true })
            {
                // Unknown outcome: the same values are sent again later, which sets nothing twice.
                await FailAsync(subdomain, batch, new ApiResult(ApiStatus.Transient, null, $"Job {jobId} did not finish in time."), cancellationToken);
                continue;
            }

            var results = job.Results.GroupBy(r => r.TicketId).ToDictionary(g => g.Key, g => g.First());
            foreach (var unit in batch)
            {
                if (results.TryGetValue(unit.Ticket!.Value, out var r) && r.Success)
                {
                    await SucceededAsync(unit, cancellationToken);
                }
                else
                {
                    var error = r?.Error ?? $"job {job.Status} without a result for this ticket";
                    await FailAsync(subdomain, [unit], new ApiResult(ApiStatus.Rejected, null, $"update_many: {error}"), cancellationToken);
                }
            }
        }
    }

    private async Task SucceededAsync(Unit unit, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await properties.SaveAsync(unit.Row.AccountId, unit.Row.UnitKey, unit.Ticket!.Value, unit.Plan!.Applied, now, cancellationToken);
        if (unit.Plan.NextChange is { } next)
        {
            await store.RescheduleAsync(unit.Row, Owner, next, now, null, succeeded: true, cancellationToken);
        }
        else
        {
            await store.CompleteAsync(unit.Row, Owner, now, cancellationToken);
        }

        unit.Done = true;
    }

    private async Task FailAsync(string subdomain, IEnumerable<Unit> failed, ApiResult result, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        foreach (var unit in failed.Where(u => !u.Done))
        {
            unit.Done = true;
            var wait = result.Status switch
            {
                ApiStatus.NotLinked => options.NotLinkedRecheck,
                ApiStatus.RateLimited => result.RetryAfter ?? TimeSpan.FromMinutes(1),
                ApiStatus.Unauthorized => TimeSpan.FromMinutes(10),
                ApiStatus.Rejected => Backoff(unit.Row.Attempts, TimeSpan.FromMinutes(5)),
                _ => Backoff(unit.Row.Attempts, TimeSpan.FromSeconds(30)),
            };
            if (result.Status == ApiStatus.Rejected && unit.Row.Attempts >= options.MaxAttempts)
            {
                await errors.RecordAsync(unit.Row.AccountId, "zendesk-api", $"{unit.Intent.ThreadId}: Zendesk refused the update {unit.Row.Attempts} times ({result.Message}); given up.", cancellationToken);
                await store.DropAsync(unit.Row, Owner, cancellationToken);
                continue;
            }

            await store.RescheduleAsync(unit.Row, Owner, now + wait, now, result.Message, succeeded: false, cancellationToken);
        }

        if (result.Status is not ApiStatus.NotLinked)
        {
            LogFailed(logger, subdomain, result.Status.ToString(), result.Message);
        }
    }

    /// <summary>
    /// Whether Zendesk shows <paramref name="ticket"/> as this unit's: a Channel Framework ticket (via
    /// <c>any_channel</c>, https://developer.zendesk.com/documentation/ticketing/reference-guides/via-types/) whose
    /// external_id is one of this thread's ids (the opening, or the resource that opened a follow-up ticket). The docs do
    /// not say that Channel Framework tickets carry the resource's external_id; the safe reading is to edit a ticket only
    /// when they do: a ticket without it is left alone, whatever an unsigned event claims. Re-checked 2026-12-07: the
    /// Channel Framework reference (https://developer.zendesk.com/rest_api/docs/core/channel_framework, "external_resource
    /// object") and the pull and push guides describe external_id only as the resource's id that Zendesk de-duplicates
    /// on; the ticket's own external_id is documented as a field an API client sets
    /// (https://support.zendesk.com/hc/en-us/articles/4408819890330). Nothing says Zendesk copies one into the other,
    /// so the safe reading stays.
    /// </summary>
    public static bool IsOurs(ApiTicket ticket, ApiWorkRow row) =>
        ticket.ViaChannel == "any_channel"
        && ExternalIdShape.TryParse(ticket.ExternalId, out var accountId, out var unitKey)
        && accountId == row.AccountId
        && unitKey == TicketIntent.UnitOf(row.UnitKey);

    /// <summary>Exponential from <paramref name="first"/>, at most an hour, with jitter so many rows do not retry in step.</summary>
    private static TimeSpan Backoff(int attempts, TimeSpan first)
    {
        var ceiling = Math.Min(TimeSpan.FromHours(1).TotalMilliseconds, first.TotalMilliseconds * Math.Pow(2, Math.Max(0, attempts - 1)));
        return TimeSpan.FromMilliseconds((ceiling * 3 / 4) + (Random.Shared.NextDouble() * ceiling / 4));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Zendesk API {Subdomain}: ticket {TicketId} is not the ticket of {ThreadId}; an event named it, the API does not confirm it")]
    private static partial void LogNotOurs(ILogger logger, string subdomain, long ticketId, string threadId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Zendesk API {Subdomain}: found ticket {TicketId} of {ThreadId} by search (its creation event was missed)")]
    private static partial void LogFoundBySearch(ILogger logger, string subdomain, long ticketId, string threadId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Zendesk API {Subdomain}: {Status}: {Message}; the work is kept and tried again later")]
    private static partial void LogFailed(ILogger logger, string subdomain, string status, string message);

    [LoggerMessage(Level = LogLevel.Error, Message = "The Zendesk API worker failed; it starts over in a second")]
    private static partial void LogWorkerError(ILogger logger, Exception exception);
}
