using System.Globalization;

namespace ChannelService.Sources.Http;

/// <summary>
/// A source could not be read. <see cref="Exception.Message"/> is written for the admin who typed the URL:
/// plain words, never a credential, never a URL (which could carry userinfo or a secret token in its query).
/// </summary>
internal sealed class SourceException : Exception
{
    public SourceException(SourceErrorKind kind, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Kind = kind;
    }

    public SourceException(SourceErrorKind kind, string message, int statusCode)
        : base(message)
    {
        Kind = kind;
        StatusCode = statusCode;
    }

    public SourceErrorKind Kind { get; }

    /// <summary>The HTTP status that caused the error, when there was one.</summary>
    public int? StatusCode { get; }

    /// <summary>The error for a final HTTP status that is neither success nor 304.</summary>
    public static SourceException FromStatus(int status, bool credentialsSent) => status switch
    {
        401 when credentialsSent => new(SourceErrorKind.Unauthorized, "The server rejected the username or password (HTTP 401).", status),
        401 => new(SourceErrorKind.Unauthorized, "The server asks for a username and password (HTTP 401).", status),
        403 => new(SourceErrorKind.Forbidden, "The server refused access to this address (HTTP 403); the account may lack permission.", status),
        404 or 410 => new(SourceErrorKind.NotFound, $"Nothing was found at this address (HTTP {status}).", status),
        429 => new(SourceErrorKind.ServerError, "The server is limiting requests (HTTP 429); try again later.", status),
        >= 500 => new(SourceErrorKind.ServerError, $"The server reported an error (HTTP {status}); try again later.", status),
        >= 400 => new(SourceErrorKind.Protocol, $"The server refused the request (HTTP {status}).", status),
        _ => new(SourceErrorKind.Protocol, $"The server answered with an unexpected status (HTTP {status}).", status),
    };

    internal static SourceException TooLarge(long limit) =>
        new(SourceErrorKind.TooLarge, $"The response was larger than {FormatSize(limit)}.");

    internal static string FormatSize(long bytes)
    {
        const long Mb = 1024 * 1024;
        const long Kb = 1024;
        return bytes switch
        {
            >= Mb when bytes % Mb == 0 => (bytes / Mb).ToString(CultureInfo.InvariantCulture) + " MB",
            >= Mb => (bytes / (double)Mb).ToString("0.#", CultureInfo.InvariantCulture) + " MB",
            >= Kb when bytes % Kb == 0 => (bytes / Kb).ToString(CultureInfo.InvariantCulture) + " KB",
            >= Kb => (bytes / (double)Kb).ToString("0.#", CultureInfo.InvariantCulture) + " KB",
            _ => bytes.ToString(CultureInfo.InvariantCulture) + " bytes",
        };
    }

    internal static string FormatDuration(TimeSpan duration) =>
        duration.TotalSeconds >= 1 && duration.TotalSeconds % 1 == 0
            ? duration.TotalSeconds.ToString(CultureInfo.InvariantCulture) + (duration.TotalSeconds == 1 ? " second" : " seconds")
            : duration.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture) + " seconds";
}
