using ChannelService.Configuration;
using Microsoft.Extensions.Options;

namespace ChannelService.Zendesk;

/// <summary>
/// Reports a channelback that failed after it was answered (spec §4, design §9): with <c>report_error</c> where the
/// account has push credentials and push is on, so the agent sees it on the ticket; otherwise, or when Zendesk does
/// not take the report, it is recorded for the dashboard.
/// </summary>
internal sealed class ChannelbackErrorReporter(PushCredentialsStore credentials, ZendeskClient zendesk, ServiceErrors errors, IOptions<ChannelOptions> options)
{
    /// <summary>True when Zendesk took the report; false when it was only recorded for the dashboard.</summary>
    public async Task<bool> ReportAsync(string accountId, string externalId, string description, CancellationToken cancellationToken)
    {
        if (options.Value.PushEnabled && await credentials.GetAsync(accountId, cancellationToken) is { } account)
        {
            var outcome = await zendesk.ReportErrorAsync(account, externalId, description, cancellationToken);
            if (outcome.Kind == ZendeskOutcomeKind.Accepted)
            {
                return true;
            }

            await errors.RecordAsync(accountId, "channelback", $"{externalId}: {description} (report_error failed: {outcome.Message})", cancellationToken);
            return false;
        }

        await errors.RecordAsync(accountId, "channelback", $"{externalId}: {description}", cancellationToken);
        return false;
    }
}
