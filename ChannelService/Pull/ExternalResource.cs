using System.Text.Json.Nodes;

namespace ChannelService.Pull;

/// <summary>One Zendesk external resource (external_resource.json); snake_case on the wire.</summary>
public sealed record ExternalResource
{
    public required string ExternalId { get; init; }

    public required string Message { get; init; }

    public string? HtmlMessage { get; init; }

    public required string ThreadId { get; init; }

    /// <summary>RFC 3339 UTC, never in the future.</summary>
    public required string CreatedAt { get; init; }

    public required ExternalAuthor Author { get; init; }

    public bool? InternalNote { get; init; }

    public required bool AllowChannelback { get; init; }

    /// <summary>Ticket fields, applied by Zendesk only when the ticket is created: sent on the opening resource only.</summary>
    public IReadOnlyList<ExternalField>? Fields { get; init; }

    public IReadOnlyList<DisplayInfo>? DisplayInfo { get; init; }

    public IReadOnlyList<string>? FileUrls { get; init; }
}

public sealed record ExternalAuthor(string ExternalId, string? Name);

public sealed record ExternalField(object Id, JsonNode? Value);

public sealed record DisplayInfo(string Type, JsonObject Data);

/// <summary>The pull response (pull_payload.json).</summary>
public sealed record PullResponse(IReadOnlyList<ExternalResource> ExternalResources, string? State, bool? MetadataNeedsUpdate = null);
