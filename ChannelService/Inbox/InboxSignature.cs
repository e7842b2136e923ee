using System.Globalization;
using ChannelService.Web;

namespace ChannelService.Inbox;

/// <summary>
/// Signatures as Zendesk signs its own webhooks (spec §11), so senders can reuse that code:
/// <c>base64(HMAC-SHA256(key = secret as UTF-8, message = timestamp + raw body))</c>, the timestamp ISO 8601 UTC in
/// its own header, accepted within a 5-minute window either side, compared in constant time.
/// </summary>
internal static class InboxSignature
{
    public const string SignatureHeader = "X-Channel-Signature";
    public const string TimestampHeader = "X-Channel-Signature-Timestamp";
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(5);

    public static string Sign(string secret, string timestamp, ReadOnlySpan<byte> body) => TimestampedHmac.Sign(secret, timestamp, body);

    /// <summary>The timestamp header value for now: ISO 8601 UTC to the second, as Zendesk sends it.</summary>
    public static string Timestamp(DateTimeOffset now) => now.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary>Null when the request is authentic and fresh, else the reason (for the 401 body; it reveals nothing secret).</summary>
    public static string? Verify(string secret, string? timestamp, string? signature, ReadOnlySpan<byte> body, DateTimeOffset now)
    {
        if (string.IsNullOrEmpty(timestamp) || string.IsNullOrEmpty(signature))
        {
            return $"The {TimestampHeader} and {SignatureHeader} headers are required.";
        }

        if (!DateTimeOffset.TryParse(timestamp, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var stamp)
            || !timestamp.Contains('T', StringComparison.Ordinal))
        {
            return $"{TimestampHeader} must be an ISO 8601 UTC time such as 2026-01-31T12:00:00Z.";
        }

        if ((now - stamp).Duration() > Window)
        {
            return $"{TimestampHeader} is more than {Window.TotalMinutes} minutes away from the server's clock (a replay, or a wrong clock).";
        }

        return TimestampedHmac.Matches(secret, timestamp, body, signature) ? null : "The signature does not match.";
    }
}
