using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;
using NodaTime;

namespace ChannelService.Accounts;

internal enum TaskScope
{
    Open,
    All,
}

internal enum RecurrenceMode
{
    Occurrence,
    Series,
}

internal enum ChangeNoteVisibility
{
    Public,
    Internal,
}

internal enum ReplyTarget
{
    Comment,
    Description,
    Both,
}

/// <summary>
/// <c>status_sync</c>: how a task's status travels between the source and its Zendesk ticket, and who wins when both
/// sides changed it since they last agreed (ZendeskLink/Status).
/// </summary>
internal enum StatusSyncMode
{
    Off,
    ZendeskWins,
    SourceWins,
    NewestWins,
}

/// <summary>Thrown when account options are unknown or out of range; the message names the key.</summary>
internal sealed class AccountOptionsException(string message) : Exception(message);

/// <summary>
/// Per-account settings. Operators and the admin UI set them as <c>key=value</c> strings; metadata stores only the
/// values that differ from the defaults, so a default changed in a later release reaches accounts that never set it.
/// </summary>
internal sealed record AccountOptions
{
    public const int MaxAuthorNameLength = 100;
    public const int MaxCustomFields = 20;
    public const int MaxPropertyNameLength = 64;

    public static AccountOptions Default { get; } = new();

    /// <summary><c>tasks</c>: import only open tasks, or completed and cancelled ones too.</summary>
    public TaskScope Tasks { get; init; } = TaskScope.Open;

    /// <summary><c>window_past_days</c>: how far back event occurrences become tickets.</summary>
    public int WindowPastDays { get; init; } = 1;

    /// <summary><c>window_future_days</c>: how far ahead event occurrences become tickets.</summary>
    public int WindowFutureDays { get; init; } = 30;

    /// <summary><c>recurring</c>: one ticket per occurrence, or one per series.</summary>
    public RecurrenceMode Recurring { get; init; } = RecurrenceMode.Occurrence;

    /// <summary><c>time_zone</c>: IANA id for floating times; null means the feed's own zone, else UTC.</summary>
    public string? TimeZone { get; init; }

    /// <summary><c>author_name</c>: name shown as the author of imported items when the source names none.</summary>
    public string? AuthorName { get; init; }

    /// <summary><c>change_notes</c>: whether change comments are public or internal notes.</summary>
    public ChangeNoteVisibility ChangeNotes { get; init; } = ChangeNoteVisibility.Public;

    /// <summary><c>reply_commands</c>: whether <c>#done</c>, <c>#reopen</c>, <c>#due</c> in replies act on the item.</summary>
    public bool ReplyCommands { get; init; } = true;

    /// <summary><c>reply_target</c>: where agent replies are written on the item.</summary>
    public ReplyTarget ReplyTarget { get; init; } = ReplyTarget.Both;

    /// <summary><c>event_replies</c>: write replies back to events (off: server scheduling could e-mail attendees).</summary>
    public bool EventReplies { get; init; }

    /// <summary>
    /// <c>locale</c>: a culture name (<c>de</c>, <c>en-GB</c>, <c>es-419</c>) for the dates in occurrence tickets'
    /// subjects; null means English, as the rest of the ticket text.
    /// </summary>
    public string? Locale { get; init; }

    /// <summary><c>custom_fields</c>: Zendesk ticket field id → iCalendar property name (upper case).</summary>
    public ImmutableSortedDictionary<long, string> CustomFields { get; init; } = ImmutableSortedDictionary<long, string>.Empty;

    /// <summary>
    /// <c>ticket_properties</c>: with a Zendesk link, set the ticket's native properties from the item (type task and
    /// due date, priority, tags, requester; ZendeskLink/Tickets/TicketIntents.cs). Without a link it does nothing.
    /// </summary>
    public bool TicketProperties { get; init; } = true;

    /// <summary>
    /// <c>task_requester</c>: where a task's requester e-mail comes from: <c>organizer</c>, <c>attendee</c> (the first
    /// ATTENDEE) or an <c>X-</c> property name (upper case). Events always use their ORGANIZER.
    /// </summary>
    public string TaskRequester { get; init; } = "ORGANIZER";

    /// <summary><c>default_requester</c>: the requester e-mail for items that name none; null keeps the channel identity.</summary>
    public string? DefaultRequester { get; init; }

    /// <summary>
    /// <c>start_date_field</c>: the id of a Zendesk custom ticket field of type date that holds an event's start date
    /// (its date in the account's zone, <c>YYYY-MM-DD</c>): set when the ticket is created and, with a Zendesk link,
    /// moved when the event moves (ZendeskLink/Tickets/TicketPropertyPlanner.cs). Null: no such field.
    /// </summary>
    public long? StartDateField { get; init; }
    /// <c>status_sync</c>: with a Zendesk link, solving a task's ticket completes the task and completing the task solves
    /// the ticket; when both sides changed the status since they last agreed, this decides (ZendeskLink/Status).
    /// </summary>
    public StatusSyncMode StatusSync { get; init; } = StatusSyncMode.NewestWins;

    /// <summary><c>due_sync</c>: with a Zendesk link and <c>status_sync</c> on, a due date an agent moves in Zendesk moves the task's DUE.</summary>
    public bool DueSync { get; init; } = true;

    /// <summary>Every option key, in the order help texts list them.</summary>
    public static IReadOnlyList<string> Keys => Setters.Keys;

    /// <summary>Applies <c>key=value</c> pairs on top of the defaults. Throws <see cref="AccountOptionsException"/>.</summary>
    public static AccountOptions Parse(IEnumerable<KeyValuePair<string, string>> values)
    {
        var options = Default;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (key, value) in values)
        {
            if (!seen.Add(key))
            {
                throw new AccountOptionsException($"Option '{key}' is given more than once.");
            }

            options = options.With(key, value);
        }

        return options;
    }

    /// <summary>Returns a copy with one option set. Throws <see cref="AccountOptionsException"/> naming the key.</summary>
    public AccountOptions With(string key, string value)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value);
        var setter = Setters.Find(key)
            ?? throw new AccountOptionsException($"Unknown option '{Printable(key)}'. Known options: {string.Join(", ", Keys)}.");
        return setter(this, value.Trim());
    }

    /// <summary>The options as <c>key=value</c> strings; by default only those that differ from the defaults.</summary>
    public IReadOnlyDictionary<string, string> ToDictionary(bool includeDefaults = false)
    {
        var all = new (string Key, string Value, string DefaultValue)[]
        {
            ("tasks", Lower(Tasks), Lower(Default.Tasks)),
            ("window_past_days", Int(WindowPastDays), Int(Default.WindowPastDays)),
            ("window_future_days", Int(WindowFutureDays), Int(Default.WindowFutureDays)),
            ("recurring", Lower(Recurring), Lower(Default.Recurring)),
            ("time_zone", TimeZone ?? "", ""),
            ("author_name", AuthorName ?? "", ""),
            ("change_notes", Lower(ChangeNotes), Lower(Default.ChangeNotes)),
            ("reply_commands", OnOff(ReplyCommands), OnOff(Default.ReplyCommands)),
            ("reply_target", Lower(ReplyTarget), Lower(Default.ReplyTarget)),
            ("event_replies", OnOff(EventReplies), OnOff(Default.EventReplies)),
            ("locale", Locale ?? "", ""),
            ("custom_fields", CustomFieldsJson(CustomFields), "{}"),
            ("ticket_properties", OnOff(TicketProperties), OnOff(Default.TicketProperties)),
            ("task_requester", TaskRequesterText(TaskRequester), TaskRequesterText(Default.TaskRequester)),
            ("default_requester", DefaultRequester ?? "", ""),
            ("start_date_field", StartDateField is { } field ? field.ToString(CultureInfo.InvariantCulture) : "", ""),
            ("status_sync", StatusSyncText(StatusSync), StatusSyncText(Default.StatusSync)),
            ("due_sync", OnOff(DueSync), OnOff(Default.DueSync)),
        };
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value, defaultValue) in all)
        {
            if (includeDefaults || value != defaultValue)
            {
                result[key] = value;
            }
        }

        return result;
    }

    public bool Equals(AccountOptions? other) =>
        other is not null
        && Tasks == other.Tasks
        && WindowPastDays == other.WindowPastDays
        && WindowFutureDays == other.WindowFutureDays
        && Recurring == other.Recurring
        && TimeZone == other.TimeZone
        && AuthorName == other.AuthorName
        && ChangeNotes == other.ChangeNotes
        && ReplyCommands == other.ReplyCommands
        && ReplyTarget == other.ReplyTarget
        && EventReplies == other.EventReplies
        && Locale == other.Locale
        && CustomFields.SequenceEqual(other.CustomFields)
        && TicketProperties == other.TicketProperties
        && TaskRequester == other.TaskRequester
        && DefaultRequester == other.DefaultRequester
        && StartDateField == other.StartDateField
        && StatusSync == other.StatusSync
        && DueSync == other.DueSync;

    public override int GetHashCode() =>
        HashCode.Combine(Tasks, WindowPastDays, WindowFutureDays, Recurring, TimeZone, AuthorName, HashCode.Combine(ChangeNotes, ReplyCommands, ReplyTarget, EventReplies, Locale, CustomFields.Count, TicketProperties, HashCode.Combine(TaskRequester, DefaultRequester, StartDateField, StatusSync, DueSync)));

    private static readonly OptionSetters Setters = new()
    {
        ["tasks"] = (o, v) => o with { Tasks = Choice<TaskScope>("tasks", v) },
        ["window_past_days"] = (o, v) => o with { WindowPastDays = Days("window_past_days", v) },
        ["window_future_days"] = (o, v) => o with { WindowFutureDays = Days("window_future_days", v) },
        ["recurring"] = (o, v) => o with { Recurring = Choice<RecurrenceMode>("recurring", v) },
        ["time_zone"] = (o, v) => o with { TimeZone = Zone(v) },
        ["author_name"] = (o, v) => o with { AuthorName = Author(v) },
        ["change_notes"] = (o, v) => o with { ChangeNotes = Choice<ChangeNoteVisibility>("change_notes", v) },
        ["reply_commands"] = (o, v) => o with { ReplyCommands = Switch("reply_commands", v) },
        ["reply_target"] = (o, v) => o with { ReplyTarget = Choice<ReplyTarget>("reply_target", v) },
        ["event_replies"] = (o, v) => o with { EventReplies = Switch("event_replies", v) },
        ["locale"] = (o, v) => o with { Locale = Culture(v) },
        ["custom_fields"] = (o, v) => o with { CustomFields = ParseCustomFields(v) },
        ["ticket_properties"] = (o, v) => o with { TicketProperties = Switch("ticket_properties", v) },
        ["task_requester"] = (o, v) => o with { TaskRequester = ParseTaskRequester(v) },
        ["default_requester"] = (o, v) => o with { DefaultRequester = ParseDefaultRequester(v) },
        ["start_date_field"] = (o, v) => o with { StartDateField = ParseTicketFieldId("start_date_field", v) },
        ["status_sync"] = (o, v) => o with { StatusSync = ParseStatusSync(v) },
        ["due_sync"] = (o, v) => o with { DueSync = Switch("due_sync", v) },
    };

    /// <summary>The option's words: <c>off</c>, <c>zendesk_wins</c>, <c>source_wins</c>, <c>newest_wins</c>.</summary>
    public static string StatusSyncText(StatusSyncMode mode) => mode switch
    {
        StatusSyncMode.Off => "off",
        StatusSyncMode.ZendeskWins => "zendesk_wins",
        StatusSyncMode.SourceWins => "source_wins",
        _ => "newest_wins",
    };

    private static StatusSyncMode ParseStatusSync(string value) => value switch
    {
        "off" => StatusSyncMode.Off,
        "zendesk_wins" => StatusSyncMode.ZendeskWins,
        "source_wins" => StatusSyncMode.SourceWins,
        "newest_wins" => StatusSyncMode.NewestWins,
        _ => throw new AccountOptionsException("Option 'status_sync' must be one of off|zendesk_wins|source_wins|newest_wins."),
    };

    /// <summary>An e-mail address as a requester may carry it: one local part, one domain with a dot, no spaces or controls, ≤ 254.</summary>
    public static bool IsEmailAddress(string? value)
    {
        if (value is null || value.Length is < 3 or > 254 || value.Any(c => char.IsWhiteSpace(c) || char.IsControl(c) || c is '<' or '>' or ',' or ';' or '"'))
        {
            return false;
        }

        var at = value.LastIndexOf('@');
        return at > 0 && at == value.IndexOf('@') && value.IndexOf('.', at) > at + 1 && !value.EndsWith('.') && System.Net.Mail.MailAddress.TryCreate(value, out var parsed) && parsed.Address == value;
    }

    private static string ParseTaskRequester(string value)
    {
        var upper = value.ToUpperInvariant();
        if (upper is "ORGANIZER" or "ATTENDEE"
            || (upper.StartsWith("X-", StringComparison.Ordinal) && upper.Length is > 2 and <= MaxPropertyNameLength && upper.All(c => char.IsAsciiLetterOrDigit(c) || c == '-')))
        {
            return upper;
        }

        throw new AccountOptionsException("Option 'task_requester' must be organizer, attendee or an X- property name such as X-REQUESTER.");
    }

    private static string? ParseDefaultRequester(string value) =>
        value.Length == 0 ? null
        : IsEmailAddress(value) ? value
        : throw new AccountOptionsException("Option 'default_requester' must be an e-mail address such as calendar@example.com.");

    /// <summary>A Zendesk ticket field id: a positive whole number (Zendesk's ids are 64-bit integers); empty for none.</summary>
    private static long? ParseTicketFieldId(string key, string value) =>
        value.Length == 0 ? null
        : value.Length <= 19 && value.All(char.IsAsciiDigit) && long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var id) && id > 0 ? id
        : throw new AccountOptionsException($"Option '{key}' must be the id of a Zendesk ticket field (a positive whole number such as 360001234567), or empty.");

    private static string TaskRequesterText(string value) => value is "ORGANIZER" or "ATTENDEE" ? value.ToLowerInvariant() : value;

    private static T Choice<T>(string key, string value)
        where T : struct, Enum
    {
        foreach (var candidate in Enum.GetValues<T>())
        {
            if (Lower(candidate) == value)
            {
                return candidate;
            }
        }

        throw new AccountOptionsException($"Option '{key}' must be one of {string.Join("|", Enum.GetValues<T>().Select(Lower))}.");
    }

    private static int Days(string key, string value)
    {
        if (value.Length <= 4
            && value.All(char.IsAsciiDigit)
            && int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var days)
            && days <= 3650)
        {
            return days;
        }

        throw new AccountOptionsException($"Option '{key}' must be a whole number of days from 0 to 3650.");
    }

    private static bool Switch(string key, string value) => value switch
    {
        "on" => true,
        "off" => false,
        _ => throw new AccountOptionsException($"Option '{key}' must be on or off."),
    };

    private static string? Zone(string value)
    {
        if (value.Length == 0)
        {
            return null;
        }

        // Only IANA ids: they are what RFC 5545 producers and NodaTime share; Windows names are converted by the parser, not here.
        return DateTimeZoneProviders.Tzdb.GetZoneOrNull(value) is not null
            ? value
            : throw new AccountOptionsException("Option 'time_zone' must be an IANA time zone id such as Europe/Berlin.");
    }

    private static string? Culture(string value)
    {
        if (value.Length == 0)
        {
            return null;
        }

        // Only cultures the runtime knows (ICU), by their BCP 47 names: a made-up name would format as the invariant culture.
        try
        {
            if (value.Length <= 35 && value.All(c => char.IsAsciiLetterOrDigit(c) || c == '-')
                && CultureInfo.GetCultureInfo(value, predefinedOnly: true) is { Name.Length: > 0 } culture)
            {
                return culture.Name;
            }
        }
        catch (CultureNotFoundException)
        {
        }

        throw new AccountOptionsException("Option 'locale' must be a language tag such as de, en-GB or es-419.");
    }

    private static string? Author(string value)
    {
        if (value.Length > MaxAuthorNameLength || value.Any(char.IsControl))
        {
            throw new AccountOptionsException($"Option 'author_name' must be at most {MaxAuthorNameLength} characters without control characters.");
        }

        return value.Length == 0 ? null : value;
    }

    private static ImmutableSortedDictionary<long, string> ParseCustomFields(string value)
    {
        const string Expected = "Option 'custom_fields' must be a JSON object mapping Zendesk ticket field ids to iCalendar property names, e.g. {\"360001234567\":\"X-PRIORITY-CLASS\"}.";
        if (value.Length == 0)
        {
            return ImmutableSortedDictionary<long, string>.Empty;
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(value, new JsonDocumentOptions { MaxDepth = 2 });
        }
        catch (JsonException)
        {
            throw new AccountOptionsException(Expected);
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new AccountOptionsException(Expected);
            }

            var builder = ImmutableSortedDictionary.CreateBuilder<long, string>();
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (property.Name.Length is 0 or > 19
                    || !property.Name.All(char.IsAsciiDigit)
                    || !long.TryParse(property.Name, NumberStyles.None, CultureInfo.InvariantCulture, out var fieldId)
                    || fieldId <= 0)
                {
                    throw new AccountOptionsException("Option 'custom_fields': keys must be Zendesk ticket field ids (positive whole numbers).");
                }

                // RFC 5545 §3.1: a property name is an iana-token or x-name, 1*(ALPHA / DIGIT / "-"); names are case-insensitive.
                var name = property.Value.ValueKind == JsonValueKind.String ? property.Value.GetString()! : "";
                if (name.Length is 0 or > MaxPropertyNameLength || !name.All(c => char.IsAsciiLetterOrDigit(c) || c == '-'))
                {
                    throw new AccountOptionsException($"Option 'custom_fields': field {fieldId} must map to an iCalendar property name (letters, digits, '-', at most {MaxPropertyNameLength}).");
                }

                if (!builder.TryAdd(fieldId, name.ToUpperInvariant()))
                {
                    throw new AccountOptionsException($"Option 'custom_fields': field {fieldId} is listed more than once.");
                }
            }

            return builder.Count > MaxCustomFields
                ? throw new AccountOptionsException($"Option 'custom_fields' may map at most {MaxCustomFields} fields.")
                : builder.ToImmutable();
        }
    }

    private static string CustomFieldsJson(ImmutableSortedDictionary<long, string> fields) =>
        JsonSerializer.Serialize(fields.ToDictionary(f => f.Key.ToString(CultureInfo.InvariantCulture), f => f.Value));

    private static string Lower<T>(T value)
        where T : struct, Enum => value.ToString().ToLowerInvariant();

    private static string Int(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static string OnOff(bool value) => value ? "on" : "off";

    /// <summary>Keys come from operators and browsers: keep error messages one printable line.</summary>
    private static string Printable(string key) =>
        key.Length > 40 || key.Any(c => char.IsControl(c) || c > '~') ? "(unprintable)" : key;

    /// <summary>Ordered lookup: help and error texts list keys in declaration order.</summary>
    private sealed class OptionSetters : IEnumerable<KeyValuePair<string, Func<AccountOptions, string, AccountOptions>>>
    {
        private readonly List<KeyValuePair<string, Func<AccountOptions, string, AccountOptions>>> items = [];

        public IReadOnlyList<string> Keys => items.Select(i => i.Key).ToArray();

        public Func<AccountOptions, string, AccountOptions> this[string key]
        {
            set => items.Add(new(key, value));
        }

        public Func<AccountOptions, string, AccountOptions>? Find(string key) =>
            items.FirstOrDefault(i => i.Key == key).Value;

        public IEnumerator<KeyValuePair<string, Func<AccountOptions, string, AccountOptions>>> GetEnumerator() => items.GetEnumerator();

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
