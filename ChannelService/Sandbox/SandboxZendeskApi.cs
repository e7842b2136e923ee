using System.Globalization;
using System.Text.Json.Nodes;
using ChannelService.Configuration;
using ChannelService.Zendesk;
using ChannelService.ZendeskLink.Api;
using Microsoft.Extensions.Options;

namespace ChannelService.Sandbox;

/// <summary>A user the sandbox's Zendesk knows (requesters the Zendesk link created).</summary>
internal sealed record SandboxUser(long Id, string Email, string Name);

/// <summary>
/// The sandbox's Zendesk REST API for the subdomain <c>sandbox</c>, in process (<see cref="IZendeskApiLoopback"/>), for
/// the access tokens its OAuth issued ("Connect to Zendesk" in the sandbox's admin UI, <see cref="SandboxZendeskOAuth"/>): the
/// calls the Zendesk link makes, with Zendesk's documented shapes (README, "Zendesk link: ticket properties and
/// requesters"): tickets show_many, update and update_many (a job that completes at once), job_statuses, search by
/// external_id, users search and create_or_update. It works on the sandbox's own tickets, so the page shows type,
/// due date, priority, tags and requester as the service set them. Only while the sandbox is on.
/// </summary>
internal sealed class SandboxZendeskApi(SandboxStore store, SandboxZendeskOAuth oauth, IOptions<ChannelOptions> options, IWebHostEnvironment environment, IHostApplicationLifetime lifetime) : IZendeskApiLoopback
{
    public const string Subdomain = "sandbox";

    private readonly Lock gate = new();
    private readonly List<SandboxUser> users = [];
    private readonly Dictionary<string, JsonObject> jobs = new(StringComparer.Ordinal);

    public bool Serves(string subdomain) =>
        string.Equals(subdomain, Subdomain, StringComparison.OrdinalIgnoreCase) && options.Value.SandboxEnabled(environment.IsDevelopment());

    /// <summary>
    /// The sandbox's tokens live in the running service's memory. A process whose host never started (a command-line
    /// command: it builds the service's wiring but runs nothing) holds none, and its 401 would mark the shared link
    /// broken although the service's token still works; so it does not call at all.
    /// </summary>
    public string? Unreachable => lifetime.ApplicationStarted.IsCancellationRequested
        ? null
        : "the sandbox's Zendesk runs only inside the running service, so this command cannot ask it; the sandbox's link was left as it is";

    /// <summary>The sandbox plays no webhooks or triggers, so its link has no change feed (and no agents' calendars).</summary>
    public bool HasChangeFeed => false;

    public SandboxUser? User(long? id)
    {
        lock (gate)
        {
            return users.FirstOrDefault(u => u.Id == id);
        }
    }

    public ZendeskOutcome Send(ZendeskRequest request, string? bearerToken)
    {
        // OAuth first (the token endpoint takes no bearer token); every other call needs a token the sandbox issued.
        if (oauth.Send(request, bearerToken) is { } answered)
        {
            return answered;
        }

        if (!oauth.IsValid(bearerToken))
        {
            return new ZendeskOutcome(ZendeskOutcomeKind.Rejected, 401, "Zendesk answered HTTP 401: invalid_token.");
        }

        var path = string.Join('/', request.Path);
        // A key may repeat (List Users sends role[]=agent&role[]=admin): the first value of each is what these calls read.
        var query = request.Query.GroupBy(q => q.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First().Value, StringComparer.Ordinal);
        lock (gate)
        {
            return (request.Method.Method, path) switch
            {
                ("GET", "api/v2/tickets/show_many") => Ok(new JsonObject { ["tickets"] = new JsonArray([.. Ids(query).Select(FindTicket).OfType<SandboxTicket>().Select(t => (JsonNode)Json(t))]) }),
                ("PUT", "api/v2/tickets/update_many") => UpdateMany(request.Body),
                ("GET", var p) when p.StartsWith("api/v2/job_statuses/", StringComparison.Ordinal) => jobs.TryGetValue(request.Path[^1], out var job) ? Ok(new JsonObject { ["job_status"] = job.DeepClone() }) : NotFound(),
                ("PUT", var p) when p.StartsWith("api/v2/tickets/", StringComparison.Ordinal) && long.TryParse(request.Path[^1], NumberStyles.None, CultureInfo.InvariantCulture, out var id) => Update(id, request.Body?["ticket"] as JsonObject),
                ("GET", "api/v2/search") => Search(query.GetValueOrDefault("query") ?? ""),
                ("GET", "api/v2/users/search") => SearchUsers(query.GetValueOrDefault("query") ?? ""),
                ("POST", "api/v2/users/create_or_update") => CreateOrUpdateUser(request.Body?["user"]),
                _ => new ZendeskOutcome(ZendeskOutcomeKind.Rejected, 404, "Zendesk answered HTTP 404: the sandbox does not play this call."),
            };
        }
    }

    private static IEnumerable<long> Ids(Dictionary<string, string> query) =>
        (query.GetValueOrDefault("ids") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries)
            .Select(i => long.TryParse(i, NumberStyles.None, CultureInfo.InvariantCulture, out var id) ? id : 0).Where(i => i > 0);

    private SandboxTicket? FindTicket(long id) => store.All().SelectMany(a => a.Tickets).FirstOrDefault(t => t.Id == id);

    private ZendeskOutcome Update(long id, JsonObject? fields)
    {
        if (FindTicket(id) is not { } ticket || fields is null)
        {
            return NotFound();
        }

        Apply(ticket, fields);
        return Ok(new JsonObject { ["ticket"] = Json(ticket) });
    }

    private ZendeskOutcome UpdateMany(JsonNode? body)
    {
        var results = new JsonArray();
        foreach (var update in (body?["tickets"] as JsonArray ?? []).OfType<JsonObject>().Take(100))
        {
            var id = update["id"]?.GetValue<long>() ?? 0;
            if (FindTicket(id) is { } ticket)
            {
                Apply(ticket, update);
                results.Add(new JsonObject { ["id"] = id, ["action"] = "update", ["success"] = true, ["status"] = "Updated" });
            }
            else
            {
                results.Add(new JsonObject { ["id"] = id, ["action"] = "update", ["success"] = false, ["error"] = "TicketNotFound" });
            }
        }

        var jobId = "sandbox-job-" + (jobs.Count + 1).ToString(CultureInfo.InvariantCulture);
        var job = new JsonObject { ["id"] = jobId, ["status"] = "completed", ["total"] = results.Count, ["progress"] = results.Count, ["results"] = results };
        jobs[jobId] = job;
        return Ok(new JsonObject { ["job_status"] = new JsonObject { ["id"] = jobId, ["status"] = "queued" } });
    }

    private ZendeskOutcome Search(string query)
    {
        const string Prefix = "type:ticket external_id:\"";
        var externalId = query.StartsWith(Prefix, StringComparison.Ordinal) && query.EndsWith('"') ? query[Prefix.Length..^1] : null;
        var found = store.All().SelectMany(a => a.Tickets).Where(t => externalId is not null && t.ExternalId == externalId).Select(t => (JsonNode)Json(t)).ToList();
        return Ok(new JsonObject { ["results"] = new JsonArray([.. found]), ["count"] = found.Count, ["next_page"] = null });
    }

    private ZendeskOutcome SearchUsers(string query)
    {
        var email = query.StartsWith("email:", StringComparison.Ordinal) ? query[6..] : query;
        var found = users.Where(u => string.Equals(u.Email, email, StringComparison.OrdinalIgnoreCase)).Select(u => (JsonNode)UserJson(u)).ToList();
        return Ok(new JsonObject { ["users"] = new JsonArray([.. found]), ["meta"] = new JsonObject { ["has_more"] = false }, ["links"] = new JsonObject { ["next"] = null } });
    }

    private ZendeskOutcome CreateOrUpdateUser(JsonNode? user)
    {
        var email = user?["email"]?.GetValue<string>();
        var name = user?["name"]?.GetValue<string>();
        if (string.IsNullOrWhiteSpace(email) || string.IsNullOrWhiteSpace(name))
        {
            return new ZendeskOutcome(ZendeskOutcomeKind.Rejected, 422, "Zendesk answered HTTP 422: email and name are required.");
        }

        var existing = users.FindIndex(u => string.Equals(u.Email, email, StringComparison.OrdinalIgnoreCase));
        var saved = existing >= 0 ? users[existing] with { Name = name } : new SandboxUser(5000 + users.Count + 1, email, name);
        if (existing >= 0)
        {
            users[existing] = saved;
        }
        else
        {
            users.Add(saved);
        }

        return Ok(new JsonObject { ["user"] = UserJson(saved) });
    }

    private static void Apply(SandboxTicket ticket, JsonObject fields)
    {
        foreach (var (name, value) in fields)
        {
            switch (name)
            {
                case "type":
                    ticket.Type = value?.GetValue<string>();
                    break;
                case "priority":
                    ticket.Priority = value?.GetValue<string>();
                    break;
                case "due_at":
                    ticket.DueAt = value?.GetValue<string>();
                    break;
                case "requester_id":
                    ticket.RequesterId = value?.GetValue<long>();
                    break;
                case "additional_tags":
                    ticket.Tags.AddRange((value as JsonArray ?? []).Select(t => t!.GetValue<string>()).Where(t => !ticket.Tags.Contains(t)));
                    break;
                case "remove_tags":
                    var remove = (value as JsonArray ?? []).Select(t => t!.GetValue<string>()).ToHashSet(StringComparer.Ordinal);
                    ticket.Tags.RemoveAll(remove.Contains);
                    break;
            }
        }
    }

    private static JsonObject Json(SandboxTicket t) => new()
    {
        ["id"] = t.Id,
        ["external_id"] = t.ExternalId,
        ["via"] = new JsonObject { ["channel"] = "any_channel" },
        ["subject"] = t.Subject,
        ["type"] = t.Type,
        ["priority"] = t.Priority,
        ["due_at"] = t.DueAt,
        ["tags"] = new JsonArray([.. t.Tags.Select(x => (JsonNode)x)]),
        ["requester_id"] = t.RequesterId,
    };

    private static JsonObject UserJson(SandboxUser u) => new() { ["id"] = u.Id, ["email"] = u.Email, ["name"] = u.Name, ["role"] = "end-user" };

    private static ZendeskOutcome Ok(JsonObject body) => new(ZendeskOutcomeKind.Accepted, 200, "") { Body = body.ToJsonString() };

    private static ZendeskOutcome NotFound() => new(ZendeskOutcomeKind.Rejected, 404, "Zendesk answered HTTP 404: RecordNotFound.");
}
