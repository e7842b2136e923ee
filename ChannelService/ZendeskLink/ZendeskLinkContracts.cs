namespace ChannelService.ZendeskLink;

/// <summary>
/// What the rest of the service asks of a subdomain's Zendesk link: a current OAuth access token for the REST API.
/// The OAuth side (authorization code with PKCE, client credentials, serialised refresh, sealed storage) implements
/// it; API clients, workers and the change feed only consume it, so a subdomain without a working link simply makes
/// no API calls and the pull carries on (the link is an enhancement, never a dependency of the pull).
/// </summary>
internal interface IZendeskLinkTokens
{
    /// <summary>
    /// A valid access token for the subdomain's link, renewed first when it is about to expire; <c>null</c> when the
    /// subdomain has no working link (never linked, unlinked, or broken: "reconnect to Zendesk").
    /// </summary>
    Task<string?> AccessTokenAsync(string subdomain, CancellationToken cancellationToken);

    /// <summary>
    /// The API answered 401 to <paramref name="accessToken"/>: renew once (another caller may already have), or
    /// mark the link broken when renewal is refused. The caller may ask <see cref="AccessTokenAsync"/> again after.
    /// </summary>
    Task RejectedAsync(string subdomain, string accessToken, CancellationToken cancellationToken);
}

/// <summary>
/// Told when a subdomain's link starts working and before it is removed (unlink, <c>destroy_integration_instance</c>
/// of its last account), so features that keep things in Zendesk (a webhook, a first sync) set them up and take
/// them down. Implementations must be idempotent: a link may be renewed or re-created many times.
/// </summary>
internal interface IZendeskLinkObserver
{
    Task LinkedAsync(string subdomain, CancellationToken cancellationToken);

    Task UnlinkingAsync(string subdomain, CancellationToken cancellationToken);
}

/// <summary>Until the OAuth link is in place: no subdomain is linked, so nothing calls the REST API.</summary>
internal sealed class NoZendeskLinks : IZendeskLinkTokens
{
    public Task<string?> AccessTokenAsync(string subdomain, CancellationToken cancellationToken) => Task.FromResult<string?>(null);

    public Task RejectedAsync(string subdomain, string accessToken, CancellationToken cancellationToken) => Task.CompletedTask;
}
