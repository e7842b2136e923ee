using System.Collections.Concurrent;
using System.Collections.Frozen;
using System.Globalization;
using System.Text;
using NodaTime;
using TimeZoneConverter;

namespace ChannelService.Calendars;

/// <summary>
/// Maps the TZID names real producers write to zones, steps 1–3 of calendar.md 2.4: IANA ids (also behind vendor
/// prefixes and as old aliases), Windows ids through TimeZoneConverter, and Outlook/Exchange/Lotus/Webex display names
/// through our own table, then city names inside them, then their "(UTC±hh:mm)" offset as a fixed zone.
/// Results are cached process-wide because the same few names repeat in every feed.
/// </summary>
public static class TimeZoneNames
{
    private const int MaxCached = 10_000;

    private static readonly ConcurrentDictionary<string, DateTimeZone?> Cache = new(StringComparer.Ordinal);

    private static readonly FrozenDictionary<string, string> TzdbIgnoreCase =
        DateTimeZoneProviders.Tzdb.Ids.ToFrozenDictionary(id => id, id => id, StringComparer.OrdinalIgnoreCase);

    /// <summary>Last path segment of every IANA id ("kuala_lumpur" → Asia/Kuala_Lumpur), shortest id first.</summary>
    private static readonly FrozenDictionary<string, string> Cities = DateTimeZoneProviders.Tzdb.Ids
        .Where(id => id.Contains('/', StringComparison.Ordinal) && !id.StartsWith("Etc/", StringComparison.Ordinal))
        .GroupBy(id => Fold(id[(id.LastIndexOf('/') + 1)..]))
        .ToFrozenDictionary(g => g.Key, g => g.OrderBy(id => id.Length).ThenBy(id => id, StringComparer.Ordinal).First());

    /// <summary>
    /// Windows display names (the text after "(UTC±hh:mm)"), folded to lower case without accents, plus the
    /// localised and older forms seen in feeds. Facts from Windows' zone list; the table is ours.
    /// </summary>
    private static readonly FrozenDictionary<string, string> DisplayNames = new Dictionary<string, string>
    {
        ["international date line west"] = "Etc/GMT+12",
        ["coordinated universal time-11"] = "Etc/GMT+11",
        ["hawaii"] = "Pacific/Honolulu",
        ["alaska"] = "America/Anchorage",
        ["pacific time (us & canada)"] = "America/Los_Angeles",
        ["pacific time (us & canada), tijuana"] = "America/Los_Angeles",
        ["pacific time"] = "America/Los_Angeles",
        ["baja california"] = "America/Tijuana",
        ["mountain time (us & canada)"] = "America/Denver",
        ["mountain time"] = "America/Denver",
        ["arizona"] = "America/Phoenix",
        ["chihuahua, la paz, mazatlan"] = "America/Chihuahua",
        ["central time (us & canada)"] = "America/Chicago",
        ["central time"] = "America/Chicago",
        ["saskatchewan"] = "America/Regina",
        ["central america"] = "America/Guatemala",
        ["guadalajara, mexico city, monterrey"] = "America/Mexico_City",
        ["eastern time (us & canada)"] = "America/New_York",
        ["eastern time"] = "America/New_York",
        ["eastern"] = "America/New_York",
        ["central"] = "America/Chicago",
        ["mountain"] = "America/Denver",
        ["pacific"] = "America/Los_Angeles",
        ["indiana (east)"] = "America/Indiana/Indianapolis",
        ["bogota, lima, quito"] = "America/Bogota",
        ["bogota, lima, quito, rio branco"] = "America/Bogota",
        ["atlantic time (canada)"] = "America/Halifax",
        ["caracas"] = "America/Caracas",
        ["santiago"] = "America/Santiago",
        ["georgetown, la paz, manaus, san juan"] = "America/La_Paz",
        ["newfoundland"] = "America/St_Johns",
        ["brasilia"] = "America/Sao_Paulo",
        ["buenos aires"] = "America/Argentina/Buenos_Aires",
        ["city of buenos aires"] = "America/Argentina/Buenos_Aires",
        ["greenland"] = "America/Nuuk",
        ["cayenne, fortaleza"] = "America/Cayenne",
        ["montevideo"] = "America/Montevideo",
        ["coordinated universal time-02"] = "Etc/GMT+2",
        ["mid-atlantic"] = "Etc/GMT+2",
        ["azores"] = "Atlantic/Azores",
        ["cabo verde is."] = "Atlantic/Cape_Verde",
        ["cape verde is."] = "Atlantic/Cape_Verde",
        ["dublin, edinburgh, lisbon, london"] = "Europe/London",
        ["greenwich mean time : dublin, edinburgh, lisbon, london"] = "Europe/London",
        ["greenwich mean time: dublin, edinburgh, lisbon, london"] = "Europe/London",
        ["coordinated universal time"] = "Etc/UTC",
        ["casablanca"] = "Africa/Casablanca",
        ["casablanca, monrovia"] = "Africa/Casablanca",
        ["monrovia, reykjavik"] = "Atlantic/Reykjavik",
        ["amsterdam, berlin, bern, rome, stockholm, vienna"] = "Europe/Berlin",
        ["amsterdam, berlin, bern, rom, stockholm, wien"] = "Europe/Berlin",
        ["belgrade, bratislava, budapest, ljubljana, prague"] = "Europe/Budapest",
        ["brussels, copenhagen, madrid, paris"] = "Europe/Paris",
        ["brussel, kopenhagen, madrid, parijs"] = "Europe/Paris",
        ["sarajevo, skopje, warsaw, zagreb"] = "Europe/Warsaw",
        ["west central africa"] = "Africa/Lagos",
        ["athens, bucharest"] = "Europe/Bucharest",
        ["athens, bucharest, istanbul"] = "Europe/Bucharest",
        ["helsinki, kyiv, riga, sofia, tallinn, vilnius"] = "Europe/Helsinki",
        ["helsinki, kiev, riga, sofia, tallinn, vilnius"] = "Europe/Helsinki",
        ["jerusalem"] = "Asia/Jerusalem",
        ["cairo"] = "Africa/Cairo",
        ["harare, pretoria"] = "Africa/Johannesburg",
        ["istanbul"] = "Europe/Istanbul",
        ["moscow, st. petersburg"] = "Europe/Moscow",
        ["moscow, st. petersburg, volgograd"] = "Europe/Moscow",
        ["kuwait, riyadh"] = "Asia/Riyadh",
        ["baghdad"] = "Asia/Baghdad",
        ["nairobi"] = "Africa/Nairobi",
        ["tehran"] = "Asia/Tehran",
        ["abu dhabi, muscat"] = "Asia/Dubai",
        ["islamabad, karachi"] = "Asia/Karachi",
        ["ekaterinburg"] = "Asia/Yekaterinburg",
        ["chennai, kolkata, mumbai, new delhi"] = "Asia/Kolkata",
        ["sri jayawardenepura"] = "Asia/Colombo",
        ["astana"] = "Asia/Almaty",
        ["yangon (rangoon)"] = "Asia/Yangon",
        ["bangkok, hanoi, jakarta"] = "Asia/Bangkok",
        ["beijing, chongqing, hong kong, urumqi"] = "Asia/Shanghai",
        ["kuala lumpur, singapore"] = "Asia/Singapore",
        ["perth"] = "Australia/Perth",
        ["taipei"] = "Asia/Taipei",
        ["osaka, sapporo, tokyo"] = "Asia/Tokyo",
        ["seoul"] = "Asia/Seoul",
        ["adelaide"] = "Australia/Adelaide",
        ["darwin"] = "Australia/Darwin",
        ["brisbane"] = "Australia/Brisbane",
        ["canberra, melbourne, sydney"] = "Australia/Sydney",
        ["guam, port moresby"] = "Pacific/Port_Moresby",
        ["hobart"] = "Australia/Hobart",
        ["solomon is., new caledonia"] = "Pacific/Guadalcanal",
        ["auckland, wellington"] = "Pacific/Auckland",
        ["fiji"] = "Pacific/Fiji",
        ["nuku'alofa"] = "Pacific/Tongatapu",
        ["samoa"] = "Pacific/Apia",
    }.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>Resolves a TZID by name alone (no VTIMEZONE); null when nothing matches.</summary>
    public static DateTimeZone? Resolve(string? tzid)
    {
        if (tzid is null)
        {
            return null;
        }

        if (Cache.TryGetValue(tzid, out var zone))
        {
            return zone;
        }

        zone = ResolveUncached(tzid);

        // TZIDs come from the network: a feed full of invented names must not grow the process-wide cache forever.
        if (Cache.Count < MaxCached)
        {
            Cache.TryAdd(tzid, zone);
        }

        return zone;
    }

    private static DateTimeZone? ResolveUncached(string raw)
    {
        var name = Clean(raw);
        if (name.Length == 0)
        {
            return null;
        }

        // 1. IANA ids, also the RFC's "globally unique" /-prefixed form and vendor prefixes such as
        //    /softwarestudio.org/Tzfile/, /mozilla.org/20050126_1/, /citadel.org/…: try every path suffix.
        var candidate = name.TrimStart('/');
        while (true)
        {
            if (TzdbIgnoreCase.TryGetValue(candidate, out var id))
            {
                return DateTimeZoneProviders.Tzdb[id];
            }

            var slash = candidate.IndexOf('/', StringComparison.Ordinal);
            if (slash < 0)
            {
                break;
            }

            candidate = candidate[(slash + 1)..];
        }

        // 2. Windows ids; Lotus writes "Eastern", Webex "Pacific Time" for the same ids.
        foreach (var windows in new[] { name, name + " Standard Time", ReplaceSuffix(name, " Time", " Standard Time"), ReplaceSuffix(name, " Daylight Time", " Standard Time") })
        {
            if (windows is not null && TZConvert.TryWindowsToIana(windows, out var iana) && DateTimeZoneProviders.Tzdb.GetZoneOrNull(iana) is { } z)
            {
                return z;
            }
        }

        // 3. Display names: "(UTC+01:00) Amsterdam, Berlin, …", "(GMT-03:00)", "GMT +0100 (Standard) / GMT +0200 (Daylight)".
        var (offset, text) = SplitOffset(name);
        var folded = Fold(text).Replace(';', ',');
        if (folded.Length > 0)
        {
            if (DisplayNames.TryGetValue(folded, out var iana) && DateTimeZoneProviders.Tzdb.GetZoneOrNull(iana) is { } z)
            {
                return z;
            }

            foreach (var token in folded.Split([',', '/', ':', '&'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (Cities.TryGetValue(token.Replace(' ', '_'), out var cityId))
                {
                    var cityZone = DateTimeZoneProviders.Tzdb[cityId];
                    if (offset is null || StandardOffset(cityZone) == offset)
                    {
                        return cityZone;
                    }
                }
            }
        }

        return offset is { } fixedOffset ? DateTimeZone.ForOffset(fixedOffset) : null;
    }

    /// <summary>Quotes, a trailing colon (rie_mozilla_odd_tzid_pacific.ics), TEXT escapes and stray whitespace go.</summary>
    internal static string Clean(string raw)
    {
        var s = raw.Trim().Trim('"').Trim();
        s = s.TrimEnd(':').Trim();
        if (s.Contains('\\', StringComparison.Ordinal))
        {
            s = s.Replace("\\,", ",", StringComparison.Ordinal).Replace("\\;", ";", StringComparison.Ordinal).Replace("\\\\", "\\", StringComparison.Ordinal);
        }

        return s;
    }

    private static string? ReplaceSuffix(string s, string suffix, string replacement) =>
        s.EndsWith(suffix, StringComparison.OrdinalIgnoreCase) ? s[..^suffix.Length] + replacement : null;

    /// <summary>Lower case, accents removed ("Brasília" → "brasilia"), spaces collapsed.</summary>
    internal static string Fold(string s)
    {
        var normalized = s.Normalize(NormalizationForm.FormD);
        var sb = new StringBuilder(normalized.Length);
        var space = false;
        foreach (var c in normalized)
        {
            if (CharUnicodeInfo.GetUnicodeCategory(c) == UnicodeCategory.NonSpacingMark)
            {
                continue;
            }

            if (char.IsWhiteSpace(c))
            {
                space = sb.Length > 0;
                continue;
            }

            if (space)
            {
                sb.Append(' ');
                space = false;
            }

            sb.Append(char.ToLowerInvariant(c));
        }

        return sb.ToString();
    }

    /// <summary>Splits a leading "(UTC+01:00)", "(GMT-03:00)", "GMT +0100", "UTC" off the name.</summary>
    internal static (Offset? Offset, string Text) SplitOffset(string name)
    {
        var s = name.AsSpan().Trim();
        var paren = s.Length > 0 && s[0] == '(';
        var body = paren ? s[1..] : s;
        if (!body.StartsWith("UTC", StringComparison.OrdinalIgnoreCase) && !body.StartsWith("GMT", StringComparison.OrdinalIgnoreCase))
        {
            return (null, name);
        }

        var i = 3;
        while (i < body.Length && body[i] == ' ')
        {
            i++;
        }

        var sign = 1;
        var hasSign = i < body.Length && body[i] is '+' or '-';
        if (hasSign)
        {
            sign = body[i] == '-' ? -1 : 1;
            i++;
        }

        var hours = 0;
        var minutes = 0;
        var digits = 0;
        var startDigits = i;
        while (i < body.Length && (char.IsAsciiDigit(body[i]) || body[i] is ':' or '.'))
        {
            if (char.IsAsciiDigit(body[i]))
            {
                digits++;
            }

            i++;
        }

        var numberText = body[startDigits..i].ToString().Replace(":", string.Empty, StringComparison.Ordinal).Replace(".", string.Empty, StringComparison.Ordinal);
        if (hasSign && numberText.Length == 0)
        {
            return (null, name);
        }

        if (numberText.Length is 1 or 2)
        {
            hours = int.Parse(numberText, CultureInfo.InvariantCulture);
        }
        else if (numberText.Length is 3 or 4)
        {
            hours = int.Parse(numberText[..^2], CultureInfo.InvariantCulture);
            minutes = int.Parse(numberText[^2..], CultureInfo.InvariantCulture);
        }
        else if (numberText.Length != 0)
        {
            return (null, name);
        }

        if (hours > 14 || minutes > 59)
        {
            return (null, name);
        }

        var rest = body[i..].Trim();
        if (paren)
        {
            if (rest.Length == 0 || rest[0] != ')')
            {
                return (null, name);
            }

            rest = rest[1..].Trim();
        }

        // A bare "UTC"/"GMT" word followed by letters is a name ("GMT Standard Time"), not an offset prefix.
        if (!paren && digits == 0 && rest.Length > 0 && rest[0] != '(')
        {
            return (null, name);
        }

        // "GMT +0100 (Standard) / GMT +0200 (Daylight)" carries no place name after the offset.
        var restText = rest.ToString();
        if (restText.StartsWith("(Standard)", StringComparison.OrdinalIgnoreCase))
        {
            restText = string.Empty;
        }

        return (Offset.FromSeconds(sign * ((hours * 3600) + (minutes * 60))), restText);
    }

    private static Offset StandardOffset(DateTimeZone zone)
    {
        var year = DateTime.UtcNow.Year;
        var jan = zone.GetUtcOffset(Instant.FromUtc(year, 1, 15, 12, 0));
        var jul = zone.GetUtcOffset(Instant.FromUtc(year, 7, 15, 12, 0));
        return jan < jul ? jan : jul;
    }
}
