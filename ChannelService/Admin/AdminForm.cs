using System.Globalization;
using System.Text.Json;
using ChannelService.Accounts;
using FluentValidation;
using Microsoft.Extensions.Localization;
using NodaTime;

namespace ChannelService.Admin;

/// <summary>Marker type naming the admin UI's resources (Resources/Admin/AdminText.{culture}.resx); English is the key.</summary>
public sealed class AdminText;

/// <summary>
/// The fields of the admin UI's own follow-up posts, as typed. Field names are the form's input names, so
/// validation messages land next to the right field.
/// </summary>
internal sealed record AdminForm
{
    public string? Kind { get; init; }

    public string? Url { get; init; }

    public string? Username { get; init; }

    /// <summary>Typed password or token; blank on edit means "keep the saved one".</summary>
    public string? Password { get; init; }

    public string? DisplayName { get; init; }

    /// <summary>The CalDAV collection picked from the discovered list (overrides <see cref="Url"/>).</summary>
    public string? Collection { get; init; }

    public string? Tasks { get; init; }

    public string? WindowPastDays { get; init; }

    public string? WindowFutureDays { get; init; }

    public string? Recurring { get; init; }

    public string? TimeZone { get; init; }

    public string? AuthorName { get; init; }

    /// <summary>One <c>field id = PROPERTY</c> pair per line.</summary>
    public string? CustomFields { get; init; }

    /// <summary><c>on</c> or <c>off</c>: native ticket properties through the Zendesk link.</summary>
    public string? TicketProperties { get; init; }

    /// <summary><c>organizer</c>, <c>attendee</c> or an <c>X-</c> property name.</summary>
    public string? TaskRequester { get; init; }

    public string? DefaultRequester { get; init; }

    /// <summary>The Zendesk custom date field for an event's start: a ticket field id, or empty.</summary>
    public string? StartDateField { get; init; }
    /// <summary><c>off</c>, <c>zendesk_wins</c>, <c>source_wins</c> or <c>newest_wins</c>: the two-way task status (task lists only).</summary>
    public string? StatusSync { get; init; }

    /// <summary><c>on</c> or <c>off</c>: a due date moved in Zendesk moves the task's DUE.</summary>
    public string? DueSync { get; init; }

    public bool SaveAnyway { get; init; }

    public override string ToString() => $"AdminForm {{ Kind = {Kind} }}";

    public static AdminForm FromAccount(AccountMetadata account, string? name)
    {
        var o = account.Options;
        return new AdminForm
        {
            Kind = account.Kind.ToWire(),
            Url = account.Url,
            Username = account.Username,
            DisplayName = string.IsNullOrEmpty(name) ? account.DisplayName : name,
            Tasks = o.Tasks == TaskScope.All ? "all" : "open",
            WindowPastDays = o.WindowPastDays.ToString(CultureInfo.InvariantCulture),
            WindowFutureDays = o.WindowFutureDays.ToString(CultureInfo.InvariantCulture),
            Recurring = o.Recurring == RecurrenceMode.Series ? "series" : "occurrence",
            TimeZone = o.TimeZone,
            AuthorName = o.AuthorName,
            CustomFields = string.Join("\n", o.CustomFields.Select(f => f.Key.ToString(CultureInfo.InvariantCulture) + "=" + f.Value)),
            TicketProperties = o.TicketProperties ? "on" : "off",
            TaskRequester = o.ToDictionary(includeDefaults: true)["task_requester"],
            DefaultRequester = o.DefaultRequester,
            StartDateField = o.StartDateField?.ToString(CultureInfo.InvariantCulture),
            StatusSync = AccountOptions.StatusSyncText(o.StatusSync),
            DueSync = o.DueSync ? "on" : "off",
        };
    }

    public static AdminForm Defaults(string kind) => new()
    {
        Kind = kind,
        Tasks = "open",
        WindowPastDays = AccountOptions.Default.WindowPastDays.ToString(CultureInfo.InvariantCulture),
        WindowFutureDays = AccountOptions.Default.WindowFutureDays.ToString(CultureInfo.InvariantCulture),
        Recurring = "occurrence",
        TicketProperties = "on",
        TaskRequester = "organizer",
        StatusSync = AccountOptions.StatusSyncText(AccountOptions.Default.StatusSync),
        DueSync = "on",
    };

    /// <summary>The URL to use: the picked collection when there is one.</summary>
    public string EffectiveUrl => (string.IsNullOrWhiteSpace(Collection) ? Url : Collection)?.Trim() ?? "";

    /// <summary>
    /// The options as <c>key=value</c> pairs for <see cref="AccountOptions.Parse"/>: the ones this form shows as typed,
    /// on top of <paramref name="kept"/> (the edited account's options), so an option the form has no field for
    /// (<c>reply_target</c>, <c>reply_commands</c>, <c>event_replies</c>, <c>change_notes</c>, <c>locale</c>, set by
    /// the command line) survives an edit unchanged.
    /// </summary>
    public IReadOnlyList<KeyValuePair<string, string>> OptionPairs(AccountOptions? kept = null)
    {
        var pairs = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in kept?.ToDictionary() ?? new Dictionary<string, string>())
        {
            pairs[key] = value;
        }

        pairs["author_name"] = (AuthorName ?? "").Trim();
        if (Kind == "inbox")
        {
            // A webhook inbox's page shows the author name only.
            return [.. pairs];
        }

        pairs["tasks"] = Tasks ?? "open";
        pairs["window_past_days"] = (WindowPastDays ?? "").Trim();
        pairs["window_future_days"] = (WindowFutureDays ?? "").Trim();
        pairs["recurring"] = Recurring ?? "occurrence";
        pairs["time_zone"] = (TimeZone ?? "").Trim();
        pairs["ticket_properties"] = TicketProperties == "off" ? "off" : "on";
        pairs["task_requester"] = string.IsNullOrWhiteSpace(TaskRequester) ? "organizer" : TaskRequester.Trim();
        pairs["default_requester"] = (DefaultRequester ?? "").Trim();
        pairs["start_date_field"] = (StartDateField ?? "").Trim();
        if (Kind == "caldav-tasks")
        {
            // Only a task list's page shows the two-way status; other kinds keep what they had.
            pairs["status_sync"] = string.IsNullOrWhiteSpace(StatusSync) ? AccountOptions.StatusSyncText(AccountOptions.Default.StatusSync) : StatusSync;
            pairs["due_sync"] = DueSync == "off" ? "off" : "on";
        }

        // The form shows every custom field: emptied lines remove the kept ones.
        var fields = CustomFieldLines();
        pairs.Remove("custom_fields");
        if (fields.Count > 0)
        {
            pairs["custom_fields"] = JsonSerializer.Serialize(fields);
        }

        return [.. pairs];
    }

    /// <summary>Parsed custom field lines; a malformed line is kept with an empty id so validation reports it.</summary>
    public Dictionary<string, string> CustomFieldLines()
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var raw in (CustomFields ?? "").Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0)
            {
                continue;
            }

            var eq = line.IndexOf('=', StringComparison.Ordinal);
            var id = eq < 0 ? "" : line[..eq].Trim();
            var property = eq < 0 ? line : line[(eq + 1)..].Trim();
            result[id.Length == 0 || result.ContainsKey(id) ? "" : id] = property;
        }

        return result;
    }
}

/// <summary>
/// Rules for the admin UI's form, with localized messages keyed by input name. The account rules themselves
/// (<see cref="NewAccountRequestValidator"/>, <see cref="AccountOptions"/>) stay the final word when the account is built.
/// </summary>
internal sealed class AdminFormValidator : AbstractValidator<AdminForm>
{
    public AdminFormValidator(IStringLocalizer<AdminText> t)
    {
        RuleFor(f => f.Kind).Must(k => SourceKinds.TryParse(k, out _)).OverridePropertyName("kind").WithMessage(t["Choose what to connect."]);

        RuleFor(f => f.EffectiveUrl)
            .NotEmpty().WithMessage(t["Enter the address."])
            .MaximumLength(NewAccountRequestValidator.MaxUrlLength).WithMessage(t["The address is too long (at most {0} characters).", NewAccountRequestValidator.MaxUrlLength])
            .Must((f, url) => UrlShape(f.Kind, url) == UrlProblem.None).WithMessage((f, url) => UrlShape(f.Kind, url) switch
            {
                UrlProblem.Scheme => t["The address must start with https:// (or http://, webcal:// for a feed)."],
                UrlProblem.UserInfo => t["Put the user name and password in their own fields, not in the address."],
                _ => f.Kind switch
                {
                    "ics" => t["Enter a full address such as https://calendar.example.com/team.ics."],
                    "inbox" => t["Enter a full address such as https://hooks.example.com/replies."],
                    _ => t["Enter a full address such as https://dav.example.com/calendars/me/tasks/."],
                },
            })
            .OverridePropertyName("url");

        RuleFor(f => f.Username)
            .MaximumLength(NewAccountRequestValidator.MaxUsernameLength).WithMessage(t["The user name is too long (at most {0} characters).", NewAccountRequestValidator.MaxUsernameLength])
            .Must(u => u is null || (!u.Any(char.IsControl) && !u.Contains(':', StringComparison.Ordinal))).WithMessage(t["The user name cannot contain ':' or control characters."])
            .OverridePropertyName("username");

        RuleFor(f => f.Password)
            .MaximumLength(NewAccountRequestValidator.MaxSecretLength).WithMessage(t["The password is too long (at most {0} characters).", NewAccountRequestValidator.MaxSecretLength])
            .Must(p => p is null || !p.Any(char.IsControl)).WithMessage(t["The password cannot contain control characters."])
            .OverridePropertyName("password");

        RuleFor(f => f.DisplayName)
            .MaximumLength(NewAccountRequestValidator.MaxDisplayNameLength).WithMessage(t["The name is too long (at most {0} characters).", NewAccountRequestValidator.MaxDisplayNameLength])
            .Must(n => n is null || !n.Any(char.IsControl)).WithMessage(t["The name cannot contain control characters."])
            .OverridePropertyName("display_name");

        RuleFor(f => f.Tasks).Must(v => v is null or "open" or "all").OverridePropertyName("tasks").WithMessage(t["Choose which tasks to import."]);
        RuleFor(f => f.Recurring).Must(v => v is null or "occurrence" or "series").OverridePropertyName("recurring").WithMessage(t["Choose how recurring events become tickets."]);
        // A webhook inbox has no calendar options: its page does not show them, so they are not checked.
        RuleFor(f => f.WindowPastDays).Must(Days).When(f => f.Kind != "inbox").OverridePropertyName("window_past_days").WithMessage(t["Enter a whole number of days from 0 to 3650."]);
        RuleFor(f => f.WindowFutureDays).Must(Days).When(f => f.Kind != "inbox").OverridePropertyName("window_future_days").WithMessage(t["Enter a whole number of days from 0 to 3650."]);
        RuleFor(f => f.TimeZone)
            .Must(z => string.IsNullOrWhiteSpace(z) || (z.Length <= 64 && DateTimeZoneProviders.Tzdb.GetZoneOrNull(z.Trim()) is not null))
            .OverridePropertyName("time_zone").WithMessage(t["Enter a time zone such as Europe/Berlin, or leave it empty."]);
        RuleFor(f => f.AuthorName)
            .Must(a => a is null || (a.Trim().Length <= AccountOptions.MaxAuthorNameLength && !a.Any(char.IsControl)))
            .OverridePropertyName("author_name").WithMessage(t["The author name is too long (at most {0} characters).", AccountOptions.MaxAuthorNameLength]);
        RuleFor(f => f.CustomFields)
            .Must((f, _) => CustomFieldsValid(f))
            .OverridePropertyName("custom_fields")
            .WithMessage(t["Write one mapping per line: a Zendesk ticket field id, '=', an iCalendar property (e.g. 360001234567=X-PRIORITY-CLASS); at most {0}.", AccountOptions.MaxCustomFields]);
        RuleFor(f => f.TicketProperties).Must(v => v is null or "on" or "off").OverridePropertyName("ticket_properties").WithMessage(t["Choose whether tickets get their native properties."]);
        RuleFor(f => f.StatusSync)
            .Must(v => v is null or "off" or "zendesk_wins" or "source_wins" or "newest_wins")
            .OverridePropertyName("status_sync").WithMessage(t["Choose how a task's status follows its ticket."]);
        RuleFor(f => f.DueSync).Must(v => v is null or "on" or "off").OverridePropertyName("due_sync").WithMessage(t["Choose whether a due date moved in Zendesk moves the task."]);
        RuleFor(f => f.TaskRequester)
            .Must(v => string.IsNullOrWhiteSpace(v) || OptionAccepted("task_requester", v.Trim()))
            .When(f => f.Kind != "inbox")
            .OverridePropertyName("task_requester").WithMessage(t["Enter organizer, attendee or an X- property such as X-REQUESTER."]);
        RuleFor(f => f.DefaultRequester)
            .Must(v => string.IsNullOrWhiteSpace(v) || AccountOptions.IsEmailAddress(v.Trim()))
            .When(f => f.Kind != "inbox")
            .OverridePropertyName("default_requester").WithMessage(t["Enter an e-mail address such as calendar@example.com, or leave it empty."]);
        RuleFor(f => f.StartDateField)
            .Must(v => string.IsNullOrWhiteSpace(v) || OptionAccepted("start_date_field", v.Trim()))
            .When(f => f.Kind != "inbox")
            .OverridePropertyName("start_date_field").WithMessage(t["Enter the id of a Zendesk date field (a positive whole number such as 360001234567), or leave it empty."]);
    }

    private static bool OptionAccepted(string key, string value)
    {
        try
        {
            _ = AccountOptions.Default.With(key, value);
            return true;
        }
        catch (AccountOptionsException)
        {
            return false;
        }
    }

    private enum UrlProblem
    {
        None,
        Shape,
        Scheme,
        UserInfo,
    }

    private static UrlProblem UrlShape(string? kind, string url)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.Host))
        {
            return UrlProblem.Shape;
        }

        var schemes = kind == "ics" ? new[] { "http", "https", "webcal" } : ["http", "https"];
        if (!schemes.Contains(uri.Scheme, StringComparer.OrdinalIgnoreCase))
        {
            return UrlProblem.Scheme;
        }

        return uri.UserInfo.Length > 0 ? UrlProblem.UserInfo : UrlProblem.None;
    }

    private static bool Days(string? value) =>
        value is not null
        && value.Trim() is { Length: > 0 and <= 4 } v
        && v.All(char.IsAsciiDigit)
        && int.Parse(v, CultureInfo.InvariantCulture) <= 3650;

    private static bool CustomFieldsValid(AdminForm form)
    {
        if ((form.CustomFields?.Length ?? 0) > 4000)
        {
            return false;
        }

        try
        {
            var pairs = form.CustomFieldLines();
            return !pairs.ContainsKey("") && pairs.Count <= AccountOptions.MaxCustomFields
                && AccountOptions.Default.With("custom_fields", JsonSerializer.Serialize(pairs)) is not null;
        }
        catch (AccountOptionsException)
        {
            return false;
        }
    }
}
