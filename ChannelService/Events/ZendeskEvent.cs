using System.Text.Json.Nodes;
using ChannelService.Accounts;
using FluentValidation;

namespace ChannelService.Events;

/// <summary>The body of <c>POST /events</c> (spec §7): <c>{"events": [...]}</c>, Zendesk aggregating several.</summary>
internal sealed record EventBatch(JsonArray? Events)
{
    public static EventBatch From(JsonNode? root) => new(root is JsonObject body ? body["events"] as JsonArray : null);
}

/// <summary>A batch is an object with an <c>events</c> array; what each event holds is its handler's business.</summary>
internal sealed class EventBatchValidator : AbstractValidator<EventBatch>
{
    public EventBatchValidator()
    {
        RuleFor(b => b.Events).NotNull().OverridePropertyName("events").WithMessage("The body must be {\"events\": [...]}.");
    }
}

/// <summary>
/// One event callback with its common fields (spec §7) read once. <see cref="Account"/> is set only when the event's
/// <c>data.metadata</c> decrypts to an account of ours: events are unsigned, so that is the only proof of origin.
/// </summary>
internal sealed record ZendeskEvent(string TypeId, string? Subdomain, string? Error, JsonObject Data, AccountMetadata? Account, DateTimeOffset ReceivedAt)
{
    public static ZendeskEvent Read(JsonObject e, MetadataCodec codec, DateTimeOffset receivedAt)
    {
        var data = e["data"] as JsonObject ?? [];
        AccountMetadata? account = null;
        if (EventJson.Text(data["metadata"]) is { } metadata)
        {
            codec.TryDecode(metadata, out account, out _);
        }

        return new ZendeskEvent(EventJson.Text(e["type_id"]) ?? "(missing type_id)", EventJson.Text(e["subdomain"]), EventJson.Text(e["error"]), data, account, receivedAt);
    }
}

/// <summary>Reading values of an unsigned JSON event without trusting their types or lengths.</summary>
internal static class EventJson
{
    public static string? Text(JsonNode? node) =>
        node is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    public static long? Number(JsonNode? node)
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

    /// <summary>One line of at most <paramref name="max"/> characters.</summary>
    public static string Cut(string text, int max)
    {
        var line = text.ReplaceLineEndings(" ");
        return line.Length <= max ? line : line[..max];
    }
}
