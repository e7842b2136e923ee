using FluentValidation;

namespace ChannelService.Accounts;

/// <summary>
/// What an operator or the admin UI enters for a new account, as typed (strings). Validated by
/// <see cref="NewAccountRequestValidator"/>, turned into metadata by <see cref="Create"/>.
/// </summary>
internal sealed record NewAccountRequest(
    string? Kind,
    string? Url,
    string? Username,
    string? Secret,
    string? DisplayName,
    IReadOnlyList<KeyValuePair<string, string>> Options)
{
    /// <summary>Validates and builds the account with a new id. Throws <see cref="ValidationException"/> naming the field.</summary>
    public AccountMetadata Create(TimeProvider time)
    {
        new NewAccountRequestValidator().ValidateAndThrow(this);
        SourceKinds.TryParse(Kind, out var kind);
        return new AccountMetadata
        {
            AccountId = AccountIds.New(),
            Kind = kind!.Value,
            Url = Url!.Trim(),
            Username = string.IsNullOrEmpty(Username) ? null : Username,
            Secret = string.IsNullOrEmpty(Secret) ? null : Secret,
            DisplayName = string.IsNullOrWhiteSpace(DisplayName) ? null : DisplayName.Trim(),
            Options = AccountOptions.Parse(Options),
            // Whole seconds: metadata stores Unix seconds, and a round trip should give back the same value.
            CreatedAt = DateTimeOffset.FromUnixTimeSeconds(time.GetUtcNow().ToUnixTimeSeconds()),
        };
    }
}

/// <summary>
/// Rules for a new account. Limits keep a full account well inside Zendesk's 5000 characters; the codec still
/// refuses the rare combination that does not fit.
/// </summary>
internal sealed class NewAccountRequestValidator : AbstractValidator<NewAccountRequest>
{
    public const int MaxUrlLength = 1000;
    public const int MaxUsernameLength = 200;
    public const int MaxSecretLength = 1000;
    public const int MaxDisplayNameLength = 100;

    public NewAccountRequestValidator()
    {
        RuleFor(r => r.Kind)
            .Must(k => SourceKinds.TryParse(k, out _))
            .WithName("kind")
            .WithMessage($"kind must be one of {string.Join("|", SourceKinds.WireNames)}.");

        RuleFor(r => r.Url)
            .NotEmpty().WithName("url").WithMessage("url is required.")
            .MaximumLength(MaxUrlLength).WithName("url").WithMessage($"url must be at most {MaxUrlLength} characters.")
            .Must((r, url) => UrlProblem(r.Kind, url!) is null)
            .WithName("url")
            .WithMessage((r, url) => UrlProblem(r.Kind, url!));

        RuleFor(r => r.Username)
            .MaximumLength(MaxUsernameLength).WithName("username").WithMessage($"username must be at most {MaxUsernameLength} characters.")
            .Must(u => u is null || !u.Any(char.IsControl)).WithName("username").WithMessage("username must not contain control characters.");

        RuleFor(r => r.Secret)
            .MaximumLength(MaxSecretLength).WithName("password").WithMessage($"password must be at most {MaxSecretLength} characters.")
            .Must(s => s is null || !s.Any(char.IsControl)).WithName("password").WithMessage("password must not contain control characters.");

        RuleFor(r => r.DisplayName)
            .MaximumLength(MaxDisplayNameLength).WithName("name").WithMessage($"name must be at most {MaxDisplayNameLength} characters.")
            .Must(n => n is null || !n.Any(char.IsControl)).WithName("name").WithMessage("name must not contain control characters.");

        RuleFor(r => r.Options)
            .Custom((options, context) =>
            {
                try
                {
                    AccountOptions.Parse(options);
                }
                catch (AccountOptionsException ex)
                {
                    context.AddFailure("options", ex.Message);
                }
            });
    }

    /// <summary>Null when the URL suits the kind, else a message. Never echoes the URL: it may hold a feed's secret token.</summary>
    private static string? UrlProblem(string? kind, string url)
    {
        if (!Uri.TryCreate(url.Trim(), UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.Host))
        {
            return "url must be an absolute URL such as https://dav.example.com/calendars/me/tasks/.";
        }

        // webcal: is an unregistered scheme that tells calendar apps to subscribe; the feed itself is fetched over https.
        var allowed = kind == "ics" ? new[] { "http", "https", "webcal" } : ["http", "https"];
        if (!allowed.Contains(uri.Scheme, StringComparer.OrdinalIgnoreCase))
        {
            return $"url must use {string.Join(" or ", allowed)}.";
        }

        // Credentials in the URL would end up in logs and in `metadata show`; they belong in username and password.
        return uri.UserInfo.Length > 0
            ? "url must not contain a user name or password; use username and password instead."
            : null;
    }
}
