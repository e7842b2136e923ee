using ChannelService.Zendesk;

namespace ChannelService.ZendeskLink.Api;

/// <summary>
/// A Zendesk REST API inside this process for one pretend subdomain: the sandbox (<c>/sandbox</c>, subdomain
/// <c>sandbox</c>) plays Zendesk's API there, so a person can watch type, due date, priority and requester change
/// without a Zendesk account. <see cref="ZendeskApiClient"/> sends a served subdomain's calls here (still through the
/// rate gate and the call log) with a pretend link token, and everything else over HTTP as usual.
/// </summary>
internal interface IZendeskApiLoopback
{
    /// <summary>The pretend access token a served subdomain's link hands out.</summary>
    const string PretendToken = "sandbox-pretend-link-token";

    bool Serves(string subdomain);

    ZendeskOutcome Send(ZendeskRequest request);
}
