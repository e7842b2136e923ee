using System.Net.Http.Headers;
using System.Text;

namespace ChannelService.Sources.Http;

/// <summary>
/// Credentials for a source. Sent only to the origin of the first request; <see cref="ToString"/> never shows them.
/// </summary>
internal sealed class SourceCredentials
{
    private readonly string parameter;

    private SourceCredentials(string scheme, string parameter)
    {
        Scheme = scheme;
        this.parameter = parameter;
    }

    /// <summary><c>Basic</c> or <c>Bearer</c>.</summary>
    public string Scheme { get; }

    /// <summary>RFC 7617 Basic, encoded as UTF-8 (section 2.1), which is what CalDAV servers expect for non-ASCII.</summary>
    public static SourceCredentials Basic(string userName, string password)
    {
        ArgumentNullException.ThrowIfNull(userName);
        ArgumentNullException.ThrowIfNull(password);

        // RFC 7617 section 2: the user-id cannot contain a colon, the server would split there.
        if (userName.Contains(':', StringComparison.Ordinal))
        {
            throw new ArgumentException("A Basic user name cannot contain ':'.", nameof(userName));
        }

        if (HasControlCharacters(userName) || HasControlCharacters(password))
        {
            throw new ArgumentException("Basic credentials cannot contain control characters.");
        }

        return new SourceCredentials("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(userName + ":" + password)));
    }

    /// <summary>RFC 6750 bearer token.</summary>
    public static SourceCredentials Bearer(string token)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(token);
        if (HasControlCharacters(token) || token.Contains(' ', StringComparison.Ordinal))
        {
            throw new ArgumentException("A bearer token cannot contain spaces or control characters.", nameof(token));
        }

        return new SourceCredentials("Bearer", token);
    }

    internal AuthenticationHeaderValue ToHeader() => new(Scheme, parameter);

    public override string ToString() => Scheme + " credentials";

    private static bool HasControlCharacters(string value) => value.Any(char.IsControl);
}
