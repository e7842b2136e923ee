using System.Text;
using System.Text.Json.Nodes;
using ChannelService.Sources.Http;

namespace ChannelService.Inbox;

/// <summary>An agent's reply to deliver to an inbox account's callback URL (channelback, spec §4).</summary>
internal sealed record InboxReply
{
    /// <summary>The external_id channelback answers Zendesk with (ExternalIds.Reply).</summary>
    public required string ExternalId { get; init; }

    /// <summary>Our thread id (thread_id of the ticket), if the channelback carried one.</summary>
    public string? ThreadId { get; init; }

    /// <summary>The external_id the agent replied to (Zendesk's parent_id), if any.</summary>
    public string? ParentId { get; init; }

    public required string Text { get; init; }

    public string? Html { get; init; }

    public string? AuthorName { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }

    public IReadOnlyList<string> FileUrls { get; init; } = [];
}

/// <summary>Why a reply could not be delivered, in words for the agent (no URL, no secret).</summary>
internal sealed class InboxReplyException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Channelback for inbox accounts: POSTs the reply as JSON to the account's callback URL, signed exactly like the
/// messages the sender posts to us (<see cref="InboxSignature"/>), synchronously through the SSRF-guarded
/// <see cref="SourceHttpClient"/>. Any answer but 2xx is a failure the channelback reports to Zendesk as non-2xx.
/// Body: <c>{id, thread_id, thread?, parent_id?, text, html?, author {name}, created_at, file_urls}</c>.
/// </summary>
internal sealed class InboxReplySender(InboxAccountStore accounts, Zendesk.Outbox outbox, SourceHttpClient http, TimeProvider time)
{
    public async Task SendAsync(string accountId, InboxReply reply, CancellationToken cancellationToken)
    {
        var account = await accounts.GetAsync(accountId, cancellationToken)
            ?? throw new InboxReplyException("This inbox account is not registered with the service any more.");
        var body = new JsonObject
        {
            ["id"] = reply.ExternalId,
            ["thread_id"] = reply.ThreadId,
            ["parent_id"] = reply.ParentId,
            ["text"] = reply.Text,
            ["author"] = new JsonObject { ["name"] = reply.AuthorName },
            ["created_at"] = InboxSignature.Timestamp(reply.CreatedAt),
            ["file_urls"] = new JsonArray([.. reply.FileUrls.Select(u => (JsonNode?)JsonValue.Create(u))]),
        };
        if (reply.Html is not null)
        {
            body["html"] = reply.Html;
        }

        if (reply.ThreadId is not null && await outbox.SourceThreadAsync(accountId, reply.ThreadId, cancellationToken) is { } thread)
        {
            // The sender's own name for the conversation, so it can file the reply without knowing our ids.
            body["thread"] = thread;
        }

        var bytes = Encoding.UTF8.GetBytes(body.ToJsonString());
        var timestamp = InboxSignature.Timestamp(time.GetUtcNow());
        var request = new SourceRequest
        {
            Url = account.CallbackUrl,
            Method = HttpMethod.Post,
            Body = bytes,
            ContentType = "application/json; charset=utf-8",
            Headers = new Dictionary<string, string>
            {
                [InboxSignature.TimestampHeader] = timestamp,
                [InboxSignature.SignatureHeader] = InboxSignature.Sign(account.Secret, timestamp, bytes),
            },

            // A redirect of a signed POST is not followed: the reply goes where the admin said or nowhere.
            FollowRedirects = false,
        };
        SourceResponse response;
        try
        {
            response = await http.SendAsync(request, cancellationToken);
        }
        catch (SourceException ex)
        {
            throw new InboxReplyException($"The reply could not be delivered to the inbox callback: {ex.Message}", ex);
        }

        if (response.StatusCode is < 200 or > 299)
        {
            throw new InboxReplyException($"The inbox callback answered HTTP {response.StatusCode} instead of accepting the reply.");
        }
    }
}
