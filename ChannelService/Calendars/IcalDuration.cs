using NodaTime;

namespace ChannelService.Calendars;

/// <summary>
/// A DURATION value (RFC 5545 §3.3.6). Weeks and days are nominal (they follow the wall clock across DST changes),
/// hours, minutes and seconds are exact; both parts are kept apart for that reason.
/// </summary>
public readonly record struct IcalDuration(bool IsNegative, int Weeks, int Days, int Hours, int Minutes, int Seconds)
{
    /// <summary>Weeks and days, signed.</summary>
    public Period NominalPart => Period.FromDays((IsNegative ? -1 : 1) * ((Weeks * 7) + Days));

    /// <summary>Hours, minutes and seconds, signed.</summary>
    public Duration ExactPart => Duration.FromSeconds((IsNegative ? -1L : 1L) * ((Hours * 3600L) + (Minutes * 60L) + Seconds));

    public bool HasNominalPart => Weeks != 0 || Days != 0;

    /// <summary>The whole duration as if every day lasted 24 hours.</summary>
    public Duration ToDuration() => Duration.FromDays((IsNegative ? -1 : 1) * ((Weeks * 7) + Days)) + ExactPart;

    /// <summary>
    /// Lenient parse: mixes weeks and days (<c>-P1W6DT15H</c>, Nextcloud), zero padding (<c>-PT00H15M00S</c>, Exchange),
    /// <c>PT86400S</c> (Google), <c>P0DT0H10M0S</c>; lower case, spaces and H/S before a missing <c>T</c> are tolerated.
    /// An empty value, a month designator or a missing number gives false (calendar.md 2.3).
    /// </summary>
    public static bool TryParse(ReadOnlySpan<char> value, out IcalDuration result)
    {
        result = default;
        value = value.Trim();
        var i = 0;
        var negative = false;
        if (i < value.Length && value[i] is '+' or '-')
        {
            negative = value[i] == '-';
            i++;
        }

        if (i >= value.Length || (value[i] | 0x20) != 'p')
        {
            return false;
        }

        i++;
        int weeks = 0, days = 0, hours = 0, minutes = 0, seconds = 0;
        var inTime = false;
        var parts = 0;
        while (i < value.Length)
        {
            var c = value[i];
            if (c == ' ')
            {
                i++;
                continue;
            }

            if ((c | 0x20) == 't')
            {
                inTime = true;
                i++;
                continue;
            }

            long n = 0;
            var start = i;
            while (i < value.Length && (uint)(value[i] - '0') <= 9)
            {
                n = (n * 10) + (value[i] - '0');
                if (n > 100_000_000)
                {
                    return false;
                }

                i++;
            }

            if (i == start || i >= value.Length)
            {
                return false;
            }

            switch (value[i] | 0x20)
            {
                case 'w': weeks += (int)n; break;
                case 'd': days += (int)n; break;
                case 'h': hours += (int)n; break;
                case 's': seconds += (int)n; break;
                case 'm' when inTime: minutes += (int)n; break;
                default: return false;
            }

            parts++;
            i++;
        }

        if (parts == 0)
        {
            return false;
        }

        result = new IcalDuration(negative, weeks, days, hours, minutes, seconds);
        return true;
    }

    /// <summary>Adds the nominal part on the wall clock; the caller adds <see cref="ExactPart"/> on the time line.</summary>
    public LocalDateTime AddNominal(LocalDateTime local) => HasNominalPart ? local.PlusDays((IsNegative ? -1 : 1) * ((Weeks * 7) + Days)) : local;
}

/// <summary>UTC-OFFSET values (RFC 5545 §3.3.14) as NodaTime offsets.</summary>
public static class UtcOffset
{
    /// <summary>
    /// Accepts <c>+hhmm</c>, <c>-hhmm</c>, <c>+hhmmss</c> (<c>+005328</c>, DAVx5 VTIMEZONEs), <c>hh:mm</c>, and a missing sign
    /// (collective/icalendar issue 1885).
    /// </summary>
    public static bool TryParse(ReadOnlySpan<char> value, out Offset offset)
    {
        offset = Offset.Zero;
        value = value.Trim();
        var negative = false;
        if (value.Length > 0 && value[0] is '+' or '-')
        {
            negative = value[0] == '-';
            value = value[1..];
        }

        Span<char> digits = stackalloc char[6];
        var n = 0;
        foreach (var c in value)
        {
            if (c == ':')
            {
                continue;
            }

            if ((uint)(c - '0') > 9 || n == 6)
            {
                return false;
            }

            digits[n++] = c;
        }

        if (n is not (4 or 6))
        {
            return false;
        }

        IcalDateTime.TryDigits(digits, 0, 2, out var h);
        IcalDateTime.TryDigits(digits, 2, 2, out var m);
        var s = 0;
        if (n == 6)
        {
            IcalDateTime.TryDigits(digits, 4, 2, out s);
        }

        if (h > 17 || m > 59 || s > 59)
        {
            return false;
        }

        var total = (h * 3600) + (m * 60) + s;
        offset = Offset.FromSeconds(negative ? -total : total);
        return true;
    }
}

/// <summary>A PERIOD value (RFC 5545 §3.3.9): start/end or start/duration.</summary>
public readonly record struct IcalPeriod(IcalDateTime Start, IcalDateTime? End, IcalDuration? Duration)
{
    public static bool TryParse(ReadOnlySpan<char> value, string? tzidParameter, out IcalPeriod result)
    {
        result = default;
        var slash = value.IndexOf('/');
        if (slash < 0 || !IcalDateTime.TryParse(value[..slash], tzidParameter, null, out var start) || start.IsDate)
        {
            return false;
        }

        var rest = value[(slash + 1)..].Trim();
        if (rest.Length > 0 && rest[0] is 'P' or 'p' or '+' or '-')
        {
            if (!IcalDuration.TryParse(rest, out var d))
            {
                return false;
            }

            result = new IcalPeriod(start, null, d);
            return true;
        }

        if (!IcalDateTime.TryParse(rest, tzidParameter, null, out var end) || end.IsDate)
        {
            return false;
        }

        result = new IcalPeriod(start, end, null);
        return true;
    }
}
