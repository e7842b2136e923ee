using System.Globalization;
using ChannelService.Admin;
using ChannelService.Configuration;
using ChannelService.Zendesk;
using Microsoft.Extensions.Localization;
using Microsoft.Extensions.Options;

namespace ChannelService.ZendeskLink;

/// <summary>The link's state as the admin UI shows it: <c>not-linked</c>, <c>linked</c> or <c>broken</c>, in plain words.</summary>
internal sealed record ZendeskLinkView(string State, string Text, bool CanConnect, string ConnectLabel);

/// <summary>Describes a subdomain's link for the admin UI panel and its status check (localised like the admin UI).</summary>
internal sealed class ZendeskLinkPanel(ZendeskLinkStore store, IStringLocalizer<AdminText> t, IOptions<ChannelOptions> options, Sandbox.SandboxZendeskOAuth sandbox, TimeProvider time)
{
    public async Task<ZendeskLinkView?> DescribeAsync(string? subdomain, CancellationToken cancellationToken = default)
    {
        if (!PushCredentialsStore.IsValidSubdomain(subdomain))
        {
            return null;
        }

        var link = await store.SummaryAsync(subdomain!, cancellationToken);
        // The sandbox's subdomain connects to the sandbox's own pretend Zendesk, without an operator's client.
        var canConnect = options.Value.ZendeskConnectEnabled || sandbox.Serves(subdomain);
        var now = time.GetUtcNow();
        if (link is null)
        {
            return new ZendeskLinkView(
                "not-linked",
                canConnect
                    ? t["This service is not linked to your Zendesk's API yet. Linking lets it set due dates, priorities and requesters on its tickets."]
                    : t["This service is not linked to your Zendesk's API. The operator has not set up \"Connect to Zendesk\" (Channel:ZendeskOAuthClientId)."],
                canConnect,
                t["Connect to Zendesk"]);
        }

        if (link.Broken)
        {
            return new ZendeskLinkView(
                "broken",
                string.Format(CultureInfo.CurrentCulture, t["The link to Zendesk stopped working on {0}: reconnect to Zendesk. Tickets keep arriving meanwhile."], When(link.BrokenAt!.Value)),
                canConnect,
                t["Reconnect to Zendesk"]);
        }

        var expiry = link.AccessExpiresAt is { } expires
            ? string.Format(CultureInfo.CurrentCulture, t["The current access token expires {0} and is renewed automatically."], In(expires - now))
            : t["The access token has no expiry date."];
        // Said up front rather than left to look like a fault: the sandbox's Zendesk plays no webhooks or triggers.
        var feed = sandbox.Serves(subdomain)
            ? " " + t["The sandbox's Zendesk has no change feed (webhooks and triggers), so calendars for agents are not offered here."]
            : "";
        return new ZendeskLinkView(
            "linked",
            string.Format(CultureInfo.CurrentCulture, t["Linked to Zendesk since {0}."], When(link.LinkedAt)) + " " + expiry + feed,
            canConnect,
            t["Reconnect to Zendesk"]);
    }

    private static string When(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);

    private string In(TimeSpan left) => left switch
    {
        { TotalSeconds: <= 0 } => t["now"],
        { TotalMinutes: < 2 } => t["in a minute"],
        { TotalHours: < 2 } => string.Format(CultureInfo.CurrentCulture, t["in {0} minutes"], (int)left.TotalMinutes),
        { TotalDays: < 2 } => string.Format(CultureInfo.CurrentCulture, t["in {0} hours"], (int)left.TotalHours),
        _ => string.Format(CultureInfo.CurrentCulture, t["in {0} days"], (int)left.TotalDays),
    };
}
