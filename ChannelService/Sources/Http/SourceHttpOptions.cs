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

    /// <summary>Every problem with these settings, as messages that name the setting; empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        SourceNetworkPolicy.ParseNetworks(AllowedSourceNetworks, errors);
        if (MaxSourceResponseBytes <= 0)
        {
            errors.Add($"{SectionName}:{nameof(MaxSourceResponseBytes)} must be a positive number of bytes.");
        }

        if (SourceConnectTimeout <= TimeSpan.Zero)
        {
            errors.Add($"{SectionName}:{nameof(SourceConnectTimeout)} must be positive (e.g. 00:00:10).");
        }

        if (SourceRequestTimeout <= TimeSpan.Zero)
        {
            errors.Add($"{SectionName}:{nameof(SourceRequestTimeout)} must be positive (e.g. 00:00:30).");
        }

        if (MaxSourceRedirects is < 0 or > 20)
        {
            errors.Add($"{SectionName}:{nameof(MaxSourceRedirects)} must be between 0 and 20.");
        }

        return errors;
    }
}
