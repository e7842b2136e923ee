using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;

namespace ChannelService.Calendars;

/// <summary>
/// A normalised hash of one component's content, used to detect changes per (UID, RECURRENCE-ID) (calendar.md 2.6).
/// It ignores what producers rewrite without a real change: DTSTAMP (Google stamps every event with the export
/// time), LAST-MODIFIED and SEQUENCE (bumped by servers and clients on rewrites), property and parameter order,
/// folding, TEXT escaping variants (<c>\N</c> and <c>\n</c>), parameter-name case and the spelling of dates.
/// Every other change, including unknown and X- properties, changes the version.
/// </summary>
public static class ContentVersion
{
    private static readonly HashSet<string> Ignored = new(StringComparer.Ordinal) { "DTSTAMP", "LAST-MODIFIED", "SEQUENCE" };

    private static readonly HashSet<string> TextProperties = new(StringComparer.Ordinal)
    {
        "SUMMARY", "DESCRIPTION", "LOCATION", "COMMENT", "CATEGORIES", "RESOURCES", "CONTACT", "X-ALT-DESC", "RELATED-TO", "UID",
    };

    private static readonly HashSet<string> DateProperties = new(StringComparer.Ordinal)
    {
        "DTSTART", "DTEND", "DUE", "RECURRENCE-ID", "COMPLETED", "CREATED",
    };

    /// <summary>VTIMEZONE versions, computed once per parsed component: a feed's items share a handful of them.</summary>
    private static readonly ConditionalWeakTable<CalendarComponent, string> ZoneVersions = new();

    /// <summary>
    /// The version of an item together with the VTIMEZONEs its values refer to: a producer that corrects a zone's
    /// rules moves the item's instants without touching the item, and that must be read as a change of the item.
    /// A VTIMEZONE counts by its content like any component (re-serialising it, or a new LAST-MODIFIED, is no
    /// change). An item that refers to no VTIMEZONE keeps <paramref name="itemVersion"/>, so its stored version stays.
    /// </summary>
    /// <param name="vtimezones">The VTIMEZONEs the item refers to, in a fixed order (by TZID).</param>
    public static string WithZones(string itemVersion, IReadOnlyList<CalendarComponent> vtimezones)
    {
        if (vtimezones.Count == 0)
        {
            return itemVersion;
        }

        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(Encoding.ASCII.GetBytes("zones\n" + itemVersion));
        foreach (var vtz in vtimezones)
        {
            sha.AppendData(Encoding.ASCII.GetBytes("\n" + ZoneVersions.GetValue(vtz, Compute)));
        }

        return Convert.ToHexStringLower(sha.GetHashAndReset().AsSpan(0, 16));
    }

    /// <summary>32 lower-case hex characters (128 bits).</summary>
    public static string Compute(CalendarComponent component)
    {
        var lines = Normalise(component);
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var line in lines)
        {
            sha.AppendData(Encoding.UTF8.GetBytes(line));
            sha.AppendData("\n"u8);
        }

        return Convert.ToHexStringLower(sha.GetHashAndReset().AsSpan(0, 16));
    }

    private static List<string> Normalise(CalendarComponent component)
    {
        var lines = new List<string>(component.Properties.Count + component.Components.Count);
        foreach (var p in component.Properties)
        {
            if (!Ignored.Contains(p.Name))
            {
                lines.Add(Line(p));
            }
        }

        // Sub-components (VALARM) count, in any order.
        foreach (var child in component.Components)
        {
            lines.Add("BEGIN:" + child.Name + ":" + Compute(child));
        }

        lines.Sort(StringComparer.Ordinal);
        return lines;
    }

    private static string Line(CalendarProperty p)
    {
        var sb = new StringBuilder(p.Name.Length + p.RawValue.Length + 16);
        sb.Append(p.Name);
        var parameters = p.Parameters
            .Where(x => !(DateProperties.Contains(p.Name) && x.Name is "VALUE" or "TZID"))
            .Select(x => x.Name.ToUpperInvariant() + "=" + string.Join(",", x.Values))
            .Order(StringComparer.Ordinal);
        foreach (var parameter in parameters)
        {
            sb.Append(';').Append(parameter);
        }

        sb.Append(':');
        if (DateProperties.Contains(p.Name) && IcalDateTime.TryParse(p, out var date))
        {
            // The same date spelled with or without VALUE=DATE, or with a TZID parameter quoted differently, is one value.
            sb.Append(date.ToString());
        }
        else if (TextProperties.Contains(p.Name))
        {
            sb.Append(IcalText.Unescape(p.RawValue.Trim()));
        }
        else
        {
            sb.Append(p.RawValue.Trim());
        }

        return sb.ToString();
    }
}
