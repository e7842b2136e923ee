using Dapper;
using ChannelService.Accounts;
using ChannelService.Channelback;
using ChannelService.Events;
using ChannelService.Inbox;
using ChannelService.Pull;
using ChannelService.Sources;
using ChannelService.Sources.CalDav;
using ChannelService.Zendesk;

namespace ChannelService.Data;

/// <summary>Rows in one table.</summary>
internal sealed record TableRows(string Table, long Rows);

/// <summary>What the database holds: rows per table and the size of its files (database and write-ahead log).</summary>
internal sealed record TableSizesSnapshot(IReadOnlyList<TableRows> Tables, long DatabaseBytes, long WalBytes);

/// <summary>
/// The dashboard's table sizes (issue 15 §7): every table's owner counts its own rows (one owner per table), all in
/// one read transaction so the counts belong to one moment.
/// </summary>
internal sealed class TableSizes(Database database)
{
    public async Task<TableSizesSnapshot> SnapshotAsync(CancellationToken cancellationToken = default)
    {
        var tables = new List<TableRows>();
        await using (var connection = await database.OpenAsync(cancellationToken))
        await using (var transaction = await connection.BeginTransactionAsync(cancellationToken))
        {
            tables.AddRange(await Migrations.RowCountsAsync(connection));
            tables.AddRange(await Database.RowCountsAsync(connection));
            tables.AddRange(await AccountRegistry.RowCountsAsync(connection));
            tables.AddRange(await SourceItemStore.RowCountsAsync(connection));
            tables.AddRange(await PullMirrorStore.RowCountsAsync(connection));
            tables.AddRange(await SqliteCalDavEtagStore.RowCountsAsync(connection));
            tables.AddRange(await PushCredentialsStore.RowCountsAsync(connection));
            tables.AddRange(await InboxAccountStore.RowCountsAsync(connection));
            tables.AddRange(await Outbox.RowCountsAsync(connection));
            tables.AddRange(await ServiceErrors.RowCountsAsync(connection));
            tables.AddRange(await EventLog.RowCountsAsync(connection));
            tables.AddRange(await TicketLinkStore.RowCountsAsync(connection));
            tables.AddRange(await ChannelbackRequestStore.RowCountsAsync(connection));
            tables.AddRange(await ZendeskLink.ZendeskLinkStore.RowCountsAsync(connection));
            tables.AddRange(await ZendeskLink.OAuth.PendingAuthorizations.RowCountsAsync(connection));
            tables.AddRange(await ZendeskLink.Work.ApiWorkStore.RowCountsAsync(connection));
            tables.AddRange(await ZendeskLink.Tickets.TicketPropertyStore.RowCountsAsync(connection));
            tables.AddRange(await ZendeskLink.Changes.ChangeFeedStore.RowCountsAsync(connection));
            tables.AddRange(await ZendeskLink.Status.StatusSyncStore.RowCountsAsync(connection));
            tables.AddRange(await InstanceRegistry.RowCountsAsync(connection));
            tables.AddRange(await AgentCalendars.AgentCalendarStore.RowCountsAsync(connection));
            tables.AddRange(await AgentCalendars.AgentCalDavStore.RowCountsAsync(connection));
            if (database.Dialect == SqlDialect.PostgreSql)
            {
                // PostgreSQL has no database file of ours to measure (Database.Path is not a file there): the server
                // reports the whole database's size; it keeps no write-ahead log per database, so that stays 0.
                var bytes = await connection.ExecuteScalarAsync<long>(new CommandDefinition("SELECT pg_database_size(current_database())", transaction: transaction, cancellationToken: cancellationToken));
                await transaction.CommitAsync(cancellationToken);
                return new TableSizesSnapshot(tables, bytes, 0);
            }

            await transaction.CommitAsync(cancellationToken);
        }

        return new TableSizesSnapshot(tables, FileSize(database.Path), FileSize(database.Path + "-wal"));
    }

    private static long FileSize(string path) => File.Exists(path) ? new FileInfo(path).Length : 0;
}
