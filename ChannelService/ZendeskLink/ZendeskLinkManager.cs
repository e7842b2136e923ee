using ChannelService.Data;
using ChannelService.Zendesk;
using ChannelService.ZendeskLink.OAuth;

namespace ChannelService.ZendeskLink;

/// <summary>How <see cref="ZendeskLinkManager.UnlinkAsync"/> went.</summary>
internal sealed record UnlinkResult(bool Existed, string? RevokeProblem);

/// <summary>
/// Makes and removes links, and tells every <see cref="IZendeskLinkObserver"/>: <c>LinkedAsync</c> after a link is
/// stored (a new link, or a broken one connected again), <c>UnlinkingAsync</c> before it is removed. Observers run
/// outside the link's lock (they may ask for a token); one that fails is logged and does not stop the others or the
/// link itself (they are idempotent and run again on the next link).
/// </summary>
internal sealed partial class ZendeskLinkManager(
    ZendeskLinkStore store,
    ZendeskOAuthClient oauth,
    IEnumerable<IZendeskLinkObserver> observers,
    INamedLocks locks,
    ZendeskApiCallLog calls,
    TimeProvider time,
    ILogger<ZendeskLinkManager> logger)
{
    private static readonly TimeSpan LockWait = TimeSpan.FromSeconds(45);

    /// <summary>Stores the tokens a grant gave as the subdomain's link (replacing any earlier one), then tells the observers.</summary>
    public async Task LinkAsync(string subdomain, ZendeskGrantKind grant, string clientId, string? clientSecret, ZendeskTokenSet tokens, CancellationToken cancellationToken)
    {
        subdomain = subdomain.ToLowerInvariant();
        ZendeskLinkRecord? replaced;
        await using (await locks.TryAcquireAsync(ZendeskTokenProvider.LockName(subdomain), LockWait, cancellationToken))
        {
            // Even without the lock (a renewal stuck for long) the save is safe: it bumps the version, so the stuck
            // renewal's compare-and-swap fails instead of overwriting the new link.
            replaced = await store.GetAsync(subdomain, cancellationToken);
            await store.SaveAsync(subdomain, grant, clientId, clientSecret, tokens, time.GetUtcNow(), cancellationToken);
        }

        // A new link starts with a clean call log: the old link's last error is not this one's.
        calls.Forget(subdomain);

        // A link connected again leaves no working token behind at Zendesk (best effort: it expires anyway).
        if (replaced is { Broken: false } && replaced.Tokens.AccessToken != tokens.AccessToken && !(replaced.Tokens.AccessExpiresAt <= time.GetUtcNow()))
        {
            await oauth.RevokeCurrentAsync(subdomain, replaced.Tokens.AccessToken, cancellationToken);
        }

        LogLinked(logger, subdomain, grant.ToWire(), tokens.AccessExpiresAt);
        foreach (var observer in observers)
        {
            try
            {
                await observer.LinkedAsync(subdomain, cancellationToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogObserverFailed(logger, observer.GetType().Name, "LinkedAsync", subdomain, ex.GetType().Name);
            }
        }
    }

    /// <summary>The client-credentials grant of the subdomain's own confidential client; stores the link when Zendesk grants it.</summary>
    public async Task<TokenGrantResult> LinkWithClientCredentialsAsync(string subdomain, string clientId, string clientSecret, string scope, CancellationToken cancellationToken)
    {
        var result = await oauth.ClientCredentialsAsync(subdomain, clientId, clientSecret, scope, cancellationToken);
        if (result is TokenGrantResult.Granted granted)
        {
            await LinkAsync(subdomain, ZendeskGrantKind.ClientCredentials, clientId, clientSecret, granted.Tokens, cancellationToken);
        }

        return result;
    }

    /// <summary>
    /// Tells the observers, revokes the access token at Zendesk where the link still works (documented:
    /// <see cref="ZendeskOAuthClient.RevokeCurrentAsync"/>), and deletes the link whatever Zendesk answered.
    /// </summary>
    public async Task<UnlinkResult> UnlinkAsync(string subdomain, CancellationToken cancellationToken)
    {
        subdomain = subdomain.ToLowerInvariant();
        if (await store.SummaryAsync(subdomain, cancellationToken) is null)
        {
            return new UnlinkResult(false, null);
        }

        foreach (var observer in observers)
        {
            try
            {
                await observer.UnlinkingAsync(subdomain, cancellationToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogObserverFailed(logger, observer.GetType().Name, "UnlinkingAsync", subdomain, ex.GetType().Name);
            }
        }

        string? problem = null;
        await using (await locks.TryAcquireAsync(ZendeskTokenProvider.LockName(subdomain), LockWait, cancellationToken))
        {
            var link = await store.GetAsync(subdomain, cancellationToken);
            if (link is { Broken: false } && !(link.Tokens.AccessExpiresAt <= time.GetUtcNow()))
            {
                var outcome = await oauth.RevokeCurrentAsync(subdomain, link.Tokens.AccessToken, cancellationToken);
                problem = outcome.Kind == ZendeskOutcomeKind.Accepted ? null : outcome.Message;
            }

            await store.DeleteAsync(subdomain, cancellationToken);
        }

        calls.Forget(subdomain);

        LogUnlinked(logger, subdomain, problem ?? "token revoked or already unusable");
        return new UnlinkResult(true, problem);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Zendesk link {Subdomain} linked ({Grant}), access token valid until {ExpiresAt}")]
    private static partial void LogLinked(ILogger logger, string subdomain, string grant, DateTimeOffset? expiresAt);

    [LoggerMessage(Level = LogLevel.Information, Message = "Zendesk link {Subdomain} removed ({Revocation})")]
    private static partial void LogUnlinked(ILogger logger, string subdomain, string revocation);

    [LoggerMessage(Level = LogLevel.Error, Message = "Zendesk link observer {Observer}.{Method} failed for {Subdomain} ({ErrorType})")]
    private static partial void LogObserverFailed(ILogger logger, string observer, string method, string subdomain, string errorType);
}
