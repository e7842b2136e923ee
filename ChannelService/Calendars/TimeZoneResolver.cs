using NodaTime;
using NodaTime.TimeZones;

namespace ChannelService.Calendars;

/// <summary>Per-source settings for <see cref="TimeZoneResolver"/>.</summary>
public sealed class TimeZoneResolverOptions
{
    /// <summary>
    /// The source's configured zone for floating times. When null, the calendar's X-WR-TIMEZONE is used, then UTC
    /// (calendar.md 2.4: producers disagree about X-WR-TIMEZONE, so the source setting wins).
    /// </summary>
    public DateTimeZone? DefaultZone { get; init; }

    /// <summary>Whether X-WR-TIMEZONE may set the zone of floating times when <see cref="DefaultZone"/> is null.</summary>
    public bool UseCalendarTimeZone { get; init; } = true;

    /// <summary>Supplies "now" for the year at which a named zone is checked against the file's VTIMEZONE.</summary>
    public TimeProvider Clock { get; init; } = TimeProvider.System;
}

/// <summary>Where the zone for floating times came from.</summary>
public enum FloatingZoneSource
{
    SourceSetting,
    CalendarTimeZone,
    Utc,
}

/// <summary>
/// Resolves TZIDs for one calendar (one instance per calendar and thread: it caches without locks) in the order of calendar.md 2.4: a known name (IANA, vendor prefix, alias,
/// Windows id, Outlook display name; <see cref="TimeZoneNames"/>) unless the file's own VTIMEZONE for that TZID
/// disagrees with it, then the VTIMEZONE's rules, then nothing (the value is treated as floating and flagged).
/// Lookups are cached per TZID, so resolving many values in one zone costs a dictionary hit and a NodaTime mapping.
/// </summary>
public sealed class TimeZoneResolver
{
    private readonly Dictionary<string, CalendarComponent> vtimezones = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DateTimeZone?> cache = new(StringComparer.Ordinal);
    private readonly List<string> diagnostics = [];
    private readonly HashSet<string> unresolved = new(StringComparer.Ordinal);
    private readonly TimeZoneResolverOptions options;
    private string? lastTzid;
    private DateTimeZone? lastZone;
    private const int MaxCustomZones = 100;
    private const int MaxSharedZones = 4096;
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, (DateTimeZone? Zone, string[] Diagnostics)> SharedZones = new(StringComparer.Ordinal);
    private int customZonesBuilt;
    private LocalTimeMapper? floatingMapper;
    private LocalTimeMapper? zonedMapper;

    public TimeZoneResolver(IEnumerable<CalendarComponent>? vtimezoneComponents = null, string? calendarTimeZone = null, TimeZoneResolverOptions? options = null)
    {
        this.options = options ?? new TimeZoneResolverOptions();
        foreach (var vtz in vtimezoneComponents ?? [])
        {
            var tzid = vtz.GetProperty("TZID")?.RawValue;
            // The same TZID defined twice (rie_discourse_no_dtend.ics has four copies): the first one counts.
            if (tzid is not null && !vtimezones.ContainsKey(tzid.Trim()))
            {
                vtimezones[tzid.Trim()] = vtz;
            }
        }

        if (this.options.DefaultZone is { } zone)
        {
            FloatingZone = zone;
            FloatingSource = FloatingZoneSource.SourceSetting;
        }
        else if (this.options.UseCalendarTimeZone && !string.IsNullOrWhiteSpace(calendarTimeZone) && Resolve(calendarTimeZone) is { } calendarZone)
        {
            FloatingZone = calendarZone;
            FloatingSource = FloatingZoneSource.CalendarTimeZone;
        }
        else
        {
            FloatingZone = DateTimeZone.Utc;
            FloatingSource = FloatingZoneSource.Utc;
        }
    }

    /// <summary>Builds a resolver from a VCALENDAR: its VTIMEZONE children and X-WR-TIMEZONE.</summary>
    public static TimeZoneResolver ForCalendar(CalendarComponent calendar, TimeZoneResolverOptions? options = null) =>
        new(calendar.Components.Where(c => c.Name == "VTIMEZONE"), calendar.GetProperty("X-WR-TIMEZONE")?.RawValue, options);

    /// <summary>Builds a resolver from several roots (a stream may hold several VCALENDARs, or bare components).</summary>
    public static TimeZoneResolver ForCalendars(IEnumerable<CalendarComponent> roots, TimeZoneResolverOptions? options = null)
    {
        var list = roots.ToList();
        var vtz = list.SelectMany(r => r.Name == "VTIMEZONE" ? [r] : r.Components.Where(c => c.Name == "VTIMEZONE"));
        var xwr = list.Select(r => r.GetProperty("X-WR-TIMEZONE")?.RawValue).FirstOrDefault(v => !string.IsNullOrWhiteSpace(v));
        return new TimeZoneResolver(vtz, xwr, options);
    }

    /// <summary>The zone used for floating and DATE values (and for TZIDs that cannot be resolved).</summary>
    public DateTimeZone FloatingZone { get; }

    public FloatingZoneSource FloatingSource { get; }

    /// <summary>Problems met while resolving (unknown TZIDs, broken VTIMEZONEs), each reported once.</summary>
    public IReadOnlyList<string> Diagnostics => diagnostics;

    /// <summary>TZIDs that resolved to nothing; values using them were treated as floating.</summary>
    public IReadOnlyCollection<string> UnresolvedTzids => unresolved;

    /// <summary>The zone for a TZID, or null when neither its name nor a VTIMEZONE resolves it.</summary>
    public DateTimeZone? Resolve(string? tzid)
    {
        if (tzid is null)
        {
            return null;
        }

        if (ReferenceEquals(tzid, lastTzid))
        {
            return lastZone;
        }

        if (!cache.TryGetValue(tzid, out var zone))
        {
            zone = ResolveUncached(tzid);
            cache[tzid] = zone;
        }

        lastTzid = tzid;
        lastZone = zone;
        return zone;
    }

    private DateTimeZone? ResolveUncached(string tzid)
    {
        var vtz = FindVTimeZone(tzid);
        if (vtz is null)
        {
            return TimeZoneNames.Resolve(tzid);
        }

        // Every stored item carries its own copy of the feed's VTIMEZONEs, so a pull over 20,000 items would expand
        // the same rules 20,000 times: the outcome for one (TZID, rules text, year) is shared by the whole process.
        var key = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{tzid}\u0001{options.Clock.GetUtcNow().Year}\u0001{Fingerprint(vtz)}");
        if (!SharedZones.TryGetValue(key, out var shared))
        {
            // Each VTIMEZONE built costs a bounded expansion; a hostile file with thousands of them gets a bounded
            // total. Rules already built cost nothing and do not count, so an item resolves the same whether it
            // is read with the rest of its calendar or alone from the store.
            if (++customZonesBuilt > MaxCustomZones)
            {
                if (customZonesBuilt == MaxCustomZones + 1)
                {
                    diagnostics.Add($"more than {MaxCustomZones} VTIMEZONEs in use; the rest are not evaluated");
                }

                return TimeZoneNames.Resolve(tzid);
            }

            var before = diagnostics.Count;
            var zone = ResolveWithRules(tzid, vtz);
            shared = (zone, diagnostics.Skip(before).ToArray());
            if (SharedZones.Count < MaxSharedZones)
            {
                SharedZones.TryAdd(key, shared);
            }

            return zone;
        }

        diagnostics.AddRange(shared.Diagnostics);
        return shared.Zone;
    }

    private DateTimeZone? ResolveWithRules(string tzid, CalendarComponent vtz)
    {
        var named = TimeZoneNames.Resolve(tzid);
        var custom = VTimeZoneZone.TryCreate(vtz, diagnostics);
        if (named is not null && custom is not null && !Agrees(named, custom))
        {
            diagnostics.Add($"TZID {tzid}: the file's VTIMEZONE disagrees with {named.Id}; using the VTIMEZONE");
            return custom;
        }

        return named ?? custom;
    }

    /// <summary>The rules text of a VTIMEZONE (names, parameters and values of it and its observances), for the shared cache.</summary>
    private static string Fingerprint(CalendarComponent vtz)
    {
        var text = new System.Text.StringBuilder(512);
        void Walk(CalendarComponent c)
        {
            text.Append('{').Append(c.Name);
            foreach (var p in c.Properties)
            {
                text.Append('\n').Append(p.Name);
                foreach (var parameter in p.Parameters)
                {
                    text.Append(';').Append(parameter.Name).Append('=').AppendJoin(',', parameter.Values);
                }

                text.Append(':').Append(p.RawValue);
            }

            foreach (var child in c.Components)
            {
                Walk(child);
            }

            text.Append('}');
        }

        Walk(vtz);
        return text.ToString();
    }

    private CalendarComponent? FindVTimeZone(string tzid)
    {
        if (vtimezones.TryGetValue(tzid.Trim(), out var vtz))
        {
            return vtz;
        }

        // References and definitions sometimes differ in quoting, escapes or a trailing colon (rie_mozilla_odd_tzid_pacific.ics).
        var clean = TimeZoneNames.Clean(tzid);
        foreach (var (key, value) in vtimezones)
        {
            if (string.Equals(TimeZoneNames.Clean(key), clean, StringComparison.OrdinalIgnoreCase))
            {
                return value;
            }
        }

        return null;
    }

    /// <summary>
    /// calendar.md 2.4: use the named zone (which knows future rule changes) only when the file's VTIMEZONE agrees with
    /// it; checked four times in the current year, or in the VTIMEZONE's last year with transitions if its rules end earlier.
    /// </summary>
    private bool Agrees(DateTimeZone named, VTimeZoneZone custom)
    {
        // A VTIMEZONE whose rules stop (no open RRULE) is compared in its last year with data; one that stopped
        // before 1970 (Outlook's single 1601 observance) describes a fixed offset that still holds now.
        var year = options.Clock.GetUtcNow().Year;
        if (custom.LastTransition is { } last && last.InUtc().Year < year && last.InUtc().Year >= 1970)
        {
            year = last.InUtc().Year;
        }

        foreach (var month in new[] { 1, 4, 7, 10 })
        {
            var at = Instant.FromUtc(year, month, 15, 12, 0);
            if (named.GetUtcOffset(at) != custom.GetUtcOffset(at))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// The instant of a value. DATE and floating values use <see cref="FloatingZone"/>; an unresolvable TZID falls back to it
    /// (step 5 of calendar.md 2.4) and is listed in <see cref="UnresolvedTzids"/>. Local times in a gap move forward by the
    /// gap's length and repeated local times take the first occurrence (RFC 5545 §3.3.5).
    /// </summary>
    public Instant ToInstant(IcalDateTime value)
    {
        switch (value.Kind)
        {
            case IcalDateKind.Utc:
                return value.Local.InUtc().ToInstant();
            case IcalDateKind.Zoned:
                var zone = Resolve(value.TzId);
                if (zone is null)
                {
                    if (unresolved.Add(value.TzId!))
                    {
                        diagnostics.Add($"TZID {value.TzId} could not be resolved; treated as floating");
                    }

                    zone = FloatingZone;
                }

                // Feeds use one or two zones for thousands of values: keep a mapper for the zone used last.
                var mapper = zonedMapper;
                if (mapper is null || !ReferenceEquals(mapper.Zone, zone))
                {
                    zonedMapper = mapper = new LocalTimeMapper(zone);
                }

                return mapper.ToInstant(value.Local);
            default:
                return (floatingMapper ??= new LocalTimeMapper(FloatingZone)).ToInstant(value.Local);
        }
    }

    /// <summary>The zone a value's wall clock belongs to (UTC for UTC values).</summary>
    public DateTimeZone ZoneOf(IcalDateTime value) => value.Kind switch
    {
        IcalDateKind.Utc => DateTimeZone.Utc,
        IcalDateKind.Zoned => Resolve(value.TzId) ?? FloatingZone,
        _ => FloatingZone,
    };

    public static Instant ToInstant(LocalDateTime local, DateTimeZone zone) =>
        zone.MinOffset == zone.MaxOffset ? local.WithOffset(zone.MinOffset).ToInstant() : zone.ResolveLocal(local, Resolvers.LenientResolver).ToInstant();
}

/// <summary>
/// Maps many wall-clock times of one zone to instants. Far from any transition (two days, more than any offset change)
/// a local time has exactly one instant, found with the offset of the zone interval used last; only times near a
/// transition go through NodaTime's full resolution. Expanding a year of a series costs a subtraction per instance.
/// </summary>
internal sealed class LocalTimeMapper(DateTimeZone zone)
{
    public DateTimeZone Zone => zone;

    private static readonly Duration Margin = Duration.FromDays(2);
    private readonly bool isFixed = zone.MinOffset == zone.MaxOffset;
    private Offset offset = zone.MinOffset;
    private Instant safeStart = Instant.MaxValue;
    private Instant safeEnd = Instant.MinValue;

    public Instant ToInstant(LocalDateTime local) => ToInstant(RecurrenceIterator.Key(local), local);

    /// <summary>Same, with the wall clock also given as seconds since 1970-01-01T00:00 local (<see cref="RecurrenceIterator.Key"/>).</summary>
    public Instant ToInstant(long localSeconds, LocalDateTime local)
    {
        var guess = Instant.FromUnixTimeSeconds(localSeconds - offset.Seconds);
        if (isFixed)
        {
            return guess;
        }

        if (guess >= safeStart && guess < safeEnd)
        {
            return guess;
        }

        var result = TimeZoneResolver.ToInstant(local, zone);
        var interval = zone.GetZoneInterval(result);
        offset = interval.WallOffset;
        safeStart = interval.HasStart ? interval.Start + Margin : Instant.MinValue;
        safeEnd = interval.HasEnd ? interval.End - Margin : Instant.MaxValue;
        return result;
    }
}

