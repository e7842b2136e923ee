using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using ChannelService.ZendeskLink.Changes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace ChannelService.Tests.ZendeskLink.Changes;

/// <summary>A webhook as the fake Zendesk holds it.</summary>
internal sealed record FakeWebhook(string Id, string Endpoint, string Secret, JsonObject Request);

/// <summary>A trigger as the fake Zendesk holds it.</summary>
internal sealed record FakeTrigger(long Id, JsonObject Request);

/// <summary>One REST call as the fake received it.</summary>
internal sealed record ApiCall(DateTimeOffset At, string Method, string Path, string Query, string? Authorization, int Status);

/// <summary>
/// A fake Zendesk REST API on a free loopback port (real Kestrel) for the change feed, following the documented shapes:
/// webhooks (create → <c>{"webhook": {"id"}}</c>, <c>signing_secret</c> → <c>{"signing_secret": {"algorithm", "secret"}}</c>,
/// delete → 204), triggers (create, delete), ticket show (<c>{"ticket": {…}}</c>) and the cursor-based incremental
/// ticket export (<c>tickets</c>, <c>after_cursor</c>, <c>end_of_stream</c>; <c>start_time</c> then <c>cursor</c>; tickets
/// changed in the minute before the request left out). Every call needs <c>Authorization: Bearer {token}</c>. It signs
/// deliveries itself exactly as Zendesk does: base64(HMAC-SHA256(secret, timestamp + body)).
/// </summary>
internal sealed class FakeZendeskApi : IAsyncDisposable
{
    private readonly WebApplication app;
    private readonly Lock gate = new();
    private readonly List<(long Seq, JsonObject Ticket)> changes = [];
    private readonly Dictionary<long, JsonObject> tickets = [];
    private long seq;
    private long nextTriggerId = 9000;

    public FakeZendeskApi(TimeProvider clock, string token = "link-token-1")
    {
        Clock = clock;
        Token = token;
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        app = builder.Build();
        app.Use(async (context, next) =>
        {
            if (context.Request.Headers.Authorization.ToString() != $"Bearer {Token}")
            {
                context.Response.StatusCode = 401;
                await context.Response.WriteAsJsonAsync(new { error = "Couldn't authenticate you" });
            }
            else
            {
                await next(context);
            }

            Calls.Enqueue(new ApiCall(Clock.GetUtcNow(), context.Request.Method, context.Request.Path, context.Request.QueryString.Value ?? "", context.Request.Headers.Authorization.ToString(), context.Response.StatusCode));
        });
        app.MapPost("/api/v2/webhooks", (Delegate)CreateWebhookAsync);
        app.MapGet("/api/v2/webhooks/{id}/signing_secret", (string id) =>
            Webhooks.TryGetValue(id, out var hook)
                ? Results.Json(new { signing_secret = new { algorithm = "sha256", secret = hook.Secret } })
                : Results.NotFound());
        app.MapDelete("/api/v2/webhooks/{id}", (string id) => Webhooks.TryRemove(id, out _) ? Results.NoContent() : Results.NotFound());
        app.MapPost("/api/v2/triggers", (Delegate)CreateTriggerAsync);
        app.MapDelete("/api/v2/triggers/{id}", (long id) => Triggers.TryRemove(id, out _) ? Results.NoContent() : Results.NotFound());
        app.MapGet("/api/v2/tickets/{id}", ShowTicket);
        app.MapGet("/api/v2/incremental/tickets/cursor.json", Export);
        app.MapGet("/api/v2/users/{id:long}", ShowUser);
        app.MapGet("/api/v2/users", ListUsers);
        app.MapGet("/api/v2/search/export", SearchExport);
        app.StartAsync().GetAwaiter().GetResult();
        BaseUrl = app.Urls.First();
    }

    public TimeProvider Clock { get; }

    public string Token { get; set; }

    public string BaseUrl { get; }

    public ConcurrentDictionary<string, FakeWebhook> Webhooks { get; } = new();

    public ConcurrentDictionary<long, FakeTrigger> Triggers { get; } = new();

    public ConcurrentQueue<ApiCall> Calls { get; } = new();

    /// <summary>Tickets per export page (Zendesk: up to 1000).</summary>
    public int PageSize { get; set; } = 1000;

    /// <summary>Answer the next N export requests with 429 and <see cref="RetryAfterSeconds"/>.</summary>
    public int RateLimitExportNext { get; set; }

    public int RetryAfterSeconds { get; set; } = 2;

    /// <summary>Create the next N webhooks but answer 503: the create was applied, its answer lost.</summary>
    public int LoseWebhookCreateAnswersNext { get; set; }

    /// <summary>Answer the next N export requests that carry a cursor with 500.</summary>
    public int FailCursorExportNext { get; set; }

    /// <summary>Users by id (agents, admins, end users): show and list answer from here.</summary>
    public ConcurrentDictionary<long, JsonObject> Users { get; } = new();

    /// <summary>Results per search export page (Zendesk: page[size] up to 1000).</summary>
    public int SearchPageSize { get; set; } = 100;

    public IReadOnlyList<ApiCall> SearchCalls => Calls.Where(c => c.Path.StartsWith("/api/v2/search/", StringComparison.Ordinal)).ToList();

    public void AddUser(long id, string name, string email, string role = "agent", bool active = true) =>
        Users[id] = new JsonObject { ["id"] = id, ["name"] = name, ["email"] = email, ["role"] = role, ["active"] = active };

    public IReadOnlyList<ApiCall> ExportCalls => Calls.Where(c => c.Path.StartsWith("/api/v2/incremental/", StringComparison.Ordinal)).ToList();

    public IReadOnlyList<ApiCall> ShowCalls => Calls.Where(c => c.Path.StartsWith("/api/v2/tickets/", StringComparison.Ordinal)).ToList();

    /// <summary>Creates or changes a ticket: the new version is what show answers and a new row of the export.</summary>
    public JsonObject SetTicket(long id, string status, DateTimeOffset updatedAt, string via = "any_channel", string? type = "task", DateTimeOffset? dueAt = null, long? assigneeId = 7001, string? externalId = null, string? subject = null, string? priority = null, long? requesterId = null, params string[] tags)
    {
        var ticket = new JsonObject
        {
            ["url"] = $"{BaseUrl}/api/v2/tickets/{id}.json",
            ["id"] = id,
            ["external_id"] = externalId,
            ["via"] = new JsonObject { ["channel"] = via, ["source"] = new JsonObject { ["from"] = new JsonObject(), ["to"] = new JsonObject(), ["rel"] = null } },
            ["created_at"] = Iso(updatedAt.AddHours(-1)),
            ["updated_at"] = Iso(updatedAt),
            ["type"] = type,
            ["subject"] = subject ?? $"Ticket {id}",
            ["priority"] = priority,
            ["requester_id"] = requesterId,
            ["status"] = status,
            ["due_at"] = dueAt is { } due ? Iso(due) : null,
            ["assignee_id"] = assigneeId,
            ["tags"] = new JsonArray(tags.Select(t => (JsonNode?)JsonValue.Create(t)).ToArray()),
        };
        lock (gate)
        {
            tickets[id] = ticket;
            changes.Add((++seq, (JsonObject)ticket.DeepClone()));
        }

        return ticket;
    }

    /// <summary>The body Zendesk's trigger sends for a ticket: <c>{"ticket_id": "{{ticket.id}}"}</c> rendered.</summary>
    public static byte[] DeliveryBody(long ticketId) => Encoding.UTF8.GetBytes(ChangeFeedApi.DeliveryBody.Replace("{{ticket.id}}", ticketId.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal));

    /// <summary>
    /// Posts a delivery to the webhook's endpoint path on <paramref name="serviceUrl"/>, signed as Zendesk signs
    /// (or with <paramref name="secret"/> instead of the webhook's, or unsigned when <paramref name="sign"/> is false).
    /// </summary>
    public async Task<HttpResponseMessage> DeliverAsync(
        HttpClient client, string serviceUrl, FakeWebhook webhook, byte[] body, string? invocationId = null, DateTimeOffset? timestamp = null,
        string? secret = null, bool sign = true, string? path = null)
    {
        var stamp = Iso(timestamp ?? Clock.GetUtcNow());
        using var request = new HttpRequestMessage(HttpMethod.Post, serviceUrl + (path ?? new Uri(webhook.Endpoint).AbsolutePath))
        {
            Content = new ByteArrayContent(body),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Add("x-zendesk-webhook-id", webhook.Id);
        request.Headers.Add("x-zendesk-webhook-invocation-id", invocationId ?? Guid.NewGuid().ToString("N"));
        if (sign)
        {
            request.Headers.Add("X-Zendesk-Webhook-Signature-Timestamp", stamp);
            request.Headers.Add("X-Zendesk-Webhook-Signature", WebhookSignature.Sign(secret ?? webhook.Secret, stamp, body));
        }

        return await client.SendAsync(request);
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }

    private static string Iso(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private async Task<IResult> CreateWebhookAsync(HttpContext context)
    {
        var body = JsonNode.Parse(await new StreamReader(context.Request.Body).ReadToEndAsync())?["webhook"] as JsonObject;
        if (body?["endpoint"]?.GetValue<string>() is not { } endpoint || body["name"] is null
            || body["http_method"]?.GetValue<string>() != "POST" || body["request_format"]?.GetValue<string>() != "json"
            || body["subscriptions"] is not JsonArray { Count: 1 } subscriptions || subscriptions[0]!.GetValue<string>() != "conditional_ticket_events")
        {
            return Results.Json(new { errors = new[] { new { code = "InvalidValue", title = "Invalid webhook" } } }, statusCode: 400);
        }

        var id = "01" + Convert.ToHexString(Guid.NewGuid().ToByteArray())[..24];
        var secret = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        Webhooks[id] = new FakeWebhook(id, endpoint, secret, (JsonObject)body.DeepClone());
        if (LoseWebhookCreateAnswersNext > 0)
        {
            LoseWebhookCreateAnswersNext--;
            return Results.Json(new { error = "ServiceUnavailable" }, statusCode: 503);
        }

        return Results.Json(new { webhook = new { id, name = body["name"]!.GetValue<string>(), status = "active", endpoint, http_method = "POST", request_format = "json", subscriptions = new[] { "conditional_ticket_events" } } }, statusCode: 201);
    }

    private async Task<IResult> CreateTriggerAsync(HttpContext context)
    {
        var body = JsonNode.Parse(await new StreamReader(context.Request.Body).ReadToEndAsync())?["trigger"] as JsonObject;
        var action = (body?["actions"] as JsonArray)?.FirstOrDefault() as JsonObject;
        if (body?["title"] is null || body["conditions"] is not JsonObject || action?["field"]?.GetValue<string>() != "notification_webhook"
            || action["value"] is not JsonArray { Count: 2 } value || !Webhooks.ContainsKey(value[0]!.GetValue<string>()))
        {
            return Results.Json(new { error = "RecordInvalid", description = "Invalid trigger" }, statusCode: 422);
        }

        var id = Interlocked.Increment(ref nextTriggerId);
        Triggers[id] = new FakeTrigger(id, (JsonObject)body.DeepClone());
        return Results.Json(new { trigger = new { id, title = body["title"]!.GetValue<string>(), active = true } }, statusCode: 201);
    }

    private IResult ShowTicket(string id)
    {
        var number = long.Parse(id.Replace(".json", "", StringComparison.Ordinal), CultureInfo.InvariantCulture);
        lock (gate)
        {
            return tickets.TryGetValue(number, out var ticket) ? Results.Json(new JsonObject { ["ticket"] = ticket.DeepClone() }) : Results.NotFound();
        }
    }

    /// <summary>"Show User": <c>{"user": {…}}</c>.</summary>
    private IResult ShowUser(long id) =>
        Users.TryGetValue(id, out var user) ? Results.Json(new JsonObject { ["user"] = user.DeepClone() }) : Results.NotFound();

    /// <summary>
    /// "List Users" with <c>role[]</c> filters and cursor pagination (<c>page[size]</c>, <c>page[after]</c>; answer
    /// <c>users</c>, <c>meta.has_more</c>, <c>meta.after_cursor</c>, <c>links.next</c>).
    /// </summary>
    private IResult ListUsers(HttpContext context)
    {
        var roles = context.Request.Query["role[]"].Select(r => r!).ToHashSet(StringComparer.Ordinal);
        var size = int.TryParse(context.Request.Query["page[size]"], CultureInfo.InvariantCulture, out var s) ? Math.Clamp(s, 1, 100) : 100;
        var after = long.TryParse(context.Request.Query["page[after]"], CultureInfo.InvariantCulture, out var a) ? a : 0;
        var matching = Users.Values.Where(u => roles.Count == 0 || roles.Contains(u["role"]!.GetValue<string>()))
            .OrderBy(u => u["id"]!.GetValue<long>()).Where(u => u["id"]!.GetValue<long>() > after).ToList();
        var page = matching.Take(size).ToList();
        var more = matching.Count > size;
        var cursor = page.Count > 0 ? page[^1]["id"]!.GetValue<long>().ToString(CultureInfo.InvariantCulture) : null;
        var roleQuery = string.Concat(roles.Select(r => "role%5B%5D=" + r + "&"));
        return Results.Json(new JsonObject
        {
            ["users"] = new JsonArray(page.Select(u => (JsonNode?)u.DeepClone()).ToArray()),
            ["meta"] = new JsonObject { ["has_more"] = more, ["after_cursor"] = cursor, ["before_cursor"] = null },
            ["links"] = new JsonObject { ["next"] = more ? $"{BaseUrl}/api/v2/users?{roleQuery}page%5Bsize%5D={size}&page%5Bafter%5D={cursor}" : null, ["prev"] = null },
        });
    }

    /// <summary>
    /// "Export Search Results" for the one query agents' calendars send (<c>ticket_type:task status&lt;solved</c>, with
    /// <c>filter[type]=ticket</c>, which Zendesk requires; a <c>type:</c> in the query is a 400), cursor-paginated like List Users.
    /// </summary>
    private IResult SearchExport(HttpContext context)
    {
        var query = context.Request.Query["query"].ToString();
        if (context.Request.Query["filter[type]"] != "ticket" || query.Contains("type:ticket", StringComparison.Ordinal))
        {
            return Results.Json(new { error = "InvalidSearchParameters" }, statusCode: 400);
        }

        if (query != "ticket_type:task status<solved")
        {
            return Results.Json(new { error = "UnexpectedQuery", description = query }, statusCode: 422);
        }

        var size = int.TryParse(context.Request.Query["page[size]"], CultureInfo.InvariantCulture, out var s) ? Math.Clamp(s, 1, 1000) : 100;
        var after = long.TryParse(context.Request.Query["page[after]"], CultureInfo.InvariantCulture, out var a) ? a : 0;
        List<JsonObject> matching;
        lock (gate)
        {
            matching = tickets.Values
                .Where(t => t["type"]?.GetValue<string>() == "task" && t["status"]!.GetValue<string>() is "new" or "open" or "pending" or "hold")
                .OrderBy(t => t["id"]!.GetValue<long>()).Where(t => t["id"]!.GetValue<long>() > after)
                .Select(t => (JsonObject)t.DeepClone()).ToList();
        }

        var page = matching.Take(Math.Min(size, SearchPageSize)).ToList();
        var more = matching.Count > page.Count;
        foreach (var t in page)
        {
            t["result_type"] = "ticket";
        }

        var cursor = page.Count > 0 ? page[^1]["id"]!.GetValue<long>().ToString(CultureInfo.InvariantCulture) : null;
        return Results.Json(new JsonObject
        {
            ["results"] = new JsonArray(page.Select(t => (JsonNode?)t).ToArray()),
            ["facets"] = null,
            ["meta"] = new JsonObject { ["has_more"] = more, ["after_cursor"] = cursor, ["before_cursor"] = null },
            ["links"] = new JsonObject
            {
                ["next"] = more ? $"{BaseUrl}/api/v2/search/export?query={Uri.EscapeDataString(query)}&filter%5Btype%5D=ticket&page%5Bsize%5D={size}&page%5Bafter%5D={cursor}" : null,
                ["prev"] = null,
            },
        });
    }

    private IResult Export(HttpContext context)
    {
        if (RateLimitExportNext > 0)
        {
            RateLimitExportNext--;
            context.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
            return Results.Json(new { error = "APIRateLimitExceeded" }, statusCode: 429);
        }

        var cursorText = context.Request.Query["cursor"].ToString();
        long after;
        if (cursorText.Length > 0)
        {
            if (FailCursorExportNext > 0)
            {
                FailCursorExportNext--;
                return Results.Json(new { error = "InternalError" }, statusCode: 500);
            }

            after = long.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(cursorText))["seq:".Length..], CultureInfo.InvariantCulture);
        }
        else if (long.TryParse(context.Request.Query["start_time"], CultureInfo.InvariantCulture, out var start))
        {
            // A start_time cursor: every version changed at or after it, from the beginning of the log.
            lock (gate)
            {
                after = changes.Where(c => DateTimeOffset.Parse(c.Ticket["updated_at"]!.GetValue<string>(), CultureInfo.InvariantCulture).ToUnixTimeSeconds() < start)
                    .Select(c => c.Seq).DefaultIfEmpty(0).Max();
            }
        }
        else
        {
            return Results.Json(new { error = "InvalidPaginationParameter" }, statusCode: 400);
        }

        // Tickets changed in the minute before the request are left out, and the cursor stops before them.
        var cutoff = Clock.GetUtcNow().AddMinutes(-1);
        List<(long Seq, JsonObject Ticket)> page;
        bool more;
        lock (gate)
        {
            var ready = changes.Where(c => c.Seq > after)
                .TakeWhile(c => DateTimeOffset.Parse(c.Ticket["updated_at"]!.GetValue<string>(), CultureInfo.InvariantCulture) <= cutoff)
                .ToList();
            page = ready.Take(PageSize).ToList();
            more = ready.Count > PageSize;
        }

        var last = page.Count > 0 ? page[^1].Seq : after;
        var cursor = Convert.ToBase64String(Encoding.UTF8.GetBytes($"seq:{last}"));
        return Results.Json(new JsonObject
        {
            ["tickets"] = new JsonArray(page.Select(p => (JsonNode?)p.Ticket.DeepClone()).ToArray()),
            ["after_url"] = $"{BaseUrl}/api/v2/incremental/tickets/cursor.json?cursor={cursor}",
            ["after_cursor"] = cursor,
            ["before_url"] = null,
            ["before_cursor"] = null,
            ["end_of_stream"] = !more,
        });
    }
}
