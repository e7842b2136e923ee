using System.Security.Cryptography;
using System.Text;
using ChannelService.Configuration;

namespace ChannelService.Dashboard;

/// <summary>
/// Who may read the operator pages (<c>/dashboard</c>, <c>/metrics</c>): HTTP Basic with
/// <c>Channel:DashboardUser</c>/<c>Channel:DashboardPassword</c>. Without those settings the pages do not exist (404),
/// so an unconfigured service exposes nothing.
/// </summary>
internal static class DashboardAccess
{
    /// <summary>The challenge sent with a 401 (RFC 7617 section 2, with the UTF-8 charset of section 2.1).</summary>
    public const string Challenge = "Basic realm=\"ChannelService dashboard\", charset=\"UTF-8\"";

    public enum Verdict
    {
        /// <summary>No dashboard credentials configured: answer 404.</summary>
        Off,

        /// <summary>Missing or wrong credentials: answer 401 with <see cref="Challenge"/>.</summary>
        Denied,

        Allowed,
    }

    public static Verdict Check(string? authorization, ChannelOptions settings) =>
        string.IsNullOrEmpty(settings.DashboardUser) || string.IsNullOrEmpty(settings.DashboardPassword) ? Verdict.Off
        : Authorized(authorization, settings.DashboardUser, settings.DashboardPassword) ? Verdict.Allowed
        : Verdict.Denied;

    /// <summary>
    /// HTTP Basic (RFC 7617). Both parts are hashed before the constant-time comparison so neither the content nor
    /// the length of the configured credential leaks through timing.
    /// </summary>
    internal static bool Authorized(string? header, string user, string password)
    {
        if (header is null || !header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        string decoded;
        try
        {
            decoded = Encoding.UTF8.GetString(Convert.FromBase64String(header[6..].Trim()));
        }
        catch (FormatException)
        {
            return false;
        }

        var colon = decoded.IndexOf(':', StringComparison.Ordinal);
        if (colon < 0)
        {
            return false;
        }

        var userOk = CryptographicOperations.FixedTimeEquals(Hash(decoded[..colon]), Hash(user));
        var passwordOk = CryptographicOperations.FixedTimeEquals(Hash(decoded[(colon + 1)..]), Hash(password));
        return userOk & passwordOk;
    }

    private static byte[] Hash(string text) => SHA256.HashData(Encoding.UTF8.GetBytes(text));
}
