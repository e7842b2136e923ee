using ChannelService.Calendars;

namespace ChannelService.Tests.Calendars;

/// <summary>Builds component trees in code, so these tests do not depend on the content-line reader.</summary>
internal static class CalendarBuilder
{
    /// <summary>A property; parameters as "NAME=value" strings (no quoting needed here).</summary>
    public static CalendarProperty P(string name, string value, params string[] parameters) =>
        new(name, parameters.Select(p =>
        {
            var eq = p.IndexOf('=', StringComparison.Ordinal);
            return new CalendarParameter(p[..eq], [p[(eq + 1)..]]);
        }).ToList(), value);

    public static CalendarComponent C(string name, params object[] children)
    {
        var c = new CalendarComponent(name);
        foreach (var child in children)
        {
            switch (child)
            {
                case CalendarProperty p: c.Properties.Add(p); break;
                case CalendarComponent sub: c.Components.Add(sub); break;
                default: throw new ArgumentException("unexpected child " + child);
            }
        }

        return c;
    }
}
