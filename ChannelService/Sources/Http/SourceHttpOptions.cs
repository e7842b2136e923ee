using FluentValidation;
using Microsoft.Extensions.Options;

namespace ChannelService.Sources.Http;

/// <summary>
/// Limits and the SSRF policy for every outbound call to a source (feeds, CalDAV, inbox callbacks).
/// Bound from the <c>Channel</c> configuration section; the defaults are the safe production values.
/// </summary>
internal sealed class SourceHttpOptions
{
    public const string SectionName = "Channel";

    /// <summary>
    /// Allows loopback, private, CGNAT, link-local and unique-local addresses: local development and tests only.
    /// Cloud metadata services stay blocked even then (see <see cref="AllowedSourceNetworks"/>).
    /// </summary>
    public bool AllowPrivateNetworkSources { get; set; }

    /// <summary>
    /// CIDR ranges (IPv4 or IPv6, e.g. <c>10.20.0.0/16</c>, <c>fd12:3456::/48</c>; a bare address means one host)
    /// that sources may use even though they are not public, such as a company's own CalDAV server.
    /// An entry may hold several ranges separated by commas. A cloud metadata address is allowed only by a
    /// range at least as narrow as the special block it lives in (169.254.0.0/16 does, 0.0.0.0/0 does not).
    /// </summary>
    public List<string> AllowedSourceNetworks { get; set; } = [];

    /// <summary>Largest body accepted, counted after decompression (and before it too). Default 20 MB.</summary>
    public long MaxSourceResponseBytes { get; set; } = 20L * 1024 * 1024;

    /// <summary>DNS lookup plus TCP connect, per connection. Default 10 seconds.</summary>
    public TimeSpan SourceConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The whole exchange: every redirect hop and reading the full body. Default 30 seconds.</summary>
    public TimeSpan SourceRequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Redirects followed before giving up. Default 5.</summary>
    public int MaxSourceRedirects { get; set; } = 5;
}

/// <summary>
/// The source HTTP settings' one validator (FluentValidation, like every other setting and request model): run at
/// start through <see cref="SourceHttpOptionsValidation"/> and by <see cref="SourceHttpClient"/>'s constructor, so a
/// bad value never reaches a socket. Messages name the setting.
/// </summary>
internal sealed class SourceHttpOptionsValidator : AbstractValidator<SourceHttpOptions>
{
    private const string Section = SourceHttpOptions.SectionName;

    public SourceHttpOptionsValidator()
    {
        RuleFor(o => o.AllowedSourceNetworks).Custom((entries, context) =>
        {
            var errors = new List<string>();
            SourceNetworkPolicy.ParseNetworks(entries, errors);
            errors.ForEach(context.AddFailure);
        });
        RuleFor(o => o.MaxSourceResponseBytes).GreaterThan(0)
            .WithMessage($"{Section}:{nameof(SourceHttpOptions.MaxSourceResponseBytes)} must be a positive number of bytes.");
        RuleFor(o => o.SourceConnectTimeout).GreaterThan(TimeSpan.Zero)
            .WithMessage($"{Section}:{nameof(SourceHttpOptions.SourceConnectTimeout)} must be positive (e.g. 00:00:10).");
        RuleFor(o => o.SourceRequestTimeout).GreaterThan(TimeSpan.Zero)
            .WithMessage($"{Section}:{nameof(SourceHttpOptions.SourceRequestTimeout)} must be positive (e.g. 00:00:30).");
        RuleFor(o => o.MaxSourceRedirects).InclusiveBetween(0, 20)
            .WithMessage($"{Section}:{nameof(SourceHttpOptions.MaxSourceRedirects)} must be between 0 and 20.");
    }

    /// <summary>Every problem with <paramref name="options"/>, as messages that name the setting; empty when valid.</summary>
    public static IReadOnlyList<string> Problems(SourceHttpOptions options) =>
        [.. new SourceHttpOptionsValidator().Validate(options).Errors.Select(e => e.ErrorMessage)];
}

/// <summary>Runs <see cref="SourceHttpOptionsValidator"/> wherever the options are read, and at start (<c>ValidateOnStart</c>).</summary>
internal sealed class SourceHttpOptionsValidation : IValidateOptions<SourceHttpOptions>
{
    public ValidateOptionsResult Validate(string? name, SourceHttpOptions options) =>
        SourceHttpOptionsValidator.Problems(options) is { Count: > 0 } errors ? ValidateOptionsResult.Fail(errors) : ValidateOptionsResult.Success;
}
