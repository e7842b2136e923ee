using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using ChannelService.Accounts;
using ChannelService.Web;
using ChannelService.Zendesk;
using Microsoft.AspNetCore.Mvc;

namespace ChannelService.Events;

/// <summary>
/// <c>POST /events</c> (spec §7): batched <c>{"events": [...]}</c>, always 200 for well-formed input, unknown types
/// ignored, each one logged. Events are unsigned, so anything destructive happens only when the event's metadata
/// decrypts to one of our accounts; otherwise the event is logged and nothing is touched.
/// </summary>
[ApiController]
public sealed partial class EventsController : ControllerBase
{
    /// <summary>Zendesk aggregates events; a batch is a few KB each. 1 MB bounds a hostile post.</summary>
    public const int MaxBodyBytes = 1024 * 1024;

    [HttpPost("/events")]
    public async Task<IActionResult> ReceiveAsync(CancellationToken cancellationToken)
    {
        if (Request.ContentLength > MaxBodyBytes)
        {
            return StatusCode(StatusCodes.Status413PayloadTooLarge, new ErrorResponse("The event batch is larger than 1 MB."));
        }

        JsonNode? root;
        try
        {
            using var limited = new MemoryStream();
            await Request.Body.CopyToAsync(limited, cancellationToken);
            if (limited.Length > MaxBodyBytes)
            {
                return StatusCode(StatusCodes.Status413PayloadTooLarge, new ErrorResponse("The event batch is larger than 1 MB."));
            }

            root = JsonNode.Parse(limited.ToArray());
        }
        catch (JsonException)
        {
            return BadRequest(new ErrorResponse("The body is not JSON."));
        }

        if (root is not JsonObject { } obj || obj["events"] is not JsonArray events)
        {
            return BadRequest(new ErrorResponse("The body must be {\"events\": [...]}."));
        }

        var handler = new EventHandlers(HttpContext.RequestServices);
        foreach (var item in events)
        {
            if (item is JsonObject e)
            {
                await handler.HandleAsync(e, cancellationToken);
            }
        }

        return Ok(new { received = events.Count });
    }

    /// <summary>One event at a time; every branch ends in one event-log line.</summary>
    private sealed class EventHandlers(IServiceProvider services)
    {
        private readonly MetadataCodec codec = services.GetRequiredService<MetadataCodec>();
        private readonly AccountRegistry registry = services.GetRequiredService<AccountRegistry>();
        private readonly Outbox outbox = services.GetRequiredService<Outbox>();
        private readonly EventLog log = services.GetRequiredService<EventLog>();
        private readonly ServiceErrors errors = services.GetRequiredService<ServiceErrors>();
        private readonly TimeProvider time = services.GetRequiredService<TimeProvider>();

        public async Task HandleAsync(JsonObject e, CancellationToken cancellationToken)
        {
            var type = Text(e["type_id"]) ?? "(missing type_id)";
            var subdomain = Text(e["subdomain"]);
            var error = Text(e["error"]);
            var data = e["data"] as JsonObject ?? [];
            AccountMetadata? account = null;
            var metadata = Text(data["metadata"]);
            if (metadata is not null)
            {
                codec.TryDecode(metadata, out account, out _);
            }

            var summary = await ApplyAsync(type, data, account, subdomain, error, cancellationToken);
            if (error is not null && type is "pull_request" or "channelback")
            {
                await errors.RecordAsync(account?.AccountId, type, $"Zendesk reported: {Cut(error, 500)}", cancellationToken);
            }

            await log.AppendAsync(
                new EventLogEntry
                {
                    ReceivedAt = time.GetUtcNow(),
                    TypeId = Cut(type, 100),
                    Subdomain = subdomain is null ? null : Cut(subdomain, 100),
                    AccountId = account?.AccountId,
                    Error = error is null ? null : Cut(error, 1000),
                    Summary = Cut(summary, 500),
                },
                cancellationToken);
        }

        private async Task<string> ApplyAsync(string type, JsonObject data, AccountMetadata? account, string? subdomain, string? error, CancellationToken cancellationToken)
        {
            const string NotOurs = "metadata did not decrypt to an account of ours: nothing changed";
            switch (type)
            {
                case "create_integration_instance":
                    if (account is null)
                    {
                        return NotOurs;
                    }

                    await registry.UpsertAsync(account.Subdomain is null && subdomain is not null ? account with { Subdomain = subdomain } : account, cancellationToken);
                    return "account registered";
                case "destroy_integration_instance":
                    if (account is null)
                    {
                        return NotOurs;
                    }

                    await registry.PurgeAsync(account.AccountId, cancellationToken);
                    return "account and its data purged";
                case "activate_integration_instance":
                    return account is null ? NotOurs : await registry.ActivateAsync(account.AccountId, cancellationToken) ? "account active" : "account not registered";
                case "deactivate_integration_instance":
                    if (account is null)
                    {
                        return NotOurs;
                    }

                    var by = Text(data["deactivated_by"]) ?? "unknown";
                    var reason = Text(data["deactivating_error"]) ?? error ?? $"deactivated by {by}";
                    return await registry.DeactivateAsync(account.AccountId, Cut(reason, 1000), cancellationToken) ? $"account deactivated by {Cut(by, 20)}" : "account not registered";
                case "destroy_user_identity":
                    var author = Text(data["author"]?["external_id"]);
                    if (account is null || author is null)
                    {
                        return author is null ? "no author.external_id: nothing deleted" : NotOurs;
                    }

                    var purged = await outbox.PurgeAuthorAsync(account.AccountId, author, cancellationToken);
                    return string.Create(CultureInfo.InvariantCulture, $"author purged: {purged} stored message(s) deleted");
                case "resources_created_from_external_ids":
                    var linked = 0;
                    foreach (var item in data["resource_events"] as JsonArray ?? [])
                    {
                        if (Text(item?["external_id"]) is { } externalId && Number(item?["ticket_id"]) is { } ticket)
                        {
                            await log.LinkTicketAsync(Cut(externalId, 255), ticket, Number(item?["comment_id"]), Text(data["request_id"]), time.GetUtcNow(), cancellationToken);
                            linked++;
                        }
                    }

                    return string.Create(CultureInfo.InvariantCulture, $"{linked} external id(s) linked to tickets");
                case "pull_request" or "channelback":
                    return error is null ? $"request {Cut(Text(data["request_id"]) ?? "-", 64)}" : $"request {Cut(Text(data["request_id"]) ?? "-", 64)} failed";
                case "create_integration" or "destroy_integration":
                    return "noted";
                default:
                    return "unknown type: ignored";
            }
        }

        private static string? Text(JsonNode? node) =>
            node is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

        private static long? Number(JsonNode? node)
        {
            if (node is not JsonValue v)
            {
                return null;
            }

            if (v.TryGetValue<long>(out var whole))
            {
                return whole;
            }

            return v.TryGetValue<double>(out var d) && d == Math.Floor(d) && Math.Abs(d) < 1e15 ? (long)d : null;
        }

        private static string Cut(string text, int max)
        {
            var line = text.ReplaceLineEndings(" ");
            return line.Length <= max ? line : line[..max];
        }
    }
}
