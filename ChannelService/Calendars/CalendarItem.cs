using NodaTime;

namespace ChannelService.Calendars;

public enum CalendarItemKind
{
    Event,
    Task,
    Journal,
}

/// <summary>An ORGANIZER or ATTENDEE (RFC 5545 §3.8.4.1, §3.8.4.3).</summary>
/// <param name="Address">The calendar address without a <c>mailto:</c> prefix (matched case-insensitively).</param>
/// <param name="Name">CN, when given.</param>
/// <param name="ParticipationStatus">PARTSTAT upper-cased (NEEDS-ACTION when absent, as the RFC defaults it).</param>
public sealed record CalendarPerson(string Address, string? Name, string ParticipationStatus, string? Role)
{
    /// <summary>The address as an e-mail when it is a mailto: address or looks like one.</summary>
    public string? Email => Address.Contains('@', StringComparison.Ordinal) ? Address : null;

    public static CalendarPerson From(CalendarProperty property)
    {
        var value = property.RawValue.Trim();
        if (value.StartsWith("mailto:", StringComparison.OrdinalIgnoreCase))
        {
            value = value[7..];
        }

        var name = property.GetParameter("CN");
        return new CalendarPerson(
            value.Trim(),
            string.IsNullOrWhiteSpace(name) ? null : name.Trim(),
            (property.GetParameter("PARTSTAT") is { Length: > 0 } p ? p : "NEEDS-ACTION").ToUpperInvariant(),
            property.GetParameter("ROLE")?.ToUpperInvariant());
    }
}

/// <summary>An ATTACH: a URI, or inline base64 content (decoded lazily and only up to a size cap).</summary>
public sealed record CalendarAttachment(string? Uri, string? FormatType, string? FileName, CalendarProperty Property)
{
    public bool IsInline => Uri is null;

    /// <summary>Approximate decoded size of an inline attachment.</summary>
    public long InlineSize => IsInline ? Property.RawValue.Length * 3L / 4 : 0;

    /// <summary>The inline bytes, or null when not inline, not base64, or larger than <paramref name="maxBytes"/>.</summary>
    public byte[]? DecodeInline(int maxBytes) => IsInline ? IcalText.TryDecodeBinary(Property.RawValue, maxBytes) : null;

    public static CalendarAttachment From(CalendarProperty property)
    {
        var inline = string.Equals(property.GetParameter("VALUE"), "BINARY", StringComparison.OrdinalIgnoreCase)
            || string.Equals(property.GetParameter("ENCODING"), "BASE64", StringComparison.OrdinalIgnoreCase);
        var name = property.GetParameter("FILENAME") ?? property.GetParameter("X-FILENAME") ?? property.GetParameter("X-APPLE-FILENAME");
        return new CalendarAttachment(inline ? null : property.RawValue.Trim(), property.GetParameter("FMTTYPE"), name, property);
    }
}

/// <summary>A COMMENT with its parameters (ALTREP, LANGUAGE, and our own X- marker on replies we wrote).</summary>
public sealed record CalendarComment(string Text, IReadOnlyList<CalendarParameter> Parameters)
{
    public string? GetParameter(string name) =>
        Parameters.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase))?.Value;
}

/// <summary>RELATED-TO (RFC 5545 §3.8.4.5; RELTYPE defaults to PARENT).</summary>
public sealed record CalendarRelation(string Uid, string RelationType);

/// <summary>
/// What tickets need from one VEVENT, VTODO or VJOURNAL: one (UID, RECURRENCE-ID) object, typed but not resolved
/// to instants (that needs the calendar's <see cref="TimeZoneResolver"/>). <see cref="Component"/> keeps every
/// property as read, so nothing is lost for write-back.
/// </summary>
public sealed record CalendarItem
{
    public required CalendarItemKind Kind { get; init; }

    public required CalendarComponent Component { get; init; }

    public string? Uid { get; init; }

    public IcalDateTime? RecurrenceId { get; init; }

    /// <summary>RANGE=THISANDFUTURE on the RECURRENCE-ID.</summary>
    public bool AppliesToFuture { get; init; }

    public string? Summary { get; init; }

    public string? Description { get; init; }

    /// <summary>X-ALT-DESC;FMTTYPE=text/html (Outlook's HTML body), unsanitised: sanitise before rendering.</summary>
    public string? HtmlDescription { get; init; }

    public string? Location { get; init; }

    public string? Url { get; init; }

    public IcalDateTime? Start { get; init; }

    public IcalDateTime? End { get; init; }

    public IcalDateTime? Due { get; init; }

    public IcalDuration? Duration { get; init; }

    public IcalDateTime? Completed { get; init; }

    public int? PercentComplete { get; init; }

    /// <summary>STATUS upper-cased; null when absent or empty.</summary>
    public string? Status { get; init; }

    /// <summary>PRIORITY 1 (highest) to 9; null for absent, 0 (undefined) or junk.</summary>
    public int? Priority { get; init; }

    public IReadOnlyList<string> Categories { get; init; } = [];

    public CalendarPerson? Organizer { get; init; }

    public IReadOnlyList<CalendarPerson> Attendees { get; init; } = [];

    public IReadOnlyList<CalendarAttachment> Attachments { get; init; } = [];

    public IReadOnlyList<CalendarComment> Comments { get; init; } = [];

    public IReadOnlyList<CalendarRelation> RelatedTo { get; init; } = [];

    public int? Sequence { get; init; }

    public IcalDateTime? LastModified { get; init; }

    public IcalDateTime? Created { get; init; }

    /// <summary>Has RRULE or RDATE: a series master.</summary>
    public bool IsRecurring { get; init; }

    /// <summary>
    /// Normalised content hash (see <see cref="Calendars.ContentVersion"/>), computed on first use: a first sync of a
    /// large feed compares nothing, so it should not hash 20,000 components before it can answer.
    /// </summary>
    public string ContentVersion => contentVersion ??= Calendars.ContentVersion.Compute(Component);

    private string? contentVersion;

    public bool IsCancelled => Status == "CANCELLED";

    /// <summary>A task that is done or dropped (COMPLETED or CANCELLED status, or a COMPLETED time).</summary>
    public bool IsClosedTask => Kind == CalendarItemKind.Task && (Status is "COMPLETED" or "CANCELLED" || Completed is not null);

    /// <summary>
    /// End of an event as RFC 5545 §3.6.1 defines it: DTEND, else DTSTART + DURATION, else one day for a DATE
    /// start and zero length for a DATE-TIME start. For a task, DUE (or DTSTART + DURATION).
    /// </summary>
    public Instant? EndInstant(TimeZoneResolver resolver)
    {
        if (Kind == CalendarItemKind.Task)
        {
            return Due is { } due ? resolver.ToInstant(due) : AddDuration(resolver);
        }

        if (End is { } end)
        {
            return resolver.ToInstant(end);
        }

        if (AddDuration(resolver) is { } withDuration)
        {
            return withDuration;
        }

        return Start is { } start ? resolver.ToInstant(start.IsDate ? IcalDateTime.ForDate(start.Date.PlusDays(1)) : start) : null;
    }

    public Instant? StartInstant(TimeZoneResolver resolver) => Start is { } s ? resolver.ToInstant(s) : null;

    public Instant? DueInstant(TimeZoneResolver resolver) => Due is { } d ? resolver.ToInstant(d) : null;

    private Instant? AddDuration(TimeZoneResolver resolver)
    {
        if (Start is not { } start || Duration is not { } duration)
        {
            return null;
        }

        // Nominal days follow the wall clock in the start's zone (RFC 5545 §3.3.6), exact hours do not.
        var zone = resolver.ZoneOf(start);
        var local = duration.AddNominal(start.Local);
        return TimeZoneResolver.ToInstant(local, zone) + duration.ExactPart;
    }
}
