using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace ChannelService.Tickets;

/// <summary>
/// Deterministic Zendesk ids (design §4). Zendesk de-duplicates by <c>external_id</c>, so every id here is a pure
/// function of what it names: re-sending a response, resyncing after a lost database, or seeing our own reply
/// again in the source all produce the ids Zendesk already has, and it drops the repeats.
/// All ids are ASCII letters, digits and <c>-</c>, well under 255 characters, and every hash keeps 120 bits.
/// </summary>
public static class ExternalIds
{
    /// <summary>Hash length in base32 characters: 24 × 5 = 120 bits (design asks for at least 96).</summary>
    private const int HashChars = 24;

    private const string Alphabet = "abcdefghijklmnopqrstuvwxyz234567";

    /// <summary>
    /// The key of one item: a task, an event series, or an overridden instance (UID plus RECURRENCE-ID).
    /// UIDs can be long and non-ASCII, so only their hash appears in ids.
    /// </summary>
    public static string ItemKey(string uid, string? recurrenceId = null) =>
        Hash("item", uid, recurrenceId ?? string.Empty);

    /// <summary>
    /// The key of one occurrence of a recurring event, from its date in the series' zone and its position on
    /// that day. Moving the series to another time of day keeps the key, so the occurrence's ticket gets a
    /// "moved from 10:00 to 11:00" comment instead of a new ticket being opened for every occurrence.
    /// </summary>
    public static string OccurrenceKey(string uid, DateOnly localDate, int ordinalInDay = 0) =>
        Hash("occurrence", uid, localDate.ToString("yyyyMMdd", System.Globalization.CultureInfo.InvariantCulture), ordinalInDay.ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>One ticket per item, for ever: the account id plus the item key.</summary>
    public static string ThreadId(string accountId, string itemKey) => $"{Check(accountId)}-{itemKey}";

    /// <summary>The first resource of a thread (the one that opens the ticket): derived from the thread alone.</summary>
    public static string Opening(string threadId) => $"{threadId}-o";

    /// <summary>
    /// A change notice, unique per transition: the item's change ordinal with the content versions before and
    /// after. A meeting moved and moved back gives two different ids (two comments), not one Zendesk would drop.
    /// </summary>
    public static string Change(string threadId, long ordinal, string versionBefore, string versionAfter) =>
        $"{threadId}-c{ordinal}-{Hash("change", threadId, versionBefore, versionAfter)[..12]}";

    /// <summary>
    /// The notice that a task was closed (completed or cancelled). Derived from what the task says, the thread, its
    /// status and its completion time, not from the transition: a resync after a lost database cannot know the
    /// transition, sends this notice again under the same id, and Zendesk drops it where the ticket already has it.
    /// Completing a task again sets a new COMPLETED time, so completed, reopened and completed again are two notices.
    /// </summary>
    public static string Closing(string threadId, string? status, NodaTime.Instant? completed) =>
        $"{threadId}-s{Hash("closing", threadId, status ?? string.Empty, completed is { } c ? NodaTime.Text.InstantPattern.ExtendedIso.Format(c) : string.Empty)}";

    /// <summary>
    /// An agent's reply written back by channelback. The pull later sees the same reply in the source, marked
    /// with the request id, and maps it to this same id, so Zendesk drops the echo.
    /// </summary>
    public static string Reply(string threadId, string requestUniqueIdentifier) =>
        $"{threadId}-r{Hash("reply", threadId, requestUniqueIdentifier)}";

    /// <summary>A comment someone else wrote on the item in the source (a COMMENT property not written by us).</summary>
    public static string SourceComment(string threadId, string commentIdentity) =>
        $"{threadId}-n{Hash("comment", threadId, commentIdentity)}";

    /// <summary>An author id from an e-mail address: lower-cased so MAILTO:Alice@X and mailto:alice@x are one person.</summary>
    public static string Author(string email) => $"mail-{Hash("author", email.Trim().ToLowerInvariant())}";

    /// <summary>A 120-bit base32 hash of the parts, separated unambiguously (length-prefixed).</summary>
    public static string Hash(string purpose, params string[] parts)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> length = stackalloc byte[4];
        foreach (var part in (ReadOnlySpan<string>)[purpose, .. parts])
        {
            var bytes = Encoding.UTF8.GetBytes(part);
            System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(length, bytes.Length);
            sha.AppendData(length);
            sha.AppendData(bytes);
        }

        Span<byte> digest = stackalloc byte[32];
        sha.GetHashAndReset(digest);
        return Base32(digest[..15]);
    }

    private static string Base32(ReadOnlySpan<byte> bytes)
    {
        var chars = new char[bytes.Length * 8 / 5];
        var bits = 0;
        var value = 0;
        var index = 0;
        foreach (var b in bytes)
        {
            value = (value << 8) | b;
            bits += 8;
            while (bits >= 5)
            {
                chars[index++] = Alphabet[(value >> (bits - 5)) & 31];
                bits -= 5;
            }
        }

        return new string(chars, 0, index);
    }

    private static string Check(string accountId)
    {
        if (accountId.Length is 0 or > 64 || !accountId.All(c => char.IsAsciiLetterOrDigit(c) || c == '_'))
        {
            throw new ArgumentException("An account id is 1-64 ASCII letters, digits or underscores.", nameof(accountId));
        }

        return accountId;
    }
}
