using System.Globalization;
using ChannelService.Web;

namespace ChannelService.ZendeskLink.Changes;

/// <summary>
/// Zendesk's webhook signature (https://developer.zendesk.com/documentation/webhooks/verifying/):
/// <c>X-Zendesk-Webhook-Signature</c> = base64(HMAC-SHA256(signing secret, <c>X-Zendesk-Webhook-Signature-Timestamp</c>
/// + raw body)), the timestamp's text concatenated with the body's bytes as received, no separator. The timestamp is
/// checked against our clock (±5 minutes, so a captured delivery cannot be replayed later) and the signatures are
/// compared in constant time.
/// </summary>
internal static class WebhookSignature
{
    public const string SignatureHeader = "X-Zendesk-Webhook-Signature";
    public const string TimestampHeader = "X-Zendesk-Webhook-Signature-Timestamp";
    public const string InvocationHeader = "X-Zendesk-Webhook-Invocation-Id";

    /// <summary>How far the signed timestamp may be from our clock, either way.</summary>
    public static readonly TimeSpan Tolerance = TimeSpan.FromMinutes(5);

    /// <summary>Computes the signature exactly as Zendesk does (the tests' fake signs with it too).</summary>
    public static string Sign(string secret, string timestamp, ReadOnlySpan<byte> body) => TimestampedHmac.Sign(secret, timestamp, body);

    /// <summary>
    /// Whether the delivery is genuine and fresh. Any missing part, an unreadable timestamp or signature, a
    /// timestamp outside the tolerance, or a mismatch is false; the caller answers 401 and changes nothing.
    /// </summary>
    public static bool IsValid(string? secret, string? signature, string? timestamp, ReadOnlySpan<byte> body, DateTimeOffset now)
    {
        if (string.IsNullOrEmpty(secret) || string.IsNullOrEmpty(signature) || string.IsNullOrEmpty(timestamp) || signature.Length > 128 || timestamp.Length > 64)
        {
            return false;
        }

        if (ParseTimestamp(timestamp) is not { } signedAt || (now - signedAt).Duration() > Tolerance)
        {
            return false;
        }

        return TimestampedHmac.Matches(secret, timestamp, body, signature);
    }

    /// <summary>
    /// Zendesk sends an ISO 8601 UTC time (<c>2026-12-06T21:00:00Z</c>). The docs do not name the format, so Unix
    /// seconds are read as well; anything else is refused. Either way the signature covers the header's exact text.
    /// </summary>
    public static DateTimeOffset? ParseTimestamp(string timestamp)
    {
        if (timestamp.All(char.IsAsciiDigit) && long.TryParse(timestamp, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) && seconds < 253402300799)
        {
            return DateTimeOffset.FromUnixTimeSeconds(seconds);
        }

        return DateTimeOffset.TryParse(timestamp, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var at)
            && timestamp.Contains('T', StringComparison.Ordinal)
            ? at
            : null;
    }
}
