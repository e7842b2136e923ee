using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using ChannelService.Zendesk;
using ChannelService.ZendeskLink.Api;

namespace ChannelService.ZendeskLink.Changes;

/// <summary>One page of the cursor-based incremental ticket export.</summary>
internal sealed record ExportPage(IReadOnlyList<JsonElement> Tickets, string? AfterCursor, bool EndOfStream);

/// <summary>
/// The Zendesk REST calls the change feed makes, through the link's shared client (<see cref="ZendeskApiClient"/>:
/// the link's OAuth token, the rate gate, the call log, a 401 renewed once). Reads are repeated by that client after a
/// failure; the creates of the webhook and the trigger are not (<see cref="ApiRepeats.None"/>: a POST that failed in
/// transit may have been applied; a later pass decides again), nor is the export, which keeps its own schedule of 10
/// requests a minute.
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
internal sealed class ChangeFeedApi(ZendeskApiClient api)
{
    /// <summary>The trigger's only action: notify the webhook with the ticket id and nothing else (no localised placeholder).</summary>
    public const string DeliveryBody = """{"ticket_id": "{{ticket.id}}"}""";

    public Task<ApiResult> CreateWebhookAsync(string subdomain, Uri endpoint, CancellationToken cancellationToken) =>
        api.SendAsync(subdomain, "webhooks", new ZendeskRequest(HttpMethod.Post, ["api", "v2", "webhooks"], new JsonObject
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
        }), ApiRepeats.None, cancellationToken);

    public Task<ApiResult> SigningSecretAsync(string subdomain, string webhookId, CancellationToken cancellationToken) =>
        api.SendAsync(subdomain, "webhooks/{id}/signing_secret", new ZendeskRequest(HttpMethod.Get, ["api", "v2", "webhooks", webhookId, "signing_secret"]), cancellationToken);

    /// <summary>
    /// A trigger that fires on every ticket creation and update and notifies the webhook with the ticket id. Triggers
    /// need at least one condition; "update_type is Create" or "is Change" matches every ticket event.
    /// </summary>
    public Task<ApiResult> CreateTriggerAsync(string subdomain, string webhookId, CancellationToken cancellationToken) =>
        api.SendAsync(subdomain, "triggers", new ZendeskRequest(HttpMethod.Post, ["api", "v2", "triggers"], new JsonObject
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
        }), ApiRepeats.None, cancellationToken);

    public Task<ApiResult> DeleteTriggerAsync(string subdomain, string triggerId, CancellationToken cancellationToken) =>
        api.SendAsync(subdomain, "triggers/{id}", new ZendeskRequest(HttpMethod.Delete, ["api", "v2", "triggers", triggerId]), cancellationToken);

    public Task<ApiResult> DeleteWebhookAsync(string subdomain, string webhookId, CancellationToken cancellationToken) =>
        api.SendAsync(subdomain, "webhooks/{id}", new ZendeskRequest(HttpMethod.Delete, ["api", "v2", "webhooks", webhookId]), cancellationToken);

    public Task<ApiResult> ShowTicketAsync(string subdomain, long ticketId, CancellationToken cancellationToken) =>
        api.SendAsync(subdomain, "tickets/{id}", new ZendeskRequest(HttpMethod.Get, ["api", "v2", "tickets", ticketId.ToString(CultureInfo.InvariantCulture)]), cancellationToken);

    /// <summary>The first page from <paramref name="startTime"/> (Unix seconds), or the page after <paramref name="cursor"/>.</summary>
    public Task<ApiResult> ExportAsync(string subdomain, long startTime, string? cursor, CancellationToken cancellationToken) =>
        api.SendAsync(subdomain, "incremental/tickets/cursor.json", new ZendeskRequest(HttpMethod.Get, ["api", "v2", "incremental", "tickets", "cursor.json"])
        {
            Query = cursor is null
                ? [new("start_time", startTime.ToString(CultureInfo.InvariantCulture))]
                : [new("cursor", cursor)],
        }, ApiRepeats.None, cancellationToken);

    /// <summary>Reads a webhook's id from a create answer (<c>{"webhook": {"id": "01G…"}}</c>).</summary>
    public static string? WebhookId(JsonNode? body) => Read(body, "webhook", "id");

    /// <summary>Reads <c>{"signing_secret": {"algorithm": "sha256", "secret": "…"}}</c>; null unless the algorithm is SHA-256.</summary>
    public static string? SigningSecret(JsonNode? body)
    {
        var algorithm = Read(body, "signing_secret", "algorithm");
        return algorithm is null || string.Equals(algorithm, "sha256", StringComparison.OrdinalIgnoreCase) ? Read(body, "signing_secret", "secret") : null;
    }

    /// <summary>Reads a trigger's id from a create answer (<c>{"trigger": {"id": 123}}</c>).</summary>
    public static string? TriggerId(JsonNode? body) => Read(body, "trigger", "id");

    /// <summary>The ticket object of a show answer (<c>{"ticket": {…}}</c>), or null.</summary>
    public static JsonElement? Ticket(JsonNode? body) =>
        body is JsonObject root && root["ticket"] is JsonObject ticket ? JsonSerializer.SerializeToElement(ticket) : null;

    /// <summary>
    /// An export page: <c>tickets</c>, <c>after_cursor</c>, <c>end_of_stream</c> (documented in "Cursor-based Pagination
    /// JSON Format"). Null when the answer is not such a page.
    /// </summary>
    public static ExportPage? Page(JsonNode? body)
    {
        if (body is not JsonObject root || root["tickets"] is not JsonArray tickets
            || root["end_of_stream"] is not JsonValue end || end.GetValueKind() is not (JsonValueKind.True or JsonValueKind.False))
        {
            return null;
        }

        // One conversion of the page, then each ticket read as an element (as the show answer is).
        var page = JsonSerializer.SerializeToElement(tickets);
        return new ExportPage(
            page.EnumerateArray().Where(t => t.ValueKind == JsonValueKind.Object).ToList(),
            ZendeskApiClient.Text(root["after_cursor"]),
            end.GetValue<bool>());
    }

    private static string? Read(JsonNode? body, string outer, string inner) =>
        body is JsonObject root && root[outer] is JsonObject value && value[inner] is JsonValue field
            ? field.GetValueKind() switch
            {
                JsonValueKind.String => field.GetValue<string>(),
                JsonValueKind.Number => field.ToJsonString(),
                _ => null,
            }
            : null;
}
