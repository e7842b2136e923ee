using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using ChannelService.Accounts;
using ChannelService.Configuration;
using Microsoft.Extensions.Options;

namespace ChannelService.AgentCalendars;

/// <summary>
/// The secret in an agent's feed URL (<c>/calendars/{token}.ics</c>). The token is HMAC-SHA256 under a key derived from
/// the service's key ring over subdomain, agent id and a 128-bit random generation: 256 bits nobody can guess without
/// the key. The database keeps only the generation, the key id and the token's SHA-256 (the lookup key), so a copy of
/// the database opens no feed, while the service (which holds the key ring) can show an agent's URL again in the admin
/// UI and <c>calendars list</c>. Rotation draws a new generation: the old URL stops working at once.
/// </summary>
internal sealed class AgentCalendarTokens(KeyRing keys, IOptions<ChannelOptions> options)
{
    private const string Purpose = "agent-calendar-feed/v1";

    /// <summary>base64url of 32 bytes, without padding.</summary>
    public const int TokenLength = 43;

    /// <summary>A new token row for the agent (a fresh generation under the current key).</summary>
    public AgentCalendarToken Issue(string subdomain, long agentId, string? email, string? name, DateTimeOffset now)
    {
        var generation = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(16));
        var key = keys.Current;
        var token = Derive(key, subdomain, agentId, generation);
        return new AgentCalendarToken
        {
            Subdomain = subdomain,
            AgentId = agentId,
            TokenHash = Hash(token),
            Generation = generation,
            KeyId = key.Id,
            Email = email,
            Name = name,
            CreatedAt = now,
        };
    }

    /// <summary>The token of a stored row; null when its key has left the key ring (rotate to get a new URL).</summary>
    public string? TokenOf(AgentCalendarToken row) =>
        keys.TryGetKey(row.KeyId, out var key) ? Derive(key, row.Subdomain, row.AgentId, row.Generation) : null;

    /// <summary>The feed URL under <c>Channel:PublicBaseUrl</c> (a calendar app may take it as <c>webcal://</c> too).</summary>
    public string? FeedUrl(AgentCalendarToken row)
    {
        if (TokenOf(row) is not { } token)
        {
            return null;
        }

        var baseUri = options.Value.BaseUri ?? new Uri("http://localhost/");
        return new Uri(baseUri, "calendars/" + token + ".ics").AbsoluteUri;
    }

    /// <summary>
    /// The VTODO variant's URL for a feed URL: <c>/calendars/{token}/tasks.ics</c> (see <see cref="AgentCalendarController"/>
    /// for why a path and not a query); null for null.
    /// </summary>
    public static string? TasksUrl(string? feedUrl) =>
        feedUrl is not null && feedUrl.EndsWith(".ics", StringComparison.Ordinal) ? feedUrl[..^".ics".Length] + "/tasks.ics" : null;

    /// <summary>Hex SHA-256 of a token: what the database is asked for.</summary>
    public static string Hash(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.ASCII.GetBytes(token)));

    /// <summary>Only the shape a token can have reaches the database (anything else is a plain 404).</summary>
    public static bool IsWellFormed(string? token) =>
        token is { Length: TokenLength } && token.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');

    private static string Derive(KeyRingKey key, string subdomain, long agentId, string generation)
    {
        var message = Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{subdomain}\n{agentId}\n{generation}"));
        return Base64Url.EncodeToString(HMACSHA256.HashData(key.DeriveKey(Purpose), message));
    }
}
