using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using ChannelService.Tickets;
using FluentValidation;

namespace ChannelService.Inbox;

internal sealed record InboxAuthor
{
    [JsonPropertyName("id")]
    public string? Id { get; init; }

    [JsonPropertyName("name")]
    public string? Name { get; init; }

    [JsonPropertyName("email")]
    public string? Email { get; init; }
}

/// <summary>One webhook message as a sender posts it to <c>POST /inbox/{account id}</c> (README, "Inbox").</summary>
internal sealed record InboxMessage
{
    [JsonPropertyName("id")]
    public string? Id { get; init; }

    [JsonPropertyName("thread")]
    public string? Thread { get; init; }

    [JsonPropertyName("author")]
    public InboxAuthor? Author { get; init; }

    [JsonPropertyName("text")]
    public string? Text { get; init; }

    [JsonPropertyName("html")]
    public string? Html { get; init; }

    [JsonPropertyName("created_at")]
    public string? CreatedAt { get; init; }

    [JsonPropertyName("url")]
    public string? Url { get; init; }

    [JsonPropertyName("attachments")]
    public IReadOnlyList<string?>? Attachments { get; init; }

    public static DateTimeOffset? ParseTime(string? value) =>
        value is not null && value.Contains('T', StringComparison.Ordinal)
        && DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var t)
            ? t
            : null;
}

/// <summary>
/// Limits follow the external_resource schema (spec §3): message and html 1-65535, at most 10 https file URLs of
/// at most 511 characters. Error names are the JSON field paths, so a sender sees which field to fix.
/// </summary>
internal sealed class InboxMessageValidator : AbstractValidator<InboxMessage>
{
    public const int MaxIdLength = 200;
    public const int MaxTextLength = 65535;
    public const int MaxAttachments = 10;

    public InboxMessageValidator()
    {
        RuleFor(m => m.Id).NotEmpty().MaximumLength(MaxIdLength).Must(NoControl).OverridePropertyName("id")
            .WithMessage($"id is required: 1-{MaxIdLength} characters, no control characters.");
        RuleFor(m => m.Thread).NotEmpty().MaximumLength(MaxIdLength).Must(NoControl).OverridePropertyName("thread")
            .WithMessage($"thread is required: 1-{MaxIdLength} characters, no control characters.");
        RuleFor(m => m.Author).NotNull().OverridePropertyName("author").WithMessage("author is required.");
        RuleFor(m => m.Author!.Id).NotEmpty().MaximumLength(MaxIdLength).Must(NoControl).When(m => m.Author is not null).OverridePropertyName("author.id")
            .WithMessage($"author.id is required: 1-{MaxIdLength} characters, no control characters.");
        RuleFor(m => m.Author!.Name).MaximumLength(255).Must(NoControl).When(m => m.Author is not null).OverridePropertyName("author.name")
            .WithMessage("author.name is at most 255 characters, no control characters.");
        RuleFor(m => m.Author!.Email).MaximumLength(254).EmailAddress().When(m => m.Author?.Email is not null).OverridePropertyName("author.email")
            .WithMessage("author.email must be an e-mail address of at most 254 characters.");
        RuleFor(m => m.Text).NotEmpty().MaximumLength(MaxTextLength).OverridePropertyName("text")
            .WithMessage($"text is required: 1-{MaxTextLength} characters.");
        RuleFor(m => m.Html).NotEmpty().MaximumLength(MaxTextLength).When(m => m.Html is not null).OverridePropertyName("html")
            .WithMessage($"html, when given, is 1-{MaxTextLength} characters.");
        RuleFor(m => m.CreatedAt).Must(t => InboxMessage.ParseTime(t) is not null).When(m => m.CreatedAt is not null).OverridePropertyName("created_at")
            .WithMessage("created_at must be an ISO 8601 date-time such as 2026-01-31T12:00:00Z.");
        RuleFor(m => m.Url).Must(u => IsWebUrl(u, httpsOnly: false, 2000)).When(m => m.Url is not null).OverridePropertyName("url")
            .WithMessage("url must be an absolute http or https URL of at most 2000 characters.");
        RuleFor(m => m.Attachments).Must(a => a!.Count <= MaxAttachments).When(m => m.Attachments is not null).OverridePropertyName("attachments")
            .WithMessage($"attachments holds at most {MaxAttachments} URLs.");
        RuleForEach(m => m.Attachments).Must(u => IsWebUrl(u, httpsOnly: true, 511)).OverridePropertyName("attachments")
            .WithMessage("attachments[{CollectionIndex}] must be an absolute https URL of at most 511 characters.");
    }

    private static bool NoControl(string? text) => text is null || !text.Any(char.IsControl);

    private static bool IsWebUrl(string? url, bool httpsOnly, int maxLength) =>
        url is not null && url.Length <= maxLength && Uri.TryCreate(url, UriKind.Absolute, out var uri) && !string.IsNullOrEmpty(uri.Host) && uri.UserInfo.Length == 0
        && (uri.Scheme == Uri.UriSchemeHttps || (!httpsOnly && uri.Scheme == Uri.UriSchemeHttp));
}

/// <summary>What an inbox message becomes for Zendesk, with the ids the outbox keys on.</summary>
internal sealed record InboxResource(string ExternalId, string ThreadId, string AuthorExternalId, string Json);

/// <summary>
/// Maps a validated message to an external_resource (spec §3). Ids are deterministic (design §4): the thread id is the
/// account id plus a hash of the sender's thread, the external id hashes the message id, so a re-sent message is the
/// same resource and Zendesk drops the repeat.
/// </summary>
internal static class InboxResources
{
    public const string DisplayInfoType = "urn:channelservice:inbox:message";

    public static string ThreadId(string accountId, string thread) => ExternalIds.ThreadId(accountId, ExternalIds.Hash("inbox-thread", thread));

    public static string MessageId(string threadId, string messageId) => $"{threadId}-m{ExternalIds.Hash("inbox-message", threadId, messageId)}";

    public static string AuthorId(string accountId, string authorId) => $"{accountId}-a{ExternalIds.Hash("inbox-author", accountId, authorId)}";

    public static InboxResource Map(string accountId, InboxMessage message, DateTimeOffset receivedAt)
    {
        var threadId = ThreadId(accountId, message.Thread!);
        var externalId = MessageId(threadId, message.Id!);
        var authorId = AuthorId(accountId, message.Author!.Id!);
        var createdAt = InboxMessage.ParseTime(message.CreatedAt) ?? receivedAt;
        var author = new JsonObject
        {
            ["external_id"] = authorId,
            ["name"] = string.IsNullOrWhiteSpace(message.Author.Name) ? message.Author.Email ?? message.Author.Id : message.Author.Name,
        };
        var resource = new JsonObject
        {
            ["external_id"] = externalId,
            ["message"] = message.Text,
            ["thread_id"] = threadId,
            ["created_at"] = createdAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
            ["author"] = author,
        };
        if (message.Html is not null)
        {
            resource["html_message"] = message.Html;
        }

        if (message.Attachments is { Count: > 0 } attachments)
        {
            resource["file_urls"] = new JsonArray([.. attachments.Select(a => (JsonNode?)JsonValue.Create(a))]);
        }

        var data = new JsonObject { ["message_id"] = message.Id, ["thread"] = message.Thread };
        if (message.Url is not null)
        {
            data["url"] = message.Url;
        }

        if (message.Author.Email is not null)
        {
            data["author_email"] = message.Author.Email;
        }

        resource["display_info"] = new JsonArray(new JsonObject { ["type"] = DisplayInfoType, ["data"] = data });
        return new InboxResource(externalId, threadId, authorId, resource.ToJsonString());
    }
}
