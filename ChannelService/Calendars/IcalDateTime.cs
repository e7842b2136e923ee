using NodaTime;

namespace ChannelService.Calendars;

/// <summary>The four kinds of DATE / DATE-TIME value (RFC 5545 §3.3.4, §3.3.5; calendar.md 2.4).</summary>
public enum IcalDateKind
{
    /// <summary>All-day DATE value (<c>20240101</c>); any TZID is ignored.</summary>
    Date,

    /// <summary>Local time with neither <c>Z</c> nor TZID: resolved through the source's default zone.</summary>
    Floating,

    /// <summary>UTC time (<c>…Z</c>); a TZID next to it is ignored.</summary>
    Utc,

    /// <summary>Local time in the zone named by the TZID parameter.</summary>
    Zoned,
}

/// <summary>
/// A DATE or DATE-TIME value kept in its original kind. <see cref="Local"/> is the wall-clock value as written
/// (midnight for DATE; the UTC wall clock for <see cref="IcalDateKind.Utc"/>). Instants come from
/// <see cref="TimeZoneResolver.ToInstant"/>, never from here, because floating and zoned values need the calendar.
/// </summary>
public readonly record struct IcalDateTime(IcalDateKind Kind, LocalDateTime Local, string? TzId)
{
    public bool IsDate => Kind == IcalDateKind.Date;

    public LocalDate Date => Local.Date;

    public static IcalDateTime ForDate(LocalDate date) => new(IcalDateKind.Date, date.AtMidnight(), null);

    public static IcalDateTime ForUtc(Instant instant) => new(IcalDateKind.Utc, instant.InUtc().LocalDateTime, null);

    /// <summary>
    /// Parses one DATE or DATE-TIME value without allocating. The kind comes from the value's shape first
    /// (8 digits = DATE, <c>…T……</c> = DATE-TIME, trailing <c>Z</c> = UTC) and from <c>VALUE=</c> only where the
    /// shape allows both; producers send DATE values without <c>VALUE=DATE</c> and with a TZID (calendar.md 2.4),
    /// so a TZID on a DATE is ignored, and a TZID on a UTC value too (ical4j/ical4j#303).
    /// Malformed values (7-digit dates, negative years, Feb 30) give false.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<char> value, string? tzidParameter, string? valueParameter, out IcalDateTime result)
    {
        result = default;
        value = value.Trim();
        if (value.Length < 8 || !TryDigits(value, 0, 4, out var year) || !TryDigits(value, 4, 2, out var month) || !TryDigits(value, 6, 2, out var day))
        {
            return false;
        }

        if (year < 1 || month < 1 || month > 12 || day < 1 || day > DaysInMonth(year, month))
        {
            return false;
        }

        if (value.Length == 8)
        {
            result = new IcalDateTime(IcalDateKind.Date, new LocalDateTime(year, month, day, 0, 0), null);
            return true;
        }

        // "20240101T" with VALUE=DATE: a stray separator; the declared type breaks the tie.
        if (value.Length == 9 && (value[8] | 0x20) == 't' && valueParameter is not null && valueParameter.Equals("DATE", StringComparison.OrdinalIgnoreCase))
        {
            result = new IcalDateTime(IcalDateKind.Date, new LocalDateTime(year, month, day, 0, 0), null);
            return true;
        }

        if ((value[8] | 0x20) != 't')
        {
            return false;
        }

        var utc = false;
        if (value.Length == 16 && (value[15] | 0x20) == 'z')
        {
            utc = true;
        }
        else if (value.Length != 15)
        {
            return false;
        }

        if (!TryDigits(value, 9, 2, out var hour) || !TryDigits(value, 11, 2, out var minute) || !TryDigits(value, 13, 2, out var second))
        {
            return false;
        }

        if (hour > 23 || minute > 59 || second > 60)
        {
            return false;
        }

        // A leap second (RFC 5545 §3.3.12 allows 60) has no place in NodaTime's time line: keep the last second.
        if (second == 60)
        {
            second = 59;
        }

        var local = new LocalDateTime(year, month, day, hour, minute, second);
        if (utc)
        {
            result = new IcalDateTime(IcalDateKind.Utc, local, null);
        }
        else if (!string.IsNullOrWhiteSpace(tzidParameter))
        {
            result = new IcalDateTime(IcalDateKind.Zoned, local, tzidParameter);
        }
        else
        {
            result = new IcalDateTime(IcalDateKind.Floating, local, null);
        }

        return true;
    }

    /// <summary>Parses a property's value with its TZID and VALUE parameters.</summary>
    public static bool TryParse(CalendarProperty property, out IcalDateTime result) =>
        TryParse(property.RawValue, property.GetParameter("TZID"), property.GetParameter("VALUE"), out result);

    /// <summary>Same value in another kind, keeping the wall clock (used to coerce UNTIL and RDATE/EXDATE).</summary>
    public IcalDateTime WithKind(IcalDateKind kind, string? tzid) =>
        kind == IcalDateKind.Date ? ForDate(Local.Date) : new IcalDateTime(kind, Local, kind == IcalDateKind.Zoned ? tzid : null);

    public override string ToString() => Kind switch
    {
        IcalDateKind.Date => Local.ToString("yyyyMMdd", System.Globalization.CultureInfo.InvariantCulture),
        IcalDateKind.Utc => Local.ToString("yyyyMMdd'T'HHmmss'Z'", System.Globalization.CultureInfo.InvariantCulture),
        IcalDateKind.Zoned => "TZID=" + TzId + ":" + Local.ToString("yyyyMMdd'T'HHmmss", System.Globalization.CultureInfo.InvariantCulture),
        _ => Local.ToString("yyyyMMdd'T'HHmmss", System.Globalization.CultureInfo.InvariantCulture),
    };

    internal static bool TryDigits(ReadOnlySpan<char> s, int start, int count, out int value)
    {
        value = 0;
        if (start + count > s.Length)
        {
            return false;
        }

        for (var i = start; i < start + count; i++)
        {
            var d = s[i] - '0';
            if ((uint)d > 9)
            {
                return false;
            }

            value = (value * 10) + d;
        }

        return true;
    }

    internal static int DaysInMonth(int year, int month) => month switch
    {
        2 => (year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)) ? 29 : 28,
        4 or 6 or 9 or 11 => 30,
        _ => 31,
    };
}
