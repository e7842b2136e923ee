using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace ChannelService.Accounts;

/// <summary>
/// Pull progress that Zendesk keeps for us (design §5).
/// </summary>
/// <param name="AccountId">The account the state was minted for; a state from another account is refused.</param>
/// <param name="StoreEpoch">Identifies the database that issued it; another epoch means a restored or replaced store: resync.</param>
/// <param name="Generation">Incremented per response; a pull carrying the previous generation means the last response was lost.</param>
/// <param name="Cursor">Opaque source position (CalDAV sync-token, or feed ETag / Last-Modified), null when none.</param>
/// <param name="FirstSyncedAt">
/// When Zendesk acknowledged the account's first answer, in whichever store that was (kept across resyncs), to the
/// second; null until then, and in states minted before it was carried. After a resync it tells which closed
/// tasks may already have tickets (README, "The pull").
/// </param>
internal sealed record PullState(string AccountId, string StoreEpoch, long Generation, string? Cursor, DateTimeOffset? FirstSyncedAt = null);

/// <summary>
/// Mints and reads pull state: <c>s1.{keyid}.{base64url(json | HMAC-SHA256)}</c>. The state is not secret (a sync
/// token or ETag) but must be authentic, so it is signed, not encrypted, with a key derived for this purpose only.
/// </summary>
internal sealed class PullStateCodec(KeyRing keys)
{
    public const string Version = "s1";
    public const int MaxEpochLength = 64;

    private const string Purpose = "state/v1";
    private const int MacSize = 32;

    /// <summary>9999-12-31T23:59:59Z, the last second a <see cref="DateTimeOffset"/> holds.</summary>
    private const long MaxUnixSeconds = 253402300799;

    private static readonly JsonSerializerOptions Json = new()
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>Signs the state with the newest key. Throws <see cref="EncodedValueTooLargeException"/> past 5000 characters.</summary>
    public string Encode(PullState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (!AccountIds.IsValid(state.AccountId))
        {
            throw new ArgumentException("The account id is not one this service mints.", nameof(state));
        }

        if (state.StoreEpoch.Length is 0 or > MaxEpochLength || state.Generation < 0)
        {
            throw new ArgumentException($"The store epoch must be 1 to {MaxEpochLength} characters and the generation not negative.", nameof(state));
        }

        var key = keys.Current;
        var header = $"{Version}.{key.Id}";
        var json = JsonSerializer.SerializeToUtf8Bytes(new Wire { Account = state.AccountId, Epoch = state.StoreEpoch, Generation = state.Generation, Cursor = state.Cursor, FirstSync = state.FirstSyncedAt?.ToUnixTimeSeconds() }, Json);
        var body = new byte[json.Length + MacSize];
        json.CopyTo(body, 0);
        Sign(key, header, json, body.AsSpan(json.Length));

        var result = $"{header}.{System.Buffers.Text.Base64Url.EncodeToString(body)}";
        return result.Length <= ZendeskLimits.MaxOpaqueLength
            ? result
            : throw new EncodedValueTooLargeException("The pull state", result.Length, "The source cursor is too long to keep in Zendesk.");
    }

    /// <summary>
    /// Reads the state Zendesk sent for <paramref name="accountId"/>. Null or blank means no pull happened yet (returns
    /// null); anything else must authenticate and belong to that account, else <see cref="PullStateRejectedException"/>.
    /// </summary>
    public PullState? Decode(string? value, string accountId)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        return TryDecode(value, accountId, out var state, out var reason) ? state : throw new PullStateRejectedException(reason);
    }

    public bool TryDecode(string value, string accountId, [NotNullWhen(true)] out PullState? state, out CodecRejection reason)
    {
        state = null;
        if (!OpaqueFormat.TrySplit(value, Version, out var header, out var keyId, out var encoded, out reason))
        {
            return false;
        }

        if (!keys.TryGetKey(keyId, out var key))
        {
            reason = CodecRejection.UnknownKey;
            return false;
        }

        // Zendesk sends the same state until an answer changes it: a string that verified before is that state again.
        // Only exact strings count, only while their key is still in the ring, and only for the account it names.
        if (recent.TryGetValue(value, out var known))
        {
            state = known.AccountId == accountId ? known : null;
            reason = state is null ? CodecRejection.WrongAccount : default;
            return state is not null;
        }

        if (!OpaqueFormat.TryDecodeBody(encoded, MacSize + 2, ZendeskLimits.MaxOpaqueLength, out var body))
        {
            reason = CodecRejection.Malformed;
            return false;
        }

        var json = body.AsSpan(0, body.Length - MacSize);
        Span<byte> expected = stackalloc byte[MacSize];
        Sign(key, header, json, expected);
        if (!CryptographicOperations.FixedTimeEquals(expected, body.AsSpan(json.Length)))
        {
            reason = CodecRejection.Tampered;
            return false;
        }

        Wire? wire;
        try
        {
            wire = JsonSerializer.Deserialize<Wire>(json, Json);
        }
        catch (JsonException)
        {
            wire = null;
        }

        if (wire is not { Account: not null, Epoch.Length: > 0 and <= MaxEpochLength, Generation: >= 0 } || wire.FirstSync is < 0 or > MaxUnixSeconds)
        {
            reason = CodecRejection.InvalidContent;
            return false;
        }

        if (wire.Account != accountId)
        {
            reason = CodecRejection.WrongAccount;
            return false;
        }

        state = new PullState(wire.Account, wire.Epoch, wire.Generation, wire.Cursor, wire.FirstSync is { } f ? DateTimeOffset.FromUnixTimeSeconds(f) : null);
        if (recent.Count >= MaxRecent)
        {
            recent.Clear();
        }

        recent[value] = state;
        return true;
    }

    /// <summary>
    /// Verified state strings kept (a no-change pull sends the same one again and again; the profile of
    /// <c>benchmarks/pull-304.sh</c> showed the MAC check and JSON read at 7 % of the service's time). Sized like
    /// <see cref="MetadataCodec"/>'s cache, for 10,000 accounts; an entry is at most 5000 characters and a small record.
    /// </summary>
    private const int MaxRecent = 20_000;

    /// <summary>State strings verified before (immutable records), at most <see cref="MaxRecent"/>; cleared when full.</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, PullState> recent = new(StringComparer.Ordinal);

    private static void Sign(KeyRingKey key, string header, ReadOnlySpan<byte> json, Span<byte> mac)
    {
        // The header (version and key id) is signed too, so a state cannot be relabelled with another key id or version.
        using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, key.DeriveKey(Purpose));
        hmac.AppendData(Encoding.ASCII.GetBytes(header + "."));
        hmac.AppendData(json);
        hmac.GetHashAndReset(mac);
    }

    private sealed class Wire
    {
        [JsonPropertyName("a")]
        public string? Account { get; set; }

        [JsonPropertyName("e")]
        public string? Epoch { get; set; }

        [JsonPropertyName("g")]
        public long Generation { get; set; }

        [JsonPropertyName("c")]
        public string? Cursor { get; set; }

        /// <summary>Unix seconds; absent in states minted before it was carried.</summary>
        [JsonPropertyName("f")]
        public long? FirstSync { get; set; }
    }
}
