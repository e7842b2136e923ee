using System.Text.Json;

namespace ChannelService.Sandbox;

/// <summary>One comment on a sandbox ticket, as Zendesk would show it.</summary>
internal sealed record SandboxComment(string ExternalId, string AuthorName, string Message, string? CreatedAt, bool FromAgent, bool InternalNote, bool AllowChannelback);

/// <summary>A ticket of the sandbox: the comments Zendesk threaded together, and its native properties.</summary>
internal sealed class SandboxTicket(int number, string? threadId, long id = 0, string? externalId = null)
{
    public int Number { get; } = number;

    /// <summary>The Zendesk ticket id (unique across the sandbox), as the REST API and the event callback name it.</summary>
    public long Id { get; } = id;

    /// <summary>The external_id of the resource that opened it, as a Channel Framework ticket carries it.</summary>
    public string? ExternalId { get; } = externalId;

    /// <summary>Native properties, as the Zendesk link sets them through the (sandbox) REST API.</summary>
    public string? Type { get; set; }

    public string? Priority { get; set; }

    public string? DueAt { get; set; }

    public List<string> Tags { get; } = [];

    public long? RequesterId { get; set; }

    /// <summary>The <c>thread_id</c> that opened it, if any: later items with the same thread join it.</summary>
    public string? ThreadId { get; } = threadId;

    public List<SandboxComment> Comments { get; } = [];

    /// <summary>
    /// What the ticket is about in time: the occurrence's or event's start, the task's due date (display_info), else
    /// when it was opened. The sandbox lists tickets in this order; null when the opening said nothing of it.
    /// </summary>
    public DateTimeOffset? When { get; set; }

    public string Subject => Comments.Count == 0 ? "" : FirstLine(Comments[0].Message);

    private static string FirstLine(string text)
    {
        var line = text.Split('\n', 2)[0].Trim();
        return line.Length <= 80 ? line : line[..79] + "…";
    }
}

/// <summary>An account the sandbox holds, as Zendesk holds it: name, metadata, state, and its tickets.</summary>
internal sealed class SandboxAccount(string id)
{
    public string Id { get; } = id;

    public string Name { get; set; } = "";

    public string Metadata { get; set; } = "";

    public string? State { get; set; }

    public bool NeedsAdminUpdate { get; set; }

    public List<SandboxTicket> Tickets { get; } = [];

    /// <summary>The tickets in date order (<see cref="SandboxTicket.When"/>), those without a date last, each group by number.</summary>
    public IEnumerable<SandboxTicket> TicketsByDate =>
        Tickets.OrderBy(t => t.When is null).ThenBy(t => t.When).ThenBy(t => t.Number);

    /// <summary>Every external_id imported or returned by a channelback: Zendesk never imports one twice.</summary>
    public HashSet<string> SeenExternalIds { get; } = new(StringComparer.Ordinal);

    /// <summary>What happened, newest last: each pull and channelback with its outcome.</summary>
    public List<string> Log { get; } = [];

    public override string ToString() => $"SandboxAccount {{ Id = {Id} }}";
}

/// <summary>Ticket ids unique across the sandbox's accounts, as Zendesk's are across a subdomain.</summary>
internal static class SandboxTicketIds
{
    private static long last = 1000;

    public static long Next() => Interlocked.Increment(ref last);
}

/// <summary>The outcome of applying one response.</summary>
internal sealed record SandboxOutcome(bool Ok, string Summary);

/// <summary>
/// Zendesk's side of pull and channelback (channel-framework.md §3-4), as a plain class: de-duplication by
/// external_id, threading by thread_id or parent_id, and state and metadata taken only from a successful response.
/// The sandbox feeds it the real HTTP answers of <c>/pull</c> and <c>/channelback</c>.
/// </summary>
internal static class SandboxZendesk
{
    public static SandboxOutcome ApplyPull(SandboxAccount account, int status, string body)
    {
        if (status is < 200 or >= 300)
        {
            // Zendesk learns a new state only from a successful body: the next pull repeats with the old one.
            return Record(account, new SandboxOutcome(false, $"Pull failed with HTTP {status}: {ErrorText(body).TrimEnd('.')}. State kept."));
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body);
        }
        catch (JsonException)
        {
            return Record(account, new SandboxOutcome(false, "Pull answered 2xx but the body is not JSON. State kept."));
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("external_resources", out var resources) || resources.ValueKind != JsonValueKind.Array)
            {
                return Record(account, new SandboxOutcome(false, "Pull answered without an external_resources array. State kept."));
            }

            int imported = 0, duplicates = 0, invalid = 0, newTickets = 0;
            foreach (var resource in resources.EnumerateArray())
            {
                switch (Import(account, resource, out var opened))
                {
                    case ImportResult.Imported:
                        imported++;
                        newTickets += opened ? 1 : 0;
                        break;
                    case ImportResult.Duplicate:
                        duplicates++;
                        break;
                    default:
                        invalid++;
                        break;
                }
            }

            if (root.TryGetProperty("state", out var state) && state.ValueKind == JsonValueKind.String)
            {
                account.State = state.GetString();
            }

            if (root.TryGetProperty("metadata", out var metadata) && metadata.ValueKind == JsonValueKind.String && metadata.GetString() is { Length: > 0 } m)
            {
                account.Metadata = m;
            }

            account.NeedsAdminUpdate = root.TryGetProperty("metadata_needs_update", out var needs) && needs.ValueKind == JsonValueKind.True;
            return Record(account, new SandboxOutcome(true, $"Pull: {imported} imported ({newTickets} new tickets), {duplicates} duplicate external ids skipped, {invalid} invalid."));
        }
    }

    /// <summary>Applies a channelback answer for the agent's <paramref name="message"/> on <paramref name="ticket"/>.</summary>
    public static SandboxOutcome ApplyChannelback(SandboxAccount account, SandboxTicket ticket, string message, int status, string body)
    {
        if (status is < 200 or >= 300)
        {
            return Record(account, new SandboxOutcome(false, $"Channelback failed with HTTP {status}: {ErrorText(body).TrimEnd('.')}."));
        }

        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("external_id", out var id) && id.ValueKind == JsonValueKind.String && id.GetString() is { Length: > 0 } externalId)
            {
                // Zendesk links the id to the agent's comment and will not import it again from a later pull.
                account.SeenExternalIds.Add(externalId);
                var allow = !root.TryGetProperty("allow_channelback", out var a) || a.ValueKind != JsonValueKind.False;
                ticket.Comments.Add(new SandboxComment(externalId, "Agent", message, null, FromAgent: true, InternalNote: false, allow));
                if (root.TryGetProperty("metadata", out var metadata) && metadata.ValueKind == JsonValueKind.String && metadata.GetString() is { Length: > 0 } m)
                {
                    account.Metadata = m;
                }

                return Record(account, new SandboxOutcome(true, $"Channelback stored as {externalId}."));
            }
        }
        catch (JsonException)
        {
        }

        return Record(account, new SandboxOutcome(false, "Channelback answered 2xx without an external_id."));
    }

    /// <summary>
    /// The <c>resources_created_from_external_ids</c> event callback Zendesk sends after it created tickets (spec §7):
    /// which ticket the opening resource of each became.
    /// </summary>
    public static string ResourcesCreatedEvent(IEnumerable<SandboxTicket> opened)
    {
        var resourceEvents = new System.Text.Json.Nodes.JsonArray();
        foreach (var ticket in opened.Where(t => t.ExternalId is not null))
        {
            resourceEvents.Add(new System.Text.Json.Nodes.JsonObject
            {
                ["type_id"] = "comment_on_new_ticket",
                ["external_id"] = ticket.ExternalId,
                ["comment_id"] = ticket.Id * 10,
                ["ticket_id"] = ticket.Id,
            });
        }

        var e = new System.Text.Json.Nodes.JsonObject
        {
            ["type_id"] = "resources_created_from_external_ids",
            ["timestamp"] = DateTimeOffset.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture),
            ["subdomain"] = SandboxZendeskApi.Subdomain,
            ["integration_name"] = "Calendar & Tasks (ChannelService)",
            ["integration_id"] = "sandbox",
            ["data"] = new System.Text.Json.Nodes.JsonObject { ["request_id"] = "sandbox-pull", ["resource_events"] = resourceEvents },
        };
        return new System.Text.Json.Nodes.JsonObject { ["events"] = new System.Text.Json.Nodes.JsonArray(e) }.ToJsonString();
    }

    /// <summary>The external_id an agent's reply to <paramref name="ticket"/> answers (the newest comment that allows channelback).</summary>
    public static SandboxComment? ReplyParent(SandboxTicket ticket) => ticket.Comments.LastOrDefault(c => c.AllowChannelback);

    private enum ImportResult
    {
        Imported,
        Duplicate,
        Invalid,
    }

    private static ImportResult Import(SandboxAccount account, JsonElement resource, out bool opened)
    {
        opened = false;
        var externalId = Text(resource, "external_id");
        var message = Text(resource, "message");
        if (externalId is null || message is null)
        {
            return ImportResult.Invalid;
        }

        if (!account.SeenExternalIds.Add(externalId))
        {
            return ImportResult.Duplicate;
        }

        var threadId = Text(resource, "thread_id");
        var parentId = Text(resource, "parent_id");
        SandboxTicket? ticket = null;
        if (threadId is not null)
        {
            ticket = account.Tickets.FirstOrDefault(t => t.ThreadId == threadId);
        }
        else if (parentId is not null)
        {
            ticket = account.Tickets.FirstOrDefault(t => t.Comments.Any(c => c.ExternalId == parentId));
        }

        if (ticket is null)
        {
            ticket = new SandboxTicket(account.Tickets.Count + 1, threadId, SandboxTicketIds.Next(), externalId) { When = WhenOf(resource) };
            account.Tickets.Add(ticket);
            opened = true;
        }

        var author = resource.TryGetProperty("author", out var a) && a.ValueKind == JsonValueKind.Object
            ? Text(a, "name") ?? Text(a, "external_id") ?? "?"
            : "?";
        var internalNote = resource.TryGetProperty("internal_note", out var n) && n.ValueKind == JsonValueKind.True;
        var allow = !resource.TryGetProperty("allow_channelback", out var cb) || cb.ValueKind != JsonValueKind.False;
        ticket.Comments.Add(new SandboxComment(externalId, author, message, Text(resource, "created_at"), FromAgent: false, internalNote, allow));
        return ImportResult.Imported;
    }

    /// <summary>The date an opening is about: display_info's start or due (this service's), else its created_at.</summary>
    private static DateTimeOffset? WhenOf(JsonElement resource)
    {
        if (resource.TryGetProperty("display_info", out var info) && info.ValueKind == JsonValueKind.Array)
        {
            foreach (var entry in info.EnumerateArray())
            {
                if (entry.ValueKind == JsonValueKind.Object && entry.TryGetProperty("data", out var data) && data.ValueKind == JsonValueKind.Object
                    && (Instant(Text(data, "start")) ?? Instant(Text(data, "due"))) is { } when)
                {
                    return when;
                }
            }
        }

        return Instant(Text(resource, "created_at"));
    }

    private static DateTimeOffset? Instant(string? text) =>
        DateTimeOffset.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var value) ? value : null;

    private static string? Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 } s ? s : null;

    private static string ErrorText(string body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            if (document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("error", out var e) && e.ValueKind == JsonValueKind.String)
            {
                return e.GetString()!;
            }
        }
        catch (JsonException)
        {
        }

        var text = body.Trim();
        return text.Length <= 200 ? text : text[..200] + "…";
    }

    private static SandboxOutcome Record(SandboxAccount account, SandboxOutcome outcome)
    {
        account.Log.Add(outcome.Summary);
        return outcome;
    }
}
