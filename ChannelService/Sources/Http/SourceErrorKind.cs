namespace ChannelService.Sources.Http;

/// <summary>Why a source could not be read, in categories an admin can act on.</summary>
internal enum SourceErrorKind
{
    /// <summary>DNS found no such name, or nothing accepted the connection.</summary>
    Unreachable,

    /// <summary>The connection or the whole exchange took longer than the configured limit.</summary>
    Timeout,

    /// <summary>The TLS handshake failed (certificate invalid, expired, wrong name, no common protocol).</summary>
    Tls,

    /// <summary>HTTP 401: the credentials were missing or rejected.</summary>
    Unauthorized,

    /// <summary>HTTP 403.</summary>
    Forbidden,

    /// <summary>HTTP 404 or 410.</summary>
    NotFound,

    /// <summary>The body (after decompression) exceeded <see cref="SourceHttpOptions.MaxSourceResponseBytes"/>.</summary>
    TooLarge,

    /// <summary>The body was read but is not a calendar; set by the callers that parse it.</summary>
    NotACalendar,

    /// <summary>The SSRF guard refused the address (loopback, private, metadata service, ...).</summary>
    BlockedAddress,

    /// <summary>More redirects than <see cref="SourceHttpOptions.MaxSourceRedirects"/>.</summary>
    TooManyRedirects,

    /// <summary>The URL is malformed or uses a scheme other than http, https, webcal or webcals.</summary>
    BadUrl,

    /// <summary>HTTP 5xx or 429: the server is failing or throttling; worth retrying later.</summary>
    ServerError,

    /// <summary>The server broke HTTP: truncated body, corrupt compression, a redirect without Location, an unexpected status.</summary>
    Protocol,
}
