using NodaTime;
using NodaTime.TimeZones;

namespace ChannelService.Calendars;

/// <summary>
/// A NodaTime zone built from a file's own VTIMEZONE (RFC 5545 §3.6.5): every STANDARD/DAYLIGHT onset (DTSTART,
/// RRULE occurrences, RDATEs) becomes a transition at <c>onset local time − TZOFFSETFROM</c>, and the offset in force
/// at an instant is the TZOFFSETTO of the latest onset before it. Transitions are computed once, up to year 2200.
/// </summary>
public sealed class VTimeZoneZone : DateTimeZone
{
    private const int LastYear = 2200;
    private const int MaxOnsetsPerObservance = 2000;

    private readonly ZoneInterval[] intervals;
    private readonly Instant[] starts;
    private ZoneInterval lastHit;

    private VTimeZoneZone(string id, ZoneInterval[] intervals, Offset min, Offset max)
        : base(id, intervals.Length == 1, min, max)
    {
        this.intervals = intervals;
        starts = intervals.Select(i => i.HasStart ? i.Start : Instant.MinValue).ToArray();
        lastHit = intervals[0];
    }

    /// <summary>Number of distinct offset changes found.</summary>
    public int TransitionCount => intervals.Length - 1;

    /// <summary>The latest instant at which the offset changes, if any.</summary>
    public Instant? LastTransition => intervals.Length > 1 ? intervals[^1].Start : null;

    public override ZoneInterval GetZoneInterval(Instant instant)
    {
        var hit = lastHit;
        if (hit.Contains(instant))
        {
            return hit;
        }

        var index = Array.BinarySearch(starts, instant);
        if (index < 0)
        {
            index = ~index - 1;
        }

        hit = intervals[Math.Max(index, 0)];
        lastHit = hit;
        return hit;
    }

    /// <summary>Builds the zone, or null (with a reason in <paramref name="diagnostics"/>) when no observance is usable.</summary>
    public static VTimeZoneZone? TryCreate(CalendarComponent vtimezone, ICollection<string> diagnostics)
    {
        var id = vtimezone.GetProperty("TZID")?.RawValue.Trim() ?? string.Empty;
        var onsets = new List<(Instant At, Offset From, Offset To, string Name, bool Daylight)>();
        foreach (var observance in vtimezone.Components)
        {
            var daylight = observance.Name == "DAYLIGHT";
            if (!daylight && observance.Name != "STANDARD")
            {
                continue;
            }

            var toProp = observance.GetProperty("TZOFFSETTO");
            if (toProp is null || !UtcOffset.TryParse(toProp.RawValue, out var to))
            {
                diagnostics.Add($"VTIMEZONE {id}: {observance.Name} without a valid TZOFFSETTO");
                continue;
            }

            var fromProp = observance.GetProperty("TZOFFSETFROM");
            var from = fromProp is not null && UtcOffset.TryParse(fromProp.RawValue, out var f) ? f : to;
            var name = observance.GetProperty("TZNAME")?.RawValue ?? observance.Name;

            var startProp = observance.GetProperty("DTSTART");
            if (startProp is null || !IcalDateTime.TryParse(startProp.RawValue, null, null, out var start))
            {
                diagnostics.Add($"VTIMEZONE {id}: {observance.Name} without a valid DTSTART");
                continue;
            }

            var locals = new List<long>();
            var rrules = observance.GetProperties("RRULE").ToList();
            if (rrules.Count == 0)
            {
                locals.Add(RecurrenceIterator.Key(start.Local));
            }

            foreach (var rr in rrules)
            {
                if (!RecurrenceRule.TryParse(rr.RawValue, out var rule, out var error))
                {
                    diagnostics.Add($"VTIMEZONE {id}: {error}");
                    locals.Add(RecurrenceIterator.Key(start.Local));
                    continue;
                }

                LocalDateTime? until = rule.Until switch
                {
                    null => null,
                    { Kind: IcalDateKind.Utc } u => u.Local.PlusSeconds(from.Seconds),
                    { Kind: IcalDateKind.Date } u => u.Local.PlusDays(1).PlusSeconds(-1),
                    { } u => u.Local,
                };
                // Real observances need a few thousand units (one or two onsets a year up to 2200); hostile rules stop here.
                long budget = 30_000;
                new RecurrenceIterator(rule, start.Local, false).Enumerate(
                    until, start.Local, new LocalDateTime(LastYear, 1, 1, 0, 0), MaxOnsetsPerObservance, ref budget, locals);
            }

            foreach (var key in locals)
            {
                onsets.Add((Instant.FromUnixTimeSeconds(key - from.Seconds), from, to, name, daylight));
            }

            foreach (var rdate in observance.GetProperties("RDATE"))
            {
                foreach (var item in rdate.RawValue.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                {
                    var text = item.Contains('/', StringComparison.Ordinal) ? item[..item.IndexOf('/', StringComparison.Ordinal)] : item;
                    if (IcalDateTime.TryParse(text, null, null, out var r))
                    {
                        var at = r.Kind == IcalDateKind.Utc ? r.Local.InUtc().ToInstant() : r.Local.WithOffset(from).ToInstant();
                        onsets.Add((at, from, to, name, daylight));
                    }
                }
            }
        }

        if (onsets.Count == 0)
        {
            diagnostics.Add($"VTIMEZONE {id}: no usable STANDARD or DAYLIGHT observance");
            return null;
        }

        onsets.Sort((a, b) => a.At.CompareTo(b.At));
        var initial = onsets[0].From;
        var standard = onsets.FirstOrDefault(o => !o.Daylight).To;
        var built = new List<(Instant? Start, Offset Offset, string Name, Offset Savings)>
        {
            (null, initial, onsets[0].Name, Offset.Zero),
        };
        foreach (var o in onsets)
        {
            if (!o.Daylight)
            {
                standard = o.To;
            }

            var savings = o.Daylight ? o.To - standard : Offset.Zero;
            var last = built[^1];
            if (last.Start == o.At)
            {
                // Two onsets at one instant: the later observance in sort order wins.
                built[^1] = (o.At, o.To, o.Name, savings);
            }
            else if (last.Offset != o.To)
            {
                built.Add((o.At, o.To, o.Name, savings));
            }
        }

        // Collapse entries made equal to their predecessor by a same-instant replacement.
        var merged = new List<(Instant? Start, Offset Offset, string Name, Offset Savings)>();
        foreach (var b in built)
        {
            if (merged.Count > 0 && merged[^1].Offset == b.Offset)
            {
                continue;
            }

            merged.Add(b);
        }

        var result = new ZoneInterval[merged.Count];
        for (var i = 0; i < merged.Count; i++)
        {
            var end = i + 1 < merged.Count ? merged[i + 1].Start : null;
            result[i] = new ZoneInterval(merged[i].Name, merged[i].Start, end, merged[i].Offset, merged[i].Savings);
        }

        var min = merged.Min(m => m.Offset);
        var max = merged.Max(m => m.Offset);
        return new VTimeZoneZone(id.Length > 0 ? id : "VTIMEZONE", result, min, max);
    }
}
