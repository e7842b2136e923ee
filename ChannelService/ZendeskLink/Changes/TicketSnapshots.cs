using System.Globalization;
using System.Text.Json;
using ChannelService.Accounts;
using ChannelService.Events;

namespace ChannelService.ZendeskLink.Changes;

/// <summary>
/// Turns a ticket object of the REST API (show, or a row of the incremental export: the same JSON format,
/// https://developer.zendesk.com/api-reference/ticketing/tickets/tickets/#json-format) into a <see cref="TicketChange"/>,
/// and decides whether it is a Channel Framework ticket of this integration.
/// </summary>
internal sealed class TicketSnapshots(AccountRegistry accounts, TicketLinkStore links)
{
    /// <summary>
    /// The via type of tickets made by a Channel Framework integration (via id 46,
    /// https://developer.zendesk.com/documentation/ticketing/reference-guides/via-types/).
    /// </summary>
    public const string ChannelFrameworkVia = "any_channel";

    /// <summary>The snapshot, without origin or echo flag; null when a field every ticket has is missing or malformed.</summary>
    public static TicketChange? Read(string subdomain, JsonElement ticket)
    {
        if (!TryLong(ticket, "id", out var id) || id <= 0
            || Text(ticket, "status") is not { Length: > 0 } status
            || Time(ticket, "updated_at") is not { } updatedAt)
        {
            return null;
        }

        string? via = null;
        if (ticket.TryGetProperty("via", out var viaObject) && viaObject.ValueKind == JsonValueKind.Object)
        {
            via = Text(viaObject, "channel");
        }

        var tags = ticket.TryGetProperty("tags", out var tagArray) && tagArray.ValueKind == JsonValueKind.Array
            ? tagArray.EnumerateArray().Where(t => t.ValueKind == JsonValueKind.String).Select(t => t.GetString()!).ToList()
            : [];
        return new TicketChange(
            subdomain.ToLowerInvariant(),
            id,
            status,
            Text(ticket, "type"),
            Time(ticket, "due_at"),
            TryLong(ticket, "assignee_id", out var assignee) ? assignee : null,
            updatedAt,
            Text(ticket, "external_id"),
            via,
            tags,
            ChangedByUs: false,
            Origin: null,
            Subject: Text(ticket, "subject"),
            Priority: Text(ticket, "priority"),
            RequesterId: TryLong(ticket, "requester_id", out var requester) ? requester : null);
    }

    /// <summary>
    /// Sets <see cref="TicketChange.Origin"/> when the ticket was made through the Channel Framework and the service
    /// itself linked it to one of its threads (ticket_links, from <c>resources_created_from_external_ids</c>) for an
    /// account of the same subdomain. Both must hold: the via alone is shared by every Channel Framework
    /// integration in the account, and the link alone could name a ticket that was since merged into another channel.
    /// </summary>
    public async Task<TicketChange> WithOriginAsync(TicketChange change, CancellationToken cancellationToken)
    {
        if (!string.Equals(change.ViaChannel, ChannelFrameworkVia, StringComparison.Ordinal))
        {
            return change;
        }

        var accountIds = await accounts.AccountIdsForSubdomainAsync(change.Subdomain, cancellationToken);
        var thread = await links.ThreadOfTicketAsync(accountIds, change.TicketId, cancellationToken);
        return thread is { } t ? change with { Origin = new TicketOrigin(t.AccountId, t.ThreadId, t.ExternalId) } : change;
    }

    /// <summary>Whether the ticket id is linked to a thread of ours in the subdomain (a cheap local check before any API call).</summary>
    public async Task<bool> IsLinkedAsync(string subdomain, long ticketId, CancellationToken cancellationToken)
    {
        var accountIds = await accounts.AccountIdsForSubdomainAsync(subdomain, cancellationToken);
        return await links.ThreadOfTicketAsync(accountIds, ticketId, cancellationToken) is not null;
    }

    private static string? Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static bool TryLong(JsonElement element, string name, out long value)
    {
        value = 0;
        return element.TryGetProperty(name, out var field) && field.ValueKind == JsonValueKind.Number && field.TryGetInt64(out value);
    }

    private static DateTimeOffset? Time(JsonElement element, string name) =>
        Text(element, name) is { } text && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var at)
            ? at
            : null;
}
