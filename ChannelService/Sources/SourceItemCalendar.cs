using ChannelService.Calendars;

namespace ChannelService.Sources;

/// <summary>A stored item read back: the typed item and a resolver for its times (from its own VTIMEZONEs and X-WR-TIMEZONE).</summary>
internal sealed record SourceItemCalendar(CalendarItem Item, TimeZoneResolver Resolver, CalendarComponent Calendar)
{
    /// <summary>Parses <see cref="SourceItem.RawIcs"/>; null if it holds no event or task (never for text this code stored).</summary>
    public static SourceItemCalendar? Parse(SourceItem item, TimeZoneResolverOptions? options = null)
    {
        var parse = IcalReader.Parse(System.Text.Encoding.UTF8.GetBytes(item.RawIcs));
        var calendar = parse.Roots.FirstOrDefault(r => r.Name == "VCALENDAR");
        var component = calendar?.Components.FirstOrDefault(c => CalendarItemReader.KindOf(c.Name) is CalendarItemKind.Event or CalendarItemKind.Task);
        return calendar is null || component is null
            ? null
            : new SourceItemCalendar(CalendarItemReader.Read(component), TimeZoneResolver.ForCalendars(parse.Roots, options), calendar);
    }
}
