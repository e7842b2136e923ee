using ChannelService.Zendesk;

namespace ChannelService.ZendeskLink.Api;

/// <summary>
/// A Zendesk inside this process for one pretend subdomain: the sandbox (<c>/sandbox</c>, subdomain <c>sandbox</c>)
/// plays Zendesk's OAuth (its sign-in page, <c>/oauth/tokens</c>) and REST API there, so a person can connect the
/// service to "Zendesk" and watch type, due date, priority and requester change without a Zendesk account.
/// <see cref="ZendeskApiClient"/>, <see cref="OAuth.ZendeskOAuthClient"/> and the change feed send a served
/// subdomain's calls here, with the link's real access token (still through the rate gate and the call log), and
/// everything else over HTTP as usual.
/// </summary>
internal interface IZendeskApiLoopback
{
    bool Serves(string subdomain);

    /// <summary>
    /// Why this process cannot ask this Zendesk at all (null when it can). The sandbox's tokens live only in the running
    /// service's memory: a command-line process never got one, so its calls would be refused with 401 and the shared
    /// link marked broken for everyone. <see cref="ZendeskApiClient"/> sends nothing then and leaves the link alone.
    /// </summary>
    string? Unreachable { get; }

    /// <summary>False when the subdomain's Zendesk cannot take the change feed's webhook and trigger (the sandbox's cannot).</summary>
    bool HasChangeFeed { get; }

    /// <summary>Answers one request as Zendesk would; <paramref name="bearerToken"/> is the link's access token (null for <c>/oauth/tokens</c>).</summary>
    ZendeskOutcome Send(ZendeskRequest request, string? bearerToken);
}
