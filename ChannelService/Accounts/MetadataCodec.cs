using System.Buffers.Text;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace ChannelService.Accounts;

/// <summary>
/// Mints and reads account metadata (design §6): <c>v1.{keyid}.{base64url(nonce | ciphertext | tag)}</c>, AES-256-GCM
/// with a per-purpose key derived from the key ring, the <c>v1.{keyid}</c> header bound as associated data so neither
/// the version nor the key id can be swapped. Everything that does not authenticate is refused before any source
/// is contacted.
/// </summary>
internal sealed class MetadataCodec(KeyRing keys)
{
    public const string Version = "v1";

    private const string Purpose = "metadata/v1";
    private const int NonceSize = 12; // AesGcm.NonceByteSizes: 96 bits is the size GCM is specified for (NIST SP 800-38D §8.2).
    private const int TagSize = 16;
    private const byte FormatJson = 0;
    private const byte FormatDeflate = 1;

    // Generous for a 16-character key id; the exact check is on the final string.
    private const int MaxPayloadBytes = ZendeskLimits.MaxOpaqueLength * 3 / 4;

    private static readonly JsonSerializerOptions Json = new()
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>Encrypts the account with the newest key. Throws <see cref="EncodedValueTooLargeException"/> past 5000 characters.</summary>
    public string Encode(AccountMetadata account)
    {
        ArgumentNullException.ThrowIfNull(account);
        var key = keys.Current;
        var header = $"{Version}.{key.Id}";
        var plaintext = Pack(account);

        var sealedBytes = new byte[NonceSize + plaintext.Length + TagSize];
        var nonce = sealedBytes.AsSpan(0, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using (var aes = new AesGcm(key.DeriveKey(Purpose), TagSize))
        {
            aes.Encrypt(nonce, plaintext, sealedBytes.AsSpan(NonceSize, plaintext.Length), sealedBytes.AsSpan(NonceSize + plaintext.Length), Encoding.ASCII.GetBytes(header));
        }

        var result = $"{header}.{Base64Url.EncodeToString(sealedBytes)}";
        return result.Length <= ZendeskLimits.MaxOpaqueLength
            ? result
            : throw new EncodedValueTooLargeException("The account metadata", result.Length, "Shorten the URL, the credentials, the display name or the options.");
    }

    /// <summary>Decrypts and checks metadata. Throws <see cref="MetadataRejectedException"/> for anything not minted by us.</summary>
    public AccountMetadata Decode(string? value) =>
        TryDecode(value, out var account, out var reason) ? account : throw new MetadataRejectedException(reason);

    public bool TryDecode(string? value, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out AccountMetadata? account, out CodecRejection reason)
    {
        account = null;
        if (!OpaqueFormat.TrySplit(value, Version, out var header, out var keyId, out var body, out reason))
        {
            return false;
        }

        if (!keys.TryGetKey(keyId, out var key))
        {
            reason = CodecRejection.UnknownKey;
            return false;
        }

        // Zendesk sends the same metadata with every pull of an account: a string that decrypted and checked out
        // before is that account again. Only exact strings count, and only while their key is still in the ring.
        if (value is not null && recent.TryGetValue(value, out var known))
        {
            account = known;
            reason = default;
            return true;
        }

        if (!OpaqueFormat.TryDecodeBody(body, NonceSize + 1 + TagSize, MaxPayloadBytes, out var sealedBytes))
        {
            reason = CodecRejection.Malformed;
            return false;
        }

        var plaintext = new byte[sealedBytes.Length - NonceSize - TagSize];
        try
        {
            using var aes = new AesGcm(key.DeriveKey(Purpose), TagSize);
            aes.Decrypt(sealedBytes.AsSpan(0, NonceSize), sealedBytes.AsSpan(NonceSize, plaintext.Length), sealedBytes.AsSpan(NonceSize + plaintext.Length), plaintext, Encoding.ASCII.GetBytes(header));
        }
        catch (AuthenticationTagMismatchException)
        {
            reason = CodecRejection.Tampered;
            return false;
        }

        account = Unpack(plaintext);
        reason = account is null ? CodecRejection.InvalidContent : default;
        if (account is not null)
        {
            if (recent.Count >= MaxRecent)
            {
                recent.Clear();
            }

            recent[value!] = account;
        }

        return account is not null;
    }

    /// <summary>
    /// Sized for the accounts of a large service (benchmarks/pull-304.sh ACCOUNTS=10000): a cache smaller than the
    /// accounts pulled in turn is emptied before any string comes round again, and every pull decrypts anew (and
    /// hands out a new instance, which the quick path must fingerprint again). An entry is a metadata string (at
    /// most 5000 characters) and its account: 20,000 of them stay well under 100 MB.
    /// </summary>
    private const int MaxRecent = 20_000;

    /// <summary>Metadata strings decoded before (immutable records), at most <see cref="MaxRecent"/>; cleared when full.</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, AccountMetadata> recent = new(StringComparer.Ordinal);

    /// <summary>
    /// True when the value is ours but sealed with an older key: a pull can then answer <c>metadata_needs_update</c>
    /// with a fresh <see cref="Encode"/> so old keys can eventually be retired.
    /// </summary>
    public bool IsSealedWithOlderKey(string value) =>
        OpaqueFormat.TrySplit(value, Version, out _, out var keyId, out _, out _) && keyId != keys.Current.Id;

    /// <summary>The key id in a metadata string's header, without decrypting it (null if not our format).</summary>
    public static string? KeyIdOf(string? value) =>
        OpaqueFormat.TrySplit(value, Version, out _, out var keyId, out _, out _) ? keyId : null;

    private static byte[] Pack(AccountMetadata account)
    {
        var options = account.Options.ToDictionary();
        var wire = new Wire
        {
            Id = account.AccountId,
            Kind = account.Kind.ToWire(),
            Url = account.Url,
            User = account.Username,
            Secret = account.Secret,
            Name = account.DisplayName,
            Options = options.Count == 0 ? null : options,
            Created = account.CreatedAt.ToUnixTimeSeconds(),
            Subdomain = account.Subdomain,
            PushId = account.InstancePushId,
        };
        var json = JsonSerializer.SerializeToUtf8Bytes(wire, Json);

        // Compression only when it pays: short accounts are smaller raw. The only party choosing any of this plaintext
        // is the admin who also supplies the secret, so length side channels (CRIME-style) reveal nothing new to them.
        using var compressed = new MemoryStream();
        compressed.WriteByte(FormatDeflate);
        using (var deflate = new DeflateStream(compressed, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            deflate.Write(json);
        }

        if (compressed.Length < json.Length + 1)
        {
            return compressed.ToArray();
        }

        var raw = new byte[json.Length + 1];
        raw[0] = FormatJson;
        json.CopyTo(raw.AsSpan(1));
        return raw;
    }

    private static AccountMetadata? Unpack(byte[] plaintext)
    {
        try
        {
            byte[] json;
            switch (plaintext[0])
            {
                case FormatJson:
                    json = plaintext[1..];
                    break;
                case FormatDeflate:
                    using (var input = new DeflateStream(new MemoryStream(plaintext, 1, plaintext.Length - 1), CompressionMode.Decompress))
                    using (var output = new MemoryStream())
                    {
                        // Authenticated input, yet bounded anyway: a bug elsewhere must not turn into a memory bomb.
                        var buffer = new byte[4096];
                        int read;
                        while ((read = input.Read(buffer)) > 0)
                        {
                            if (output.Length + read > 64 * 1024)
                            {
                                return null;
                            }

                            output.Write(buffer, 0, read);
                        }

                        json = output.ToArray();
                    }

                    break;
                default:
                    return null;
            }

            var wire = JsonSerializer.Deserialize<Wire>(json, Json);
            if (wire is null || !AccountIds.IsValid(wire.Id) || !SourceKinds.TryParse(wire.Kind, out var kind) || string.IsNullOrEmpty(wire.Url))
            {
                return null;
            }

            return new AccountMetadata
            {
                AccountId = wire.Id!,
                Kind = kind.Value,
                Url = wire.Url,
                Username = wire.User,
                Secret = wire.Secret,
                DisplayName = wire.Name,
                Options = AccountOptions.Parse(wire.Options ?? System.Collections.Immutable.ImmutableDictionary<string, string>.Empty),
                CreatedAt = DateTimeOffset.FromUnixTimeSeconds(wire.Created),
                Subdomain = wire.Subdomain,
                InstancePushId = wire.PushId,
            };
        }
        catch (Exception ex) when (ex is JsonException or InvalidDataException or AccountOptionsException or ArgumentOutOfRangeException)
        {
            return null;
        }
    }

    /// <summary>Short property names: every byte counts against the 5000-character limit.</summary>
    private sealed class Wire
    {
        [JsonPropertyName("i")]
        public string? Id { get; set; }

        [JsonPropertyName("k")]
        public string? Kind { get; set; }

        [JsonPropertyName("u")]
        public string? Url { get; set; }

        [JsonPropertyName("n")]
        public string? User { get; set; }

        [JsonPropertyName("p")]
        public string? Secret { get; set; }

        [JsonPropertyName("d")]
        public string? Name { get; set; }

        [JsonPropertyName("o")]
        public IReadOnlyDictionary<string, string>? Options { get; set; }

        [JsonPropertyName("c")]
        public long Created { get; set; }

        [JsonPropertyName("s")]
        public string? Subdomain { get; set; }

        [JsonPropertyName("h")]
        public string? PushId { get; set; }
    }
}

/// <summary>The shared outer shape of metadata and state: <c>{version}.{keyid}.{base64url body}</c>.</summary>
internal static class OpaqueFormat
{
    public static bool TrySplit(string? value, string version, out string header, out string keyId, out string body, out CodecRejection reason)
    {
        header = keyId = body = "";
        if (string.IsNullOrWhiteSpace(value))
        {
            reason = CodecRejection.Empty;
            return false;
        }

        if (value.Length > ZendeskLimits.MaxOpaqueLength)
        {
            reason = CodecRejection.TooLong;
            return false;
        }

        var first = value.IndexOf('.', StringComparison.Ordinal);
        var second = first < 0 ? -1 : value.IndexOf('.', first + 1);
        if (first <= 0 || second < 0 || value.IndexOf('.', second + 1) >= 0)
        {
            reason = CodecRejection.Malformed;
            return false;
        }

        if (value.AsSpan(0, first).ToString() != version)
        {
            reason = CodecRejection.UnsupportedVersion;
            return false;
        }

        keyId = value[(first + 1)..second];
        if (!KeyRing.IsValidKeyId(keyId))
        {
            keyId = "";
            reason = CodecRejection.Malformed;
            return false;
        }

        header = value[..second];
        body = value[(second + 1)..];
        reason = default;
        return true;
    }

    public static bool TryDecodeBody(string body, int minBytes, int maxBytes, out byte[] bytes)
    {
        bytes = [];
        if (body.Length == 0 || !Base64Url.IsValid(body, out var length) || length < minBytes || length > maxBytes)
        {
            return false;
        }

        // Base64Url accepts padding and whitespace; we never emit either, so a string containing them is not ours.
        if (body.AsSpan().IndexOfAnyExcept(Base64UrlAlphabet) >= 0)
        {
            return false;
        }

        bytes = new byte[length];
        if (!Base64Url.TryDecodeFromChars(body, bytes, out var written) || written != length)
        {
            return false;
        }

        // The last character may carry unused bits; only the canonical spelling is ours, so no two strings decode alike
        // (the runtime decoder refuses such bits too; this keeps the rule independent of its leniency).
        return Base64Url.EncodeToString(bytes) == body;
    }

    private static readonly System.Buffers.SearchValues<char> Base64UrlAlphabet =
        System.Buffers.SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_");
}
