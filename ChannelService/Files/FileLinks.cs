using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using ChannelService.Accounts;

namespace ChannelService.Files;

/// <summary>What a file link points at: one inline ATTACH of one stored item.</summary>
internal sealed record FileLinkTarget(string AccountId, string ItemKey, int AttachmentIndex);

/// <summary>
/// Signed, expiring links for inline attachments (<c>/files/{token}</c>), which Zendesk fetches from
/// <c>file_urls</c> (channel-framework.md §3: absolute https, GET or POST, unguessable). The token names the account,
/// the item and the attachment, and carries an expiry and an HMAC with a key derived for this purpose only, so a
/// token cannot be forged, altered or pointed at another account's data.
/// </summary>
internal sealed class FileLinks(KeyRing keys, TimeProvider time)
{
    private const string Purpose = "file-links";

    /// <summary>How long a link works: Zendesk fetches files right after import; later pulls mint fresh links.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromDays(7);

    public string Token(FileLinkTarget target)
    {
        var key = keys.Current;
        var expires = time.GetUtcNow().Add(Lifetime).ToUnixTimeSeconds();
        var payload = Base64Url.EncodeToString(Encoding.UTF8.GetBytes(
            string.Join('\n', target.AccountId, target.ItemKey, target.AttachmentIndex.ToString(CultureInfo.InvariantCulture), expires.ToString(CultureInfo.InvariantCulture))));
        return $"{key.Id}.{payload}.{Mac(key.DeriveKey(Purpose), key.Id, payload)}";
    }

    /// <summary>The target of a valid, unexpired token; null for anything else.</summary>
    public FileLinkTarget? Verify(string? token)
    {
        var parts = token?.Split('.');
        if (parts is not { Length: 3 } || parts[1].Length > 2048 || !keys.TryGetKey(parts[0], out var key))
        {
            return null;
        }

        var expected = Encoding.ASCII.GetBytes(Mac(key.DeriveKey(Purpose), parts[0], parts[1]));
        if (!CryptographicOperations.FixedTimeEquals(expected, Encoding.ASCII.GetBytes(parts[2])))
        {
            return null;
        }

        var fields = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(parts[1])).Split('\n');
        if (fields.Length != 4
            || !int.TryParse(fields[2], NumberStyles.None, CultureInfo.InvariantCulture, out var index)
            || !long.TryParse(fields[3], NumberStyles.None, CultureInfo.InvariantCulture, out var expires)
            || time.GetUtcNow().ToUnixTimeSeconds() > expires)
        {
            return null;
        }

        return new FileLinkTarget(fields[0], fields[1], index);
    }

    private static string Mac(byte[] key, string keyId, string payload) =>
        Base64Url.EncodeToString(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(keyId + "." + payload)).AsSpan(0, 18));
}
