using System.Text.Json;
using System.Text.Json.Serialization;
using ChannelService.Accounts;
using ChannelService.Calendars;
using ChannelService.Tickets;
using NodaTime;

namespace ChannelService.ZendeskLink.Tickets;

/// <summary>A requester as the item names one: an address that passed <see cref="AccountOptions.IsEmailAddress"/>, and its CN.</summary>
internal sealed record TicketRequester(string Email, string? Name);

/// <summary>
/// What a ticket's native properties should say about one item (issue 17 §3–4), worked out by the pull when it
/// issues the item's ticket and queued for the API worker (<c>zendesk_api_work.intent</c>). Times stay times: the
/// tags that mirror an event's state depend on the clock, so the worker derives them when it applies the intent
/// (<see cref="TicketPropertyPlanner"/>).
/// </summary>
internal sealed record TicketIntent
{
    /// <summary>The thread of ours the ticket holds: its opening's external_id is <c>{ThreadId}-o</c>.</summary>
    public required string ThreadId { get; init; }

    public required CalendarItemKind Kind { get; init; }

    /// <summary>A task's DUE as Zendesk's <c>due_at</c>: an all-day DUE is the end of that day in the account's zone.</summary>
    public DateTimeOffset? DueAt { get; init; }

    public DateTimeOffset? Start { get; init; }

    /// <summary>The account's <c>start_date_field</c> (a Zendesk custom date field), for events; null: none.</summary>
    public long? StartDateField { get; init; }

    /// <summary>An event's start date for <see cref="StartDateField"/>, as Zendesk's date fields take it (<see cref="StartDateOf"/>).</summary>
    public string? StartDate { get; init; }

    public DateTimeOffset? End { get; init; }

    public bool Cancelled { get; init; }

    /// <summary>A task that is done or dropped (no <c>task_overdue</c> then).</summary>
    public bool Closed { get; init; }

    /// <summary>Zendesk priority (<c>urgent</c>, <c>high</c>, <c>normal</c>, <c>low</c>); null leaves the ticket's as it is.</summary>
    public string? Priority { get; init; }

    /// <summary>CATEGORIES as Zendesk tags (<see cref="TagNames"/>).</summary>
    public IReadOnlyList<string> Tags { get; init; } = [];

    /// <summary>Null: the ticket keeps the requester it has (the channel identity of the opening).</summary>
    public TicketRequester? Requester { get; init; }

    /// <summary>Why an e-mail the item carried was not used (not an address): shown on the dashboard, never sent.</summary>
    public string? RequesterWarning { get; init; }

    /// <summary>
    /// A status intent of the two-way task status (ZendeskLink/Status), queued under <see cref="StatusUnitKey"/> so it
    /// never replaces, nor is replaced by, the properties the pull queues: only <see cref="Status"/> and
    /// <see cref="StatusNote"/> are sent, once per <see cref="StatusChange"/>.
    /// </summary>
    public bool StatusOnly { get; init; }

    /// <summary><c>solved</c> or <c>open</c>; null sends only the note (Zendesk's status already won).</summary>
    public string? Status { get; init; }

    /// <summary>An internal note to add with the change (who and when, or what a conflict overrode).</summary>
    public string? StatusNote { get; init; }

    /// <summary>Identifies the decision: a status intent is sent once per value.</summary>
    public string? StatusChange { get; init; }

    /// <summary>The queue key of a unit's status intents (beside its properties' key, the unit key itself).</summary>
    public static string StatusUnitKey(string unitKey) => unitKey + StatusSuffix;

    /// <summary>The unit a queue key belongs to (a status key without its suffix).</summary>
    public static string UnitOf(string queueKey) => queueKey.EndsWith(StatusSuffix, StringComparison.Ordinal) ? queueKey[..^StatusSuffix.Length] : queueKey;

    private const string StatusSuffix = "~status";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter() },
    };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static TicketIntent FromJson(string json) => JsonSerializer.Deserialize<TicketIntent>(json, Json) ?? throw new JsonException("empty intent");

    /// <summary>
    /// The intent for one ticket unit, or null when the account does not want properties or there is nothing to hold
    /// (a deleted item). <paramref name="item"/> gives the <c>X-</c> property a task's requester may come from.
    /// </summary>
    public static TicketIntent? From(string threadId, ItemSnapshot snapshot, CalendarItem? item, AccountOptions options, DateTimeZone zone)
    {
        if (!options.TicketProperties || snapshot.Deleted)
        {
            return null;
        }

        var (requester, warning) = RequesterOf(snapshot, item, options);
        var startDate = snapshot.Kind == CalendarItemKind.Event && options.StartDateField is not null && snapshot.Start is { } start ? StartDateOf(start, zone) : null;
        return new TicketIntent
        {
            ThreadId = threadId,
            Kind = snapshot.Kind,
            DueAt = snapshot.Kind == CalendarItemKind.Task && snapshot.Due is { } due ? DueAtOf(due, zone) : null,
            Start = snapshot.Start?.Instant.ToDateTimeOffset(),
            End = snapshot.End?.Instant.ToDateTimeOffset(),
            StartDateField = startDate is null ? null : options.StartDateField,
            StartDate = startDate,
            Cancelled = snapshot.Cancelled,
            Closed = snapshot.IsClosedTask,
            Priority = PriorityOf(snapshot.Priority),
            Tags = TagNames.FromCategories(snapshot.Categories),
            Requester = requester,
            RequesterWarning = warning,
        };
    }

    /// <summary>
    /// RFC 5545 §3.8.1.9: 0 is undefined, 1 the highest, 9 the lowest; a three-level client reads 1–4 as high, 5 as
    /// medium, 6–9 as low. Zendesk has four levels (urgent, high, normal, low), so the RFC's highest value alone, 1,
    /// becomes urgent, 2–4 high, 5 normal and 6–9 low; 0 or none leaves the ticket's priority untouched.
    /// </summary>
    public static string? PriorityOf(int? priority) => priority switch
    {
        1 => "urgent",
        >= 2 and <= 4 => "high",
        5 => "normal",
        >= 6 and <= 9 => "low",
        _ => null,
    };

    /// <summary>
    /// A DUE with a time is that instant. An all-day DUE (a DATE, kept by the snapshot as midnight UTC of its date) is
    /// due by the end of that day where the account is: 23:59:59 of the date in the account's zone.
    /// </summary>
    public static DateTimeOffset DueAtOf(SnapshotTime due, DateTimeZone zone)
    {
        if (!due.AllDay)
        {
            return due.Instant.ToDateTimeOffset();
        }

        var date = due.Instant.InUtc().Date;
        var endOfDay = date.At(new LocalTime(23, 59, 59));
        return zone.AtLeniently(endOfDay).ToInstant().ToDateTimeOffset();
    }

    /// <summary>
    /// An event's start as the value of a Zendesk custom field of type date: <c>YYYY-MM-DD</c>, a date without a time
    /// (https://developer.zendesk.com/api-reference/ticketing/tickets/ticket_fields/ type <c>date</c>, set through
    /// https://developer.zendesk.com/api-reference/ticketing/tickets/tickets/#setting-custom-field-values; the accepted
    /// format is yyyy-mm-dd, https://www.ibm.com/docs/en/SSCT62/references/r_data_types_zendesk.html, and Zendesk's own
    /// help-center theme sends date fields as a date-only ISO string, zendesk/copenhagen_theme#423; a date with a time
    /// is refused as "not valid", facetoe/zenpy#425). A timed start is the date it falls on in the account's zone; an
    /// all-day start (a DATE, kept as midnight UTC of its date) is that date wherever the account is.
    /// </summary>
    public static string StartDateOf(SnapshotTime start, DateTimeZone zone)
    {
        var date = start.AllDay ? start.Instant.InUtc().Date : start.Instant.InZone(zone).Date;
        return date.ToString("yyyy'-'MM'-'dd", System.Globalization.CultureInfo.InvariantCulture);
    }

    private static (TicketRequester? Requester, string? Warning) RequesterOf(ItemSnapshot snapshot, CalendarItem? item, AccountOptions options)
    {
        (string? Address, string? Name) candidate = snapshot.Kind == CalendarItemKind.Event || options.TaskRequester == "ORGANIZER"
            ? (snapshot.Organizer?.Address, snapshot.Organizer?.Name)
            : options.TaskRequester == "ATTENDEE"
                ? (snapshot.Attendees.FirstOrDefault()?.Address, snapshot.Attendees.FirstOrDefault()?.Name)
                : (XProperty(item, options.TaskRequester), null);

        string? warning = null;
        if (candidate.Address is { Length: > 0 } address)
        {
            var email = address.StartsWith("mailto:", StringComparison.OrdinalIgnoreCase) ? address[7..] : address;
            if (AccountOptions.IsEmailAddress(email))
            {
                return (new TicketRequester(email, Clean(candidate.Name)), null);
            }

            // Named, but not an address: never sent to Zendesk; the dashboard says so.
            warning = $"The item's requester '{Printable(email)}' is not an e-mail address; it was not sent to Zendesk.";
        }

        return options.DefaultRequester is { } fallback ? (new TicketRequester(fallback, null), warning) : (null, warning);
    }

    private static string? XProperty(CalendarItem? item, string name) =>
        item?.Component.GetProperty(name) is { } property ? IcalText.Unescape(property.RawValue).Trim() : null;

    private static string? Clean(string? name)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            return null;
        }

        var text = new string(name.Where(c => !char.IsControl(c)).ToArray()).Trim();
        return text.Length <= 255 ? text : text[..255];
    }

    private static string Printable(string text)
    {
        var cut = new string(text.Where(c => !char.IsControl(c)).Take(80).ToArray());
        return cut.Length < text.Length ? cut + "…" : cut;
    }
}
