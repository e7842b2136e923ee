using System.Security.Cryptography;
using System.Text;

namespace ChannelService.Web;

/// <summary>
/// The signature scheme Zendesk uses for its webhooks (https://developer.zendesk.com/documentation/webhooks/verifying/)
/// and that the inbox asks of its senders too: <c>base64(HMAC-SHA256(key = secret as UTF-8, message = timestamp text +
/// raw body bytes))</c>, no separator. The two headers' names and the timestamp rules belong to each caller
/// (<c>WebhookSignature</c>, <c>InboxSignature</c>); the arithmetic and the constant-time comparison live here once.
/// </summary>
internal static class TimestampedHmac
{
    /// <summary>The signature of <paramref name="body"/> as received, signed at <paramref name="timestamp"/> (the header's exact text).</summary>
    public static string Sign(string secret, string timestamp, ReadOnlySpan<byte> body) => Convert.ToBase64String(Hash(secret, timestamp, body));

    /// <summary>
    /// Whether <paramref name="signature"/> (base64) is the signature of the body: false for anything that is not
    /// base64 of exactly 32 bytes; the comparison takes the same time wherever the bytes differ.
    /// </summary>
    public static bool Matches(string secret, string timestamp, ReadOnlySpan<byte> body, string signature)
    {
        Span<byte> given = stackalloc byte[64];
        if (signature.Length > 128 || !Convert.TryFromBase64String(signature.Trim(), given, out var length) || length != HMACSHA256.HashSizeInBytes)
        {
            return false;
        }

        return CryptographicOperations.FixedTimeEquals(Hash(secret, timestamp, body), given[..length]);
    }

    private static byte[] Hash(string secret, string timestamp, ReadOnlySpan<byte> body)
    {
        var stamp = Encoding.UTF8.GetBytes(timestamp);
        var message = new byte[stamp.Length + body.Length];
        stamp.CopyTo(message, 0);
        body.CopyTo(message.AsSpan(stamp.Length));
        return HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), message);
    }
}
