namespace ChannelService.Calendars;

/// <summary>A problem the reader recovered from: the 1-based source line, the property (if any) and why.</summary>
public sealed record IcalDiagnostic(int Line, string? Property, string Reason)
{
    public override string ToString() => Property is null ? $"line {Line}: {Reason}" : $"line {Line} ({Property}): {Reason}";
}

/// <summary>Limits and hints for <see cref="IcalReader"/>.</summary>
public sealed record IcalReaderOptions
{
    public static readonly IcalReaderOptions Default = new();

    /// <summary>Charset named by the transport (HTTP <c>Content-Type: text/calendar; charset=…</c>); null means UTF-8.</summary>
    public string? Charset { get; init; }

    /// <summary>Longest unfolded content line kept; longer ones are skipped with a diagnostic (calendar.md 2.1).</summary>
    public int MaxPropertyBytes { get; init; } = 10 * 1024 * 1024;

    /// <summary>Bytes read at most; the rest of the input is ignored with a diagnostic and the result marked incomplete.</summary>
    public long MaxTotalBytes { get; init; } = 1024L * 1024 * 1024;

    /// <summary>Keep <see cref="CalendarProperty.RawLine"/> for verbatim write-back. Off for read-only bulk work.</summary>
    public bool KeepRawLines { get; init; } = true;

    /// <summary>Diagnostics kept in the list (all are counted in <see cref="IcalReader.DiagnosticCount"/>).</summary>
    public int MaxDiagnostics { get; init; } = 1000;
}

/// <summary>Result of <see cref="IcalReader.Parse(ReadOnlyMemory{byte}, IcalReaderOptions?)"/>.</summary>
public sealed record IcalParseResult(
    IReadOnlyList<CalendarComponent> Roots,
    IReadOnlyList<IcalDiagnostic> Diagnostics,
    int DiagnosticCount,
    bool Complete);

/// <summary>
/// One component handed out by the streaming reader: a direct child of a VCALENDAR (VEVENT, VTODO, VTIMEZONE, …)
/// with that calendar (its properties read so far, no children), or a bare top-level component with
/// <see cref="Calendar"/> null.
/// </summary>
public readonly record struct IcalStreamItem(CalendarComponent Component, CalendarComponent? Calendar);
