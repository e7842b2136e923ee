namespace ChannelService.Sources.CalDav;

internal enum CalDavErrorKind
{
    /// <summary>401: the user name or password was refused.</summary>
    Unauthorized,

    /// <summary>403: the account may not do this.</summary>
    Forbidden,

    /// <summary>404 or 410.</summary>
    NotFound,

    /// <summary>The URL answers but is not a calendar collection (no <c>C:calendar</c> resource type).</summary>
    NotACalendar,

    /// <summary>409 or 412 outside the typed write results.</summary>
    Conflict,

    /// <summary>The server's answer broke the protocol: bad or hostile XML, missing sync-token, too large.</summary>
    Protocol,

    /// <summary>5xx or another status the protocol does not allow here.</summary>
    ServerError,

    /// <summary>No connection could be made, or it broke (DNS, refused, TLS, reset).</summary>
    Unreachable,

    /// <summary>The server did not answer in time.</summary>
    Timeout,
}

/// <summary>
/// A CalDAV failure in plain words. The message names the host and path but never credentials or query strings,
/// so it can be shown to the admin and logged.
/// </summary>
internal sealed class CalDavException : Exception
{
    public CalDavException(CalDavErrorKind kind, string message, int? httpStatus = null, Exception? inner = null)
        : base(message, inner)
    {
        Kind = kind;
        HttpStatus = httpStatus;
    }

    public CalDavErrorKind Kind { get; }

    public int? HttpStatus { get; }

    /// <summary>The URL as it may appear in a message: scheme, host, port and path; no user info, no query.</summary>
    internal static string Describe(Uri url) =>
        url.IsAbsoluteUri
            ? url.GetComponents(UriComponents.Scheme | UriComponents.Host | UriComponents.Port | UriComponents.Path, UriFormat.UriEscaped)
            : url.OriginalString;

    internal static CalDavException FromStatus(int status, Uri url, string doing)
    {
        var where = Describe(url);
        return status switch
        {
            401 => new(CalDavErrorKind.Unauthorized, $"The CalDAV server refused the user name or password while {doing} ({where}).", status),
            403 => new(CalDavErrorKind.Forbidden, $"The CalDAV server does not allow this account to access {where} while {doing}.", status),
            404 or 410 => new(CalDavErrorKind.NotFound, $"The CalDAV server has nothing at {where} ({status}) while {doing}.", status),
            409 or 412 => new(CalDavErrorKind.Conflict, $"The CalDAV server reported a conflict ({status}) at {where} while {doing}.", status),
            >= 500 => new(CalDavErrorKind.ServerError, $"The CalDAV server failed with status {status} at {where} while {doing}.", status),
            _ => new(CalDavErrorKind.ServerError, $"The CalDAV server answered with unexpected status {status} at {where} while {doing}.", status),
        };
    }
}
