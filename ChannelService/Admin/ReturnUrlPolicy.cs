using System.Text.RegularExpressions;
using ChannelService.Configuration;

namespace ChannelService.Admin;

/// <summary>
/// Where the admin UI may post an account (design §7): the metadata posted to <c>return_url</c> is a bearer credential,
/// so only the account's own Zendesk (<c>https://{subdomain}.zendesk.com</c>) or a configured host-mapped domain
/// (<see cref="ChannelOptions.ReturnUrlHosts"/>) may receive it. Plain http only for a configured loopback host.
/// </summary>
internal static partial class ReturnUrlPolicy
{
    public const int MaxLength = 2048;

    /// <summary>Zendesk subdomains: letters, digits and hyphens, as in a DNS label.</summary>
    public static bool IsValidSubdomain(string? subdomain) => subdomain is not null && SubdomainPattern().IsMatch(subdomain);

    /// <summary>The accepted URL, or null when <paramref name="returnUrl"/> may not receive metadata.</summary>
    /// <param name="sandboxReturn">The sandbox's own return address while the sandbox is on; accepted as it is.</param>
    public static Uri? Check(string? returnUrl, string? subdomain, IReadOnlyList<string> extraHosts, Uri? sandboxReturn = null)
    {
        if (string.IsNullOrWhiteSpace(returnUrl) || returnUrl.Length > MaxLength
            || !Uri.TryCreate(returnUrl, UriKind.Absolute, out var uri)
            || !string.IsNullOrEmpty(uri.UserInfo) || !string.IsNullOrEmpty(uri.Fragment))
        {
            return null;
        }

        if (sandboxReturn is not null && Uri.Compare(uri, sandboxReturn, UriComponents.SchemeAndServer | UriComponents.Path, UriFormat.UriEscaped, StringComparison.OrdinalIgnoreCase) == 0)
        {
            return uri;
        }

        if (uri.Scheme == Uri.UriSchemeHttps
            && IsValidSubdomain(subdomain)
            && uri.IsDefaultPort
            && string.Equals(uri.Host, subdomain + ".zendesk.com", StringComparison.OrdinalIgnoreCase))
        {
            return uri;
        }

        foreach (var entry in extraHosts)
        {
            if (!string.Equals(uri.Authority, entry, StringComparison.OrdinalIgnoreCase) && !(uri.IsDefaultPort && string.Equals(uri.Host, entry, StringComparison.OrdinalIgnoreCase)))
            {
                continue;
            }

            if (uri.Scheme == Uri.UriSchemeHttps || (uri.Scheme == Uri.UriSchemeHttp && ChannelOptions.IsLoopbackHost(uri.Host)))
            {
                return uri;
            }
        }

        return null;
    }

    /// <summary>
    /// The <c>frame-ancestors</c> sources for the admin UI: every Zendesk subdomain, the configured host-mapped
    /// domains (and http for a loopback one), and <c>'self'</c> only while the sandbox frames it.
    /// </summary>
    public static string FrameAncestors(IReadOnlyList<string> extraHosts, bool sandbox)
    {
        var sources = new List<string> { "https://*.zendesk.com" };
        foreach (var entry in extraHosts)
        {
            sources.Add("https://" + entry);
            if (Uri.TryCreate("http://" + entry, UriKind.Absolute, out var uri) && ChannelOptions.IsLoopbackHost(uri.Host))
            {
                sources.Add("http://" + entry);
            }
        }

        if (sandbox)
        {
            sources.Add("'self'");
        }

        return "frame-ancestors " + string.Join(' ', sources);
    }

    [GeneratedRegex("^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex SubdomainPattern();
}
