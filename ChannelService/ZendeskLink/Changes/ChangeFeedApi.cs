using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using ChannelService.Zendesk;

namespace ChannelService.ZendeskLink.Changes;

/// <summary>One page of the cursor-based incremental ticket export.</summary>
internal sealed record ExportPage(IReadOnlyList<JsonElement> Tickets, string? AfterCursor, bool EndOfStream);

/// <summary>
/// The few Zendesk REST calls the change feed makes, through <see cref="ZendeskHttp"/> with the link's OAuth token
/// (<see cref="IZendeskLinkTokens"/>). A null answer means the subdomain has no working link: do nothing. A 401 is
/// reported to the link (it renews or marks itself broken) and comes back as the outcome for the caller to repeat later.
/// Kept minimal and separate so the lead can fold it into the shared REST client (README, "Zendesk link: change feed").
/// <list type="bullet">
/// <item>POST /api/v2/webhooks, DELETE /api/v2/webhooks/{id}, GET /api/v2/webhooks/{id}/signing_secret
/// (https://developer.zendesk.com/api-reference/webhooks/webhooks-api/webhooks/), scope <c>webhooks:write</c>/<c>webhooks:read</c>;</item>
/// <item>POST /api/v2/triggers, DELETE /api/v2/triggers/{id}
/// (https://developer.zendesk.com/api-reference/ticketing/business-rules/triggers/), scope <c>triggers:write</c>;</item>
/// <item>GET /api/v2/tickets/{id} (https://developer.zendesk.com/api-reference/ticketing/tickets/tickets/#show-ticket), scope <c>tickets:read</c>;</item>
/// <item>GET /api/v2/incremental/tickets/cursor.json with <c>start_time</c> then <c>cursor</c>
/// (https://developer.zendesk.com/api-reference/ticketing/ticket-management/incremental_exports/#incremental-ticket-export-cursor-based),
/// scope <c>tickets:read</c>, 10 requests a minute for the whole Zendesk account.</item>
/// </list>
/// </summary>
internal sealed class ChangeFeedApi(ZendeskHttp http, IZendeskLinkTokens tokens, ZendeskApiCallLog calls, IEnumerable<Api.IZendeskApiLoopback> loopbacks)
{
    private readonly Api.IZendeskApiLoopback[] loopbacks = [.. loopbacks];

    /// <summary>The trigger's only action: notify the webhook with the ticket id and nothing else (no localised placeholder).</summary>
    public const string DeliveryBody = """{"ticket_id": "{{ticket.id}}"}""";

    public Task<ZendeskOutcome?> CreateWebhookAsync(string subdomain, Uri endpoint, CancellationToken cancellationToken) =>
        SendAsync(subdomain, new ZendeskRequest(HttpMethod.Post, ["api", "v2", "webhooks"], new JsonObject
        {
            ["webhook"] = new JsonObject
            {
                ["name"] = "ChannelService change feed",
                ["description"] = "Tells ChannelService which ticket changed; created and removed by ChannelService with the Zendesk link.",
                ["status"] = "active",
                ["endpoint"] = endpoint.AbsoluteUri,
                ["http_method"] = "POST",
                ["request_format"] = "json",

                // A webhook for triggers subscribes to this pseudo-event and nothing else: it cannot also take events.
                ["subscriptions"] = new JsonArray("conditional_ticket_events"),
            },
        }), cancellationToken);

    public Task<ZendeskOutcome?> SigningSecretAsync(string subdomain, string webhookId, CancellationToken cancellationToken) =>
        SendAsync(subdomain, new ZendeskRequest(HttpMethod.Get, ["api", "v2", "webhooks", webhookId, "signing_secret"]), cancellationToken);

    /// <summary>
    /// A trigger that fires on every ticket creation and update and notifies the webhook with the ticket id. Triggers
    /// need at least one condition; "update_type is Create" or "is Change" matches every ticket event.
    /// </summary>
    public Task<ZendeskOutcome?> CreateTriggerAsync(string subdomain, string webhookId, CancellationToken cancellationToken) =>
        SendAsync(subdomain, new ZendeskRequest(HttpMethod.Post, ["api", "v2", "triggers"], new JsonObject
        {
            ["trigger"] = new JsonObject
            {
                ["title"] = "ChannelService: tell the calendar service a ticket changed (managed by ChannelService)",
                ["active"] = true,
                ["conditions"] = new JsonObject
                {
                    ["all"] = new JsonArray(),
                    ["any"] = new JsonArray(
                        new JsonObject { ["field"] = "update_type", ["operator"] = "is", ["value"] = "Create" },
                        new JsonObject { ["field"] = "update_type", ["operator"] = "is", ["value"] = "Change" }),
                },
                ["actions"] = new JsonArray(new JsonObject
                {
                    ["field"] = "notification_webhook",
                    ["value"] = new JsonArray(webhookId, DeliveryBody),
                }),
            },
        }), cancellationToken);

    public Task<ZendeskOutcome?> DeleteTriggerAsync(string subdomain, string triggerId, CancellationToken cancellationToken) =>
        SendAsync(subdomain, new ZendeskRequest(HttpMethod.Delete, ["api", "v2", "triggers", triggerId]), cancellationToken);

    public Task<ZendeskOutcome?> DeleteWebhookAsync(string subdomain, string webhookId, CancellationToken cancellationToken) =>
        SendAsync(subdomain, new ZendeskRequest(HttpMethod.Delete, ["api", "v2", "webhooks", webhookId]), cancellationToken);

    public Task<ZendeskOutcome?> ShowTicketAsync(string subdomain, long ticketId, CancellationToken cancellationToken) =>
        SendAsync(subdomain, new ZendeskRequest(HttpMethod.Get, ["api", "v2", "tickets", ticketId.ToString(CultureInfo.InvariantCulture)]), cancellationToken);

    /// <summary>The first page from <paramref name="startTime"/> (Unix seconds), or the page after <paramref name="cursor"/>.</summary>
    public Task<ZendeskOutcome?> ExportAsync(string subdomain, long startTime, string? cursor, CancellationToken cancellationToken) =>
        SendAsync(subdomain, new ZendeskRequest(HttpMethod.Get, ["api", "v2", "incremental", "tickets", "cursor.json"])
        {
            Query = cursor is null
                ? [new("start_time", startTime.ToString(CultureInfo.InvariantCulture))]
                : [new("cursor", cursor)],
        }, cancellationToken);

    /// <summary>Reads a webhook's id from a create answer (<c>{"webhook": {"id": "01G…"}}</c>).</summary>
    public static string? WebhookId(string body) => Read(body, "webhook", "id");

    /// <summary>Reads <c>{"signing_secret": {"algorithm": "sha256", "secret": "…"}}</c>; null unless the algorithm is SHA-256.</summary>
    public static string? SigningSecret(string body)
    {
        var algorithm = Read(body, "signing_secret", "algorithm");
        return algorithm is null || string.Equals(algorithm, "sha256", StringComparison.OrdinalIgnoreCase) ? Read(body, "signing_secret", "secret") : null;
    }

    /// <summary>Reads a trigger's id from a create answer (<c>{"trigger": {"id": 123}}</c>).</summary>
    public static string? TriggerId(string body) => Read(body, "trigger", "id");

    /// <summary>The ticket object of a show answer (<c>{"ticket": {…}}</c>), or null.</summary>
    public static JsonElement? Ticket(string body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            return document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("ticket", out var ticket) && ticket.ValueKind == JsonValueKind.Object
                ? ticket.Clone()
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>
    /// An export page: <c>tickets</c>, <c>after_cursor</c>, <c>end_of_stream</c> (documented in "Cursor-based Pagination
    /// JSON Format"). Null when the answer is not such a page.
    /// </summary>
    public static ExportPage? Page(string body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("tickets", out var tickets) || tickets.ValueKind != JsonValueKind.Array
                || !root.TryGetProperty("end_of_stream", out var end) || end.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
            {
                return null;
            }

            var after = root.TryGetProperty("after_cursor", out var cursor) && cursor.ValueKind == JsonValueKind.String ? cursor.GetString() : null;
            return new ExportPage(tickets.EnumerateArray().Where(t => t.ValueKind == JsonValueKind.Object).Select(t => t.Clone()).ToList(), after, end.GetBoolean());
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private async Task<ZendeskOutcome?> SendAsync(string subdomain, ZendeskRequest request, CancellationToken cancellationToken)
    {
        var token = await tokens.AccessTokenAsync(subdomain, cancellationToken);
        if (token is null)
        {
            return null;
        }

        // The sandbox's Zendesk answers in process (it plays no webhooks or triggers: a 404, and the feed tries later).
        var outcome = Array.Find(loopbacks, l => l.Serves(subdomain)) is { } loopback
            ? loopback.Send(request, token)
            : await http.SendAsync(subdomain, token, request, cancellationToken);
        await calls.RecordAsync(subdomain, request.Method.Method, Template(request), outcome, cancellationToken);
        if (outcome.StatusCode == 401)
        {
            await tokens.RejectedAsync(subdomain, token, cancellationToken);
        }

        return outcome;
    }

    /// <summary>The endpoint as the call log shows it: the path after <c>api/v2</c> with ids as <c>{id}</c> (<c>webhooks/{id}/signing_secret</c>).</summary>
    private static string Template(ZendeskRequest request) =>
        string.Join('/', request.Path.Skip(2).Select(p => p.All(c => c is (>= 'a' and <= 'z') or '_' or '.') ? p : "{id}"));

    private static string? Read(string body, string outer, string inner)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            if (document.RootElement.ValueKind != JsonValueKind.Object || !document.RootElement.TryGetProperty(outer, out var value)
                || value.ValueKind != JsonValueKind.Object || !value.TryGetProperty(inner, out var field))
            {
                return null;
            }

            return field.ValueKind switch
            {
                JsonValueKind.String => field.GetString(),
                JsonValueKind.Number => field.GetRawText(),
                _ => null,
            };
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
