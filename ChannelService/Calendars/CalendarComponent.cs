namespace ChannelService.Calendars;

/// <summary>
/// One parameter of a content line, e.g. <c>TZID=Europe/Berlin</c> or <c>MEMBER="a","b"</c>.
/// Values are stored decoded (quotes removed, RFC 6868 caret encoding undone).
/// A parameter written without <c>=</c> (vCalendar 1.0 style <c>;RSVP:</c>) has no values.
/// </summary>
public sealed class CalendarParameter
{
    private static readonly string[] NoValues = [];

    // The reader creates almost only single-valued parameters: keeping the one value in a field
    // avoids an array per parameter on the hot path; the list is built on first request.
    private readonly string? _single;
    private IReadOnlyList<string>? _values;

    public CalendarParameter(string name, IReadOnlyList<string> values)
    {
        Name = name;
        _values = values;
        _single = values.Count == 1 ? values[0] : null;
    }

    public CalendarParameter(string name, string value)
    {
        Name = name;
        _single = value;
    }

    /// <summary>Upper-cased, trimmed name.</summary>
    public string Name { get; }

    public IReadOnlyList<string> Values => _values ??= _single is null ? NoValues : [_single];

    /// <summary>First value, or empty when the parameter had none (<c>TZID=</c>).</summary>
    public string Value => _single ?? (Values.Count > 0 ? Values[0] : string.Empty);

    /// <summary>Number of values without building the list.</summary>
    public int Count => _single is not null ? 1 : Values.Count;

    /// <summary>A one-element parameter list holding just this parameter, shared by every property that has only it.</summary>
    internal CalendarParameter[] AsSingleList => field ??= [this];
}

/// <summary>
/// One unfolded content line: name, parameters and the raw (still escaped) value text.
/// Typed access lives in the reader/model layer; this class keeps what was read so a write-back can
/// reproduce unknown and X- properties verbatim.
/// </summary>
public sealed class CalendarProperty
{
    // Kept as an array so hot loops index it directly instead of going through IEnumerable (no enumerator allocation).
    private readonly CalendarParameter[] _parameters;

    public CalendarProperty(string name, IReadOnlyList<CalendarParameter> parameters, string rawValue)
        : this(name, parameters as CalendarParameter[] ?? [.. parameters], rawValue)
    {
    }

    /// <summary>The reader's constructor: the array is taken as is (it may be shared between properties, never changed).</summary>
    internal CalendarProperty(string name, CalendarParameter[] parameters, string rawValue)
    {
        Name = name;
        _parameters = parameters;
        RawValue = rawValue;
    }

    /// <summary>Upper-cased, trimmed name.</summary>
    public string Name { get; }

    public IReadOnlyList<CalendarParameter> Parameters => _parameters;

    internal ReadOnlySpan<CalendarParameter> ParameterSpan => _parameters;

    /// <summary>The value exactly as it appeared after unfolding (TEXT escapes not undone).</summary>
    public string RawValue { get; }

    /// <summary>1-based line number where the property started in the source (0 when built in code).</summary>
    public int Line { get; init; }

    /// <summary>
    /// The content line exactly as read, folds included (line breaks normalised to CRLF), or null when built in
    /// code or when it could not be kept as text. The writer emits it unchanged, so a write-back that touches
    /// one property leaves every other line of the object byte-for-byte as the producer wrote it.
    /// The class is immutable, so this text can never disagree with <see cref="Name"/>, parameters and value.
    /// </summary>
    public string? RawLine { get; init; }

    public string? GetParameter(string parameterName)
    {
        foreach (var p in _parameters)
        {
            if (ReferenceEquals(p.Name, parameterName) || string.Equals(p.Name, parameterName, StringComparison.OrdinalIgnoreCase))
            {
                return p.Value;
            }
        }

        return null;
    }

    /// <summary>A TEXT property built from plain text (escaped per RFC 5545 §3.3.11).</summary>
    public static CalendarProperty FromText(string name, string text, params CalendarParameter[] parameters) =>
        new(name, parameters, IcalText.Escape(text));
}

/// <summary>A component (VCALENDAR, VEVENT, VTODO, VTIMEZONE, STANDARD, DAYLIGHT, VALARM, X-…).</summary>
public sealed class CalendarComponent(string name)
{
    /// <summary>The reader's constructor: sized like the previous component of the same kind, so the list rarely grows.</summary>
    internal CalendarComponent(string name, int propertyCapacity)
        : this(name)
    {
        Properties = new List<CalendarProperty>(propertyCapacity);
    }

    /// <summary>Upper-cased, trimmed name.</summary>
    public string Name { get; } = name;

    public List<CalendarProperty> Properties { get; } = [];

    public List<CalendarComponent> Components { get; } = [];

    /// <summary>1-based line of the BEGIN line (0 when built in code).</summary>
    public int Line { get; init; }

    /// <summary>The BEGIN line as read (e.g. <c>BEGIN: VCALENDAR</c>), kept for verbatim write-back.</summary>
    public string? RawBegin { get; set; }

    /// <summary>The END line as read (e.g. <c>END:vCalendaR</c>); null when it was missing or built in code.</summary>
    public string? RawEnd { get; set; }

    /// <summary>The input ended (or another BEGIN:VCALENDAR began) before this component's END: the reader closed it.</summary>
    public bool EndMissing { get; set; }

    /// <summary>
    /// How many of the parent's properties had been read when this component began; lets the writer put
    /// sub-components back between the same properties (-1: built in code, written after the properties).
    /// </summary>
    public int PositionInParent { get; set; } = -1;

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
