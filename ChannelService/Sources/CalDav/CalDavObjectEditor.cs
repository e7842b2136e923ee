using System.Globalization;
using ChannelService.Accounts;
using ChannelService.Calendars;
using ChannelService.Tickets;

namespace ChannelService.Sources.CalDav;

internal enum CalDavEditOutcome
{
    /// <summary><see cref="CalDavEdit.Body"/> holds the new object text to PUT.</summary>
    Changed,

    /// <summary>The object already carries this change (same comment or request id, or the target state); nothing to write.</summary>
    AlreadyApplied,

    /// <summary>No component in the object has the item's key (the item was removed from a series, or the UID changed).</summary>
    ItemNotFound,

    /// <summary>The change must not be written (see <see cref="CalDavEdit.Message"/>).</summary>
    Rejected,

    /// <summary>The item is no longer as the caller decided on (its status changed meanwhile): read it again and decide again.</summary>
    Stale,
}

/// <summary>What an edit of one calendar object resource came to.</summary>
internal sealed record CalDavEdit(CalDavEditOutcome Outcome, string? Body = null, string? Message = null);

/// <summary>
/// Edits of one CalDAV calendar object resource as text: parse with raw lines kept, change the one component
/// (found by item key, so a series master and each override are addressed separately), write back. Every line
/// not touched is written exactly as read (RFC 5545 content lines, folds included): vendor properties, other
/// components of the series, VALARMs and VTIMEZONEs stay as they were (calendar.md 3.2).
/// <para>
/// Markers, for the pull to recognise our own writes:
/// <list type="bullet">
/// <item>a reply is a <c>COMMENT;X-ZENDESK-COMMENT-ID=&lt;comment id&gt;:&lt;text&gt;</c> (plus
/// <c>X-ZENDESK-AUTHOR</c> when the author is known, and <c>X-ZENDESK-OCCURRENCE</c> when it was made on one
/// occurrence's ticket);</item>
/// <item>in DESCRIPTION a reply is the block <see cref="ReplyBlocks.Block"/>: a blank line, the line
/// <c>--- Reply from Zendesk (&lt;comment id&gt;) ---</c>, the text, and the line <c>--- End of reply ---</c>;</item>
/// <item>a status change carries <c>X-ZENDESK-REQUEST-ID=&lt;request id&gt;</c> on its STATUS property.</item>
/// </list>
/// </para>
/// </summary>
internal static class CalDavObjectEditor
{
    public const string CommentIdParameter = "X-ZENDESK-COMMENT-ID";
    public const string AuthorParameter = "X-ZENDESK-AUTHOR";
    public const string RequestIdParameter = "X-ZENDESK-REQUEST-ID";

    /// <summary>On a reply made on one occurrence's ticket: that ticket's unit key (see <see cref="SourceCommentWrite.Occurrence"/>).</summary>
    public const string OccurrenceParameter = "X-ZENDESK-OCCURRENCE";

    /// <summary>
    /// Appends an agent's reply to the component with key <paramref name="itemKey"/>, as a tagged COMMENT and/or a
    /// marked DESCRIPTION block (<paramref name="target"/>). LAST-MODIFIED and DTSTAMP are set to
    /// <paramref name="now"/>; SEQUENCE is left alone (a comment is no organizer-significant change, RFC 5545 §3.8.7.4).
    /// </summary>
    /// <param name="objectUrl">The resource URL (part of synthetic keys for items without UID).</param>
    /// <param name="occurrence">The unit key of the occurrence ticket replied on, written as <see cref="OccurrenceParameter"/>.</param>
    public static CalDavEdit AddReply(string body, string objectUrl, string itemKey, string commentId, string text, string? author, ReplyTarget target, bool eventReplies, DateTimeOffset now, string? occurrence = null)
    {
        var (parse, component) = Find(body, objectUrl, itemKey);
        if (component is null)
        {
            return new CalDavEdit(CalDavEditOutcome.ItemNotFound, Message: "The item is no longer in this calendar object.");
        }

        if (HasReply(component, commentId))
        {
            return new CalDavEdit(CalDavEditOutcome.AlreadyApplied);
        }

        if (component.Name == "VEVENT" && !eventReplies && component.GetProperty("ATTENDEE") is not null)
        {
            return new CalDavEdit(
                CalDavEditOutcome.Rejected,
                Message: "This event has attendees: changing it could make the calendar server e-mail them an update (implicit scheduling, RFC 6638), "
                    + "so replies are not written to it. Turn on the account option event_replies to allow it.");
        }

        if (target is ReplyTarget.Comment or ReplyTarget.Both)
        {
            List<CalendarParameter> parameters = [new(CommentIdParameter, commentId)];
            if (!string.IsNullOrWhiteSpace(author))
            {
                parameters.Add(new CalendarParameter(AuthorParameter, author.Trim()));
            }

            if (!string.IsNullOrEmpty(occurrence))
            {
                parameters.Add(new CalendarParameter(OccurrenceParameter, occurrence));
            }

            Append(component, new CalendarProperty("COMMENT", parameters, IcalText.Escape(NormalizeNewlines(text))));
        }

        if (target is ReplyTarget.Description or ReplyTarget.Both)
        {
            var index = component.Properties.FindIndex(p => p.Name == "DESCRIPTION");
            if (index < 0)
            {
                Append(component, new CalendarProperty("DESCRIPTION", [], IcalText.Escape(ReplyBlocks.Block(commentId, text, descriptionWasEmpty: true))));
            }
            else
            {
                // Appending escaped text to the raw value keeps the producer's own escaping of the existing text,
                // and its parameters (LANGUAGE, ALTREP) stay on the property.
                var old = component.Properties[index];
                var empty = old.RawValue.Trim().Length == 0;
                component.Properties[index] = new CalendarProperty("DESCRIPTION", old.Parameters, old.RawValue + IcalText.Escape(ReplyBlocks.Block(commentId, text, empty)));
            }
        }

        Touch(component, now);
        return new CalDavEdit(CalDavEditOutcome.Changed, IcalWriter.WriteToString(parse.Roots));
    }

    /// <summary>True when the component already holds the reply: a COMMENT tagged with its id, or its DESCRIPTION block.</summary>
    public static bool HasReply(CalendarComponent component, string commentId)
    {
        if (component.GetProperties("COMMENT").Any(p => p.GetParameter(CommentIdParameter) == commentId))
        {
            return true;
        }

        return component.GetProperty("DESCRIPTION") is { } d && ReplyBlocks.Contains(IcalText.Unescape(d.RawValue), commentId);
    }

    /// <summary>
    /// Sets a task's status. Completed: STATUS:COMPLETED, PERCENT-COMPLETE:100, COMPLETED now (RFC 5545 §3.8.2.1,
    /// a UTC date-time). NeedsAction: STATUS:NEEDS-ACTION, COMPLETED removed, PERCENT-COMPLETE 0 if it was 100.
    /// Already applied when STATUS carries this request id, or when the task is already in the target state.
    /// </summary>
    public static CalDavEdit SetTaskStatus(string body, string objectUrl, string itemKey, string requestId, SourceTaskStatus status, DateTimeOffset now, string? decidedOn = null)
    {
        var (parse, component) = Find(body, objectUrl, itemKey);
        if (component is null)
        {
            return new CalDavEdit(CalDavEditOutcome.ItemNotFound, Message: "The task is no longer in this calendar object.");
        }

        if (component.Name != "VTODO")
        {
            return new CalDavEdit(CalDavEditOutcome.Rejected, Message: "Only tasks have a status to change; this item is an event.");
        }

        var current = component.GetProperty("STATUS");
        if (current?.GetParameter(RequestIdParameter) == requestId)
        {
            return new CalDavEdit(CalDavEditOutcome.AlreadyApplied);
        }

        var statusText = current?.RawValue.Trim().ToUpperInvariant();
        var item = CalendarItemReader.Read(component);
        if (decidedOn is not null && StatusFingerprint(item) != decidedOn)
        {
            // The status sync decided on another version of the task (someone changed it since, e.g. between our read
            // and a 412): it reads and decides again rather than overwrite that change.
            return new CalDavEdit(CalDavEditOutcome.Stale, Message: "The task's status changed since it was read.");
        }

        var holds = status == SourceTaskStatus.Completed ? statusText == "COMPLETED" : !item.IsClosedTask;
        if (holds)
        {
            return new CalDavEdit(CalDavEditOutcome.AlreadyApplied);
        }

        var tagged = new[] { new CalendarParameter(RequestIdParameter, requestId) };
        if (status == SourceTaskStatus.Completed)
        {
            Set(component, new CalendarProperty("STATUS", tagged, "COMPLETED"));
            Set(component, new CalendarProperty("PERCENT-COMPLETE", [], "100"));
            Set(component, new CalendarProperty("COMPLETED", [], UtcText(now)));
        }
        else
        {
            Set(component, new CalendarProperty("STATUS", tagged, "NEEDS-ACTION"));
            Remove(component, "COMPLETED");
            if (item.PercentComplete == 100)
            {
                Set(component, new CalendarProperty("PERCENT-COMPLETE", [], "0"));
            }
        }

        Touch(component, now);
        return new CalDavEdit(CalDavEditOutcome.Changed, IcalWriter.WriteToString(parse.Roots));
    }

    /// <summary>What a status decision depends on: STATUS, COMPLETED and PERCENT-COMPLETE as the item has them.</summary>
    public static string StatusFingerprint(CalendarItem item) =>
        string.Join('|', item.Status?.Trim().ToUpperInvariant() ?? "", item.Completed?.ToString() ?? "", item.PercentComplete?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "");

    /// <summary>
    /// Sets a task's DUE (RFC 5545 §3.8.2.3), tagged with the request id. DURATION goes (DUE and DURATION must not
    /// both appear, §3.6.2). Refused when DUE would not have DTSTART's value type or would fall before it, or when a
    /// zoned value names a TZID the object has no VTIMEZONE for (§3.2.19).
    /// </summary>
    public static CalDavEdit SetTaskDue(string body, string objectUrl, string itemKey, string requestId, IcalDateTime due, DateTimeOffset now)
    {
        var (parse, component) = Find(body, objectUrl, itemKey);
        if (component is null)
        {
            return new CalDavEdit(CalDavEditOutcome.ItemNotFound, Message: "The task is no longer in this calendar object.");
        }

        if (component.Name != "VTODO")
        {
            return new CalDavEdit(CalDavEditOutcome.Rejected, Message: "Only tasks have a due date to change; this item is an event.");
        }

        var current = component.GetProperty("DUE");
        if (current?.GetParameter(RequestIdParameter) == requestId)
        {
            return new CalDavEdit(CalDavEditOutcome.AlreadyApplied);
        }

        var item = CalendarItemReader.Read(component);
        if (item.Due == due)
        {
            return new CalDavEdit(CalDavEditOutcome.AlreadyApplied);
        }

        if (item.Start is { } start)
        {
            if (start.IsDate != due.IsDate)
            {
                return new CalDavEdit(CalDavEditOutcome.Rejected, Message: start.IsDate
                    ? "This task starts on a date without a time, so its due date must be a date too."
                    : "This task starts at a time of day, so its due date needs a time too.");
            }

            if (start.Kind == due.Kind && start.TzId == due.TzId && due.Local < start.Local)
            {
                return new CalDavEdit(CalDavEditOutcome.Rejected, Message: "The due date would be before the task's start.");
            }
        }

        if (due.Kind == IcalDateKind.Zoned && !parse.Roots.SelectMany(r => r.Components).Any(c => c.Name == "VTIMEZONE" && c.GetProperty("TZID")?.RawValue.Trim() == due.TzId))
        {
            return new CalDavEdit(CalDavEditOutcome.Rejected, Message: $"The time zone {due.TzId} is not defined in this task; give the due date in UTC or as a date.");
        }

        List<CalendarParameter> parameters = [new(RequestIdParameter, requestId)];
        var text = due.ToString();
        if (due.Kind == IcalDateKind.Date)
        {
            parameters.Add(new CalendarParameter("VALUE", "DATE"));
        }
        else if (due.Kind == IcalDateKind.Zoned)
        {
            parameters.Add(new CalendarParameter("TZID", due.TzId!));
            text = text[(text.IndexOf(':', StringComparison.Ordinal) + 1)..];
        }

        Set(component, new CalendarProperty("DUE", parameters, text));
        Remove(component, "DURATION");
        Touch(component, now);
        return new CalDavEdit(CalDavEditOutcome.Changed, IcalWriter.WriteToString(parse.Roots));
    }

    internal static string UtcText(DateTimeOffset time) => time.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);

    private static (IcalParseResult Parse, CalendarComponent? Component) Find(string body, string objectUrl, string itemKey)
    {
        var parse = IcalReader.Parse(System.Text.Encoding.UTF8.GetBytes(body));
        var listing = SourceListingBuilder.Build(parse, objectUrl);
        return (parse, listing.Items.FirstOrDefault(i => i.Key == itemKey)?.Item.Component);
    }

    private static void Touch(CalendarComponent component, DateTimeOffset now)
    {
        var stamp = UtcText(now);
        Set(component, new CalendarProperty("LAST-MODIFIED", [], stamp));
        Set(component, new CalendarProperty("DTSTAMP", [], stamp));
    }

    /// <summary>Replaces the first property of that name in place (its line moves nowhere), or appends one.</summary>
    private static void Set(CalendarComponent component, CalendarProperty property)
    {
        var index = component.Properties.FindIndex(p => p.Name == property.Name);
        if (index < 0)
        {
            Append(component, property);
        }
        else
        {
            component.Properties[index] = property;
        }
    }

    private static void Append(CalendarComponent component, CalendarProperty property) => component.Properties.Add(property);

    /// <summary>Removes every property of that name, keeping sub-components (VALARM) between the same neighbours.</summary>
    private static void Remove(CalendarComponent component, string name)
    {
        for (var i = component.Properties.Count - 1; i >= 0; i--)
        {
            if (component.Properties[i].Name != name)
            {
                continue;
            }

            component.Properties.RemoveAt(i);
            foreach (var child in component.Components)
            {
                if (child.PositionInParent > i)
                {
                    child.PositionInParent--;
                }
            }
        }
    }

    private static string NormalizeNewlines(string text) => text.Replace("\r\n", "\n", StringComparison.Ordinal).Replace('\r', '\n');
}
