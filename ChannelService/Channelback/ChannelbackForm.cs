using ChannelService.Web;
using FluentValidation;

namespace ChannelService.Channelback;

/// <summary>The fields of <c>POST /channelback</c> (channel-framework.md §4) as Zendesk posts them.</summary>
internal sealed record ChannelbackForm : IFormModel<ChannelbackForm>
{
    /// <summary>False when the request was not a form post at all.</summary>
    public bool IsForm { get; init; }

    public string? Message { get; init; }

    public string? ThreadId { get; init; }

    public string? ParentId { get; init; }

    public string? RecipientId { get; init; }

    /// <summary>Zendesk's idempotency key, trimmed.</summary>
    public string? RequestId { get; init; }

    public IReadOnlyList<string> FileUrls { get; init; } = [];

    public static ChannelbackForm FromForm(IFormCollection? form)
    {
        if (form is null)
        {
            return new ChannelbackForm();
        }

        string? Field(string name) => form.TryGetValue(name, out var v) && !string.IsNullOrEmpty(v) ? v.ToString() : null;
        return new ChannelbackForm
        {
            IsForm = true,
            Message = Field("message"),
            RequestId = Field("request_unique_identifier")?.Trim(),
            ThreadId = Field("thread_id"),
            ParentId = Field("parent_id"),
            RecipientId = Field("recipient_id"),

            // ASP.NET Core binds neither the bare "file_urls[]" key nor repeats of it; Zendesk sends that key (spec §4).
            FileUrls = form["file_urls[]"].Concat(form["file_urls"]).OfType<string>().Where(u => u.Length > 0).ToList(),
        };
    }

    /// <summary>The validated request the service acts on.</summary>
    public ChannelbackRequest ToRequest() => new(Message!, ParentId, ThreadId, RecipientId, RequestId!, FileUrls);
}

/// <summary>
/// Field limits from the channelback request table (spec §4). The first failure is the answer, in this order, so
/// the checks stop at the first problem as Zendesk's logs show one message.
/// </summary>
internal sealed class ChannelbackFormValidator : AbstractValidator<ChannelbackForm>
{
    public const int MaxMessage = 65535;
    public const int MaxId = 511;
    public const int MaxRequestId = 255;
    public const int MaxFiles = 50;
    public const int MaxFileUrl = 2048;

    public ChannelbackFormValidator()
    {
        ClassLevelCascadeMode = CascadeMode.Stop;
        RuleLevelCascadeMode = CascadeMode.Stop;

        RuleFor(f => f.IsForm).Equal(true).OverridePropertyName("body").WithMessage("A channelback is a form post (application/x-www-form-urlencoded).");
        RuleFor(f => f.Message)
            .NotNull().WithMessage("message is missing.")
            .MaximumLength(MaxMessage).WithMessage("message is longer than 65535 characters.")
            .OverridePropertyName("message");
        RuleFor(f => f.RequestId)
            .NotNull().WithMessage("request_unique_identifier is missing.")
            .MaximumLength(MaxRequestId).WithMessage("request_unique_identifier is longer than 255 characters.")
            .Must(id => !id!.Any(char.IsControl)).WithMessage("request_unique_identifier contains control characters.")
            .OverridePropertyName("request_unique_identifier");
        RuleFor(f => f)
            .Must(f => !(f.ThreadId?.Length > MaxId || f.ParentId?.Length > MaxId)).WithMessage("thread_id or parent_id is longer than 511 characters.")
            .Must(f => f.ThreadId is not null || f.ParentId is not null).WithMessage("thread_id is missing.")
            .OverridePropertyName("thread_id");
        RuleFor(f => f.FileUrls)
            .Must(urls => urls.Count <= MaxFiles).WithMessage("Too many file_urls.")
            .Must(urls => urls.All(IsFileUrl)).WithMessage("Every file_urls[] entry must be an absolute http(s) URL.")
            .OverridePropertyName("file_urls");
    }

    private static bool IsFileUrl(string url) =>
        url.Length <= MaxFileUrl && Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme is "https" or "http";
}
