using System.Text.Json;
using System.Text.Json.Nodes;

namespace ChannelService.Zendesk;

/// <summary>One item's answer from push (spec §8), in input order.</summary>
internal sealed record PushItemStatus(string? ExternalResourceId, string Code, string? Description);

/// <summary>
/// The outbound Zendesk Channel Framework API (spec §8): push, validate_token, channelback/report_error, authorised
/// with the account's push token, on the configured clients of <see cref="ZendeskHttp"/>.
/// </summary>
internal sealed class ZendeskClient(ZendeskHttp http)
{
    public const int MaxResourcesPerPush = 200;

    /// <summary>POST /api/v2/any_channel/push with at most 200 resources (JSON objects as text).</summary>
    public async Task<ZendeskOutcome> PushAsync(PushCredentials credentials, IReadOnlyList<string> resources, string requestId, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(resources.Count, MaxResourcesPerPush);
        var array = new JsonArray();
        foreach (var resource in resources)
        {
            array.Add(JsonNode.Parse(resource));
        }

        var body = new JsonObject
        {
            ["instance_push_id"] = credentials.InstancePushId,
            ["request_id"] = requestId,
            ["external_resources"] = array,
        };
        var outcome = await PostAsync(credentials, "push", body, cancellationToken);
        if (outcome.Kind != ZendeskOutcomeKind.Accepted)
        {
            return outcome;
        }

        var items = ParseResults(outcome.Body);
        return items is null
            ? outcome with { Kind = ZendeskOutcomeKind.Transient, Message = "Zendesk accepted the push but its answer had no readable results." }
            : outcome with { Items = items };
    }

    /// <summary>POST /api/v2/any_channel/validate_token: Accepted when the token is live.</summary>
    public Task<ZendeskOutcome> ValidateTokenAsync(PushCredentials credentials, CancellationToken cancellationToken) =>
        PostAsync(credentials, "validate_token", new JsonObject { ["instance_push_id"] = credentials.InstancePushId }, cancellationToken);

    /// <summary>
    /// POST /api/v2/any_channel/channelback/report_error: tells the agent an asynchronous channelback failed. Not
    /// called today: every channelback is answered after its write (README, "Push and the outbox").
    /// </summary>
    public Task<ZendeskOutcome> ReportErrorAsync(PushCredentials credentials, string externalId, string description, CancellationToken cancellationToken) =>
        PostAsync(
            credentials,
            "channelback/report_error",
            new JsonObject
            {
                ["instance_push_id"] = credentials.InstancePushId,
                ["external_id"] = externalId,
                ["description"] = description.Length <= 511 ? description : description[..511],
            },
            cancellationToken);

    private Task<ZendeskOutcome> PostAsync(PushCredentials credentials, string endpoint, JsonObject body, CancellationToken cancellationToken) =>
        http.SendAsync(credentials.Subdomain, credentials.Token, new ZendeskRequest(HttpMethod.Post, ["api", "v2", "any_channel", .. endpoint.Split('/')], body), cancellationToken);

    private static List<PushItemStatus>? ParseResults(string text)
    {
        try
        {
            if (JsonNode.Parse(text) is not JsonObject root || root["results"] is not JsonArray results)
            {
                return null;
            }

            var items = new List<PushItemStatus>(results.Count);
            foreach (var result in results)
            {
                var code = result?["status"]?["code"]?.GetValue<string>();
                if (code is null)
                {
                    return null;
                }

                items.Add(new PushItemStatus(result?["external_resource_id"]?.GetValue<string>(), code, result?["status"]?["description"]?.GetValue<string>()));
            }

            return items;
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or FormatException)
        {
            return null;
        }
    }
}

/// <summary>Status codes of push results (spec §8).</summary>
internal static class PushStatusCodes
{
    public const string Success = "success";
    public const string AlreadyImported = "already_imported";
    public const string Halted = "halted";
    public const string ProcessingError = "processing_error";
    public const string CouldNotLocateParent = "could_not_locate_parent_external_resource";
}
