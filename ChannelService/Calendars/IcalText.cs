using System.Runtime.CompilerServices;
using System.Buffers;
using System.Globalization;
using System.Text;

namespace ChannelService.Calendars;

/// <summary>
/// TEXT value escaping, lists and structured values (RFC 5545 §3.3.11, §3.1.1; calendar.md 2.3).
/// </summary>
public static class IcalText
{
    private static readonly SearchValues<char> NeedsEscape = SearchValues.Create("\\;,\r\n");

    /// <summary>
    /// Undoes TEXT escaping in one left-to-right pass: <c>\\</c>, <c>\;</c>, <c>\,</c>, <c>\n</c> and <c>\N</c>.
    /// Any other backslash sequence (<c>\:</c>, <c>\"</c> from sloppy producers) is kept as it is, and a single pass
    /// means <c>C:\\next</c> stays <c>C:\next</c> instead of turning into a newline (icalendar/icalendar#323).
    /// </summary>
    public static string Unescape(string raw)
    {
        var first = raw.IndexOf('\\');
        return first < 0 ? raw : UnescapeFrom(raw.AsSpan(), first);
    }

    public static string Unescape(ReadOnlySpan<char> raw)
    {
        var first = raw.IndexOf('\\');
        return first < 0 ? new string(raw) : UnescapeFrom(raw, first);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static string UnescapeFrom(ReadOnlySpan<char> raw, int first)
    {
        var buffer = raw.Length <= 512 ? stackalloc char[raw.Length] : new char[raw.Length];
        var written = UnescapeInto(raw, first, buffer);
        return new string(buffer[..written]);
    }

    /// <summary>Unescapes into <paramref name="destination"/> (at least as long as the input); returns the length.</summary>
    public static int UnescapeInto(ReadOnlySpan<char> raw, Span<char> destination) =>
        UnescapeInto(raw, raw.IndexOf('\\') is var i && i >= 0 ? i : raw.Length, destination);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int UnescapeInto(ReadOnlySpan<char> raw, int first, Span<char> destination)
    {
        raw[..first].CopyTo(destination);
        var w = first;
        var i = first;
        while (i < raw.Length)
        {
            var c = raw[i];
            if (c != '\\' || i + 1 >= raw.Length)
            {
                var next = raw[i..].IndexOf('\\');
                var run = next < 0 ? raw.Length - i : Math.Max(next, 1);
                raw.Slice(i, run).CopyTo(destination[w..]);
                w += run;
                i += run;
                continue;
            }

            var e = raw[i + 1];
            switch (e)
            {
                case '\\' or ';' or ',':
                    destination[w++] = e;
                    break;
                case 'n' or 'N':
                    destination[w++] = '\n';
                    break;
                default:
                    destination[w++] = '\\';
                    destination[w++] = e;
                    break;
            }

            i += 2;
        }

        return w;
    }

    /// <summary>Escapes plain text as a TEXT value: backslash, <c>;</c>, <c>,</c> and line breaks (CRLF, LF, CR become <c>\n</c>).</summary>
    public static string Escape(string text)
    {
        if (text.AsSpan().IndexOfAny(NeedsEscape) < 0)
        {
            return text;
        }

        var sb = new StringBuilder(text.Length + 8);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            switch (c)
            {
                case '\\':
                    sb.Append(@"\\");
                    break;
                case ';':
                    sb.Append(@"\;");
                    break;
                case ',':
                    sb.Append(@"\,");
                    break;
                case '\r':
                    sb.Append(@"\n");
                    if (i + 1 < text.Length && text[i + 1] == '\n')
                    {
                        i++;
                    }

                    break;
                case '\n':
                    sb.Append(@"\n");
                    break;
                default:
                    sb.Append(c);
                    break;
            }
        }

        return sb.ToString();
    }

    /// <summary>
    /// Splits a raw value on separators that are not backslash-escaped and returns the raw (still escaped) parts.
    /// Used for lists (<c>,</c>: EXDATE, RDATE, FREEBUSY) and structured values (<c>;</c>: REQUEST-STATUS).
    /// </summary>
    public static IReadOnlyList<string> SplitRaw(string raw, char separator)
    {
        var parts = new List<string>();
        var start = 0;
        for (var i = 0; i < raw.Length; i++)
        {
            var c = raw[i];
            if (c == '\\')
            {
                i++;
            }
            else if (c == separator)
            {
                parts.Add(raw[start..i]);
                start = i + 1;
            }
        }

        parts.Add(raw[start..]);
        return parts;
    }

    /// <summary>
    /// A TEXT list (CATEGORIES, RESOURCES): split on unescaped commas, each item unescaped, so <c>a\,b</c> stays
    /// one item (collective/icalendar issue 127). Empty items are dropped.
    /// </summary>
    public static IReadOnlyList<string> SplitTextList(string raw)
    {
        var result = new List<string>();
        foreach (var part in SplitRaw(raw, ','))
        {
            var item = Unescape(part).Trim();
            if (item.Length > 0)
            {
                result.Add(item);
            }
        }

        return result;
    }

    /// <summary>
    /// GEO as (latitude, longitude). SOGo escapes the separator (<c>12.3\;12.3</c>) and some producers use a comma,
    /// so the value is unescaped first and split on <c>;</c> or <c>,</c>.
    /// </summary>
    public static bool TryParseGeo(string raw, out double latitude, out double longitude)
    {
        latitude = longitude = 0;
        var text = Unescape(raw).AsSpan().Trim();
        var sep = text.IndexOf(';');
        if (sep < 0)
        {
            sep = text.IndexOf(',');
        }

        return sep > 0
               && double.TryParse(text[..sep].Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out latitude)
               && double.TryParse(text[(sep + 1)..].Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out longitude)
               && latitude is >= -90 and <= 90 && longitude is >= -180 and <= 180;
    }

    /// <summary>INTEGER value (PRIORITY, PERCENT-COMPLETE, SEQUENCE), leniently trimmed.</summary>
    public static bool TryParseInteger(string raw, out int value) =>
        int.TryParse(raw.AsSpan().Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);

    /// <summary>FLOAT value.</summary>
    public static bool TryParseFloat(string raw, out double value) =>
        double.TryParse(raw.AsSpan().Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out value);

    /// <summary>BOOLEAN value (TRUE/FALSE, any case).</summary>
    public static bool TryParseBoolean(string raw, out bool value)
    {
        var t = raw.AsSpan().Trim();
        value = t.Equals("TRUE", StringComparison.OrdinalIgnoreCase);
        return value || t.Equals("FALSE", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Inline BINARY value (base64), decoded only on request and refused above <paramref name="maxBytes"/>.</summary>
    public static byte[]? TryDecodeBinary(string raw, int maxBytes)
    {
        var trimmed = raw.AsSpan().Trim();
        if ((long)trimmed.Length * 3 / 4 > maxBytes)
        {
            return null;
        }

        var buffer = new byte[(trimmed.Length * 3 / 4) + 3];
        return Convert.TryFromBase64Chars(trimmed, buffer, out var n) ? buffer[..n] : null;
    }
}
