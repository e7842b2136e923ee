using ChannelService.Accounts;
using ChannelService.Web;
using FluentValidation;
using Microsoft.Extensions.Localization;
using Microsoft.Extensions.Primitives;

namespace ChannelService.Admin;

/// <summary>
/// Zendesk's cross-site post to <c>/admin</c> when an admin adds or edits an account (channel-framework.md §2).
/// Empty <see cref="Metadata"/> means a new account.
/// </summary>
internal sealed record AdminStartRequest : IFormModel<AdminStartRequest>
{
    /// <summary>Longest value accepted per Zendesk field; metadata and state are Zendesk's 5000 (spec §9).</summary>
    public static readonly IReadOnlyDictionary<string, int> FieldLimits = new Dictionary<string, int>(StringComparer.Ordinal)
    {
        ["name"] = 255,
        ["metadata"] = ZendeskLimits.MaxOpaqueLength,
        ["state"] = ZendeskLimits.MaxOpaqueLength,
        ["return_url"] = ReturnUrlPolicy.MaxLength,
        ["subdomain"] = 63,
        ["locale"] = 35,
        ["instance_push_id"] = 200,
        ["zendesk_access_token"] = 2000,
    };

    /// <summary>The posted fields as they came (repeats included), for the validator.</summary>
    public IReadOnlyDictionary<string, StringValues>? Fields { get; init; }

    public string? Name => Value("name");

    public string? Metadata => Value("metadata");

    public string? State => Value("state");

    public string? ReturnUrl => Value("return_url");

    public string Subdomain => Value("subdomain") ?? "";

    public string? Locale => Value("locale");

    public string? InstancePushId => Value("instance_push_id");

    public string? ZendeskAccessToken => Value("zendesk_access_token");

    public static AdminStartRequest FromForm(IFormCollection? form) =>
        new() { Fields = form?.ToDictionary(f => f.Key, f => f.Value, StringComparer.Ordinal) };

    public override string ToString() => "AdminStartRequest";

    private string? Value(string field) => Fields is not null && Fields.TryGetValue(field, out var value) ? value.ToString() : null;
}

/// <summary>The start post must come from Zendesk's form, each field once and within its limit.</summary>
internal sealed class AdminStartRequestValidator : AbstractValidator<AdminStartRequest>
{
    public AdminStartRequestValidator(IStringLocalizer<AdminText> t)
    {
        ClassLevelCascadeMode = CascadeMode.Stop;
        RuleFor(r => r.Fields).NotNull().OverridePropertyName("form")
            .WithMessage(t["This page must be opened from Zendesk (Admin Center → Channels → your channel → Add account)."]);
        foreach (var (field, limit) in AdminStartRequest.FieldLimits)
        {
            RuleFor(r => r.Fields!.GetValueOrDefault(field)).Must(v => v.Count <= 1 && (v.ToString()?.Length ?? 0) <= limit).OverridePropertyName(field)
                .WithMessage(t["The field '{0}' sent by Zendesk is too long or repeated.", field]);
        }
    }
}

/// <summary>
/// One of the admin UI's own posts to <c>/admin/step</c>: the sealed flow, the button pressed (<c>do</c>) and the
/// fields of the page (<see cref="AdminForm"/>).
/// </summary>
internal sealed record AdminStepRequest : IFormModel<AdminStepRequest>
{
    /// <summary>Longest value of a field the pages post (the sealed flow aside).</summary>
    public const int MaxFieldLength = 4000;

    /// <summary>The posted fields as they came (repeats included), for the validator.</summary>
    public IReadOnlyDictionary<string, StringValues>? Fields { get; init; }

    public string? Flow { get; init; }

    public string? Action { get; init; }

    public AdminForm Form { get; init; } = new();

    public static AdminStepRequest FromForm(IFormCollection? form)
    {
        if (form is null)
        {
            return new AdminStepRequest();
        }

        string? S(string key) => form[key] is { Count: > 0 } v ? v.ToString() : null;
        return new AdminStepRequest
        {
            Fields = form.ToDictionary(f => f.Key, f => f.Value, StringComparer.Ordinal),
            Flow = S("flow"),
            Action = S("do"),
            Form = new AdminForm
            {
                Kind = S("kind"),
                Url = S("url"),
                Username = S("username"),
                Password = S("password"),
                DisplayName = S("display_name"),
                Collection = S("collection"),
                Tasks = S("tasks"),
                WindowPastDays = S("window_past_days"),
                WindowFutureDays = S("window_future_days"),
                Recurring = S("recurring"),
                TimeZone = S("time_zone"),
                AuthorName = S("author_name"),
                CustomFields = S("custom_fields"),
                TicketProperties = S("ticket_properties"),
                TaskRequester = S("task_requester"),
                DefaultRequester = S("default_requester"),
                StartDateField = S("start_date_field"),
                StatusSync = S("status_sync"),
                DueSync = S("due_sync"),
                SaveAnyway = form["save_anyway"] == "on",
            },
        };
    }

    public override string ToString() => "AdminStepRequest";
}

/// <summary>A step post must come from the page's form, each field once and within <see cref="AdminStepRequest.MaxFieldLength"/>.</summary>
internal sealed class AdminStepRequestValidator : AbstractValidator<AdminStepRequest>
{
    public AdminStepRequestValidator(IStringLocalizer<AdminText> t)
    {
        ClassLevelCascadeMode = CascadeMode.Stop;
        RuleFor(r => r.Fields).NotNull().OverridePropertyName("form")
            .WithMessage(t["This page must be opened from Zendesk (Admin Center → Channels → your channel → Add account)."]);
        RuleFor(r => r.Fields).Custom((fields, context) =>
        {
            foreach (var (key, value) in fields!)
            {
                if (value.Count > 1 || (key != "flow" && (value.ToString()?.Length ?? 0) > AdminStepRequest.MaxFieldLength))
                {
                    context.AddFailure(Printable(key), t["The field '{0}' is too long or repeated.", Printable(key)]);
                    return;
                }
            }
        });
    }

    private static string Printable(string key) => key.Length > 40 || key.Any(c => char.IsControl(c) || c > '~') ? "(unprintable)" : key;
}
