using System.Data.Common;
using System.Globalization;
using ChannelService.Accounts;
using ChannelService.Calendars;
using ChannelService.Data;
using ChannelService.Pull;
using ChannelService.Sources;
using ChannelService.Sources.CalDav;
using ChannelService.Tickets;
using ChannelService.ZendeskLink.Tickets;
using ChannelService.ZendeskLink.Work;
using NodaTime;

namespace ChannelService.ZendeskLink.Status;

/// <summary>
/// The pull's half of the two-way task status (issue 18 §2–4; README, "Two-way task status"). It runs inside the
/// account's pull, the only time the service holds the source's credentials:
/// <list type="number">
/// <item>before the source is read, every task whose ticket moved since the last agreement (recorded by
/// <see cref="TicketStatusHandler"/>) is read again, decided with the account's <c>status_sync</c> policy
/// (<see cref="StatusDecision"/>) and written to the source with the status the decision was made on as a guard: a
/// change in between (a 412 on the PUT, or a new read) makes it read and decide again. A task deleted from the source
/// is never written (no resurrection);</item>
/// <item>the read then carries that write back: the pull recognises it as ours (no "Status" change comment,
/// <see cref="PullPlanner.PlanBacklog"/>) and does not send it back to Zendesk;</item>
/// <item>a task whose status moved in the source queues a status intent for the ticket in the pull's own transaction
/// (solved with an internal note naming who and when; open again), applied by the API worker, whose answer's
/// updated_at marks the ticket version as ours for the change feed.</item>
/// </list>
/// </summary>
internal sealed partial class TaskStatusSync(
    StatusSyncStore store, ApiWorkStore work, ApiWorkSignal signal, TicketPropertyStore properties, Database database, TimeProvider time, ILogger<TaskStatusSync> logger)
{
    /// <summary>Source writes per pull at most: a bulk solve of more tickets is carried over the next pulls.</summary>
    public const int MaxWritesPerPull = 200;

    private const int MaxDecisions = 3;

    /// <summary>Whether the account takes part: a CalDAV task list whose tasks can change status, with a subdomain, and the sync not off.</summary>
    public static bool Applies(AccountMetadata account, ISource source) =>
        account.Kind == SourceKind.CalDavTasks && account.Subdomain is not null && account.Options.StatusSync != StatusSyncMode.Off
        && source.Capabilities.CanChangeTaskStatus;

    /// <summary>
    /// Step 1: carries the tickets' moves to the source, starting no new one after <paramref name="spend"/> (the read
    /// still needs its share of the pull's time; what is left waits for the next pull). Throws
    /// <see cref="SourceException"/> as a read does.
    /// </summary>
    public async Task ApplyTicketMovesAsync(AccountMetadata account, ISource source, TimeSpan spend, CancellationToken cancellationToken)
    {
        var queued = false;
        var started = time.GetTimestamp();
        foreach (var row in await store.TicketMovesAsync(account.AccountId, MaxWritesPerPull, cancellationToken))
        {
            if (time.GetElapsedTime(started) > spend)
            {
                LogCarriedOver(logger, account.AccountId);
                break;
            }

            queued |= await ApplyAsync(account, source, row, cancellationToken);
        }

        if (queued)
        {
            signal.Wake();
        }
    }

    private async Task<bool> ApplyAsync(AccountMetadata account, ISource source, StatusSyncRow row, CancellationToken cancellationToken)
    {
        var zone = ResourceBuilder.ZoneOf(account.Options);
        for (var attempt = 1; attempt <= MaxDecisions; attempt++)
        {
            var now = time.GetUtcNow();
            var ticketSide = row.TicketStatus is { } status ? TaskStates.OfTicket(status) : row.Agreed ?? TaskStates.Open;
            var item = await source.ReadItemAsync(row.UnitKey, cancellationToken);
            if (item is null || ReadTask(item) is not { } task)
            {
                // Deleted in the source (or no longer a task): nothing is written, so nothing is re-created.
                await store.SettleAsync(account.AccountId, row.UnitKey, new StatusSettlement { Agreed = ticketSide, TicketAtSeen = row.TicketAt }, now, cancellationToken);
                LogGone(logger, account.AccountId, row.UnitKey);
                return false;
            }

            var due = row.DueMoved == 1 && account.Options.DueSync && row.TicketDueAt is { } dueAt ? await MoveDueAsync(account, source, row, task, dueAt, zone, cancellationToken) : null;
            var sourceSide = new SideState(task.State, task.At, row.SourceMoved == 1 || SourceMoved(row, task.State, task.At));
            var ticket = new SideState(ticketSide, row.TicketAt, row.TicketMoved == 1);
            var agreed = row.Agreed ?? sourceSide.Side;
            var decision = StatusDecision.Decide(account.Options.StatusSync, agreed, ticket, sourceSide);
            if (decision is null)
            {
                await store.SettleAsync(account.AccountId, row.UnitKey, new StatusSettlement { Agreed = agreed, SourceState = task.State, SourceAt = task.At, TicketAtSeen = row.TicketAt, Error = due }, now, cancellationToken);
                return false;
            }

            string? written = null;
            if (decision.WriteSource)
            {
                var target = decision.Agreed == TaskStates.Closed ? SourceTaskStatus.Completed : SourceTaskStatus.NeedsAction;
                var requestId = string.Create(CultureInfo.InvariantCulture, $"zendesk-{row.TicketId}-{row.TicketAt?.ToUnixTimeSeconds()}");
                var result = await source.ChangeTaskStatusAsync(new SourceTaskStatusWrite(row.UnitKey, requestId, target, null) { DecidedOn = task.Fingerprint }, cancellationToken);
                switch (result.Outcome)
                {
                    case SourceWriteOutcome.Conflict:
                        // Changed since we read it (a 412, or a new status): read it again and decide again.
                        LogRedecide(logger, account.AccountId, row.UnitKey, attempt);
                        continue;
                    case SourceWriteOutcome.NotFound:
                        await store.SettleAsync(account.AccountId, row.UnitKey, new StatusSettlement { Agreed = ticketSide, TicketAtSeen = row.TicketAt }, now, cancellationToken);
                        return false;
                    case SourceWriteOutcome.Written or SourceWriteOutcome.AlreadyApplied:
                        written = target == SourceTaskStatus.Completed ? TaskStates.Completed : TaskStates.Open;
                        break;
                    default:
                        // Refused (read-only, not a task): the ticket's move stays; the dashboard says why.
                        await store.SettleAsync(account.AccountId, row.UnitKey, new StatusSettlement { Agreed = agreed, KeepSourceMoved = true, Error = result.Message }, now, cancellationToken);
                        LogRefused(logger, account.AccountId, row.UnitKey, result.Message);
                        return false;
                }
            }

            var queued = false;
            string? note = null;
            if (decision.IsConflict)
            {
                note = ConflictNote(account.Options.StatusSync, decision, ticket, sourceSide, zone);
            }

            await using var c = await database.OpenAsync(cancellationToken);
            await using var t = await c.BeginTransactionAsync(cancellationToken);
            if (decision.WriteTicket || note is not null)
            {
                var ticketStatus = decision.WriteTicket ? TicketStatusFor(decision.Agreed) : null;
                if (decision.WriteTicket && row.TicketStatus == "closed" && decision.Agreed == TaskStates.Open)
                {
                    await StatusSyncStore.SettleAsync(c, t, account.AccountId, row.UnitKey, new StatusSettlement { Agreed = decision.Agreed, SourceState = task.State, SourceAt = task.At, TicketAtSeen = row.TicketAt, Error = ClosedTicket(row) }, now);
                    await t.CommitAsync(cancellationToken);
                    return false;
                }

                await QueueAsync(c, t, account, row.UnitKey, ticketStatus, note ?? SourceNote(task.State, task.At, null, zone), now);
                queued = true;
            }

            await StatusSyncStore.SettleAsync(c, t, account.AccountId, row.UnitKey, new StatusSettlement
            {
                Agreed = decision.Agreed,
                SourceState = written ?? task.State,
                SourceAt = written is null ? task.At : null,
                SourceWritten = written,
                TicketWritten = decision.WriteTicket ? decision.Agreed : null,
                TicketAtSeen = row.TicketAt,
                ConflictNote = note,
                Error = due,
            }, now);
            await t.CommitAsync(cancellationToken);
            if (written is not null)
            {
                LogWritten(logger, account.AccountId, row.UnitKey, written);
            }

            return queued;
        }

        return false;
    }

    /// <summary>
    /// Step 3, inside the pull's transaction: the source side of every task this response carries. A move queues the
    /// ticket's status (or, when the ticket moved too, waits for the next pull's step 1 to decide by the policy).
    /// Returns whether API work was queued.
    /// </summary>
    public async Task<bool> RecordSourceAsync(DbConnection c, DbTransaction t, AccountMetadata account, IReadOnlyList<PendingUnit> pending, DateTimeOffset now)
    {
        if (account.Subdomain is null || account.Kind != SourceKind.CalDavTasks || account.Options.StatusSync == StatusSyncMode.Off)
        {
            return false;
        }

        var zone = ResourceBuilder.ZoneOf(account.Options);
        var queued = false;
        foreach (var unit in pending.Where(p => p.TaskState is not null))
        {
            var state = unit.TaskState!;
            var row = await StatusSyncStore.GetAsync(c, t, account.AccountId, unit.UnitKey);
            var agreedIfNew = TaskStates.OfTask(unit.TaskStateBefore ?? state);
            var ours = row is { SourceEcho: 1 } && row.SourceWritten == state;
            var moved = !ours && (row is null ? TaskStates.OfTask(state) != agreedIfNew : SourceMoved(row, state, unit.TaskStateAt));
            var forgetWritten = row?.SourceWritten is { } w && w != state;
            await StatusSyncStore.ObserveSourceAsync(c, t, account.AccountId, unit.UnitKey, account.Subdomain, agreedIfNew, state, unit.TaskStateAt, moved, forgetWritten, now);
            if (!moved)
            {
                continue;
            }

            row = (await StatusSyncStore.GetAsync(c, t, account.AccountId, unit.UnitKey))!;
            if (row.TicketMoved == 1)
            {
                // Both sides moved: the next pull reads the task again and lets the policy decide (step 1).
                continue;
            }

            var ticketSide = row.TicketStatus is { } status ? TaskStates.OfTicket(status) : row.Agreed ?? agreedIfNew;
            var decision = StatusDecision.Decide(account.Options.StatusSync, row.Agreed ?? agreedIfNew, new SideState(ticketSide, row.TicketAt, false), new SideState(state, unit.TaskStateAt, true));
            if (decision is null)
            {
                continue;
            }

            if (!decision.WriteTicket)
            {
                await StatusSyncStore.SettleAsync(c, t, account.AccountId, unit.UnitKey, new StatusSettlement { Agreed = decision.Agreed, TicketAtSeen = row.TicketAt }, now);
                continue;
            }

            if (row.TicketStatus == "closed" && decision.Agreed == TaskStates.Open)
            {
                await StatusSyncStore.SettleAsync(c, t, account.AccountId, unit.UnitKey, new StatusSettlement { Agreed = decision.Agreed, TicketAtSeen = row.TicketAt, Error = ClosedTicket(row) }, now);
                continue;
            }

            var snapshot = ItemSnapshot.FromJson(unit.Snapshot);
            await QueueAsync(c, t, account, unit.UnitKey, TicketStatusFor(decision.Agreed), SourceNote(state, unit.TaskStateAt, Who(snapshot), zone), now);
            await StatusSyncStore.SettleAsync(c, t, account.AccountId, unit.UnitKey, new StatusSettlement { Agreed = decision.Agreed, TicketWritten = decision.Agreed, TicketAtSeen = row.TicketAt }, now);
            queued = true;
        }

        return queued;
    }

    /// <summary>
    /// Whether the source moved since the last agreement: to the other side, or completed again (a new COMPLETED). A
    /// task completed and reopened between two reads cannot be told from an untouched one: iCalendar dates no reopening.
    /// </summary>
    private static bool SourceMoved(StatusSyncRow row, string state, DateTimeOffset? at)
    {
        if (row.SourceEcho == 1 && row.SourceWritten == state)
        {
            return false;
        }

        if (row.SourceState is not { } before)
        {
            return TaskStates.OfTask(state) != (row.Agreed ?? TaskStates.OfTask(state));
        }

        if (TaskStates.OfTask(state) != TaskStates.OfTask(before))
        {
            return true;
        }

        return state == TaskStates.Completed && before == TaskStates.Completed && at is not null && row.SourceAt is not null && at != row.SourceAt;
    }

    /// <summary>
    /// Moves the task's DUE to the due_at an agent set (issue 18 §2, option <c>due_sync</c>). An all-day DUE stays a date
    /// (the due_at's day in the account's zone), a timed one becomes that instant in UTC. What the properties remember
    /// as set moves along, so the next pull does not send the same due_at back. Returns an error text, or null.
    /// </summary>
    private async Task<string?> MoveDueAsync(AccountMetadata account, ISource source, StatusSyncRow row, TaskRead task, DateTimeOffset dueAt, DateTimeZone zone, CancellationToken cancellationToken)
    {
        var instant = Instant.FromDateTimeOffset(dueAt);
        var due = task.Item.Due is { IsDate: true } ? IcalDateTime.ForDate(instant.InZone(zone).Date) : IcalDateTime.ForUtc(instant);
        if (task.Item.Due == due)
        {
            return null;
        }

        var requestId = string.Create(CultureInfo.InvariantCulture, $"zendesk-due-{row.TicketId}-{row.TicketAt?.ToUnixTimeSeconds()}");
        var result = await source.ChangeTaskDueAsync(new SourceTaskDueWrite(row.UnitKey, requestId, due, null), cancellationToken);
        if (!result.Succeeded)
        {
            return result.Message;
        }

        if (await properties.GetAsync(account.AccountId, row.UnitKey, cancellationToken) is { } stored)
        {
            var sent = due.IsDate ? TicketIntent.DueAtOf(new SnapshotTime(Instant.FromUtc(due.Date.Year, due.Date.Month, due.Date.Day, 0, 0), true), zone) : dueAt;
            await properties.SaveAsync(account.AccountId, row.UnitKey, stored.TicketId, stored.Applied with { DueAt = sent }, time.GetUtcNow(), cancellationToken);
        }

        return null;
    }

    private async Task QueueAsync(DbConnection c, DbTransaction t, AccountMetadata account, string unitKey, string? status, string note, DateTimeOffset now)
    {
        var intent = new TicketIntent
        {
            ThreadId = ExternalIds.ThreadId(account.AccountId, unitKey),
            Kind = CalendarItemKind.Task,
            StatusOnly = true,
            Status = status,
            StatusNote = note,
            StatusChange = ExternalIds.Hash("status", unitKey, status ?? "", note, now.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture)),
        };
        await work.EnqueueAsync(c, t, account.AccountId, account.Subdomain!, [new ApiWorkItem(TicketIntent.StatusUnitKey(unitKey), intent.ToJson())], now);
    }

    private static string TicketStatusFor(string side) => side == TaskStates.Closed ? "solved" : "open";

    private static string ClosedTicket(StatusSyncRow row) => string.Create(
        CultureInfo.InvariantCulture,
        $"The task was reopened, but its ticket {row.TicketId} is closed: Zendesk does not reopen closed tickets (a follow-up ticket would be needed).");

    /// <summary>Who completed the task, as far as the item says: the attendee marked COMPLETED, else the organizer.</summary>
    private static string? Who(ItemSnapshot snapshot) =>
        snapshot.Attendees.FirstOrDefault(a => string.Equals(a.Status, "COMPLETED", StringComparison.OrdinalIgnoreCase))?.Display ?? snapshot.Organizer?.Display;

    /// <summary>The internal note of a move that came from the source.</summary>
    public static string SourceNote(string state, DateTimeOffset? at, string? who, DateTimeZone zone)
    {
        var when = at is { } a ? " on " + Format(a, zone) : "";
        return state switch
        {
            TaskStates.Completed => $"The task was completed in the calendar{(who is null ? "" : " by " + who)}{when}, so the ticket is solved.",
            TaskStates.Cancelled => $"The task was cancelled in the calendar{when}: it will not be done, so the ticket is solved.",
            _ => $"The task was reopened in the calendar{when}, so the ticket is open again.",
        };
    }

    /// <summary>
    /// What a conflict overrode, in words ("The task was reopened in the calendar at …; the ticket was solved at …;
    /// Zendesk wins (status_sync=newest_wins).").
    /// </summary>
    public static string ConflictNote(StatusSyncMode mode, StatusDecision decision, SideState ticket, SideState source, DateTimeZone zone)
    {
        var task = source.State switch
        {
            TaskStates.Completed => "completed",
            TaskStates.Cancelled => "cancelled",
            _ => "reopened",
        };
        var sourcePart = $"The task was {task} in the calendar" + (source.At is { } s ? " at " + Format(s, zone) : "");
        var ticketPart = "the ticket was " + (ticket.Side == TaskStates.Closed ? "solved" : "reopened") + (ticket.At is { } z ? " at " + Format(z, zone) : "");
        var winner = decision.ConflictWinner == StatusWinner.Zendesk ? "Zendesk wins: the task follows the ticket" : "the calendar wins: the ticket follows the task";
        return $"{sourcePart}; {ticketPart}; {winner} (status_sync={AccountOptions.StatusSyncText(mode)}).";
    }

    private static string Format(DateTimeOffset at, DateTimeZone zone) =>
        Instant.FromDateTimeOffset(at).InZone(zone).ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) + " (" + zone.Id + ")";

    /// <summary>A task as read now: its state and time, the status it was decided on, and the item.</summary>
    private sealed record TaskRead(string State, DateTimeOffset? At, string Fingerprint, CalendarItem Item);

    private static TaskRead? ReadTask(SourceItem item)
    {
        var parsed = item.Parsed ?? ParsedSourceItem.Parse(item);
        if (parsed?.Item is not { Kind: CalendarItemKind.Task } task)
        {
            return null;
        }

        var status = task.Status?.Trim().ToUpperInvariant();
        var state = status == "CANCELLED" ? TaskStates.Cancelled : task.IsClosedTask ? TaskStates.Completed : TaskStates.Open;
        var at = (state != TaskStates.Open ? Utc(task.Completed) : null) ?? Utc(task.LastModified);
        return new TaskRead(state, at, CalDavObjectEditor.StatusFingerprint(task), task);
    }

    private static DateTimeOffset? Utc(IcalDateTime? value) => value is { Kind: IcalDateKind.Utc } v ? v.Local.InUtc().ToInstant().ToDateTimeOffset() : null;

    [LoggerMessage(Level = LogLevel.Information, Message = "Status sync {AccountId}: more ticket moves than fit this pull; the next pull carries on")]
    private static partial void LogCarriedOver(ILogger logger, string accountId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Status sync {AccountId}: task {UnitKey} is no longer in the source; its ticket's status is not written back")]
    private static partial void LogGone(ILogger logger, string accountId, string unitKey);

    [LoggerMessage(Level = LogLevel.Information, Message = "Status sync {AccountId}: task {UnitKey} changed while deciding (attempt {Attempt}); reading it again")]
    private static partial void LogRedecide(ILogger logger, string accountId, string unitKey, int attempt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Status sync {AccountId}: the source refused the status of task {UnitKey}: {Reason}")]
    private static partial void LogRefused(ILogger logger, string accountId, string unitKey, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Status sync {AccountId}: task {UnitKey} set to {State} from its ticket")]
    private static partial void LogWritten(ILogger logger, string accountId, string unitKey, string state);
}
