using System.Security.Cryptography;
using System.Text;
using ChannelService.Calendars;
using Ical.Net;
using Ical.Net.CalendarComponents;
using Ical.Net.DataTypes;
using NodaTime;
using NodaTime.Text;
using Duration = NodaTime.Duration;

namespace ChannelService.Tests.Calendars;

/// <summary>One aspect of one item on which the two readers differ.</summary>
internal sealed record OracleDisagreement(string File, string Item, string Aspect, string Ours, string IcalNet);

/// <summary>What one file's comparison found: the disagreements and how many values both readers gave alike.</summary>
internal sealed record OracleComparison(IReadOnlyList<OracleDisagreement> Disagreements, int Agreements);

/// <summary>
/// Reads a corpus file with our reader and with Ical.Net 5.2.4 and lists where they differ: per item (VEVENT and
/// VTODO, in document order) the SUMMARY, start, end (events) or due (tasks), all-day-ness, and the occurrences
/// in a two-year window from the file's earliest start. Floating and DATE values are read in UTC on both sides, so
/// that only real differences remain.
/// </summary>
internal static class IcalNetOracle
{
    public static readonly Duration WindowLength = Duration.FromDays(731);

    public static OracleComparison Compare(string file, byte[] bytes)
    {
        var ours = Ours(bytes, out var window);
        CalendarCollection calendars;
        try
        {
            calendars = CalendarCollection.Load(Encoding.UTF8.GetString(bytes));
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return new([new(file, "*", "read", $"{ours.Count(k => k.Key.Aspect == "summary")} items", Describe(ex))], 0);
        }

        var theirs = IcalNet(calendars, window);
        // When Ical.Net cannot expand the file at all, that one failure stands for every item's occurrences.
        var keys = ours.Keys.Union(theirs.Keys).Where(k => k.Aspect != "occurrences" || k.Item == "*" || !theirs.ContainsKey(("*", "occurrences")));
        var result = new List<OracleDisagreement>();
        var agreements = 0;
        foreach (var key in keys.OrderBy(k => k.Item, StringComparer.Ordinal).ThenBy(k => k.Aspect, StringComparer.Ordinal))
        {
            var a = ours.GetValueOrDefault(key, "(none)");
            var b = theirs.GetValueOrDefault(key, "(none)");
            if (a == b)
            {
                agreements++;
            }
            else
            {
                result.Add(new(file, key.Item, key.Aspect, a, b));
            }
        }

        return new(result, agreements);
    }

    private static Dictionary<(string Item, string Aspect), string> Ours(byte[] bytes, out (Instant From, Instant To) window)
    {
        var roots = IcalReader.Parse(bytes).Roots;
        var resolver = TimeZoneResolver.ForCalendars(roots, new TimeZoneResolverOptions { DefaultZone = DateTimeZone.Utc, UseCalendarTimeZone = false });
        var items = CalendarItemReader.ReadAll(roots).Where(i => i.Kind != CalendarItemKind.Journal).ToList();
        var values = new Dictionary<(string Item, string Aspect), string>();
        var keys = new Dictionary<ChannelService.Calendars.CalendarComponent, string>(ReferenceEqualityComparer.Instance);
        int events = 0, todos = 0;
        foreach (var item in items)
        {
            var key = item.Kind == CalendarItemKind.Task ? $"VTODO {todos++}" : $"VEVENT {events++}";
            keys[item.Component] = key;
            values[(key, "summary")] = item.Summary ?? "(none)";
            values[(key, "start")] = Format(item.StartInstant(resolver));
            values[item.Kind == CalendarItemKind.Task ? (key, "due") : (key, "end")] = Format(item.Kind == CalendarItemKind.Task ? item.DueInstant(resolver) : item.EndInstant(resolver));
            values[(key, "all-day")] = ((item.Start ?? item.Due)?.IsDate ?? false) ? "yes" : "no";
        }

        var starts = items.Select(i => i.StartInstant(resolver) ?? i.DueInstant(resolver)).OfType<Instant>().ToList();
        var from = starts.Count == 0 ? Instant.FromUtc(2020, 1, 1, 0, 0) : starts.Min().InUtc().Date.AtStartOfDayInZone(DateTimeZone.Utc).ToInstant();
        window = (from, from + WindowLength);
        var occurrences = RecurrenceExpander.Expand(roots, resolver, window.From, window.To).Occurrences
            .Where(o => keys.ContainsKey(o.Component))
            .GroupBy(o => keys[o.Component]);
        AddOccurrences(values, occurrences.Select(g => (g.Key, g.Select(o => (o.Start, o.End)))));
        return values;
    }

    private static Dictionary<(string Item, string Aspect), string> IcalNet(CalendarCollection calendars, (Instant From, Instant To) window)
    {
        var values = new Dictionary<(string Item, string Aspect), string>();
        var keys = new Dictionary<object, string>(ReferenceEqualityComparer.Instance);
        int events = 0, todos = 0;
        foreach (var component in calendars.SelectMany(c => c.Children.OfType<RecurringComponent>()).Where(c => c is CalendarEvent or Todo))
        {
            var key = component is Todo ? $"VTODO {todos++}" : $"VEVENT {events++}";
            keys[component] = key;
            values[(key, "summary")] = component.Summary ?? "(none)";
            values[(key, "start")] = Try(() => Format(component.DtStart));
            if (component is Todo todo)
            {
                values[(key, "due")] = Try(() => Format(todo.Due));
                values[(key, "all-day")] = (todo.DtStart ?? todo.Due) is { HasTime: false } ? "yes" : "no";
            }
            else
            {
                var e = (CalendarEvent)component;
                values[(key, "end")] = Try(() => Format(e.DtEnd ?? e.DtStart?.Add(e.EffectiveDuration)));
                values[(key, "all-day")] = Try(() => e.DtStart is not null && e.IsAllDay ? "yes" : "no");
            }
        }

        try
        {
            AddOccurrences(values, Occurrences(calendars, keys, window));
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            values[("*", "occurrences")] = Describe(ex);
        }

        return values;
    }

    private static List<(string, IEnumerable<(Instant, Instant)>)> Occurrences(CalendarCollection calendars, Dictionary<object, string> keys, (Instant From, Instant To) window)
    {

        var occurrences = calendars.GetOccurrences(new CalDateTime(window.From.ToDateTimeUtc(), "UTC"))
            .TakeWhile(o => ToInstant(o.Period.StartTime) < window.To)
            .Take(100_000)
            .Where(o => keys.ContainsKey(o.Source))
            .GroupBy(o => keys[o.Source]);
        return [.. occurrences.Select(g => (g.Key, (IEnumerable<(Instant, Instant)>)[.. g.Select(o => (ToInstant(o.Period.StartTime), ToInstant(o.Period.EffectiveEndTime ?? o.Period.StartTime)))]))];
    }

    private static string Try(Func<string> read)
    {
        try
        {
            return read();
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return Describe(ex);
        }
    }

    private static string Describe(Exception ex)
    {
        var message = $"{ex.GetType().Name}: {ex.Message.Split('\n')[0].Trim()}";
        return message.Length <= 120 ? message : message[..120] + "…";
    }

    /// <summary>An item's occurrences as one value: count, first, last and a hash of the whole sorted list.</summary>
    private static void AddOccurrences(Dictionary<(string Item, string Aspect), string> values, IEnumerable<(string Key, IEnumerable<(Instant Start, Instant End)> Occurrences)> groups)
    {
        foreach (var (key, occurrences) in groups)
        {
            var list = occurrences.Select(o => $"{Format(o.Start)}/{Format(o.End)}").Order(StringComparer.Ordinal).ToList();
            var hash = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join("\n", list))))[..8].ToLowerInvariant();
            values[(key, "occurrences")] = $"{list.Count}: {list[0]} .. {list[^1]} #{hash}";
        }
    }

    private static Instant ToInstant(CalDateTime value) =>
        Instant.FromDateTimeUtc(DateTime.SpecifyKind(value.IsFloating ? value.Value : value.AsUtc, DateTimeKind.Utc));

    private static string Format(CalDateTime? value) => value is null ? "(none)" : Format(ToInstant(value));

    private static string Format(Instant? value) => value is { } v ? InstantPattern.General.Format(v) : "(none)";
}
