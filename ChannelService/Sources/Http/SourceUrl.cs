using System.Net;

namespace ChannelService.Sources.Http;

/// <summary>Turns what an admin typed into a URL the client may request, or a <see cref="SourceErrorKind.BadUrl"/>.</summary>
internal static class SourceUrl
{
    /// <summary>Parses an admin-typed URL; see <see cref="Normalize(Uri, out SourceCredentials?)"/>.</summary>
    public static Uri Parse(string text, out SourceCredentials? userInfoCredentials)
    {
        if (string.IsNullOrWhiteSpace(text) || !Uri.TryCreate(text.Trim(), UriKind.Absolute, out var uri))
        {
            throw BadUrl();
        }

        return Normalize(uri, out userInfoCredentials);
    }

    /// <summary>
    /// An absolute http or https URL with the ASCII (IDNA) host, without userinfo or fragment. <c>webcal</c> and
    /// <c>webcals</c> become https: webcal is Apple's "subscribe" spelling of an http(s) URL, and https is the safe
    /// reading. Userinfo (<c>https://user:pass@host/</c>) comes back as Basic credentials instead of travelling in the URL.
    /// </summary>
    public static Uri Normalize(Uri uri, out SourceCredentials? userInfoCredentials)
    {
        userInfoCredentials = null;
        if (!uri.IsAbsoluteUri || string.IsNullOrEmpty(uri.Host))
        {
            throw BadUrl();
        }

        var scheme = uri.Scheme.ToUpperInvariant() switch
        {
            "HTTP" => Uri.UriSchemeHttp,
            "HTTPS" or "WEBCAL" or "WEBCALS" => Uri.UriSchemeHttps,
            _ => throw BadUrl(),
        };

        // The IDNA host is what reaches DNS; full-width digits ("１２７.０.０.１") only become an IP literal here.
        var host = uri.HostNameType == UriHostNameType.IPv6 ? uri.Host : uri.IdnHost;
        var explicitPort = uri.IsDefaultPort || uri.Port < 0 ? string.Empty : ":" + uri.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (!Uri.TryCreate($"{scheme}://{host}{explicitPort}{uri.PathAndQuery}", UriKind.Absolute, out var normalized))
        {
            throw BadUrl();
        }

        if (!string.IsNullOrEmpty(uri.UserInfo))
        {
            var colon = uri.UserInfo.IndexOf(':', StringComparison.Ordinal);
            var user = Uri.UnescapeDataString(colon < 0 ? uri.UserInfo : uri.UserInfo[..colon]);
            var password = colon < 0 ? string.Empty : Uri.UnescapeDataString(uri.UserInfo[(colon + 1)..]);
            try
            {
                userInfoCredentials = SourceCredentials.Basic(user, password);
            }
            catch (ArgumentException)
            {
                throw BadUrl();
            }
        }

        return normalized;
    }

    /// <summary>
    /// The IP address a URL names literally (any spelling <see cref="Uri"/> or inet_aton accepts: 2130706433,
    /// 0x7f000001, 0177.0.0.1, 127.1), or null for a DNS name. RFC 6761 section 6.3 names (localhost, *.localhost)
    /// count as loopback without asking DNS.
    /// </summary>
    public static IReadOnlyList<IPAddress>? LiteralAddresses(string host)
    {
        var bare = host.StartsWith('[') && host.EndsWith(']') ? host[1..^1] : host;
        var percent = bare.IndexOf('%', StringComparison.Ordinal);
        if (percent >= 0 && bare.Contains(':', StringComparison.Ordinal))
        {
            bare = bare[..percent];
        }

        if (IPAddress.TryParse(bare, out var address))
        {
            return [address];
        }

        var name = bare.TrimEnd('.');
        if (name.Equals("localhost", StringComparison.OrdinalIgnoreCase)
            || name.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase))
        {
            return [IPAddress.Loopback, IPAddress.IPv6Loopback];
        }

        return null;
    }

    public static bool SameOrigin(Uri a, Uri b) =>
        string.Equals(a.Scheme, b.Scheme, StringComparison.OrdinalIgnoreCase)
        && string.Equals(a.IdnHost, b.IdnHost, StringComparison.OrdinalIgnoreCase)
        && a.Port == b.Port;

    /// <summary>
    /// Resolves a Location header against the current URL and checks the hop: http(s) only, and never from https
    /// down to http, which would send the (possibly conditional or authenticated) request in clear text.
    /// </summary>
    public static Uri Redirect(Uri from, string location)
    {
        if (!Uri.TryCreate(from, location.Trim(), out var target))
        {
            throw new SourceException(SourceErrorKind.Protocol, "The server redirected to an address that is not a valid URL.");
        }

        Uri next;
        try
        {
            next = Normalize(target, out _);
        }
        catch (SourceException)
        {
            throw new SourceException(SourceErrorKind.Protocol, "The server redirected to an address that is not an http or https URL.");
        }

        if (from.Scheme == Uri.UriSchemeHttps && next.Scheme == Uri.UriSchemeHttp)
        {
            throw new SourceException(SourceErrorKind.Protocol, "The server redirected from a secure (https) address to an insecure (http) one; that was refused.");
        }

        return next;
    }

    private static SourceException BadUrl() =>
        new(SourceErrorKind.BadUrl, "The address is not a valid http, https or webcal URL.");
}
