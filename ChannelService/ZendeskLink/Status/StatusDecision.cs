using ChannelService.Accounts;

namespace ChannelService.ZendeskLink.Status;

/// <summary>The words stored for each side's state (<c>task_status_sync</c>).</summary>
internal static class TaskStates
{
    public const string Open = "open";
    public const string Closed = "closed";
    public const string Completed = "completed";
    public const string Cancelled = "cancelled";

    /// <summary>
    /// A ticket status's side: <c>solved</c> and <c>closed</c> are done; <c>new</c>, <c>open</c>, <c>pending</c> and
    /// <c>hold</c> are not (https://developer.zendesk.com/api-reference/ticketing/tickets/tickets/#json-format: status
    /// "new", "open", "pending", "hold", "solved", "closed").
    /// </summary>
    public static string OfTicket(string status) => status is "solved" or "closed" ? Closed : Open;

    /// <summary>A task state's side: completed and cancelled are done.</summary>
    public static string OfTask(string state) => state is Completed or Cancelled ? Closed : Open;
}

/// <summary>One side as a decision sees it: its state (<see cref="TaskStates"/>), when that side set it, whether it moved since the agreement.</summary>
internal sealed record SideState(string State, DateTimeOffset? At, bool Moved)
{
    public string Side => State is TaskStates.Open or TaskStates.Closed ? State : TaskStates.OfTask(State);
}

internal enum StatusWinner
{
    None,
    Zendesk,
    Source,
}

/// <summary>
/// What to do about one task: the side (open or closed) both end on, which side to write, and, when both moved
/// apart, which side the policy let win.
/// </summary>
internal sealed record StatusDecision(string Agreed, bool WriteSource, bool WriteTicket, StatusWinner ConflictWinner)
{
    public bool IsConflict => ConflictWinner != StatusWinner.None;

    /// <summary>
    /// The rule (README, "Two-way task status"): a side that moved since the last agreement carries its state to the
    /// other; when both moved and now disagree, <paramref name="mode"/> decides: <c>zendesk_wins</c>,
    /// <c>source_wins</c>, or <c>newest_wins</c> by each side's own time (the ticket's updated_at, the item's
    /// COMPLETED or LAST-MODIFIED; a side without a time is the older, and a tie goes to Zendesk, where the agent
    /// acted last). Null: nothing to do (off, nothing moved, or both already agree).
    /// </summary>
    public static StatusDecision? Decide(StatusSyncMode mode, string agreed, SideState ticket, SideState source)
    {
        if (mode == StatusSyncMode.Off || (!ticket.Moved && !source.Moved))
        {
            return null;
        }

        if (ticket.Side == source.Side)
        {
            // Both show the same side (one moved to where the other is, or both moved alike): nothing to write.
            return new StatusDecision(ticket.Side, false, false, StatusWinner.None);
        }

        if (ticket.Moved && !source.Moved)
        {
            return new StatusDecision(ticket.Side, WriteSource: true, WriteTicket: false, StatusWinner.None);
        }

        if (source.Moved && !ticket.Moved)
        {
            return new StatusDecision(source.Side, WriteSource: false, WriteTicket: true, StatusWinner.None);
        }

        var winner = mode switch
        {
            StatusSyncMode.ZendeskWins => StatusWinner.Zendesk,
            StatusSyncMode.SourceWins => StatusWinner.Source,
            _ => (source.At ?? DateTimeOffset.MinValue) > (ticket.At ?? DateTimeOffset.MinValue) ? StatusWinner.Source : StatusWinner.Zendesk,
        };
        return winner == StatusWinner.Zendesk
            ? new StatusDecision(ticket.Side, WriteSource: true, WriteTicket: false, winner)
            : new StatusDecision(source.Side, WriteSource: false, WriteTicket: true, winner);
    }
}
