using System.Buffers;
using System.Text;

namespace ChannelService.Calendars;

/// <summary>Options for <see cref="IcalWriter"/>.</summary>
public sealed record IcalWriterOptions
{
    public static readonly IcalWriterOptions Default = new();

    /// <summary>
    /// Write properties and BEGIN/END lines that carry their source text exactly as read. Off: everything is
    /// serialised from the model (canonical form).
    /// </summary>
    public bool UseRawLines { get; init; } = true;
}

/// <summary>
/// Serialises components as iCalendar (RFC 5545 §3.1): CRLF line ends, lines folded at 75 octets on UTF-8
/// character boundaries, parameter values quoted when they need it and RFC 6868-encoded.
/// </summary>
public static class IcalWriter
{
    private const int MaxOctets = 75;
    private static readonly byte[] Crlf = "\r\n"u8.ToArray();
    private static readonly byte[] FoldBreak = "\r\n "u8.ToArray();
    private static readonly SearchValues<char> NeedsQuoting = SearchValues.Create(":;,\\\"");
    private static readonly Encoding Utf8 = new UTF8Encoding(false);

    public static byte[] WriteToBytes(IEnumerable<CalendarComponent> components, IcalWriterOptions? options = null)
    {
        using var ms = new MemoryStream();
        Write(ms, components, options);
        return ms.ToArray();
    }

    public static string WriteToString(IEnumerable<CalendarComponent> components, IcalWriterOptions? options = null) =>
        Utf8.GetString(WriteToBytes(components, options));

    public static void Write(Stream output, IEnumerable<CalendarComponent> components, IcalWriterOptions? options = null)
    {
        var o = options ?? IcalWriterOptions.Default;
        foreach (var c in components)
        {
            WriteComponent(output, c, o);
        }
    }

    public static void WriteComponent(Stream output, CalendarComponent component, IcalWriterOptions options)
    {
        WriteLine(output, options.UseRawLines && component.RawBegin is { } rb ? rb : null, "BEGIN:" + component.Name);

        var children = component.Components;
        var ci = 0;
        var props = component.Properties;
        for (var i = 0; i < props.Count; i++)
        {
            // Sub-components go back between the same properties they were read between.
            while (ci < children.Count && children[ci].PositionInParent >= 0 && children[ci].PositionInParent <= i)
            {
                WriteComponent(output, children[ci++], options);
            }

            var p = props[i];
            WriteLine(output, options.UseRawLines ? p.RawLine : null, p.RawLine is not null && options.UseRawLines ? null : FormatProperty(p));
        }

        while (ci < children.Count)
        {
            WriteComponent(output, children[ci++], options);
        }

        WriteLine(output, options.UseRawLines && component.RawEnd is { } re ? re : null, "END:" + component.Name);
    }

    private static void WriteLine(Stream output, string? raw, string? unfolded)
    {
        if (raw is not null)
        {
            // Raw text already carries its folds (normalised to CRLF when read).
            output.Write(Utf8.GetBytes(raw));
            output.Write(Crlf);
            return;
        }

        WriteFolded(output, unfolded ?? string.Empty);
    }

    /// <summary>Writes one logical line, folded so no physical line exceeds 75 octets, never inside a UTF-8 sequence.</summary>
    public static void WriteFolded(Stream output, string line)
    {
        var bytes = Utf8.GetBytes(line);
        var pos = 0;
        var limit = MaxOctets;
        while (bytes.Length - pos > limit)
        {
            var cut = pos + limit;
            while (cut > pos && (bytes[cut] & 0xC0) == 0x80)
            {
                cut--;
            }

            output.Write(bytes, pos, cut - pos);
            output.Write(FoldBreak);
            pos = cut;
            limit = MaxOctets - 1; // the leading SPACE counts
        }

        output.Write(bytes, pos, bytes.Length - pos);
        output.Write(Crlf);
    }

    /// <summary>The unfolded content line for a property: <c>NAME;PARAM=value:raw-value</c>.</summary>
    public static string FormatProperty(CalendarProperty property)
    {
        var sb = new StringBuilder(property.Name.Length + property.RawValue.Length + 16);
        sb.Append(property.Name);
        foreach (var p in property.Parameters)
        {
            sb.Append(';').Append(p.Name);
            var values = p.Values;
            if (values.Count == 0)
            {
                continue;
            }

            sb.Append('=');
            for (var i = 0; i < values.Count; i++)
            {
                if (i > 0)
                {
                    sb.Append(',');
                }

                AppendParameterValue(sb, values[i]);
            }
        }

        sb.Append(':');
        AppendValue(sb, property.RawValue);
        return sb.ToString();
    }

    /// <summary>
    /// Quotes values holding ':', ';', ',', a backslash, a quote, non-ASCII or edge whitespace (sabre-io/vobject#94;
    /// ical4j drops unquoted non-ASCII CN parameters, linagora/twake-calendar-frontend#789) and applies RFC 6868.
    /// </summary>
    private static void AppendParameterValue(StringBuilder sb, string value)
    {
        var quote = value.AsSpan().IndexOfAny(NeedsQuoting) >= 0
                    || (value.Length > 0 && (char.IsWhiteSpace(value[0]) || char.IsWhiteSpace(value[^1])));
        if (!quote)
        {
            foreach (var c in value)
            {
                if (c > 0x7E || c < 0x20)
                {
                    quote = true;
                    break;
                }
            }
        }

        if (quote)
        {
            sb.Append('"');
        }

        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            switch (c)
            {
                case '^':
                    sb.Append("^^");
                    break;
                case '"':
                    sb.Append("^'");
                    break;
                case '\n':
                    sb.Append("^n");
                    break;
                case '\r':
                    sb.Append("^n");
                    if (i + 1 < value.Length && value[i + 1] == '\n')
                    {
                        i++;
                    }

                    break;
                default:
                    sb.Append(c);
                    break;
            }
        }

        if (quote)
        {
            sb.Append('"');
        }
    }

    private static void AppendValue(StringBuilder sb, string raw)
    {
        // A raw value never holds a line break when read; one built in code must not break the line structure.
        if (raw.AsSpan().IndexOfAny('\r', '\n') < 0)
        {
            sb.Append(raw);
            return;
        }

        for (var i = 0; i < raw.Length; i++)
        {
            var c = raw[i];
            if (c == '\r' || c == '\n')
            {
                sb.Append("\\n");
                if (c == '\r' && i + 1 < raw.Length && raw[i + 1] == '\n')
                {
                    i++;
                }
            }
            else
            {
                sb.Append(c);
            }
        }
    }
}
