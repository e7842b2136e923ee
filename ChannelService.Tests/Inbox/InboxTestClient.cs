using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using ChannelService.Inbox;

namespace ChannelService.Tests.Inbox;

/// <summary>Posts signed inbox messages the way a sender following the README does.</summary>
internal static class InboxTestClient
{
    public static JsonObject Message(string id, string thread, string text = "Hello", string authorId = "u1") => new()
    {
        ["id"] = id,
        ["thread"] = thread,
        ["author"] = new JsonObject { ["id"] = authorId, ["name"] = "Ada Lovelace", ["email"] = "ada@example.com" },
        ["text"] = text,
        ["created_at"] = "2026-11-20T10:00:00Z",
    };

    public static HttpRequestMessage Signed(string accountId, string secret, string body, DateTimeOffset? at = null, string? signature = null)
    {
        var timestamp = InboxSignature.Timestamp(at ?? DateTimeOffset.UtcNow);
        var request = new HttpRequestMessage(HttpMethod.Post, $"/inbox/{accountId}")
        {
            Content = new StringContent(body, Encoding.UTF8, new MediaTypeHeaderValue("application/json")),
        };
        request.Headers.Add(InboxSignature.TimestampHeader, timestamp);
        request.Headers.Add(InboxSignature.SignatureHeader, signature ?? InboxSignature.Sign(secret, timestamp, Encoding.UTF8.GetBytes(body)));
        return request;
    }
}
