using FluentValidation;
using Microsoft.Extensions.Options;

namespace ChannelService.Configuration;

/// <summary>
/// The rules for the <c>Channel</c> section. Every message names the setting as an operator writes it
/// (<c>Channel:Name</c>), says what is wanted and, where it helps, gives an example. Checked when the host starts
/// (<see cref="ChannelOptionsValidation"/>), so a bad setting stops the service before it answers anything.
/// </summary>
internal sealed class ChannelOptionsValidator : AbstractValidator<ChannelOptions>
{
    public ChannelOptionsValidator(IHostEnvironment environment)
        : this(environment.IsDevelopment())
    {
    }

    /// <param name="isDevelopment">Development may run without a public address (local use).</param>
    public ChannelOptionsValidator(bool isDevelopment)
    {
        RuleFor(o => o.PublicBaseUrl).NotEmpty().Unless(_ => isDevelopment).OverridePropertyName("PublicBaseUrl")
            .WithMessage("Channel:PublicBaseUrl is required: the https URL Zendesk reaches this service at (e.g. https://channel.example.com).");
        RuleFor(o => o.PublicBaseUrl).Custom((url, context) =>
        {
            if (string.IsNullOrWhiteSpace(url))
            {
                return;
            }

            if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
            {
                context.AddFailure("PublicBaseUrl", $"Channel:PublicBaseUrl must be an absolute https URL; got '{url}'.");
            }
            else if (uri.Scheme == Uri.UriSchemeHttp && !ChannelOptions.IsLoopbackHost(uri.Host))
            {
                context.AddFailure("PublicBaseUrl", "Channel:PublicBaseUrl must use https: Zendesk requires https manifest URLs (http is accepted only for loopback hosts).");
            }
            else if (!string.IsNullOrEmpty(uri.Query) || !string.IsNullOrEmpty(uri.Fragment) || !string.IsNullOrEmpty(uri.UserInfo))
            {
                context.AddFailure("PublicBaseUrl", "Channel:PublicBaseUrl must not contain a query, fragment or user name.");
            }
        });

        RuleFor(o => o.DataDirectory).NotEmpty()
            .WithMessage("Channel:DataDirectory must not be empty.");

        // DOC says 127, SCHEMA says 128: the stricter limit is safe for both.
        RuleFor(o => o.PushClientId).MaximumLength(127).WithMessage("Channel:PushClientId is at most 127 characters.");

        RuleFor(o => o.ZendeskBaseUrl)
            .Must(url => Uri.TryCreate(url, UriKind.Absolute, out var zendesk) && (zendesk.Scheme == Uri.UriSchemeHttps || zendesk.Scheme == Uri.UriSchemeHttp))
            .When(o => !string.IsNullOrWhiteSpace(o.ZendeskBaseUrl))
            .WithMessage(o => $"Channel:ZendeskBaseUrl must be an absolute http(s) URL such as https://zendesk-proxy.example.com; got '{o.ZendeskBaseUrl}'.");

        RuleFor(o => o.ZendeskApiRequestsPerMinute).InclusiveBetween(1, 2500)
            .WithMessage("Channel:ZendeskApiRequestsPerMinute must be 1 to 2500 (Zendesk's highest plan limit).");
        RuleFor(o => o)
            .Must(o => string.IsNullOrWhiteSpace(o.ZendeskOAuthClientId) == string.IsNullOrWhiteSpace(o.ZendeskOAuthClientSecret))
            .OverridePropertyName("ZendeskOAuthClientId")
            .WithMessage("Channel:ZendeskOAuthClientId and Channel:ZendeskOAuthClientSecret must be set together (or neither, which hides \"Connect to Zendesk\").");
        RuleFor(o => o.ZendeskOAuthClientId)
            .Must(id => id!.Length <= 255 && id.All(c => c is > ' ' and <= '~'))
            .When(o => !string.IsNullOrWhiteSpace(o.ZendeskOAuthClientId))
            .WithMessage("Channel:ZendeskOAuthClientId must be the OAuth client's unique identifier: at most 255 printable characters without spaces.");
        RuleFor(o => o.ZendeskOAuthClientSecret)
            .Must(secret => secret!.Length <= 2000 && secret.All(c => c is > ' ' and <= '~'))
            .When(o => !string.IsNullOrWhiteSpace(o.ZendeskOAuthClientSecret))
            .WithMessage("Channel:ZendeskOAuthClientSecret must be the OAuth client's secret as Zendesk showed it: at most 2000 printable characters without spaces.");
        RuleFor(o => o.ZendeskOAuthScopes)
            .Must(scopes => !string.IsNullOrWhiteSpace(scopes) && scopes.Length <= 1000
                && scopes.Split(' ', StringSplitOptions.RemoveEmptyEntries).All(s => s.All(c => c is ':' or '_' or (>= 'a' and <= 'z'))))
            .WithMessage("Channel:ZendeskOAuthScopes must be Zendesk scopes separated by spaces, e.g. \"read tickets:write users:write\".");

        RuleFor(o => o.PushBatchSize).InclusiveBetween(1, 200)
            .WithMessage("Channel:PushBatchSize must be 1 to 200 (Zendesk documents at most 200 resources per push).");

        RuleFor(o => o)
            .Must(o => o.PushLinger >= TimeSpan.Zero && o.PushLinger <= TimeSpan.FromMinutes(1) && o.ZendeskTimeout > TimeSpan.Zero && o.ZendeskTimeout <= TimeSpan.FromMinutes(5))
            .OverridePropertyName("PushLinger")
            .WithMessage("Channel:PushLinger must be 0 to 00:01:00 and Channel:ZendeskTimeout above 0 and at most 00:05:00.");

        RuleFor(o => o.ChangeFeedReconcileInterval).InclusiveBetween(TimeSpan.FromSeconds(1), TimeSpan.FromHours(24))
            .WithMessage("Channel:ChangeFeedReconcileInterval must be 00:00:01 to 24:00:00 (default 00:05:00).");

        RuleFor(o => o.ChangeFeedExportRequestsPerMinute).InclusiveBetween(1, 9)
            .WithMessage("Channel:ChangeFeedExportRequestsPerMinute must be 1 to 9: Zendesk allows 10 incremental export requests a minute for the whole account.");

        RuleFor(o => o.AgentCalendarEventDuration).InclusiveBetween(TimeSpan.FromMinutes(1), TimeSpan.FromHours(24))
            .WithMessage("Channel:AgentCalendarEventDuration must be 00:01:00 to 24:00:00 (default 00:30:00).");

        RuleFor(o => o.AgentCalendarRefreshInterval).InclusiveBetween(TimeSpan.FromMinutes(1), TimeSpan.FromDays(1))
            .WithMessage("Channel:AgentCalendarRefreshInterval must be 00:01:00 to 1.00:00:00 (default 00:15:00).");

        RuleFor(o => o)
            .Must(o => string.IsNullOrEmpty(o.DashboardUser) == string.IsNullOrEmpty(o.DashboardPassword))
            .OverridePropertyName("DashboardUser")
            .WithMessage("Channel:DashboardUser and Channel:DashboardPassword must be set together (or neither, which turns the dashboard off).");

        RuleFor(o => o.OtlpEndpoint)
            .Must(url => Uri.TryCreate(url!.Trim(), UriKind.Absolute, out var otlp) && (otlp.Scheme == Uri.UriSchemeHttps || otlp.Scheme == Uri.UriSchemeHttp)
                && string.IsNullOrEmpty(otlp.UserInfo) && string.IsNullOrEmpty(otlp.Fragment))
            .When(o => !string.IsNullOrWhiteSpace(o.OtlpEndpoint))
            .WithMessage("Channel:OtlpEndpoint must be an absolute http(s) URL of an OTLP/HTTP collector such as http://otel-collector:4318/v1/metrics, without a user name (the value is not repeated here: it may hold one).");
        RuleFor(o => o.OtlpExportInterval).InclusiveBetween(TimeSpan.FromSeconds(1), TimeSpan.FromHours(1))
            .WithMessage("Channel:OtlpExportInterval must be 00:00:01 to 01:00:00 (default 00:01:00).");

        RuleFor(o => o.ChannelbackRequestRetention).GreaterThanOrEqualTo(TimeSpan.FromDays(1))
            .WithMessage("Channel:ChannelbackRequestRetention must be at least 1.00:00:00 (1 day): Zendesk may repeat a channelback after a network error, and a repeat must find its answer.");
        RuleFor(o => o.EventLogRetention).Must(AtLeastAnHour).WithMessage(o => HourMessage("EventLogRetention", o.EventLogRetention));
        RuleFor(o => o.ServiceErrorRetention).Must(AtLeastAnHour).WithMessage(o => HourMessage("ServiceErrorRetention", o.ServiceErrorRetention));
        RuleFor(o => o.OutboxDeliveredRetention).Must(AtLeastAnHour).WithMessage(o => HourMessage("OutboxDeliveredRetention", o.OutboxDeliveredRetention));
        RuleFor(o => o.OutboxParkedRetention).Must(AtLeastAnHour).WithMessage(o => HourMessage("OutboxParkedRetention", o.OutboxParkedRetention));
        RuleFor(o => o.ForgottenItemRetention).Must(AtLeastAnHour).WithMessage(o => HourMessage("ForgottenItemRetention", o.ForgottenItemRetention));
        RuleFor(o => o.RetentionInterval).InclusiveBetween(TimeSpan.FromSeconds(1), TimeSpan.FromDays(1))
            .WithMessage("Channel:RetentionInterval must be 00:00:01 to 1.00:00:00.");
        RuleFor(o => o.RetentionBatchSize).InclusiveBetween(1, 10_000)
            .WithMessage("Channel:RetentionBatchSize must be 1 to 10000.");

        RuleFor(o => o.IntegrationName).Must(Between1And255).WithMessage("Channel:IntegrationName must be 1 to 255 characters.");
        RuleFor(o => o.IntegrationAuthor).Must(Between1And255).WithMessage("Channel:IntegrationAuthor must be 1 to 255 characters.");
        RuleFor(o => o.IntegrationId).Must(id => !string.IsNullOrWhiteSpace(id) && id.Length <= 511)
            .WithMessage("Channel:IntegrationId must be 1 to 511 characters.");

        RuleForEach(o => o.TrustedProxies).Must(proxy => ChannelOptions.TryParseNetwork(proxy, out _))
            .WithMessage((_, proxy) => $"Channel:TrustedProxies: '{proxy}' is neither an IP address nor a CIDR range (e.g. 10.0.0.5 or 10.0.0.0/24).");

        RuleForEach(o => o.ReturnUrlHosts).Must(ChannelOptions.IsValidHostEntry)
            .WithMessage((_, host) => $"Channel:ReturnUrlHosts: '{host}' must be a host name or address with an optional port, e.g. support.example.com or 127.0.0.1:5173.");
    }

    private static bool AtLeastAnHour(TimeSpan value) => value >= TimeSpan.FromHours(1);

    private static string HourMessage(string setting, TimeSpan value) =>
        FormattableString.Invariant($"Channel:{setting} must be at least 01:00:00 (1 hour); got {value}.");

    private static bool Between1And255(string? value) => !string.IsNullOrWhiteSpace(value) && value.Length <= 255;
}

/// <summary>Runs <see cref="ChannelOptionsValidator"/> wherever the options are read, and at start (<c>ValidateOnStart</c>).</summary>
internal sealed class ChannelOptionsValidation(IHostEnvironment environment) : IValidateOptions<ChannelOptions>
{
    public ValidateOptionsResult Validate(string? name, ChannelOptions options)
    {
        var result = new ChannelOptionsValidator(environment).Validate(options);
        return result.IsValid ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(result.Errors.Select(e => e.ErrorMessage));
    }
}
