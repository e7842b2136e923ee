using ChannelService.Configuration;
using ChannelService.Data;
using ChannelService.Zendesk;
using ChannelService.ZendeskLink.OAuth;
using Microsoft.Extensions.Options;
using ChannelService.Metrics;

namespace ChannelService.ZendeskLink;

/// <summary>
/// The current access token of each subdomain's link (<see cref="IZendeskLinkTokens"/>). A token is renewed shortly
/// before it expires: with the refresh token for links made in the admin UI, with a new client-credentials grant for
/// links made on the command line. Renewals of one link are serialised through <see cref="INamedLocks"/> (so, with
/// the PostgreSQL advisory locks to come, across instances too), and the new pair is stored by compare-and-swap on
/// the link's version before anyone gets it: a refresh deletes the old pair at Zendesk, so a second refresh with the
/// old refresh token, or a new pair lost after the refresh, would end the link. Callers that waited for a renewal in
/// progress get its token instead of renewing again.
/// <para>
/// A refused renewal (<c>invalid_grant</c>, 401 from <c>/oauth/tokens</c>) marks the link broken: the dashboard,
/// <c>/health</c> and the admin UI then say "reconnect to Zendesk", and the token is null from here on (the pull never
/// depends on it). A renewal that fails for a while (5xx, 429, timeout) keeps the link; the token in hand is used until
/// it expires and renewal is tried again on the next request.
/// </para>
/// </summary>
internal sealed partial class ZendeskTokenProvider(
    ZendeskLinkStore store,
    ZendeskOAuthClient oauth,
    INamedLocks locks,
    IOptions<ChannelOptions> options,
    TimeProvider time,
    ILogger<ZendeskTokenProvider> logger,
    ServiceMetrics metrics) : IZendeskLinkTokens
{
    /// <summary>Renew at most this long before expiry (and at most a quarter of the token's life before, for short-lived tokens).</summary>
    public static readonly TimeSpan RenewalMargin = TimeSpan.FromMinutes(2);

    /// <summary>Longer than one token call can take (<c>Channel:ZendeskTimeout</c> is at most five minutes; 30 s by default).</summary>
    private static readonly TimeSpan LockWait = TimeSpan.FromSeconds(45);

    /// <summary>The lock that serialises renewing, linking and unlinking one subdomain's link.</summary>
    public static string LockName(string subdomain) => "zendesk-link/" + subdomain.ToLowerInvariant();

    public async Task<string?> AccessTokenAsync(string subdomain, CancellationToken cancellationToken)
    {
        if (!PushCredentialsStore.IsValidSubdomain(subdomain))
        {
            return null;
        }

        var link = await store.GetAsync(subdomain, cancellationToken);
        if (link is null || link.Broken)
        {
            return null;
        }

        return NeedsRenewal(link, time.GetUtcNow())
            ? await RenewAsync(link.Subdomain, link.Tokens.AccessToken, afterRejection: false, cancellationToken)
            : link.Tokens.AccessToken;
    }

    public async Task RejectedAsync(string subdomain, string accessToken, CancellationToken cancellationToken)
    {
        if (!PushCredentialsStore.IsValidSubdomain(subdomain))
        {
            return;
        }

        var link = await store.GetAsync(subdomain, cancellationToken);
        if (link is null || link.Broken || link.Tokens.AccessToken != accessToken)
        {
            // Gone, already broken, or renewed since the caller got its token: the caller asks again.
            return;
        }

        if (link.RenewedAfterRejection)
        {
            // The token renewed for an earlier 401 is refused too: the grant itself no longer works (user removed,
            // app access revoked). Renewing again would only loop.
            if (await store.MarkBrokenAsync(link.Subdomain, link.Version, "rejected", "Zendesk refused the link's access token (HTTP 401), also after renewing it. Reconnect to Zendesk.", time.GetUtcNow(), cancellationToken))
            {
                LogBroken(logger, link.Subdomain, "API answered 401 after a renewal");
            }

            return;
        }

        await RenewAsync(link.Subdomain, accessToken, afterRejection: true, cancellationToken);
    }

    /// <summary>True when the token expires within the renewal margin.</summary>
    internal static bool NeedsRenewal(ZendeskLinkRecord link, DateTimeOffset now)
    {
        if (link.Tokens.AccessExpiresAt is not { } expires)
        {
            return false;
        }

        var lifetime = expires - link.RenewedAt;
        var margin = lifetime <= TimeSpan.Zero ? TimeSpan.Zero : TimeSpan.FromTicks(Math.Min(RenewalMargin.Ticks, lifetime.Ticks / 4));
        return now >= expires - margin;
    }

    private async Task<string?> RenewAsync(string subdomain, string seenToken, bool afterRejection, CancellationToken cancellationToken)
    {
        await using var held = await locks.TryAcquireAsync(LockName(subdomain), LockWait, cancellationToken);
        var now = time.GetUtcNow();
        var link = await store.GetAsync(subdomain, cancellationToken);
        if (link is null || link.Broken)
        {
            return null;
        }

        if (held is null)
        {
            // Another renewal is taking long: use the token while it lasts rather than renew beside it.
            LogLockBusy(logger, subdomain);
            return Usable(link, now);
        }

        if (link.Tokens.AccessToken != seenToken && (afterRejection || !NeedsRenewal(link, now)))
        {
            // Renewed (or linked anew) while this caller waited for the lock.
            return link.Tokens.AccessToken;
        }

        switch (await GrantAsync(link, now, cancellationToken))
        {
            case TokenGrantResult.Granted granted:
                if (await store.TryRenewAsync(subdomain, link.Version, granted.Tokens, afterRejection, now, cancellationToken))
                {
                    metrics.TokenRefresh("renewed");
                    LogRenewed(logger, subdomain, link.Grant.ToWire(), granted.Tokens.AccessExpiresAt);
                    return granted.Tokens.AccessToken;
                }

                // The link changed under us (linked anew or removed by another process): what is stored now wins.
                metrics.TokenRefresh("superseded");
                var current = await store.GetAsync(subdomain, cancellationToken);
                return current is null || current.Broken ? null : Usable(current, now);

            case TokenGrantResult.Refused refused:
                metrics.TokenRefresh("refused");
                if (await store.MarkBrokenAsync(subdomain, link.Version, "refused", refused.Message + " Reconnect to Zendesk.", now, cancellationToken))
                {
                    LogBroken(logger, subdomain, refused.Message);
                }

                return null;

            case TokenGrantResult.Unavailable unavailable:
                metrics.TokenRefresh("unavailable");
                await store.RecordCallAsync(subdomain, "renewal failed", unavailable.Message, now, cancellationToken);
                LogRenewalFailed(logger, subdomain, unavailable.Message);
                return Usable(link, now);

            default:
                throw new InvalidOperationException("Unknown grant result.");
        }
    }

    private async Task<TokenGrantResult> GrantAsync(ZendeskLinkRecord link, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (link.Grant == ZendeskGrantKind.ClientCredentials)
        {
            return link.ClientSecret is null
                ? new TokenGrantResult.Refused(null, "The link's client secret is missing.")
                : await oauth.ClientCredentialsAsync(link.Subdomain, link.ClientId, link.ClientSecret, options.Value.ZendeskOAuthScopes, cancellationToken);
        }

        if (link.Tokens.RefreshToken is null)
        {
            return new TokenGrantResult.Refused(null, "Zendesk gave this link no refresh token, so its access token cannot be renewed.");
        }

        if (link.Tokens.RefreshExpiresAt is { } refreshExpires && refreshExpires <= now)
        {
            return new TokenGrantResult.Refused(null, "The link's refresh token expired.");
        }

        // Links made in the admin UI belong to the operator's client, whose secret lives only in the configuration.
        var secret = options.Value.ZendeskOAuthClientSecret;
        return string.IsNullOrWhiteSpace(secret)
            ? new TokenGrantResult.Unavailable("Channel:ZendeskOAuthClientSecret is not set, so the link cannot be renewed.")
            : await oauth.RefreshAsync(link.Subdomain, link.ClientId, secret, link.Tokens.RefreshToken, cancellationToken);
    }

    private static string? Usable(ZendeskLinkRecord link, DateTimeOffset now) =>
        link.Tokens.AccessExpiresAt is { } expires && expires <= now ? null : link.Tokens.AccessToken;

    [LoggerMessage(Level = LogLevel.Information, Message = "Zendesk link {Subdomain}: access token renewed ({Grant}), valid until {ExpiresAt}")]
    private static partial void LogRenewed(ILogger logger, string subdomain, string grant, DateTimeOffset? expiresAt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Zendesk link {Subdomain} is broken and needs reconnecting: {Reason}")]
    private static partial void LogBroken(ILogger logger, string subdomain, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Zendesk link {Subdomain}: renewal failed for now, will try again: {Reason}")]
    private static partial void LogRenewalFailed(ILogger logger, string subdomain, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Zendesk link {Subdomain}: another renewal held the link's lock too long; using the current token")]
    private static partial void LogLockBusy(ILogger logger, string subdomain);
}
