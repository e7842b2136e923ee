using System.Text.Json.Nodes;

namespace ChannelService.Tests.Events;

/// <summary>Event callbacks shaped as Zendesk sends them (spec §7): the common fields around a type's data.</summary>
internal static class ZendeskEventJson
{
    public static JsonObject Event(string type, JsonObject data, string subdomain = "acme", string? error = null)
    {
        var e = new JsonObject
        {
            ["type_id"] = type,
            ["timestamp"] = "2026-11-22T03:00:00Z",
            ["subdomain"] = subdomain,
            ["integration_name"] = "Calendar & Tasks (ChannelService)",
            ["integration_id"] = "io.github.channelservice.calendar-tasks",
            ["data"] = data,
        };
        if (error is not null)
        {
            e["error"] = error;
        }

        return e;
    }
}
