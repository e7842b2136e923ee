using System.Text;

namespace ChannelService.Sources.Feeds;

/// <summary>
/// A look at the raw bytes of a whole feed before it is parsed, so a first sync can hand out its first items while
/// reading only the start of the file: how often each UID occurs (an item whose UID occurs once is keyed by it
/// alone), and whether zone information comes after the first event or task (then items cannot be read in
/// order, because a later VTIMEZONE or X-WR-TIMEZONE changes what an earlier item's times mean).
/// </summary>
internal sealed class FeedPrescan
{
    private FeedPrescan(Dictionary<string, int> uidCounts, bool zoneInfoAfterItems)
    {
        UidCounts = uidCounts;
        ZoneInfoAfterItems = zoneInfoAfterItems;
    }

    /// <summary>Each UID value as written (unfolded, trimmed; UTF-8), with how many lines carry it anywhere in the file.</summary>
    public IReadOnlyDictionary<string, int> UidCounts { get; }

    /// <summary>A BEGIN:VTIMEZONE or X-WR-TIMEZONE line follows the first BEGIN:VEVENT or BEGIN:VTODO.</summary>
    public bool ZoneInfoAfterItems { get; }

    /// <summary>How many lines carry <paramref name="uid"/> (0 when none, or when the parser decoded it differently).</summary>
    public int Count(string uid) => UidCounts.TryGetValue(uid, out var n) ? n : 0;

    public static FeedPrescan Scan(ReadOnlySpan<byte> body)
    {
        var uids = new Dictionary<string, int>(StringComparer.Ordinal);
        var sawItem = false;
        var zoneAfter = false;
        var pos = body.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]) ? 3 : 0;
        while (pos < body.Length)
        {
            var line = body[pos..];
            var newline = line.IndexOf((byte)'\n');
            var end = newline < 0 ? body.Length : pos + newline;
            line = body[pos..end];

            // Only lines starting with U, B or X matter; everything else is skipped on its first byte.
            if (line.IsEmpty || (line[0] | 0x20) is not ((byte)'u' or (byte)'b' or (byte)'x'))
            {
                pos = end + 1;
                continue;
            }

            line = line.TrimEnd((byte)'\r');
            if (HasName(line, "UID"u8))
            {
                var folded = end + 1 < body.Length && body[end + 1] is (byte)' ' or (byte)'\t';
                var (logical, next) = folded ? Unfold(body, pos, end) : (line.ToArray(), end + 1);
                if (ValueOf(logical) is { } uid)
                {
                    uids[uid] = uids.GetValueOrDefault(uid) + 1;
                }

                pos = next;
                continue;
            }

            if (IsLine(line, "BEGIN:VEVENT"u8) || IsLine(line, "BEGIN:VTODO"u8))
            {
                sawItem = true;
            }
            else if (sawItem && (IsLine(line, "BEGIN:VTIMEZONE"u8) || HasName(line, "X-WR-TIMEZONE"u8)))
            {
                zoneAfter = true;
            }

            pos = end + 1;
        }

        return new FeedPrescan(uids, zoneAfter);
    }

    /// <summary>RFC 5545 §3.1: a line break followed by one space or tab continues the line. Returns the logical line and where the next one starts.</summary>
    private static (byte[] Logical, int Next) Unfold(ReadOnlySpan<byte> body, int start, int end)
    {
        var logical = new List<byte>(body[start..end].TrimEnd((byte)'\r').ToArray());
        var next = end + 1;
        while (next < body.Length && body[next] is (byte)' ' or (byte)'\t')
        {
            var newline = body[next..].IndexOf((byte)'\n');
            var lineEnd = newline < 0 ? body.Length : next + newline;
            logical.AddRange(body[(next + 1)..lineEnd].TrimEnd((byte)'\r').ToArray());
            next = lineEnd + 1;
        }

        return ([.. logical], next);
    }

    /// <summary>The value after the first colon outside double quotes (RFC 5545 §3.2: parameter values may quote colons).</summary>
    private static string? ValueOf(ReadOnlySpan<byte> line)
    {
        var quoted = false;
        for (var i = 0; i < line.Length; i++)
        {
            if (line[i] == (byte)'"')
            {
                quoted = !quoted;
            }
            else if (line[i] == (byte)':' && !quoted)
            {
                var value = Encoding.UTF8.GetString(line[(i + 1)..]).Trim();
                return value.Length > 0 ? value : null;
            }
        }

        return null;
    }

    /// <summary>A property line with this name (names are case-insensitive, RFC 5545 §2), parameters or value following.</summary>
    private static bool HasName(ReadOnlySpan<byte> line, ReadOnlySpan<byte> name) =>
        line.Length > name.Length && Ascii.EqualsIgnoreCase(line[..name.Length], name) && line[name.Length] is (byte)':' or (byte)';';

    /// <summary>The whole line, case-insensitively, trailing blanks aside.</summary>
    private static bool IsLine(ReadOnlySpan<byte> line, ReadOnlySpan<byte> text) =>
        Ascii.EqualsIgnoreCase(line.TrimEnd(" \t"u8), text);
}
