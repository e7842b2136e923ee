using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace ChannelService.Accounts;

/// <summary>
/// Seals secrets the service keeps in its own database (push tokens, inbox signing secrets): AES-256-GCM with a key
/// derived per purpose from the key ring, as <see cref="MetadataCodec"/> does, stored as <c>{keyid}.{base64url(nonce|ct|tag)}</c>.
/// The purpose and the account id are bound as associated data, so a sealed value cannot be moved to another
/// account or used as another kind of secret.
/// </summary>
internal sealed class SecretSealer(KeyRing keys)
{
    public const string PushTokenPurpose = "push-token/v1";
    public const string InboxSecretPurpose = "inbox-secret/v1";

    private const int NonceSize = 12;
    private const int TagSize = 16;

    public string Seal(string purpose, string accountId, string secret)
    {
        var key = keys.Current;
        var plaintext = Encoding.UTF8.GetBytes(secret);
        var sealedBytes = new byte[NonceSize + plaintext.Length + TagSize];
        RandomNumberGenerator.Fill(sealedBytes.AsSpan(0, NonceSize));
        using (var aes = new AesGcm(key.DeriveKey(purpose), TagSize))
        {
            aes.Encrypt(sealedBytes.AsSpan(0, NonceSize), plaintext, sealedBytes.AsSpan(NonceSize, plaintext.Length), sealedBytes.AsSpan(NonceSize + plaintext.Length), Associated(purpose, accountId, key.Id));
        }

        return $"{key.Id}.{Base64Url.EncodeToString(sealedBytes)}";
    }

    /// <summary>The secret, or null when the value does not open (unknown key, altered, sealed for another account).</summary>
    public string? Open(string purpose, string accountId, string? value)
    {
        var dot = value?.IndexOf('.', StringComparison.Ordinal) ?? -1;
        if (value is null || dot <= 0 || !keys.TryGetKey(value[..dot], out var key))
        {
            return null;
        }

        byte[] sealedBytes;
        try
        {
            sealedBytes = Base64Url.DecodeFromChars(value.AsSpan(dot + 1));
        }
        catch (FormatException)
        {
            return null;
        }

        if (sealedBytes.Length < NonceSize + TagSize)
        {
            return null;
        }

        var plaintext = new byte[sealedBytes.Length - NonceSize - TagSize];
        try
        {
            using var aes = new AesGcm(key.DeriveKey(purpose), TagSize);
            aes.Decrypt(sealedBytes.AsSpan(0, NonceSize), sealedBytes.AsSpan(NonceSize, plaintext.Length), sealedBytes.AsSpan(NonceSize + plaintext.Length), plaintext, Associated(purpose, accountId, key.Id));
        }
        catch (AuthenticationTagMismatchException)
        {
            return null;
        }

        return Encoding.UTF8.GetString(plaintext);
    }

    private static byte[] Associated(string purpose, string accountId, string keyId) => Encoding.UTF8.GetBytes($"{purpose}\n{accountId}\n{keyId}");
}
