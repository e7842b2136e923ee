using ChannelService.Calendars;

namespace ChannelService.Sources;

/// <summary>A stored item read back: the typed item and a resolver for its times (from its own VTIMEZONEs and X-WR-TIMEZONE).</summary>
internal sealed record SourceItemCalendar(CalendarItem Item, TimeZoneResolver Resolver)
{
    /// <summary>Parses <see cref="SourceItem.RawIcs"/>; null if it holds no event or task (never for text this code stored).</summary>
    public static SourceItemCalendar? Parse(SourceItem item, TimeZoneResolverOptions? options = null) =>
        ParsedSourceItem.Parse(item) is { } parsed
            ? new SourceItemCalendar(parsed.Item, new TimeZoneResolver(parsed.VTimezones.Values, parsed.CalendarTimeZone, options))
            : null;
}
