using ChannelService.Accounts;
using ChannelService.Configuration;
using ChannelService.Data;
using ChannelService.Zendesk;
using ChannelService.ZendeskLink.Api;
using Microsoft.Extensions.Options;

namespace ChannelService.ZendeskLink.Changes;

/// <summary>
/// Puts the change feed in place when a subdomain's link starts working, and takes it down before the link goes:
/// a webhook (connected to triggers) pointing at <c>POST /zendesk/webhook/{link id}</c>, its signing secret stored
/// sealed, and a trigger that notifies it with the ticket id on every ticket change. Idempotent: each step is stored
/// as soon as Zendesk has made it, and a link left half set up (Zendesk down, a 429) is finished by
/// <see cref="ChangeFeedWorker"/> on its next round.
/// </summary>
internal sealed partial class ChangeFeedLinks(
    ChangeFeedStore store,
    ChangeFeedApi api,
    SecretSealer sealer,
    INamedLocks locks,
    IOptions<ChannelOptions> options,
    ILogger<ChangeFeedLinks> logger) : IZendeskLinkObserver
{
    public async Task LinkedAsync(string subdomain, CancellationToken cancellationToken)
    {
        var link = await store.EnsureLinkAsync(subdomain, cancellationToken);
        await SetUpAsync(link, cancellationToken);
    }

    /// <summary>
    /// Creates what is missing of the link's webhook and trigger. True when the link is active. Serialised per
    /// subdomain (the observer and the worker's retry may run at once; two set-ups would make two webhooks) and
    /// working from the link as stored once the lock is held.
    /// </summary>
    public async Task<bool> SetUpAsync(ChangeFeedLink link, CancellationToken cancellationToken)
    {
        if (link.IsActive)
        {
            return true;
        }

        await using var held = await locks.TryAcquireAsync(LockName(link.Subdomain), LockWait, cancellationToken);
        if (held is null)
        {
            return false;
        }

        return await store.LinkAsync(link.LinkId, cancellationToken) is { } current && await SetUpHeldAsync(current, cancellationToken);
    }

    private async Task<bool> SetUpHeldAsync(ChangeFeedLink link, CancellationToken cancellationToken)
    {
        if (link.IsActive)
        {
            return true;
        }

        if (options.Value.BaseUri is not { } baseUri)
        {
            await store.RecordErrorAsync(link.LinkId, "Channel:PublicBaseUrl is not set, so Zendesk has no address to deliver changes to.", cancellationToken);
            return false;
        }

        var webhookId = link.WebhookId;
        if (webhookId is null)
        {
            var created = await api.CreateWebhookAsync(link.Subdomain, new Uri(baseUri, $"zendesk/webhook/{link.LinkId}"), cancellationToken);
            if (!created.Ok || ChangeFeedApi.WebhookId(created.Body) is not { } id)
            {
                return await FailedAsync(link, "create the webhook", created, cancellationToken);
            }

            webhookId = id;
            await store.SaveWebhookAsync(link.LinkId, webhookId, null, cancellationToken);
        }

        if (link.SigningSecret is null)
        {
            var secret = await api.SigningSecretAsync(link.Subdomain, webhookId, cancellationToken);
            if (!secret.Ok || ChangeFeedApi.SigningSecret(secret.Body) is not { Length: > 0 } value)
            {
                return await FailedAsync(link, "read the webhook's signing secret", secret, cancellationToken);
            }

            await store.SaveWebhookAsync(link.LinkId, webhookId, sealer.Seal(ChangeFeedStore.SecretPurpose, link.LinkId, value), cancellationToken);
        }

        var trigger = await api.CreateTriggerAsync(link.Subdomain, webhookId, cancellationToken);
        if (!trigger.Ok || ChangeFeedApi.TriggerId(trigger.Body) is not { } triggerId)
        {
            return await FailedAsync(link, "create the trigger", trigger, cancellationToken);
        }

        await store.ActivateAsync(link.LinkId, triggerId, cancellationToken);
        LogActive(logger, link.Subdomain);
        return true;
    }

    /// <summary>
    /// Removes the trigger and the webhook while the link's token still works, then forgets the feed. A removal that
    /// fails is logged and the feed forgotten all the same: deliveries to a forgotten link id are answered 404.
    /// </summary>
    public async Task UnlinkingAsync(string subdomain, CancellationToken cancellationToken)
    {
        await using var held = await locks.TryAcquireAsync(LockName(subdomain), LockWait, cancellationToken);
        var link = await store.LinkForSubdomainAsync(subdomain, cancellationToken);
        if (link is null)
        {
            return;
        }

        if (link.TriggerId is { } triggerId)
        {
            Removed(link, "trigger", await api.DeleteTriggerAsync(link.Subdomain, triggerId, cancellationToken));
        }

        if (link.WebhookId is { } webhookId)
        {
            Removed(link, "webhook", await api.DeleteWebhookAsync(link.Subdomain, webhookId, cancellationToken));
        }

        await store.DeleteSubdomainAsync(link.Subdomain, cancellationToken);
    }

    private static readonly TimeSpan LockWait = TimeSpan.FromSeconds(60);

    private static string LockName(string subdomain) => "zendesk-change-feed:" + subdomain.ToLowerInvariant();

    private void Removed(ChangeFeedLink link, string what, ApiResult result)
    {
        // 404: already gone (an admin deleted it by hand), which is what we wanted. Not linked: nothing could be sent.
        if (result.Status is not (ApiStatus.Ok or ApiStatus.NotFound or ApiStatus.NotLinked))
        {
            LogRemovalFailed(logger, link.Subdomain, what, result.Message);
        }
    }

    private async Task<bool> FailedAsync(ChangeFeedLink link, string step, ApiResult result, CancellationToken cancellationToken)
    {
        var message = result.Status switch
        {
            ApiStatus.NotLinked => $"Could not {step}: the Zendesk link has no working token.",
            ApiStatus.Ok => $"Could not {step}: Zendesk's answer was not understood.",
            _ => $"Could not {step}: {result.Message}",
        };
        await store.RecordErrorAsync(link.LinkId, message, cancellationToken);
        LogSetUpFailed(logger, link.Subdomain, message);
        return false;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Zendesk change feed active for {Subdomain}")]
    private static partial void LogActive(ILogger logger, string subdomain);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Zendesk change feed for {Subdomain} not set up yet: {Reason}")]
    private static partial void LogSetUpFailed(ILogger logger, string subdomain, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not remove the change feed's {What} for {Subdomain}: {Reason}")]
    private static partial void LogRemovalFailed(ILogger logger, string subdomain, string what, string reason);
}
