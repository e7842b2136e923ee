using ChannelService.Accounts;
using ChannelService.Data;
using ChannelService.Zendesk;
using Dapper;

namespace ChannelService.ZendeskLink;

/// <summary>How a link got its tokens, and so how it renews them.</summary>
internal enum ZendeskGrantKind
{
    /// <summary>"Connect to Zendesk" in the admin UI: the operator's global client, renewed with the refresh token.</summary>
    AuthorizationCode,

    /// <summary><c>zendesk link</c> on the command line: the subdomain's own confidential client, renewed with a new grant.</summary>
    ClientCredentials,
}

internal static class ZendeskGrantKinds
{
    public static string ToWire(this ZendeskGrantKind kind) => kind == ZendeskGrantKind.ClientCredentials ? "client_credentials" : "authorization_code";

    public static ZendeskGrantKind Parse(string wire) => wire == "client_credentials" ? ZendeskGrantKind.ClientCredentials : ZendeskGrantKind.AuthorizationCode;
}

/// <summary>What <c>/oauth/tokens</c> granted. Never printed: <see cref="ToString"/> hides the tokens.</summary>
internal sealed record ZendeskTokenSet(string AccessToken, string? RefreshToken, DateTimeOffset? AccessExpiresAt, DateTimeOffset? RefreshExpiresAt, string? Scope)
{
    public override string ToString() => $"ZendeskTokenSet {{ AccessExpiresAt = {AccessExpiresAt:O}, RefreshExpiresAt = {RefreshExpiresAt:O}, Scope = {Scope} }}";
}

/// <summary>One subdomain's link with its secrets opened; only the token provider and the link manager hold one.</summary>
internal sealed record ZendeskLinkRecord(
    string Subdomain,
    ZendeskGrantKind Grant,
    string ClientId,
    string? ClientSecret,
    ZendeskTokenSet Tokens,
    long Version,
    DateTimeOffset LinkedAt,
    DateTimeOffset RenewedAt,
    bool RenewedAfterRejection,
    DateTimeOffset? BrokenAt)
{
    public bool Broken => BrokenAt is not null;

    public override string ToString() => $"ZendeskLinkRecord {{ Subdomain = {Subdomain}, Grant = {Grant.ToWire()}, Version = {Version}, Broken = {Broken} }}";
}

/// <summary>A link as pages, <c>zendesk status</c> and <c>/health</c> show it: no token, no secret.</summary>
internal sealed record ZendeskLinkSummary(
    string Subdomain,
    string Grant,
    DateTimeOffset LinkedAt,
    DateTimeOffset? AccessExpiresAt,
    DateTimeOffset? RefreshExpiresAt,
    DateTimeOffset? LastCallAt,
    string? LastCallStatus,
    string? LastError,
    DateTimeOffset? BrokenAt)
{
    public bool Broken => BrokenAt is not null;
}

/// <summary>
/// Owner of <c>zendesk_links</c> (Data/Migrations/0009_zendesk_link.sql): one row per linked subdomain. Client secrets
/// and tokens are sealed with <see cref="SecretSealer"/> for the subdomain, so a sealed value copied to another row does
/// not open. Renewal is a compare-and-swap on <c>version</c>: a new token pair is stored only over the pair it was
/// renewed from, before anyone uses it (a refresh deletes the old pair at Zendesk, so losing the new one loses the link).
/// </summary>
internal sealed class ZendeskLinkStore(Database database, SecretSealer sealer)
{
    public const int MaxClientIdLength = 255;
    public const int MaxSecretLength = 2000;
    public const int MaxErrorLength = 300;

    private const string ClientSecretPurpose = "zendesk-link-client-secret/v1";
    private const string AccessTokenPurpose = "zendesk-link-access-token/v1";
    private const string RefreshTokenPurpose = "zendesk-link-refresh-token/v1";

    /// <summary>Stores a new link for the subdomain, replacing any earlier one (broken or not); returns its version.</summary>
    public async Task<long> SaveAsync(string subdomain, ZendeskGrantKind grant, string clientId, string? clientSecret, ZendeskTokenSet tokens, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        subdomain = Checked(subdomain);
        const string Sql = """
            INSERT INTO zendesk_links (subdomain, grant_kind, client_id, client_secret_sealed, access_token_sealed, refresh_token_sealed,
                access_expires_at, refresh_expires_at, scope, version, linked_at, renewed_at, renewed_after_rejection, last_call_at, last_call_status, last_error, broken_at)
            VALUES (@subdomain, @grant, @clientId, @secret, @access, @refresh, @accessExpires, @refreshExpires, @scope, 1, @now, @now, 0, @now, 'linked', NULL, NULL)
            ON CONFLICT (subdomain) DO UPDATE SET grant_kind = excluded.grant_kind, client_id = excluded.client_id,
                client_secret_sealed = excluded.client_secret_sealed, access_token_sealed = excluded.access_token_sealed,
                refresh_token_sealed = excluded.refresh_token_sealed, access_expires_at = excluded.access_expires_at,
                refresh_expires_at = excluded.refresh_expires_at, scope = excluded.scope, version = zendesk_links.version + 1,
                linked_at = excluded.linked_at, renewed_at = excluded.renewed_at, renewed_after_rejection = 0,
                last_call_at = excluded.last_call_at, last_call_status = excluded.last_call_status, last_error = NULL, broken_at = NULL
            RETURNING version
            """;
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            Sql,
            new
            {
                subdomain,
                grant = grant.ToWire(),
                clientId,
                secret = clientSecret is null ? null : sealer.Seal(ClientSecretPurpose, subdomain, clientSecret),
                access = sealer.Seal(AccessTokenPurpose, subdomain, tokens.AccessToken),
                refresh = tokens.RefreshToken is null ? null : sealer.Seal(RefreshTokenPurpose, subdomain, tokens.RefreshToken),
                accessExpires = tokens.AccessExpiresAt,
                refreshExpires = tokens.RefreshExpiresAt,
                scope = tokens.Scope,
                now,
            },
            cancellationToken: cancellationToken));
    }

    /// <summary>
    /// The subdomain's link with its secrets opened; null when there is none, or when its sealed values no longer open
    /// (their key was removed: the link cannot be used and needs connecting again).
    /// </summary>
    public async Task<ZendeskLinkRecord?> GetAsync(string subdomain, CancellationToken cancellationToken = default)
    {
        subdomain = Checked(subdomain);
        const string Sql = """
            SELECT grant_kind AS Grant, client_id AS ClientId, client_secret_sealed AS ClientSecret, access_token_sealed AS Access,
                refresh_token_sealed AS Refresh, access_expires_at AS AccessExpiresAt, refresh_expires_at AS RefreshExpiresAt, scope AS Scope,
                version AS Version, linked_at AS LinkedAt, renewed_at AS RenewedAt, renewed_after_rejection AS RenewedAfterRejection, broken_at AS BrokenAt
            FROM zendesk_links WHERE subdomain = @subdomain
            """;
        await using var connection = await database.OpenAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<SealedRow>(new CommandDefinition(Sql, new { subdomain }, cancellationToken: cancellationToken));
        if (row is null)
        {
            return null;
        }

        var access = sealer.Open(AccessTokenPurpose, subdomain, row.Access);
        var refresh = row.Refresh is null ? null : sealer.Open(RefreshTokenPurpose, subdomain, row.Refresh);
        var secret = row.ClientSecret is null ? null : sealer.Open(ClientSecretPurpose, subdomain, row.ClientSecret);
        if (access is null || (row.Refresh is not null && refresh is null) || (row.ClientSecret is not null && secret is null))
        {
            return null;
        }

        return new ZendeskLinkRecord(
            subdomain,
            ZendeskGrantKinds.Parse(row.Grant),
            row.ClientId,
            secret,
            new ZendeskTokenSet(access, refresh, row.AccessExpiresAt, row.RefreshExpiresAt, row.Scope),
            row.Version,
            row.LinkedAt,
            row.RenewedAt,
            row.RenewedAfterRejection != 0,
            row.BrokenAt);
    }

    /// <summary>
    /// Stores a renewed token pair over version <paramref name="expectedVersion"/>; false when the link changed meanwhile
    /// (renewed, re-linked, broken or removed by someone else), in which case nothing is written.
    /// </summary>
    public async Task<bool> TryRenewAsync(string subdomain, long expectedVersion, ZendeskTokenSet tokens, bool afterRejection, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        subdomain = Checked(subdomain);
        const string Sql = """
            UPDATE zendesk_links SET access_token_sealed = @access, refresh_token_sealed = @refresh, access_expires_at = @accessExpires,
                refresh_expires_at = @refreshExpires, scope = COALESCE(@scope, scope), version = version + 1, renewed_at = @now,
                renewed_after_rejection = @afterRejection, last_call_at = @now, last_call_status = 'renewed', last_error = NULL
            WHERE subdomain = @subdomain AND version = @expectedVersion AND broken_at IS NULL
            """;
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(
            Sql,
            new
            {
                subdomain,
                expectedVersion,
                access = sealer.Seal(AccessTokenPurpose, subdomain, tokens.AccessToken),
                refresh = tokens.RefreshToken is null ? null : sealer.Seal(RefreshTokenPurpose, subdomain, tokens.RefreshToken),
                accessExpires = tokens.AccessExpiresAt,
                refreshExpires = tokens.RefreshExpiresAt,
                scope = tokens.Scope,
                afterRejection = afterRejection ? 1 : 0,
                now,
            },
            cancellationToken: cancellationToken)) == 1;
    }

    /// <summary>Marks version <paramref name="expectedVersion"/> of the link broken ("reconnect to Zendesk"); false when it changed meanwhile.</summary>
    public async Task<bool> MarkBrokenAsync(string subdomain, long expectedVersion, string status, string error, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        subdomain = Checked(subdomain);
        const string Sql = """
            UPDATE zendesk_links SET broken_at = @now, last_call_at = @now, last_call_status = @status, last_error = @error, version = version + 1
            WHERE subdomain = @subdomain AND version = @expectedVersion AND broken_at IS NULL
            """;
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(Sql, new { subdomain, expectedVersion, status, error = Short(error), now }, cancellationToken: cancellationToken)) == 1;
    }

    /// <summary>Notes a call to Zendesk for the link and its outcome (an error in plain words, never a token); the link keeps working.</summary>
    public async Task RecordCallAsync(string subdomain, string status, string? error, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        subdomain = Checked(subdomain);
        const string Sql = """
            UPDATE zendesk_links SET last_call_at = @now, last_call_status = @status, last_error = COALESCE(@error, last_error)
            WHERE subdomain = @subdomain
            """;
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(Sql, new { subdomain, status, error = error is null ? null : Short(error), now }, cancellationToken: cancellationToken));
    }

    /// <summary>
    /// Notes the newest REST API call (<see cref="ZendeskApiCallLog"/>): its time and outcome, and the last API error
    /// (null keeps the one stored). An older call than the stored one (another instance wrote later) changes nothing.
    /// </summary>
    public async Task RecordApiCallAsync(string subdomain, string status, string? error, DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        subdomain = Checked(subdomain);
        const string Sql = """
            UPDATE zendesk_links SET last_call_at = @at, last_call_status = @status, last_error = COALESCE(@error, last_error)
            WHERE subdomain = @subdomain AND (last_call_at IS NULL OR last_call_at <= @at)
            """;
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(Sql, new { subdomain, status, error = error is null ? null : Short(error), at }, cancellationToken: cancellationToken));
    }

    public async Task<bool> DeleteAsync(string subdomain, CancellationToken cancellationToken = default)
    {
        subdomain = Checked(subdomain);
        const string Sql = "DELETE FROM zendesk_links WHERE subdomain = @subdomain";
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(Sql, new { subdomain }, cancellationToken: cancellationToken)) > 0;
    }

    /// <summary>Every link, by subdomain, without secrets.</summary>
    public async Task<IReadOnlyList<ZendeskLinkSummary>> ListAsync(CancellationToken cancellationToken = default)
    {
        const string Sql = """
            SELECT subdomain AS Subdomain, grant_kind AS Grant, linked_at AS LinkedAt, access_expires_at AS AccessExpiresAt,
                refresh_expires_at AS RefreshExpiresAt, last_call_at AS LastCallAt, last_call_status AS LastCallStatus,
                last_error AS LastError, broken_at AS BrokenAt
            FROM zendesk_links ORDER BY subdomain
            """;
        await using var connection = await database.OpenAsync(cancellationToken);
        return (await connection.QueryAsync<SummaryRow>(new CommandDefinition(Sql, cancellationToken: cancellationToken)))
            .Select(r => new ZendeskLinkSummary(r.Subdomain, r.Grant, r.LinkedAt, r.AccessExpiresAt, r.RefreshExpiresAt, r.LastCallAt, r.LastCallStatus, r.LastError, r.BrokenAt))
            .ToList();
    }

    public async Task<ZendeskLinkSummary?> SummaryAsync(string subdomain, CancellationToken cancellationToken = default)
    {
        subdomain = Checked(subdomain);
        return (await ListAsync(cancellationToken)).FirstOrDefault(l => l.Subdomain == subdomain);
    }

    private static string Checked(string subdomain) =>
        PushCredentialsStore.IsValidSubdomain(subdomain) ? subdomain.ToLowerInvariant() : throw new ArgumentException("Not a Zendesk subdomain.", nameof(subdomain));

    private static string Short(string text)
    {
        var line = text.ReplaceLineEndings(" ").Trim();
        return line.Length <= MaxErrorLength ? line : line[..MaxErrorLength];
    }

    /// <summary>Dapper maps rows through settable properties (its DateTimeOffset handler does not apply to constructor arguments).</summary>
    private sealed class SealedRow
    {
        public string Grant { get; init; } = "";

        public string ClientId { get; init; } = "";

        public string? ClientSecret { get; init; }

        public string Access { get; init; } = "";

        public string? Refresh { get; init; }

        public DateTimeOffset? AccessExpiresAt { get; init; }

        public DateTimeOffset? RefreshExpiresAt { get; init; }

        public string? Scope { get; init; }

        public long Version { get; init; }

        public DateTimeOffset LinkedAt { get; init; }

        public DateTimeOffset RenewedAt { get; init; }

        public long RenewedAfterRejection { get; init; }

        public DateTimeOffset? BrokenAt { get; init; }
    }

    private sealed class SummaryRow
    {
        public string Subdomain { get; init; } = "";

        public string Grant { get; init; } = "";

        public DateTimeOffset LinkedAt { get; init; }

        public DateTimeOffset? AccessExpiresAt { get; init; }

        public DateTimeOffset? RefreshExpiresAt { get; init; }

        public DateTimeOffset? LastCallAt { get; init; }

        public string? LastCallStatus { get; init; }

        public string? LastError { get; init; }

        public DateTimeOffset? BrokenAt { get; init; }
    }

    /// <summary>Rows of the owned table, for the dashboard's table sizes.</summary>
    public static async Task<IReadOnlyList<TableRows>> RowCountsAsync(System.Data.Common.DbConnection connection) =>
        [new("zendesk_links", await Dapper.SqlMapper.ExecuteScalarAsync<long>(connection, "SELECT count(*) FROM zendesk_links"))];
}
