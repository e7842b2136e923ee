using System.Globalization;

namespace ChannelService.Calendars;

/// <summary>Turns raw components into <see cref="CalendarItem"/>s. Bad values cost that value, with a diagnostic.</summary>
public static class CalendarItemReader
{
    /// <summary>Every VEVENT, VTODO and VJOURNAL in the roots (bare or inside VCALENDARs), in document order.</summary>
    public static List<CalendarItem> ReadAll(IEnumerable<CalendarComponent> roots, List<IcalDiagnostic>? diagnostics = null)
    {
        var items = new List<CalendarItem>();
        foreach (var root in roots)
        {
            if (KindOf(root.Name) is not null)
            {
                items.Add(Read(root, diagnostics));
                continue;
            }

            foreach (var child in root.Components)
            {
                if (KindOf(child.Name) is not null)
                {
                    items.Add(Read(child, diagnostics));
                }
            }
        }

        return items;
    }

    public static CalendarItemKind? KindOf(string componentName) => componentName switch
    {
        "VEVENT" => CalendarItemKind.Event,
        "VTODO" => CalendarItemKind.Task,
        "VJOURNAL" => CalendarItemKind.Journal,
        _ => null,
    };

    public static CalendarItem Read(CalendarComponent component, List<IcalDiagnostic>? diagnostics = null)
    {
        var kind = KindOf(component.Name) ?? throw new ArgumentException($"{component.Name} is not an event, task or journal.", nameof(component));
        var categories = new List<string>();
        var attendees = new List<CalendarPerson>();
        var attachments = new List<CalendarAttachment>();
        var comments = new List<CalendarComment>();
        var related = new List<CalendarRelation>();
        string? uid = null, summary = null, description = null, html = null, location = null, url = null, status = null;
        IcalDateTime? recurrenceId = null, start = null, end = null, due = null, completed = null, lastModified = null, created = null;
        IcalDuration? duration = null;
        int? percent = null, priority = null, sequence = null;
        CalendarPerson? organizer = null;
        var future = false;
        var recurring = false;

        foreach (var p in component.Properties)
        {
            switch (p.Name)
            {
                case "UID":
                    uid = p.RawValue.Trim();
                    break;
                case "RECURRENCE-ID":
                    recurrenceId = Date(p, diagnostics);
                    future = string.Equals(p.GetParameter("RANGE"), "THISANDFUTURE", StringComparison.OrdinalIgnoreCase);
                    break;
                case "SUMMARY":
                    summary = IcalText.Unescape(p.RawValue);
                    break;
                case "DESCRIPTION":
                    description = IcalText.Unescape(p.RawValue);
                    break;
                case "X-ALT-DESC":
                    if (p.GetParameter("FMTTYPE") is { } type && type.Equals("text/html", StringComparison.OrdinalIgnoreCase))
                    {
                        html = IcalText.Unescape(p.RawValue);
                    }

                    break;
                case "LOCATION":
                    location = IcalText.Unescape(p.RawValue);
                    break;
                case "URL":
                    // URI, not TEXT: no unescaping (calendar.md 2.3).
                    url = p.RawValue.Trim();
                    break;
                case "DTSTART":
                    start = Date(p, diagnostics);
                    break;
                case "DTEND":
                    end = Date(p, diagnostics);
                    break;
                case "DUE":
                    due = Date(p, diagnostics);
                    break;
                case "DURATION":
                    if (IcalDuration.TryParse(p.RawValue.AsSpan().Trim(), out var d))
                    {
                        duration = d;
                    }
                    else
                    {
                        diagnostics?.Add(new IcalDiagnostic(p.Line, p.Name, "not a duration"));
                    }

                    break;
                case "COMPLETED":
                    completed = Date(p, diagnostics);
                    break;
                case "LAST-MODIFIED":
                    lastModified = Date(p, diagnostics);
                    break;
                case "CREATED":
                    created = Date(p, diagnostics);
                    break;
                case "PERCENT-COMPLETE":
                    percent = Integer(p, 0, 100, diagnostics);
                    break;
                case "PRIORITY":
                    priority = Integer(p, 0, 9, diagnostics) is { } pr and > 0 ? pr : null;
                    break;
                case "SEQUENCE":
                    sequence = Integer(p, 0, int.MaxValue, diagnostics);
                    break;
                case "STATUS":
                    status = p.RawValue.Trim() is { Length: > 0 } s ? s.ToUpperInvariant() : null;
                    break;
                case "CATEGORIES":
                    foreach (var c in IcalText.SplitTextList(p.RawValue))
                    {
                        if (c.Trim() is { Length: > 0 } trimmed)
                        {
                            categories.Add(trimmed);
                        }
                    }

                    break;
                case "ORGANIZER":
                    organizer ??= CalendarPerson.From(p);
                    break;
                case "ATTENDEE":
                    attendees.Add(CalendarPerson.From(p));
                    break;
                case "ATTACH":
                    attachments.Add(CalendarAttachment.From(p));
                    break;
                case "COMMENT":
                    comments.Add(new CalendarComment(IcalText.Unescape(p.RawValue), p.Parameters));
                    break;
                case "RELATED-TO":
                    related.Add(new CalendarRelation(IcalText.Unescape(p.RawValue).Trim(), (p.GetParameter("RELTYPE") is { Length: > 0 } rt ? rt : "PARENT").ToUpperInvariant()));
                    break;
                case "RRULE":
                case "RDATE":
                    recurring = true;
                    break;
            }
        }

        return new CalendarItem
        {
            Kind = kind,
            Component = component,
            Uid = string.IsNullOrEmpty(uid) ? null : uid,
            RecurrenceId = recurrenceId,
            AppliesToFuture = future,
            Summary = summary,
            Description = description,
            HtmlDescription = html,
            Location = location,
            Url = string.IsNullOrEmpty(url) ? null : url,
            Start = start,
            End = end,
            Due = due,
            Duration = duration,
            Completed = completed,
            PercentComplete = percent,
            Status = status,
            Priority = priority,
            Categories = categories,
            Organizer = organizer,
            Attendees = attendees,
            Attachments = attachments,
            Comments = comments,
            RelatedTo = related,
            Sequence = sequence,
            LastModified = lastModified,
            Created = created,
            IsRecurring = recurring,
        };
    }

    private static IcalDateTime? Date(CalendarProperty p, List<IcalDiagnostic>? diagnostics)
    {
        if (IcalDateTime.TryParse(p, out var value))
        {
            return value;
        }

        diagnostics?.Add(new IcalDiagnostic(p.Line, p.Name, "not a date or date-time"));
        return null;
    }

    private static int? Integer(CalendarProperty p, int min, int max, List<IcalDiagnostic>? diagnostics)
    {
        if (int.TryParse(p.RawValue.AsSpan().Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) && n >= min && n <= max)
        {
            return n;
        }

        diagnostics?.Add(new IcalDiagnostic(p.Line, p.Name, $"not an integer from {min} to {max}"));
        return null;
    }
}
