using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace ChannelService.Tests.ZendeskLink;

/// <summary>One request as the fake received it.</summary>
internal sealed record ApiCall(DateTimeOffset At, string Method, string Path, string Query, string? Authorization, int Status, string Body);

/// <summary>
/// A fake Zendesk REST API on a free loopback port (real Kestrel) with the documented request and response shapes of
/// the calls the Zendesk link makes: tickets show_many/update/update_many, job_statuses, search, users
/// search/create_or_update (links in Fixtures/zendesk-api/*.json). Every request body is checked against the schema of
/// its endpoint (<see cref="SchemaErrors"/> must stay empty), every request needs a bearer token from
/// <see cref="ValidTokens"/> (else 401), and it can answer 429 with Retry-After or 500. Tickets keep what the service
/// set, so a test reads a ticket as an agent would see it; <see cref="AgentSets"/> is an agent's own edit.
/// A fault in the fake (a handler that throws) is recorded in <see cref="Faults"/> rather than looking like a 500.
/// </summary>
internal sealed class FakeZendeskApi : IAsyncDisposable
{
    private static readonly Lazy<Dictionary<string, JsonSchema>> Schemas = new(LoadSchemas);

    private readonly WebApplication app;
    private readonly Lock gate = new();
    private readonly List<ApiCall> calls = [];
    private readonly Dictionary<long, JsonObject> tickets = [];
    private readonly Dictionary<long, JsonObject> users = [];
    private readonly Dictionary<string, (JsonObject Job, List<JsonObject> Updates, int Polls)> jobs = new(StringComparer.Ordinal);
    private readonly List<(long Seq, JsonObject Ticket)> changes = [];
    private readonly Dictionary<long, List<JsonObject>> comments = [];
    private long nextUserId = 9000;
    private int nextJob;
    private long seq;
    private long nextTriggerId = 9000;

    public FakeZendeskApi(TimeProvider? clock = null)
    {
        Clock = clock ?? TimeProvider.System;
        _ = Schemas.Value;
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        app = builder.Build();
        app.MapGet("/api/v2/tickets/show_many", c => Guard(c, ShowMany));
        app.MapPut("/api/v2/tickets/update_many", c => Guard(c, UpdateMany));
        app.MapGet("/api/v2/tickets/{id:long}", c => Guard(c, Show));
        app.MapPut("/api/v2/tickets/{id:long}", c => Guard(c, Update));
        app.MapGet("/api/v2/job_statuses/{id}", c => Guard(c, Job));
        app.MapGet("/api/v2/search", c => Guard(c, Search));
        app.MapGet("/api/v2/users/search", c => Guard(c, SearchUsers));
        app.MapPost("/api/v2/users/create_or_update", c => Guard(c, CreateOrUpdateUser));
        app.MapPost("/api/v2/webhooks", c => Guard(c, CreateWebhook));
        app.MapGet("/api/v2/webhooks/{id}/signing_secret", c => Guard(c, SigningSecret));
        app.MapDelete("/api/v2/webhooks/{id}", c => Guard(c, (context, requestBody) => Webhooks.TryRemove((string)context.Request.RouteValues["id"]!, out _) ? (204, null) : (404, null)));
        app.MapPost("/api/v2/triggers", c => Guard(c, CreateTrigger));
        app.MapDelete("/api/v2/triggers/{id}", c => Guard(c, (context, requestBody) => Triggers.TryRemove(long.Parse((string)context.Request.RouteValues["id"]!, CultureInfo.InvariantCulture), out _) ? (204, null) : (404, null)));
        app.MapGet("/api/v2/incremental/tickets/cursor.json", c => Guard(c, Export));
        app.StartAsync().GetAwaiter().GetResult();
        BaseUrl = app.Urls.First();
    }

    public string BaseUrl { get; }

    /// <summary>Zendesk's clock: tickets' updated_at, and the export's "changed in the last minute" cut-off.</summary>
    public TimeProvider Clock { get; }

    /// <summary>Webhooks the service made (id → endpoint, signing secret).</summary>
    public ConcurrentDictionary<string, (string Endpoint, string Secret)> Webhooks { get; } = new(StringComparer.Ordinal);

    public ConcurrentDictionary<long, JsonObject> Triggers { get; } = new();

    /// <summary>Answer PUTs to these tickets with 422 (an agent made the ticket unsolvable, e.g. no assignee).</summary>
    public ConcurrentDictionary<long, bool> RefuseUpdates { get; } = new();

    public ConcurrentDictionary<string, bool> ValidTokens { get; } = new(StringComparer.Ordinal);

    /// <summary>Answer the next N requests with 429 and <see cref="RetryAfterSeconds"/>.</summary>
    public int RateLimitNext { get; set; }

    public int RetryAfterSeconds { get; set; } = 1;

    /// <summary>Answer the next N requests with 500.</summary>
    public int FailNext { get; set; }

    /// <summary>Whether search finds tickets yet (Zendesk's index lags: "up to a few minutes").</summary>
    public bool SearchIndexed { get; set; } = true;

    public ConcurrentQueue<string> SchemaErrors { get; } = new();

    public ConcurrentQueue<Exception> Faults { get; } = new();

    public IReadOnlyList<ApiCall> Calls
    {
        get
        {
            lock (gate)
            {
                return [.. calls];
            }
        }
    }

    /// <summary>A ticket as Zendesk holds it (a copy).</summary>
    public JsonObject? Ticket(long id)
    {
        lock (gate)
        {
            return tickets.TryGetValue(id, out var t) ? (JsonObject)t.DeepClone() : null;
        }
    }

    public IReadOnlyList<long> TicketIds
    {
        get
        {
            lock (gate)
            {
                return [.. tickets.Keys];
            }
        }
    }

    /// <summary>What Zendesk made of a pulled resource: a Channel Framework ticket carrying its external_id.</summary>
    public void CreateTicket(long id, string? externalId, string via = "any_channel", long requesterId = 1)
    {
        lock (gate)
        {
            tickets[id] = new JsonObject
            {
                ["id"] = id,
                ["url"] = $"{BaseUrl}/api/v2/tickets/{id}.json",
                ["external_id"] = externalId,
                ["via"] = new JsonObject { ["channel"] = via, ["source"] = new JsonObject { ["from"] = new JsonObject(), ["to"] = new JsonObject(), ["rel"] = null } },
                ["type"] = null,
                ["priority"] = null,
                ["status"] = "new",
                ["due_at"] = null,
                ["tags"] = new JsonArray(),
                ["requester_id"] = requesterId,
                ["assignee_id"] = 7001,
            };
            Stamp(tickets[id]);
        }
    }

    /// <summary>An agent's own change in Zendesk.</summary>
    public void AgentSets(long id, string property, JsonNode? value)
    {
        lock (gate)
        {
            tickets[id][property] = value;
            Stamp(tickets[id]);
        }
    }

    /// <summary>An agent's bulk edit: one status for many tickets at once (each a new version).</summary>
    public void AgentSetsMany(IEnumerable<long> ids, string property, JsonNode? value)
    {
        lock (gate)
        {
            foreach (var id in ids)
            {
                tickets[id][property] = value?.DeepClone();
                Stamp(tickets[id]);
            }
        }
    }

    /// <summary>The comments added to a ticket through updates, oldest first (body and public).</summary>
    public IReadOnlyList<(string Body, bool Public)> Comments(long id)
    {
        lock (gate)
        {
            return comments.TryGetValue(id, out var list) ? list.Select(c => ((string)c["body"]!, (bool?)c["public"] ?? true)).ToList() : [];
        }
    }

    /// <summary>Posts a trigger's notification for the ticket to the service, signed as Zendesk signs (base64 HMAC-SHA256 of timestamp + body).</summary>
    public async Task<HttpResponseMessage> DeliverAsync(HttpClient client, long ticketId)
    {
        var (id, hook) = Webhooks.Single();
        var body = System.Text.Encoding.UTF8.GetBytes(ChannelService.ZendeskLink.Changes.ChangeFeedApi.DeliveryBody.Replace("{{ticket.id}}", ticketId.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal));
        var stamp = Iso(Clock.GetUtcNow());
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(hook.Endpoint).AbsolutePath) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        request.Headers.Add("x-zendesk-webhook-id", id);
        request.Headers.Add("x-zendesk-webhook-invocation-id", Guid.NewGuid().ToString("N"));
        request.Headers.Add("X-Zendesk-Webhook-Signature-Timestamp", stamp);
        request.Headers.Add("X-Zendesk-Webhook-Signature", ChannelService.ZendeskLink.Changes.WebhookSignature.Sign(hook.Secret, stamp, body));
        return await client.SendAsync(request);
    }

    /// <summary>
    /// A new version of the ticket (under the lock): updated_at (whole seconds, as Zendesk writes it) later than the
    /// ticket's previous one, and a row of the export. Different tickets may share a second.
    /// </summary>
    private void Stamp(JsonObject ticket)
    {
        var now = DateTimeOffset.FromUnixTimeSeconds(Clock.GetUtcNow().ToUnixTimeSeconds());
        if ((string?)ticket["updated_at"] is { } text && DateTimeOffset.Parse(text, CultureInfo.InvariantCulture) is var before && now <= before)
        {
            now = before.AddSeconds(1);
        }

        ticket["updated_at"] = Iso(now);
        changes.Add((++seq, (JsonObject)ticket.DeepClone()));
    }

    private static string Iso(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    public JsonObject? User(long id)
    {
        lock (gate)
        {
            return users.TryGetValue(id, out var u) ? (JsonObject)u.DeepClone() : null;
        }
    }

    public long AddUser(string email, string name)
    {
        lock (gate)
        {
            var id = ++nextUserId;
            users[id] = new JsonObject { ["id"] = id, ["email"] = email, ["name"] = name, ["role"] = "end-user" };
            return id;
        }
    }

    public ValueTask DisposeAsync() => app.DisposeAsync();

    private async Task Guard(HttpContext context, Func<HttpContext, string, (int Status, JsonNode? Body)> handler)
    {
        var arrived = DateTimeOffset.UtcNow;
        string body;
        using (var reader = new StreamReader(context.Request.Body))
        {
            body = await reader.ReadToEndAsync();
        }

        int status;
        JsonNode? answer = null;
        try
        {
            var auth = context.Request.Headers.Authorization.ToString();
            if (!auth.StartsWith("Bearer ", StringComparison.Ordinal) || !ValidTokens.TryGetValue(auth["Bearer ".Length..], out var valid) || !valid)
            {
                (status, answer) = (401, new JsonObject { ["error"] = "invalid_token", ["error_description"] = "The access token provided is expired, revoked, malformed or invalid for other reasons." });
            }
            else if (TakeOne(() => RateLimitNext, v => RateLimitNext = v))
            {
                context.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
                (status, answer) = (429, null);
            }
            else if (TakeOne(() => FailNext, v => FailNext = v))
            {
                (status, answer) = (500, new JsonObject { ["error"] = "InternalError" });
            }
            else
            {
                (status, answer) = handler(context, body);
            }
        }
        catch (Exception ex)
        {
            Faults.Enqueue(ex);
            (status, answer) = (418, null);
        }

        lock (gate)
        {
            calls.Add(new ApiCall(arrived, context.Request.Method, context.Request.Path.Value ?? "", context.Request.QueryString.Value ?? "", context.Request.Headers.Authorization.ToString(), status, body));
        }

        context.Response.StatusCode = status;
        if (answer is not null)
        {
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(answer.ToJsonString());
        }
    }

    private bool TakeOne(Func<int> get, Action<int> set)
    {
        lock (gate)
        {
            if (get() <= 0)
            {
                return false;
            }

            set(get() - 1);
            return true;
        }
    }

    private (int, JsonNode?) ShowMany(HttpContext context, string body)
    {
        var ids = context.Request.Query["ids"].ToString().Split(',', StringSplitOptions.RemoveEmptyEntries).Select(i => long.Parse(i, CultureInfo.InvariantCulture)).ToList();
        if (ids.Count > 100)
        {
            return (400, new JsonObject { ["error"] = "TooManyIds" });
        }

        lock (gate)
        {
            return (200, new JsonObject { ["tickets"] = new JsonArray([.. ids.Where(tickets.ContainsKey).Select(i => (JsonNode)tickets[i].DeepClone())]) });
        }
    }

    private (int, JsonNode?) Show(HttpContext context, string body)
    {
        var id = long.Parse((string)context.Request.RouteValues["id"]!, CultureInfo.InvariantCulture);
        lock (gate)
        {
            return tickets.TryGetValue(id, out var t) ? (200, new JsonObject { ["ticket"] = t.DeepClone() }) : (404, new JsonObject { ["error"] = "RecordNotFound" });
        }
    }

    private (int, JsonNode?) Update(HttpContext context, string body)
    {
        Validate("ticket_update.json", body);
        var id = long.Parse((string)context.Request.RouteValues["id"]!, CultureInfo.InvariantCulture);
        var fields = JsonNode.Parse(body)!["ticket"]!.AsObject();
        lock (gate)
        {
            if (!tickets.TryGetValue(id, out var ticket))
            {
                return (404, new JsonObject { ["error"] = "RecordNotFound" });
            }

            // Closed tickets can't be updated (https://support.zendesk.com/hc/en-us/articles/4408894213018).
            if ((string?)ticket["status"] == "closed" || RefuseUpdates.ContainsKey(id))
            {
                return (422, new JsonObject { ["error"] = "RecordInvalid", ["description"] = "Record validation errors" });
            }

            Apply(ticket, fields);
            Stamp(ticket);
            return (200, new JsonObject { ["ticket"] = ticket.DeepClone() });
        }
    }

    private (int, JsonNode?) UpdateMany(HttpContext context, string body)
    {
        Validate("tickets_update_many.json", body);
        var updates = JsonNode.Parse(body)!["tickets"]!.AsArray().Select(t => t!.AsObject()).ToList();
        lock (gate)
        {
            var id = "job" + (++nextJob).ToString("D6", CultureInfo.InvariantCulture);
            var job = new JsonObject
            {
                ["id"] = id,
                ["url"] = $"{BaseUrl}/api/v2/job_statuses/{id}.json",
                ["job_type"] = "bulk_update",
                ["status"] = "queued",
                ["total"] = updates.Count,
                ["progress"] = null,
                ["message"] = null,
                ["results"] = null,
            };
            jobs[id] = (job, updates, 0);
            return (200, new JsonObject { ["job_status"] = job.DeepClone() });
        }
    }

    /// <summary>A job is "working" at its first poll and "completed" (its updates applied) at the second.</summary>
    private (int, JsonNode?) Job(HttpContext context, string body)
    {
        var id = (string)context.Request.RouteValues["id"]!;
        lock (gate)
        {
            if (!jobs.TryGetValue(id, out var entry))
            {
                return (404, new JsonObject { ["error"] = "RecordNotFound" });
            }

            var polls = entry.Polls + 1;
            jobs[id] = (entry.Job, entry.Updates, polls);
            if (polls == 1)
            {
                entry.Job["status"] = "working";
                entry.Job["progress"] = 0;
            }
            else if ((string?)entry.Job["status"] != "completed")
            {
                var results = new JsonArray();
                foreach (var update in entry.Updates)
                {
                    var ticketId = (long)update["id"]!;
                    if (tickets.TryGetValue(ticketId, out var ticket))
                    {
                        var fields = (JsonObject)update.DeepClone();
                        fields.Remove("id");
                        Apply(ticket, fields);
                        Stamp(ticket);
                        results.Add(new JsonObject { ["id"] = ticketId, ["action"] = "update", ["success"] = true, ["status"] = "Updated" });
                    }
                    else
                    {
                        results.Add(new JsonObject { ["id"] = ticketId, ["action"] = "update", ["success"] = false, ["status"] = "Failed", ["error"] = "TicketNotFound", ["details"] = "Ticket not found" });
                    }
                }

                entry.Job["status"] = "completed";
                entry.Job["progress"] = entry.Updates.Count;
                entry.Job["results"] = results;
            }

            return (200, new JsonObject { ["job_status"] = entry.Job.DeepClone() });
        }
    }

    private (int, JsonNode?) Search(HttpContext context, string body)
    {
        var query = context.Request.Query["query"].ToString();
        const string Prefix = "type:ticket external_id:\"";
        if (!query.StartsWith(Prefix, StringComparison.Ordinal) || !query.EndsWith('"'))
        {
            return (400, new JsonObject { ["error"] = "unsupported query in the fake: " + query });
        }

        var externalId = query[Prefix.Length..^1];
        lock (gate)
        {
            var found = SearchIndexed ? tickets.Values.Where(t => (string?)t["external_id"] == externalId).Select(t => (JsonNode)t.DeepClone()).ToList() : [];
            foreach (var f in found)
            {
                f["result_type"] = "ticket";
            }

            return (200, new JsonObject { ["results"] = new JsonArray([.. found]), ["count"] = found.Count, ["next_page"] = null, ["previous_page"] = null });
        }
    }

    /// <summary>Cursor pagination (one user per page) so the client must follow links.next while meta.has_more.</summary>
    private (int, JsonNode?) SearchUsers(HttpContext context, string body)
    {
        var query = context.Request.Query["query"].ToString();
        if (!query.StartsWith("email:", StringComparison.Ordinal))
        {
            return (400, new JsonObject { ["error"] = "unsupported query in the fake: " + query });
        }

        var email = query["email:".Length..];
        var after = context.Request.Query["page[after]"].ToString();
        lock (gate)
        {
            // Zendesk's search matches loosely: a similar address comes first, the exact one on the next page.
            var matches = users.Values.Where(u => ((string)u["email"]!).Contains(email.Split('@')[0], StringComparison.OrdinalIgnoreCase))
                .OrderBy(u => string.Equals((string)u["email"]!, email, StringComparison.OrdinalIgnoreCase) ? 1 : 0).ThenBy(u => (long)u["id"]!).ToList();
            var start = after.Length == 0 ? 0 : int.Parse(after, CultureInfo.InvariantCulture);
            var page = matches.Skip(start).Take(1).Select(u => (JsonNode)u.DeepClone()).ToList();
            var more = start + 1 < matches.Count;
            return (200, new JsonObject
            {
                ["users"] = new JsonArray([.. page]),
                ["meta"] = new JsonObject { ["has_more"] = more, ["after_cursor"] = more ? (start + 1).ToString(CultureInfo.InvariantCulture) : null },
                ["links"] = new JsonObject { ["next"] = more ? $"{BaseUrl}/api/v2/users/search?query={Uri.EscapeDataString(query)}&page%5Bafter%5D={start + 1}" : null },
            });
        }
    }

    private (int, JsonNode?) CreateOrUpdateUser(HttpContext context, string body)
    {
        Validate("users_create_or_update.json", body);
        var user = JsonNode.Parse(body)!["user"]!;
        var email = (string)user["email"]!;
        lock (gate)
        {
            if (users.Values.FirstOrDefault(u => string.Equals((string)u["email"]!, email, StringComparison.OrdinalIgnoreCase)) is { } existing)
            {
                existing["name"] = (string)user["name"]!;
                return (200, new JsonObject { ["user"] = existing.DeepClone() });
            }

            var id = ++nextUserId;
            var created = new JsonObject { ["id"] = id, ["email"] = email, ["name"] = (string)user["name"]!, ["role"] = "end-user" };
            users[id] = created;
            return (201, new JsonObject { ["user"] = created.DeepClone() });
        }
    }

    private void Apply(JsonObject ticket, JsonObject fields)
    {
        foreach (var (name, value) in fields)
        {
            switch (name)
            {
                case "comment":
                    var id = (long)ticket["id"]!;
                    (comments.TryGetValue(id, out var list) ? list : comments[id] = []).Add((JsonObject)value!.DeepClone());
                    break;
                case "additional_tags":
                    var tags = ticket["tags"]!.AsArray();
                    foreach (var tag in value!.AsArray().Select(t => (string)t!))
                    {
                        if (!tags.Any(t => (string)t! == tag))
                        {
                            tags.Add(tag);
                        }
                    }

                    break;
                case "remove_tags":
                    var remove = value!.AsArray().Select(t => (string)t!).ToHashSet(StringComparer.Ordinal);
                    var kept = ticket["tags"]!.AsArray().Select(t => (string)t!).Where(t => !remove.Contains(t)).ToList();
                    ticket["tags"] = new JsonArray([.. kept.Select(t => (JsonNode)t)]);
                    break;
                default:
                    ticket[name] = value?.DeepClone();
                    break;
            }
        }
    }

    private (int, JsonNode?) CreateWebhook(HttpContext context, string body)
    {
        var hook = JsonNode.Parse(body)?["webhook"];
        if ((string?)hook?["endpoint"] is not { } endpoint || (string?)hook["http_method"] != "POST" || (string?)hook["request_format"] != "json")
        {
            return (400, new JsonObject { ["errors"] = new JsonArray(new JsonObject { ["code"] = "InvalidValue" }) });
        }

        var id = "01" + Convert.ToHexString(Guid.NewGuid().ToByteArray())[..24];
        Webhooks[id] = (endpoint, Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)));
        return (201, new JsonObject { ["webhook"] = new JsonObject { ["id"] = id, ["endpoint"] = endpoint, ["status"] = "active" } });
    }

    private (int, JsonNode?) SigningSecret(HttpContext context, string body) =>
        Webhooks.TryGetValue((string)context.Request.RouteValues["id"]!, out var hook)
            ? (200, new JsonObject { ["signing_secret"] = new JsonObject { ["algorithm"] = "sha256", ["secret"] = hook.Secret } })
            : (404, null);

    private (int, JsonNode?) CreateTrigger(HttpContext context, string body)
    {
        var trigger = JsonNode.Parse(body)?["trigger"] as JsonObject;
        if (trigger?["actions"] is not JsonArray { Count: > 0 })
        {
            return (422, new JsonObject { ["error"] = "RecordInvalid" });
        }

        var id = Interlocked.Increment(ref nextTriggerId);
        Triggers[id] = (JsonObject)trigger.DeepClone();
        return (201, new JsonObject { ["trigger"] = new JsonObject { ["id"] = id, ["active"] = true } });
    }

    /// <summary>The cursor-based incremental export; tickets changed in the minute before the request are left out.</summary>
    private (int, JsonNode?) Export(HttpContext context, string body)
    {
        long after;
        var cursorText = context.Request.Query["cursor"].ToString();
        lock (gate)
        {
            if (cursorText.Length > 0)
            {
                after = long.Parse(System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(cursorText))["seq:".Length..], CultureInfo.InvariantCulture);
            }
            else if (long.TryParse(context.Request.Query["start_time"], CultureInfo.InvariantCulture, out var start))
            {
                after = changes.Where(c => DateTimeOffset.Parse((string)c.Ticket["updated_at"]!, CultureInfo.InvariantCulture).ToUnixTimeSeconds() < start).Select(c => c.Seq).DefaultIfEmpty(0).Max();
            }
            else
            {
                return (400, new JsonObject { ["error"] = "InvalidPaginationParameter" });
            }

            var cutoff = Clock.GetUtcNow().AddMinutes(-1);
            var page = changes.Where(c => c.Seq > after)
                .TakeWhile(c => DateTimeOffset.Parse((string)c.Ticket["updated_at"]!, CultureInfo.InvariantCulture) <= cutoff)
                .ToList();
            var last = page.Count > 0 ? page[^1].Seq : after;
            var cursor = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"seq:{last}"));
            return (200, new JsonObject
            {
                ["tickets"] = new JsonArray([.. page.Select(p => (JsonNode)p.Ticket.DeepClone())]),
                ["after_url"] = $"{BaseUrl}/api/v2/incremental/tickets/cursor.json?cursor={cursor}",
                ["after_cursor"] = cursor,
                ["before_url"] = null,
                ["before_cursor"] = null,
                ["end_of_stream"] = true,
            });
        }
    }

    private void Validate(string schemaFile, string body)
    {
        using var document = JsonDocument.Parse(body);
        var results = Schemas.Value[schemaFile].Evaluate(document.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List, RequireFormatValidation = true });
        if (!results.IsValid)
        {
            var errors = (results.Details ?? [results]).Where(d => d.Errors is not null).SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Value}"));
            SchemaErrors.Enqueue($"{schemaFile}: {string.Join("; ", errors)} in {body}");
        }
    }

    private static Dictionary<string, JsonSchema> LoadSchemas()
    {
        var schemas = new Dictionary<string, JsonSchema>(StringComparer.Ordinal);
        foreach (var file in Directory.GetFiles(TestPaths.FixtureFolder("zendesk-api"), "*.json"))
        {
            var name = Path.GetFileName(file);
            using var document = JsonDocument.Parse(File.ReadAllText(file));
            schemas[name] = JsonSchema.Build(document.RootElement.Clone(), new BuildOptions { SchemaRegistry = new SchemaRegistry() }, new Uri("https://schemas.zendesk-api.invalid/" + name));
        }

        return schemas;
    }
}

/// <summary>
/// The Zendesk link as the tests need it: hands out <see cref="Token"/> (null: not linked) and records every 401 report.
/// <see cref="OnRejected"/> decides what the link does then (renew to a new token, or break).
/// </summary>
internal sealed class TestLinkTokens : ChannelService.ZendeskLink.IZendeskLinkTokens
{
    public string? Token { get; set; }

    public ConcurrentQueue<(string Subdomain, string Token)> Rejected { get; } = new();

    public Action<TestLinkTokens>? OnRejected { get; set; }

    public Task<string?> AccessTokenAsync(string subdomain, CancellationToken cancellationToken) => Task.FromResult(Token);

    public Task RejectedAsync(string subdomain, string accessToken, CancellationToken cancellationToken)
    {
        Rejected.Enqueue((subdomain, accessToken));
        OnRejected?.Invoke(this);
        return Task.CompletedTask;
    }
}
