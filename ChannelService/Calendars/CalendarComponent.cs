namespace ChannelService.Calendars;

/// <summary>
/// One parameter of a content line, e.g. <c>TZID=Europe/Berlin</c> or <c>MEMBER="a","b"</c>.
/// Values are stored decoded (quotes removed, RFC 6868 caret encoding undone).
/// </summary>
public sealed class CalendarParameter(string name, IReadOnlyList<string> values)
{
    /// <summary>Upper-cased, trimmed name.</summary>
    public string Name { get; } = name;

    public IReadOnlyList<string> Values { get; } = values;

    /// <summary>First value, or empty when the parameter had none (<c>TZID=</c>).</summary>
    public string Value => Values.Count > 0 ? Values[0] : string.Empty;
}

/// <summary>
/// One unfolded content line: name, parameters and the raw (still escaped) value text.
/// Typed access lives in the reader/model layer; this class keeps what was read so a write-back can
/// reproduce unknown and X- properties verbatim.
/// </summary>
public sealed class CalendarProperty(string name, IReadOnlyList<CalendarParameter> parameters, string rawValue)
{
    /// <summary>Upper-cased, trimmed name.</summary>
    public string Name { get; } = name;

    public IReadOnlyList<CalendarParameter> Parameters { get; } = parameters;

    /// <summary>The value exactly as it appeared after unfolding (TEXT escapes not undone).</summary>
    public string RawValue { get; } = rawValue;

    /// <summary>1-based line number where the property started in the source (0 when built in code).</summary>
    public int Line { get; init; }

    public string? GetParameter(string parameterName)
    {
        foreach (var p in Parameters)
        {
            if (string.Equals(p.Name, parameterName, StringComparison.OrdinalIgnoreCase))
            {
                return p.Value;
            }
        }

        return null;
    }
}

/// <summary>A component (VCALENDAR, VEVENT, VTODO, VTIMEZONE, STANDARD, DAYLIGHT, VALARM, X-…).</summary>
public sealed class CalendarComponent(string name)
{
    /// <summary>Upper-cased, trimmed name.</summary>
    public string Name { get; } = name;

    public List<CalendarProperty> Properties { get; } = [];

    public List<CalendarComponent> Components { get; } = [];

    public CalendarProperty? GetProperty(string propertyName)
    {
        foreach (var p in Properties)
        {
            if (string.Equals(p.Name, propertyName, StringComparison.OrdinalIgnoreCase))
            {
                return p;
            }
        }

        return null;
    }

    public IEnumerable<CalendarProperty> GetProperties(string propertyName)
    {
        foreach (var p in Properties)
        {
            if (string.Equals(p.Name, propertyName, StringComparison.OrdinalIgnoreCase))
            {
                yield return p;
            }
        }
    }
}
