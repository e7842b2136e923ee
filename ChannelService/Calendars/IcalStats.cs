using System.Runtime.CompilerServices;
using NodaTime;

namespace ChannelService.Calendars;

/// <summary>What <c>ical parse --stats</c> prints: counts and checksums that prove every value was really read.</summary>
internal sealed record IcalStats(long Events, long Todos, long Journals, long Diagnostics, long StartSum, long SummaryChars);

/// <summary>
/// The timed benchmark parse (calendar.md section 5): streams the feed, splits every property, unescapes every
/// TEXT value, types the other values, and sums VEVENT DTSTART / VTODO DUE as Unix seconds.
/// </summary>
internal static class IcalStatsCollector
{
    /// <summary>Floating times read as UTC and DATE values at 00:00 UTC, so the sum does not depend on the machine.</summary>
    private static readonly TimeZoneResolverOptions ResolverOptions = new() { DefaultZone = DateTimeZone.Utc, UseCalendarTimeZone = false };

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static IcalStats Collect(Stream input, IcalReaderOptions? options = null)
    {
        var reader = new IcalReader(input, (options ?? IcalReaderOptions.Default) with { KeepRawLines = false });
        var state = new State { Resolver = new TimeZoneResolver(null, null, ResolverOptions) };
        var vtimezones = new List<CalendarComponent>();
        while (reader.TryReadNext(out var item))
        {
            if (item.Component.Name == IcalNames.VTimeZone)
            {
                // Streaming hands VTIMEZONEs out like any other child; the resolver learns each one as it arrives.
                vtimezones.Add(item.Component);
                state.Resolver = new TimeZoneResolver(vtimezones, null, ResolverOptions);
            }

            Visit(item.Component, state);
        }

        return new IcalStats(state.Events, state.Todos, state.Journals, reader.DiagnosticCount, state.StartSum, state.SummaryChars);
    }

    private sealed class State
    {
        public long Events;
        public long Todos;
        public long Journals;
        public long StartSum;
        public long SummaryChars;
        public long Checksum;
        public TimeZoneResolver Resolver = null!;
        public char[] Buffer = new char[1024];
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Visit(CalendarComponent component, State state)
    {
        var name = component.Name;
        string? instantProperty = null;
        if (ReferenceEquals(name, IcalNames.VEvent) || name == IcalNames.VEvent)
        {
            state.Events++;
            instantProperty = IcalNames.DtStart;
        }
        else if (name == IcalNames.VTodo)
        {
            state.Todos++;
            instantProperty = IcalNames.Due;
        }
        else if (name == IcalNames.VJournal)
        {
            state.Journals++;
        }

        var inVTimeZone = name == IcalNames.VTimeZone || name is "STANDARD" or "DAYLIGHT";
        foreach (var p in component.Properties)
        {
            var instant = TypeValue(p, state, resolve: !inVTimeZone);
            if (instant is { } seconds && instantProperty is not null && ReferenceEquals(p.Name, instantProperty))
            {
                state.StartSum += seconds;
            }
        }

        foreach (var child in component.Components)
        {
            Visit(child, state);
        }
    }

    /// <summary>Types one value the way its property and VALUE= say; returns Unix seconds for a single DATE/DATE-TIME.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static long? TypeValue(CalendarProperty p, State state, bool resolve)
    {
        var raw = p.RawValue;
        switch (IcalValueTypes.Of(p))
        {
            case IcalValueType.Text or IcalValueType.Unknown:
            {
                // Unescaped into a reused buffer: the benchmark does the work without keeping a second copy.
                if (state.Buffer.Length < raw.Length)
                {
                    state.Buffer = new char[Math.Max(raw.Length, state.Buffer.Length * 2)];
                }

                var n = IcalText.UnescapeInto(raw, state.Buffer);
                if (ReferenceEquals(p.Name, IcalNames.Summary))
                {
                    state.SummaryChars += CodePoints(state.Buffer.AsSpan(0, n));
                }
                else
                {
                    state.Checksum += n;
                }

                break;
            }

            case IcalValueType.Integer:
                if (IcalText.TryParseInteger(raw, out var i))
                {
                    state.Checksum += i;
                }

                break;
            case IcalValueType.Geo:
                _ = IcalText.TryParseGeo(raw, out _, out _);
                break;
            case IcalValueType.Date or IcalValueType.DateTime:
            {
                string? tzid = null;
                string? valueType = null;
                foreach (var parameter in p.ParameterSpan)
                {
                    if (parameter.Name == "TZID")
                    {
                        tzid = parameter.Value;
                    }
                    else if (parameter.Name == "VALUE")
                    {
                        valueType = parameter.Value;
                    }
                }

                if (raw.Contains(',', StringComparison.Ordinal))
                {
                    // EXDATE/RDATE lists: every item is typed and resolved.
                    foreach (var item in IcalText.SplitRaw(raw, ','))
                    {
                        if (IcalDateTime.TryParse(item, tzid, valueType, out var each) && resolve)
                        {
                            state.Checksum += state.Resolver.ToInstant(each).ToUnixTimeSeconds();
                        }
                    }

                    return null;
                }

                if (!IcalDateTime.TryParse(raw, tzid, valueType, out var value))
                {
                    return null;
                }

                if (!resolve)
                {
                    return null; // VTIMEZONE DTSTARTs are local wall-clock rule starts, not instants
                }

                return state.Resolver.ToInstant(value).ToUnixTimeSeconds();
            }

            case IcalValueType.Duration:
                if (IcalDuration.TryParse(raw, out var duration))
                {
                    state.Checksum += duration.Hours;
                }

                break;
            case IcalValueType.UtcOffset:
                if (UtcOffset.TryParse(raw, out var offset))
                {
                    state.Checksum += offset.Seconds;
                }

                break;
            case IcalValueType.Recur:
                if (RecurrenceRule.TryParse(raw, out _, out _))
                {
                    state.Checksum++;
                }

                break;
        }

        return null;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int CodePoints(ReadOnlySpan<char> s)
    {
        var n = s.Length;
        foreach (var c in s)
        {
            if (char.IsLowSurrogate(c))
            {
                n--;
            }
        }

        return n;
    }
}
