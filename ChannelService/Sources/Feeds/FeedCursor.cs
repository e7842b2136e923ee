using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace ChannelService.Sources.Feeds;

/// <summary>
/// The feed's cursor: the validators of the last complete download (ETag, Last-Modified) and the SHA-256 of its
/// body, bound to the URL they came from. Serialised as <c>f1:</c> + base64url(JSON): ASCII, well under 1 KB.
/// </summary>
internal sealed record FeedCursor(
    [property: JsonPropertyName("u")] string UrlHash,
    [property: JsonPropertyName("e")] string? ETag,
    [property: JsonPropertyName("m")] long? LastModifiedUnix,
    [property: JsonPropertyName("h")] string? BodyHash)
{
    private const string Prefix = "f1:";

    /// <summary>Longest ETag kept; a longer one (hostile or broken) is not sent back, which only costs a full download.</summary>
    private const int MaxETagLength = 256;

    public DateTimeOffset? LastModified => LastModifiedUnix is { } s ? DateTimeOffset.FromUnixTimeSeconds(s) : null;

    public static string HashUrl(Uri url) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(url.AbsoluteUri)).AsSpan(0, 8));

    public static string HashBody(ReadOnlySpan<byte> body) => Convert.ToHexStringLower(SHA256.HashData(body));

    public static FeedCursor Create(string urlHash, string? etag, DateTimeOffset? lastModified, string? bodyHash) =>
        new(urlHash, UsableETag(etag), lastModified?.ToUnixTimeSeconds(), bodyHash);

    /// <summary>The cursor for this URL, or null when absent, unreadable, or minted for another URL.</summary>
    public static FeedCursor? Parse(string? text, string urlHash)
    {
        if (text is null || !text.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return null;
        }

        try
        {
            var cursor = JsonSerializer.Deserialize<FeedCursor>(Base64Url.DecodeFromChars(text.AsSpan(Prefix.Length)));
            return cursor is not null && cursor.UrlHash == urlHash ? cursor with { ETag = UsableETag(cursor.ETag) } : null;
        }
        catch (Exception e) when (e is FormatException or JsonException)
        {
            return null;
        }
    }

    public override string ToString() => Prefix + Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(this));

    private static string? UsableETag(string? etag) =>
        etag is { Length: > 0 and <= MaxETagLength } && etag.All(c => c >= 0x20 && c < 0x7f) ? etag : null;
}
