using System.Buffers.Text;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;

namespace ChannelService.Sources.CalDav;

/// <summary>
/// The opaque cursor <see cref="CalDavClient.SyncAsync"/> hands out. Formats (version in the prefix):
/// <list type="bullet">
/// <item><c>s1:</c>TOKEN — an RFC 6578 sync-token, verbatim.</item>
/// <item><c>c1:</c>base64url(ctag)<c>:i</c>base64url(deflate(map)) — ctag fallback with the href→etag map inline.</item>
/// <item><c>c1:</c>base64url(ctag)<c>:m</c>SNAPSHOT — ctag fallback whose map lives in the <see cref="ICalDavEtagStore"/>.</item>
/// </list>
/// Map lines are <c>name TAB etag</c>, sorted, with names relative to the collection path when inside it.
/// </summary>
internal abstract record CalDavCursor
{
    private const string SyncPrefix = "s1:";
    private const string CTagPrefix = "c1:";

    internal sealed record Token(string SyncToken) : CalDavCursor;

    /// <summary>Exactly one of <paramref name="InlineMap"/> and <paramref name="SnapshotId"/> is set.</summary>
    internal sealed record CTag(string? Value, IReadOnlyDictionary<string, string>? InlineMap, string? SnapshotId) : CalDavCursor;

    public static string ForToken(string token) => SyncPrefix + token;

    /// <summary>Null or empty means "no cursor" (first sync). Anything unreadable is also treated as no cursor by the client.</summary>
    public static CalDavCursor? Parse(string? cursor, string collectionPath)
    {
        if (string.IsNullOrEmpty(cursor))
        {
            return null;
        }

        if (cursor.StartsWith(SyncPrefix, StringComparison.Ordinal) && cursor.Length > SyncPrefix.Length)
        {
            return new Token(cursor[SyncPrefix.Length..]);
        }

        if (!cursor.StartsWith(CTagPrefix, StringComparison.Ordinal))
        {
            return null;
        }

        var parts = cursor[CTagPrefix.Length..].Split(':');
        if (parts.Length != 2 || parts[1].Length < 1)
        {
            return null;
        }

        try
        {
            var ctag = parts[0].Length == 0 ? null : Encoding.UTF8.GetString(Base64Url.DecodeFromChars(parts[0]));
            return parts[1][0] switch
            {
                'i' => new CTag(ctag, DecodeMap(Base64Url.DecodeFromChars(parts[1].AsSpan(1)), collectionPath), null),
                'm' => new CTag(ctag, null, parts[1][1..]),
                _ => null,
            };
        }
        catch (FormatException)
        {
            return null;
        }
        catch (InvalidDataException)
        {
            return null;
        }
    }

    public static string Inline(string? ctag, IReadOnlyDictionary<string, string> map, string collectionPath) =>
        CTagPrefix + EncodeCTag(ctag) + ":i" + Base64Url.EncodeToString(Compress(EncodeMap(map, collectionPath)));

    public static string Stored(string? ctag, string snapshotId) => CTagPrefix + EncodeCTag(ctag) + ":m" + snapshotId;

    /// <summary>Content hash of the map: equal maps give equal ids, so saving twice is harmless.</summary>
    public static string SnapshotOf(IReadOnlyDictionary<string, string> map, string collectionPath) =>
        Convert.ToHexStringLower(SHA256.HashData(EncodeMap(map, collectionPath)).AsSpan(0, 16));

    private static string EncodeCTag(string? ctag) => ctag is null ? string.Empty : Base64Url.EncodeToString(Encoding.UTF8.GetBytes(ctag));

    private static byte[] EncodeMap(IReadOnlyDictionary<string, string> map, string collectionPath)
    {
        var sb = new StringBuilder();
        foreach (var (href, etag) in map.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            var name = href.StartsWith(collectionPath, StringComparison.Ordinal) && href.Length > collectionPath.Length
                ? href[collectionPath.Length..]
                : href;
            sb.Append(name).Append('\t').Append(etag).Append('\n');
        }

        return Encoding.UTF8.GetBytes(sb.ToString());
    }

    private static Dictionary<string, string> DecodeMap(byte[] compressed, string collectionPath)
    {
        using var input = new MemoryStream(compressed);
        using var inflate = new ZLibStream(input, CompressionMode.Decompress);
        using var reader = new StreamReader(inflate, Encoding.UTF8);
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        while (reader.ReadLine() is { } line)
        {
            var tab = line.IndexOf('\t', StringComparison.Ordinal);
            if (tab <= 0)
            {
                throw new FormatException("bad map line");
            }

            var name = line[..tab];
            map[name.StartsWith('/') ? name : collectionPath + name] = line[(tab + 1)..];
        }

        return map;
    }

    private static byte[] Compress(byte[] data)
    {
        using var output = new MemoryStream();
        using (var deflate = new ZLibStream(output, CompressionLevel.SmallestSize))
        {
            deflate.Write(data);
        }

        return output.ToArray();
    }
}
