using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using ChannelService.Accounts;
using ChannelService.Data;
using Dapper;

namespace ChannelService.ZendeskLink.OAuth;

/// <summary>A "Connect to Zendesk" under way: what the authorisation URL carries. Never printed.</summary>
internal sealed record PendingAuthorization(string Subdomain, string State, string CodeChallenge)
{
    public override string ToString() => $"PendingAuthorization {{ Subdomain = {Subdomain} }}";
}

/// <summary>
/// Owner of <c>zendesk_oauth_pending</c>: the authorisations the admin UI started, kept on the server because the admin
/// UI has no cookies (it lives in Zendesk's iframe). The OAuth <c>state</c> is 256 random bits and only its SHA-256 is
/// stored; the PKCE verifier (RFC 7636 §4.1, 43 characters of base64url) is sealed. A state is taken once, before
/// <see cref="Lifetime"/> ends, and only for the subdomain it was issued for, so a callback that did not come from a
/// flow this service started, a replayed one and an old one are all refused.
/// </summary>
internal sealed class PendingAuthorizations(Database database, SecretSealer sealer, TimeProvider time)
{
    /// <summary>Long enough to sign in to Zendesk (with two-factor) and approve; short enough that a leaked state is stale.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(15);

    private const string VerifierPurpose = "zendesk-oauth-pkce-verifier/v1";

    /// <summary>Starts one; <paramref name="locale"/> is the admin UI's language, for the callback page (a culture name, else none).</summary>
    public async Task<PendingAuthorization> StartAsync(string subdomain, string? locale = null, CancellationToken cancellationToken = default)
    {
        locale = locale is { Length: > 0 and <= 35 } && locale.All(c => char.IsAsciiLetterOrDigit(c) || c == '-') ? locale : null;
        var state = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
        var verifier = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
        var now = time.GetUtcNow();
        const string Purge = "DELETE FROM zendesk_oauth_pending WHERE expires_at < @old";
        const string Sql = """
            INSERT INTO zendesk_oauth_pending (state_hash, subdomain, verifier_sealed, created_at, expires_at, used_at, locale)
            VALUES (@hash, @subdomain, @verifier, @now, @expires, NULL, @locale)
            """;
        await using var connection = await database.OpenAsync(cancellationToken);

        // Used and expired rows stay a day, so a replay is still told apart from a forgery in the logs; then they go.
        await connection.ExecuteAsync(new CommandDefinition(Purge, new { old = now - TimeSpan.FromDays(1) }, cancellationToken: cancellationToken));
        await connection.ExecuteAsync(new CommandDefinition(
            Sql,
            new { hash = Hash(state), subdomain, verifier = sealer.Seal(VerifierPurpose, subdomain, verifier), now, expires = now + Lifetime, locale },
            cancellationToken: cancellationToken));
        return new PendingAuthorization(subdomain, state, Challenge(verifier));
    }

    /// <summary>
    /// Takes the authorisation <paramref name="state"/> names, once: its subdomain and PKCE verifier, or null when the
    /// state is unknown, used or expired (nothing is changed then).
    /// </summary>
    public async Task<(string Subdomain, string Verifier)?> TakeAsync(string? state, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrEmpty(state) || state.Length > 100)
        {
            return null;
        }

        // One statement marks it used and reads it: two callbacks racing with the same state get one answer.
        const string Sql = """
            UPDATE zendesk_oauth_pending SET used_at = @now
            WHERE state_hash = @hash AND used_at IS NULL AND expires_at > @now
            RETURNING subdomain AS Subdomain, verifier_sealed AS Verifier
            """;
        await using var connection = await database.OpenAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<(string Subdomain, string Verifier)?>(new CommandDefinition(Sql, new { hash = Hash(state), now = time.GetUtcNow() }, cancellationToken: cancellationToken));
        if (row is not { } taken || sealer.Open(VerifierPurpose, taken.Subdomain, taken.Verifier) is not { } verifier)
        {
            return null;
        }

        return (taken.Subdomain, verifier);
    }

    /// <summary>
    /// The admin UI's language of the authorisation <paramref name="state"/> names, used or not, for the callback page
    /// (read before the callback takes the state; a state nobody issued has none). Changes nothing.
    /// </summary>
    public async Task<string?> LocaleAsync(string? state, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrEmpty(state) || state.Length > 100)
        {
            return null;
        }

        const string Sql = "SELECT locale FROM zendesk_oauth_pending WHERE state_hash = @hash";
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<string?>(new CommandDefinition(Sql, new { hash = Hash(state) }, cancellationToken: cancellationToken));
    }

    /// <summary>RFC 7636 §4.2, S256: base64url(SHA-256(ASCII(verifier))) without padding.</summary>
    public static string Challenge(string verifier) => Base64Url.EncodeToString(SHA256.HashData(Encoding.ASCII.GetBytes(verifier)));

    private static string Hash(string state) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(state)));

    /// <summary>Rows of the owned table, for the dashboard's table sizes.</summary>
    public static async Task<IReadOnlyList<TableRows>> RowCountsAsync(System.Data.Common.DbConnection connection) =>
        [new("zendesk_oauth_pending", await Dapper.SqlMapper.ExecuteScalarAsync<long>(connection, "SELECT count(*) FROM zendesk_oauth_pending"))];
}
