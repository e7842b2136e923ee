using ChannelService.Accounts;
using ChannelService.ZendeskLink.Changes;

namespace ChannelService.ZendeskLink.Status;

/// <summary>
/// The Zendesk side of the two-way task status (issue 18 §2): every verified snapshot of a ticket of ours that holds a
/// task is written down (<see cref="StatusSyncStore.ObserveTicketAsync"/>) with whether it moved the ticket's side
/// since the last agreement. Nothing is written to the source here: its credentials exist only in the metadata
/// Zendesk posts with each pull, so the account's next pull carries the move to the task (<see cref="TaskStatusSync"/>).
/// Events are left alone (their status is not the ticket's).
/// </summary>
internal sealed class TicketStatusHandler(AccountRegistry accounts, StatusSyncStore store, TimeProvider time) : ITicketChangeHandler
{
    public string Name => "task-status";

    public TicketScope Scope => TicketScope.OwnTickets;

    public async Task HandleAsync(TicketChange change, CancellationToken cancellationToken)
    {
        if (change.Origin is not { } origin || !origin.ThreadId.StartsWith(origin.AccountId + "-", StringComparison.Ordinal))
        {
            return;
        }

        if (await accounts.GetAsync(origin.AccountId, cancellationToken) is not { Kind: "caldav-tasks" })
        {
            return;
        }

        var unitKey = origin.ThreadId[(origin.AccountId.Length + 1)..];
        var row = await store.GetAsync(origin.AccountId, unitKey, cancellationToken);
        if (row?.TicketAt is { } seen && seen >= change.UpdatedAt)
        {
            // Already seen (the feed is at least once), or older than what we have.
            return;
        }

        var side = TaskStates.OfTicket(change.Status);
        var previous = row?.TicketStatus is { } before ? TaskStates.OfTicket(before) : row?.Agreed;

        // Our own write coming back (recorded updated_at), or the state we asked Zendesk for: no move of Zendesk's side.
        var ours = change.ChangedByUs || (row?.TicketWritten is { } written && written == side);
        bool moved;
        if (ours)
        {
            moved = row?.TicketMoved == 1;
        }
        else if (previous is null)
        {
            // First sight of a ticket from before the status sync: only a solved one acts (completes its task); an open
            // one never reopens a task that was completed before anyone could tell the ticket.
            moved = side == TaskStates.Closed;
        }
        else
        {
            moved = row?.TicketMoved == 1 || side != previous;
        }

        var dueMoved = !ours && row is { TicketStatus: not null } && row.TicketDueAt != change.DueAt
            ? true
            : row?.DueMoved == 1;
        await store.ObserveTicketAsync(
            origin.AccountId, unitKey, change.Subdomain, change.TicketId, change.Status, change.UpdatedAt, change.DueAt, moved, dueMoved,
            clearWritten: ours, time.GetUtcNow(), cancellationToken);
    }
}
