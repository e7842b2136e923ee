using NodaTime;

namespace ChannelService.Calendars;

/// <summary>Hard limits for one expansion (calendar.md 2.5: "bound every expansion").</summary>
public sealed class RecurrenceExpansionOptions
{
    /// <summary>Most occurrences returned per call; more are dropped and <see cref="ExpansionResult.Truncated"/> is set.</summary>
    public int MaxOccurrences { get; init; } = 10_000;

    /// <summary>Work units (rule periods plus candidates) one series may use before it is cut off with a diagnostic.</summary>
    public long MaxWorkPerSeries { get; init; } = 2_000_000;
}

/// <summary>
/// One instance of a (possibly recurring) component inside the window. A struct: a year of a dense series is tens of
/// thousands of these, and as objects they made garbage collection the main cost of an expansion.
/// </summary>
/// <param name="Uid">UID of the series (null when the component had none).</param>
/// <param name="RecurrenceId">The instant of the instance's original start: the key overrides match on.</param>
/// <param name="OriginalStart">The original start as written in the master's frame (kind, wall clock, TZID).</param>
/// <param name="Start">Actual start, after any override.</param>
/// <param name="End">Actual end (exclusive; equal to Start for zero-length instances).</param>
/// <param name="IsRecurring">Whether the instance comes from an RRULE/RDATE series rather than a single component.</param>
/// <param name="IsOverridden">Whether a RECURRENCE-ID component (exact or RANGE=THISANDFUTURE) replaced the master's data.</param>
/// <param name="IsCancelled">STATUS:CANCELLED on the override, or on the master.</param>
/// <param name="Status">STATUS of the component that applies, upper-cased (null when absent).</param>
/// <param name="Component">The component to read SUMMARY etc. from: the override when there is one, else the master.</param>
/// <param name="Override">The RECURRENCE-ID component, if any.</param>
public readonly record struct Occurrence(
    string? Uid,
    Instant RecurrenceId,
    IcalDateTime OriginalStart,
    Instant Start,
    Instant End,
    bool IsRecurring,
    bool IsOverridden,
    bool IsCancelled,
    string? Status,
    CalendarComponent Component,
    CalendarComponent? Override);

public sealed record ExpansionResult(IReadOnlyList<Occurrence> Occurrences, IReadOnlyList<string> Diagnostics, bool Truncated);

/// <summary>
/// Expands VEVENT/VTODO/VJOURNAL series into instances within [from, to): DTSTART, every distinct RRULE (RFC 5545 §3.8.5.3),
/// RDATE (DATE, DATE-TIME, PERIOD), minus EXDATE (compared as instants, TZID honoured), with RECURRENCE-ID overrides matched
/// by instant (by date where one side is all-day), RANGE=THISANDFUTURE and cancelled instances (calendar.md 2.5).
/// An instance is in the window when it overlaps it; zero-length instances when their start lies in it.
/// </summary>
public static class RecurrenceExpander
{
    private static readonly string[] SeriesComponents = ["VEVENT", "VTODO", "VJOURNAL"];

    /// <summary>Expands every series found among <paramref name="components"/> (VCALENDARs are searched one level down).</summary>
    public static ExpansionResult Expand(IEnumerable<CalendarComponent> components, TimeZoneResolver resolver, Instant from, Instant to, RecurrenceExpansionOptions? options = null)
    {
        options ??= new RecurrenceExpansionOptions();
        var groups = new Dictionary<string, (CalendarComponent? Master, List<CalendarComponent> Overrides)>(StringComparer.Ordinal);
        var order = new List<string>();
        var anonymous = 0;
        foreach (var c in components.SelectMany(c => SeriesComponents.Contains(c.Name) ? [c] : c.Components.Where(x => SeriesComponents.Contains(x.Name))))
        {
            var uid = c.GetProperty("UID")?.RawValue.Trim();
            var key = string.IsNullOrEmpty(uid) ? "\0" + anonymous++ : uid;
            if (!groups.TryGetValue(key, out var g))
            {
                g = (null, []);
                order.Add(key);
            }

            if (c.GetProperty("RECURRENCE-ID") is not null)
            {
                g.Overrides.Add(c);
            }
            else if (g.Master is null)
            {
                // Masters may come after their overrides; only the first master of a UID counts.
                g.Master = c;
            }

            groups[key] = g;
        }

        var all = new List<Occurrence>();
        var diagnostics = new List<string>();
        var truncated = false;
        foreach (var key in order)
        {
            var g = groups[key];
            truncated |= ExpandSeriesInto(g.Master, g.Overrides, resolver, from, to, options, all, diagnostics);
        }

        all.Sort((a, b) => a.Start != b.Start ? a.Start.CompareTo(b.Start) : string.CompareOrdinal(a.Uid, b.Uid));
        if (all.Count > options.MaxOccurrences)
        {
            all.RemoveRange(options.MaxOccurrences, all.Count - options.MaxOccurrences);
            truncated = true;
            diagnostics.Add($"more than {options.MaxOccurrences} occurrences in the window; output cut off");
        }

        return new ExpansionResult(all, diagnostics, truncated);
    }

    /// <summary>Expands one series: a master (may be null: overrides without a master) and its RECURRENCE-ID components.</summary>
    public static ExpansionResult ExpandSeries(CalendarComponent? master, IReadOnlyList<CalendarComponent> overrides, TimeZoneResolver resolver, Instant from, Instant to, RecurrenceExpansionOptions? options = null)
    {
        var result = new List<Occurrence>();
        var diagnostics = new List<string>();
        var truncated = ExpandSeriesInto(master, overrides, resolver, from, to, options ?? new RecurrenceExpansionOptions(), result, diagnostics);
        return new ExpansionResult(result, diagnostics, truncated);
    }

    /// <summary>
    /// Appends one series' instances (sorted by start) to <paramref name="result"/>, so bulk callers can reuse one list
    /// instead of allocating a large one per series. Returns whether a cap cut the series off.
    /// </summary>
    public static bool ExpandSeriesInto(CalendarComponent? master, IReadOnlyList<CalendarComponent> overrides, TimeZoneResolver resolver, Instant from, Instant to, RecurrenceExpansionOptions options, List<Occurrence> result, List<string> diagnostics)
    {
        var first = result.Count;
        var truncated = false;
        var uid = (master ?? overrides.FirstOrDefault())?.GetProperty("UID")?.RawValue.Trim();

        // Overrides by RECURRENCE-ID; of two with the same id the higher SEQUENCE, then the later one, wins.
        var exact = new Dictionary<Instant, OverrideInfo>(InstantComparer.Instance);
        var exactByDate = new Dictionary<LocalDate, OverrideInfo>();
        var ranges = new List<OverrideInfo>();
        foreach (var o in overrides)
        {
            var ridProp = o.GetProperty("RECURRENCE-ID")!;
            if (!IcalDateTime.TryParse(ridProp, out var rid))
            {
                diagnostics.Add($"{uid}: unreadable RECURRENCE-ID {ridProp.RawValue}");
                continue;
            }

            var info = new OverrideInfo(o, rid, resolver.ToInstant(rid), Sequence(o));
            if (string.Equals(ridProp.GetParameter("RANGE")?.Trim(), "THISANDFUTURE", StringComparison.OrdinalIgnoreCase))
            {
                ranges.Add(info);
            }

            if (exact.TryGetValue(info.RidInstant, out var existing) && existing.Sequence > info.Sequence)
            {
                continue;
            }

            exact[info.RidInstant] = info;
            exactByDate[rid.Local.Date] = info;
        }

        ranges.Sort((a, b) => a.RidInstant.CompareTo(b.RidInstant));
        var matched = new HashSet<OverrideInfo>();

        if (master is not null && TryStart(master, out var dtstart))
        {
            var masterStatus = Status(master);
            var span = SpanOf(master, dtstart, resolver, diagnostics, uid);
            var isDateSeries = dtstart.IsDate;
            var masterZone = resolver.ZoneOf(dtstart);

            // Widen the generation window by the longest duration and any THISANDFUTURE shift, so that
            // instances that start before the window but overlap it, or are moved into it, are seen.
            var maxShift = Duration.Zero;
            foreach (var r in ranges)
            {
                var shift = ShiftOf(r, resolver);
                maxShift = Duration.Max(maxShift, shift < Duration.Zero ? -shift : shift);
            }

            var genFrom = from - span.Approximate - maxShift - Duration.FromDays(2);
            var genTo = to + maxShift + Duration.FromDays(2);
            var candidates = Buffers.Candidates();
            var rrules = master.GetProperties("RRULE").ToList();
            var isRecurring = rrules.Count > 0 || master.GetProperty("RDATE") is not null;
            long budget = options.MaxWorkPerSeries;
            var locals = Buffers.Keys();

            if (rrules.Count == 0)
            {
                locals.Add(RecurrenceIterator.Key(dtstart.Local));
            }

            var seenRules = new HashSet<string>(StringComparer.Ordinal);
            foreach (var rr in rrules)
            {
                if (!RecurrenceRule.TryParse(rr.RawValue, out var rule, out var error))
                {
                    diagnostics.Add($"{uid}: RRULE ignored: {error}");
                    locals.Add(RecurrenceIterator.Key(dtstart.Local));
                    continue;
                }

                // Several RRULEs (Cyrus): take the union; an identical second rule adds nothing.
                if (!seenRules.Add(rule.ToString()))
                {
                    continue;
                }

                var untilLocal = CoerceUntil(rule.Until, dtstart, masterZone, resolver);
                var windowStart = Clamp(genFrom).InZone(masterZone).LocalDateTime;
                var windowEnd = Clamp(genTo).InZone(masterZone).LocalDateTime;
                var stop = new RecurrenceIterator(rule, dtstart.Local, isDateSeries)
                    .Enumerate(untilLocal, windowStart, windowEnd, options.MaxOccurrences + 1, ref budget, locals);
                if (stop == RecurrenceStop.WorkCap)
                {
                    truncated = true;
                    diagnostics.Add($"{uid}: RRULE {rule} stopped after its work budget ({options.MaxWorkPerSeries}); occurrences may be missing");
                }
                else if (stop == RecurrenceStop.OccurrenceCap)
                {
                    truncated = true;
                    diagnostics.Add($"{uid}: RRULE {rule} has more than {options.MaxOccurrences} occurrences in the window; cut off");
                }
            }

            // One zone serves the whole rule output: resolve it once (this also records an unresolvable TZID).
            resolver.ToInstant(dtstart);
            var mapper = new LocalTimeMapper(masterZone);
            candidates.EnsureCapacity(locals.Count + 4);
            if (rrules.Count <= 1 && exact.Count == 0 && master.GetProperty("RDATE") is null && master.GetProperty("EXDATE") is null)
            {
                // The common case (one rule, nothing to add, remove or override) goes straight from wall-clock keys
                // to instances; the keys are already sorted and distinct.
                result.EnsureCapacity(first + locals.Count);
                EmitPlain(locals, dtstart, mapper, resolver, master, uid, span, isRecurring, masterStatus, from, to, result);
            }
            else
            {
                foreach (var key in locals)
                {
                    var local = RecurrenceIterator.FromKey(key);
                    candidates.Add(new Candidate(new IcalDateTime(dtstart.Kind, local, dtstart.TzId), mapper.ToInstant(key, local), null));
                }
            }

            foreach (var rdate in master.GetProperties("RDATE"))
            {
                var tzid = rdate.GetParameter("TZID");
                var isPeriod = string.Equals(rdate.GetParameter("VALUE"), "PERIOD", StringComparison.OrdinalIgnoreCase);
                foreach (var item in SplitList(rdate.RawValue))
                {
                    if ((isPeriod || item.Contains('/', StringComparison.Ordinal)) && IcalPeriod.TryParse(item, tzid, out var period))
                    {
                        var at = resolver.ToInstant(period.Start);
                        var end = period.End is { } e ? resolver.ToInstant(e) : EndFrom(period.Start, at, new SeriesSpan(period.Duration!.Value.NominalPart.Days, period.Duration.Value.ExactPart), resolver);
                        candidates.Add(new Candidate(period.Start, at, end));
                    }
                    else if (IcalDateTime.TryParse(item, tzid, rdate.GetParameter("VALUE"), out var value))
                    {
                        candidates.Add(new Candidate(value, resolver.ToInstant(value), null));
                    }
                    else
                    {
                        diagnostics.Add($"{uid}: unreadable RDATE value {item}");
                    }
                }
            }

            // EXDATE: compared as instants, with each value's own TZID (calendar.md 2.5). Where one side is all-day the
            // date is compared instead, since an all-day instance has no meaningful instant of its own in another zone.
            var exInstants = new HashSet<Instant>(InstantComparer.Instance);
            var exDates = new HashSet<LocalDate>();
            foreach (var exdate in master.GetProperties("EXDATE"))
            {
                var tzid = exdate.GetParameter("TZID");
                foreach (var item in SplitList(exdate.RawValue))
                {
                    if (!IcalDateTime.TryParse(item, tzid, exdate.GetParameter("VALUE"), out var value))
                    {
                        diagnostics.Add($"{uid}: unreadable EXDATE value {item}");
                        continue;
                    }

                    if (value.IsDate || isDateSeries)
                    {
                        exDates.Add(value.Local.Date);
                    }
                    else
                    {
                        exInstants.Add(resolver.ToInstant(value));
                    }
                }
            }

            // RRULE, RDATE and DTSTART may produce one instant several times; it counts once (RFC 5545 §3.8.5.2).
            // A PERIOD RDATE sorts first among equals so that its explicit end is kept.
            if (!IsSorted(candidates))
            {
                candidates.Sort((a, b) => a.At != b.At ? a.At.CompareTo(b.At) : (b.ExplicitEnd.HasValue ? 1 : 0) - (a.ExplicitEnd.HasValue ? 1 : 0));
            }

            result.EnsureCapacity(first + candidates.Count + exact.Count);
            // The per-instance loop lives in its own method: inside this large method the JIT optimised it poorly.
            EmitInstances();

            void EmitInstances()
            {
                for (var i = 0; i < candidates.Count; i++)
                {
                    var c = candidates[i];
                    if (i > 0 && candidates[i - 1].At == c.At)
                    {
                        continue;
                    }

                    if ((exInstants.Count > 0 && exInstants.Contains(c.At)) || (exDates.Count > 0 && exDates.Contains(c.Value.Local.Date)))
                    {
                        continue;
                    }

                    var ov = exact.Count == 0 ? null : FindExact(c, exact, exactByDate, isDateSeries);
                    if (ov is not null)
                    {
                        matched.Add(ov);
                        var occ = FromOverride(ov, uid, c.At, c.Value, span, resolver, masterStatus, isRecurring);
                        if (Overlaps(occ, from, to))
                        {
                            result.Add(occ);
                        }

                        continue;
                    }

                    var range = ranges.Count == 0 ? null : LatestRangeBefore(ranges, c.At);
                    Instant start;
                    Instant end;
                    CalendarComponent component = master;
                    string? status = masterStatus;
                    if (range is not null)
                    {
                        var shift = ShiftOf(range, resolver);
                        start = c.At + shift;
                        var rangeSpan = SpanOf(range.Component, range.Start ?? c.Value, resolver, diagnostics, uid, span);
                        end = rangeSpan.IsZero ? start : start + rangeSpan.Approximate;
                        component = range.Component;
                        status = Status(range.Component) ?? masterStatus;
                    }
                    else
                    {
                        start = c.At;
                        end = c.ExplicitEnd ?? EndFrom(c.Value, c.At, span, resolver);
                    }

                    var occurrence = new Occurrence(uid, c.At, c.Value, start, end, isRecurring, range is not null, status == "CANCELLED", status, component, range?.Component);
                    if (Overlaps(occurrence, from, to))
                    {
                        result.Add(occurrence);
                    }
                }
            }
        }
        else if (master is not null)
        {
            diagnostics.Add($"{uid}: {master.Name} without a usable DTSTART skipped");
        }

        // Overrides that matched no generated instance (no master, instance outside the window, or EXDATE'd) are
        // instances in their own right (RFC 5545 §3.8.4.4); each is placed by its own DTSTART.
        foreach (var ov in exact.Values)
        {
            if (matched.Contains(ov))
            {
                continue;
            }

            var masterStart = master is not null && TryStart(master, out var ms) ? ms : (IcalDateTime?)null;
            var fallbackSpan = master is not null && masterStart is { } m ? SpanOf(master, m, resolver, diagnostics, uid) : SeriesSpan.Zero;
            var occ = FromOverride(ov, uid, ov.RidInstant, ov.Rid, fallbackSpan, resolver, master is null ? null : Status(master), true);
            if (Overlaps(occ, from, to))
            {
                result.Add(occ);
            }
        }

        if (!IsSorted(result, first))
        {
            result.Sort(first, result.Count - first, OccurrenceByStart.Instance);
        }

        if (result.Count - first > options.MaxOccurrences)
        {
            result.RemoveRange(first + options.MaxOccurrences, result.Count - first - options.MaxOccurrences);
            truncated = true;
        }

        return truncated;
    }

    private static void EmitPlain(List<long> keys, IcalDateTime dtstart, LocalTimeMapper mapper, TimeZoneResolver resolver, CalendarComponent master, string? uid, SeriesSpan span, bool isRecurring, string? status, Instant from, Instant to, List<Occurrence> result)
    {
        var cancelled = status == "CANCELLED";
        var first = result.Count;
        var latest = Instant.MinValue;
        foreach (var key in keys)
        {
            var local = RecurrenceIterator.FromKey(key);
            var at = mapper.ToInstant(key, local);

            // Wall-clock times inside a DST gap move forward (RFC 5545 §3.3.5), onto instants the rule may also produce
            // and out of order; keep one of each (the caller sorts when needed).
            if (at <= latest && HasStart(result, first, at))
            {
                continue;
            }

            latest = Instant.Max(latest, at);
            var value = new IcalDateTime(dtstart.Kind, local, dtstart.TzId);
            var occurrence = new Occurrence(uid, at, value, at, EndFrom(value, at, span, resolver), isRecurring, false, cancelled, status, master, null);
            if (Overlaps(occurrence, from, to))
            {
                result.Add(occurrence);
            }
        }
    }

    private static bool HasStart(List<Occurrence> list, int first, Instant at)
    {
        for (var i = list.Count - 1; i >= first; i--)
        {
            if (list[i].Start == at)
            {
                return true;
            }
        }

        return false;
    }

    private sealed class OccurrenceByStart : IComparer<Occurrence>
    {
        public static readonly OccurrenceByStart Instance = new();

        public int Compare(Occurrence x, Occurrence y) => x.Start.CompareTo(y.Start);
    }

    /// <summary>The THISANDFUTURE override in force for an instance: the latest one before it (ranges are sorted).</summary>
    private static OverrideInfo? LatestRangeBefore(List<OverrideInfo> ranges, Instant at)
    {
        OverrideInfo? found = null;
        foreach (var r in ranges)
        {
            if (r.RidInstant >= at)
            {
                break;
            }

            found = r;
        }

        return found;
    }

    private static bool IsSorted(List<Candidate> list)
    {
        for (var i = 1; i < list.Count; i++)
        {
            if (list[i - 1].At > list[i].At || (list[i - 1].At == list[i].At && list[i].ExplicitEnd.HasValue))
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsSorted(List<Occurrence> list, int first)
    {
        for (var i = first + 1; i < list.Count; i++)
        {
            if (list[i - 1].Start > list[i].Start)
            {
                return false;
            }
        }

        return true;
    }

    private static OverrideInfo? FindExact(Candidate c, Dictionary<Instant, OverrideInfo> exact, Dictionary<LocalDate, OverrideInfo> byDate, bool isDateSeries)
    {
        if (exact.TryGetValue(c.At, out var ov))
        {
            return ov;
        }

        // An all-day master overridden with RECURRENCE-ID;TZID=…:…T000000 (Exchange), or a DATE RECURRENCE-ID on a timed series.
        if (byDate.TryGetValue(c.Value.Local.Date, out ov) && (isDateSeries || ov.Rid.IsDate))
        {
            return ov;
        }

        return null;
    }

    private static Occurrence FromOverride(OverrideInfo ov, string? uid, Instant recurrenceId, IcalDateTime original, SeriesSpan masterSpan, TimeZoneResolver resolver, string? masterStatus, bool isRecurring)
    {
        var startValue = ov.Start ?? original;
        var start = ov.Start is { } s ? resolver.ToInstant(s) : recurrenceId;
        var span = SpanOf(ov.Component, startValue, resolver, null, uid, masterSpan);
        var end = EndFrom(startValue, start, span, resolver);
        var status = Status(ov.Component) ?? masterStatus;
        return new Occurrence(uid, recurrenceId, original, start, end, isRecurring, true, status == "CANCELLED", status, ov.Component, ov.Component);
    }

    private static Duration ShiftOf(OverrideInfo range, TimeZoneResolver resolver) =>
        range.Start is { } s ? resolver.ToInstant(s) - range.RidInstant : Duration.Zero;

    private static bool Overlaps(in Occurrence o, Instant from, Instant to) =>
        o.Start < to && (o.End > from || (o.End <= o.Start && o.Start >= from));

    private static Instant Clamp(Instant i)
    {
        var min = Instant.FromUtc(1, 1, 3, 0, 0);
        var max = Instant.FromUtc(9999, 12, 29, 0, 0);
        return i < min ? min : i > max ? max : i;
    }

    /// <summary>
    /// UNTIL in DTSTART's frame (calendar.md 2.5): a UTC UNTIL is converted to DTSTART's wall clock, a floating or
    /// zoned UNTIL is read in DTSTART's zone, a DATE UNTIL on a timed series covers its whole day, and a DATE-TIME
    /// UNTIL on an all-day series keeps its date. UNTIL is inclusive.
    /// </summary>
    internal static LocalDateTime? CoerceUntil(IcalDateTime? until, IcalDateTime dtstart, DateTimeZone masterZone, TimeZoneResolver resolver)
    {
        if (until is not { } u)
        {
            return null;
        }

        if (dtstart.IsDate)
        {
            var date = u.Kind == IcalDateKind.Utc ? u.Local.InUtc().ToInstant().InZone(masterZone).Date : u.Local.Date;
            return date.AtMidnight();
        }

        if (u.IsDate)
        {
            return u.Local.Date.PlusDays(1).AtMidnight().PlusSeconds(-1);
        }

        return u.Kind switch
        {
            IcalDateKind.Utc => u.Local.InUtc().ToInstant().InZone(masterZone).LocalDateTime,
            IcalDateKind.Zoned when resolver.Resolve(u.TzId) is { } z => resolver.ToInstant(u).InZone(masterZone).LocalDateTime,
            _ => u.Local,
        };
    }

    private static bool TryStart(CalendarComponent c, out IcalDateTime start)
    {
        start = default;
        var p = c.GetProperty("DTSTART") ?? (c.Name == "VTODO" ? c.GetProperty("DUE") : null);
        return p is not null && IcalDateTime.TryParse(p, out start);
    }

    private static int Sequence(CalendarComponent c) =>
        int.TryParse(c.GetProperty("SEQUENCE")?.RawValue.Trim(), System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var s) ? s : 0;

    private static string? Status(CalendarComponent c)
    {
        var s = c.GetProperty("STATUS")?.RawValue.Trim();
        return string.IsNullOrEmpty(s) ? null : s.ToUpperInvariant();
    }

    /// <summary>
    /// Length of each instance: DTEND/DUE − DTSTART (whole days for all-day starts, RFC 5545 §3.6.1: DTEND exclusive),
    /// else DURATION (days nominal, time exact), else one day for a DATE start and zero for a DATE-TIME start.
    /// When the component has none of these, <paramref name="fallback"/> (the master's length) is used for overrides.
    /// </summary>
    private static SeriesSpan SpanOf(CalendarComponent c, IcalDateTime start, TimeZoneResolver resolver, List<string>? diagnostics, string? uid, SeriesSpan? fallback = null)
    {
        var endProp = c.GetProperty("DTEND") ?? (c.Name == "VTODO" && c.GetProperty("DTSTART") is not null ? c.GetProperty("DUE") : null);
        if (endProp is not null && IcalDateTime.TryParse(endProp, out var end))
        {
            if (start.IsDate || end.IsDate)
            {
                var days = Period.Between(start.Local.Date, end.Local.Date, PeriodUnits.Days).Days;
                return new SeriesSpan(Math.Max(days, 0), Duration.Zero);
            }

            var length = resolver.ToInstant(end) - resolver.ToInstant(start);
            if (length < Duration.Zero)
            {
                diagnostics?.Add($"{uid}: end before start; treated as zero length");
                length = Duration.Zero;
            }

            return new SeriesSpan(0, length);
        }

        var durProp = c.GetProperty("DURATION");
        if (durProp is not null && IcalDuration.TryParse(durProp.RawValue, out var d))
        {
            return d.IsNegative ? SeriesSpan.Zero : new SeriesSpan(d.NominalPart.Days, d.ExactPart);
        }

        if (fallback is { } f)
        {
            return f;
        }

        return start.IsDate ? new SeriesSpan(1, Duration.Zero) : SeriesSpan.Zero;
    }

    private static Instant EndFrom(IcalDateTime start, Instant startInstant, SeriesSpan span, TimeZoneResolver resolver)
    {
        if (span.Days == 0)
        {
            return startInstant + span.Exact;
        }

        var endLocal = start.Local.PlusDays(span.Days);
        var endInstant = start.Kind == IcalDateKind.Utc ? endLocal.InUtc().ToInstant() : resolver.ToInstant(start with { Local = endLocal });
        return endInstant + span.Exact;
    }

    private static IEnumerable<string> SplitList(string raw) =>
        raw.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>
    /// NodaTime's Instant hash XORs days with nanoseconds-of-day, which collides badly for regular series
    /// (every half hour of a year lands in few buckets); mix the tick count instead.
    /// </summary>
    private sealed class InstantComparer : IEqualityComparer<Instant>
    {
        public static readonly InstantComparer Instance = new();

        public bool Equals(Instant x, Instant y) => x == y;

        public int GetHashCode(Instant obj) => (int)((ulong)(obj.ToUnixTimeTicks() * -7046029254386353131L) >> 32);
    }

    /// <summary>
    /// Per-thread scratch lists: a year of a dense series needs lists above the large-object threshold, and allocating
    /// them per call made the garbage collector the main cost of an expansion. Oversized lists are not kept.
    /// </summary>
    private static class Buffers
    {
        private const int MaxKept = 1 << 20;

        [ThreadStatic]
        private static List<long>? keys;

        [ThreadStatic]
        private static List<Candidate>? candidates;

        public static List<long> Keys()
        {
            var list = keys is { Capacity: <= MaxKept } l ? l : keys = new List<long>(1024);
            list.Clear();
            return list;
        }

        public static List<Candidate> Candidates()
        {
            var list = candidates is { Capacity: <= MaxKept } c ? c : candidates = new List<Candidate>(1024);
            list.Clear();
            return list;
        }
    }

    private readonly record struct Candidate(IcalDateTime Value, Instant At, Instant? ExplicitEnd);

    private readonly record struct SeriesSpan(int Days, Duration Exact)
    {
        public static SeriesSpan Zero => default;

        public bool IsZero => Days == 0 && Exact == Duration.Zero;

        public Duration Approximate => Duration.FromDays(Days) + Exact;
    }

    private sealed class OverrideInfo(CalendarComponent component, IcalDateTime rid, Instant ridInstant, int sequence)
    {
        public CalendarComponent Component { get; } = component;

        public IcalDateTime Rid { get; } = rid;

        public Instant RidInstant { get; } = ridInstant;

        public int Sequence { get; } = sequence;

        public IcalDateTime? Start { get; } =
            component.GetProperty("DTSTART") is { } p && IcalDateTime.TryParse(p, out var s) ? s : null;
    }
}
