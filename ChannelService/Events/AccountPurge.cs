using ChannelService.Accounts;
using ChannelService.Channelback;
using ChannelService.Data;
using ChannelService.Inbox;
using ChannelService.Zendesk;
using ChannelService.ZendeskLink.Tickets;
using ChannelService.ZendeskLink.Work;

namespace ChannelService.Events;

/// <summary>
/// Deletes what is stored about an account (destroy_integration_instance) in one transaction, each table through its
/// owner: the outbox, push credentials, the inbox registration, answered channelbacks, its dashboard errors, its
/// queued Zendesk API work, remembered ticket properties and two-way task status, and its registry row. Source items and the pull mirror stay: their ids are deterministic, and an account added again with
/// the same metadata resumes from them.
/// </summary>
internal sealed class AccountPurge(
    Database database,
    AccountRegistry registry,
    Outbox outbox,
    PushCredentialsStore pushCredentials,
    InboxAccountStore inboxAccounts,
    ChannelbackRequestStore channelbackRequests,
    ServiceErrors errors,
    ApiWorkStore apiWork,
    TicketPropertyStore ticketProperties,
    ZendeskLink.Status.StatusSyncStore statusSync)
{
    public async Task PurgeAsync(string accountId, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await outbox.DeleteAccountAsync(connection, transaction, accountId);
        await pushCredentials.DeleteAccountAsync(connection, transaction, accountId);
        await inboxAccounts.DeleteAccountAsync(connection, transaction, accountId);
        await channelbackRequests.DeleteAccountAsync(connection, transaction, accountId);
        await errors.DeleteAccountAsync(connection, transaction, accountId);
        await apiWork.DeleteAccountAsync(connection, transaction, accountId);
        await ticketProperties.DeleteAccountAsync(connection, transaction, accountId);
        await statusSync.DeleteAccountAsync(connection, transaction, accountId);
        await registry.DeleteAsync(connection, transaction, accountId);
        await transaction.CommitAsync(cancellationToken);
    }
}
