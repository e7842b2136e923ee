using System.Data.Common;
using ChannelService.Data;
using Dapper;

namespace ChannelService.ZendeskLink.Tickets;

/// <summary>The ticket confirmed to hold a unit, and what the service last set on it.</summary>
internal sealed record TicketProperties(long TicketId, AppliedProperties Applied);

/// <summary>
/// Owner of <c>zendesk_ticket_properties</c> (Data/Migrations/0010_zendesk_api_work.sql): per ticket unit, the
/// ticket confirmed through the API to be the unit's, and the properties the service set on it last
/// (<see cref="AppliedProperties"/>), so that only what the item changed is sent again.
/// </summary>
internal sealed class TicketPropertyStore(Database database)
{
    public async Task<TicketProperties?> GetAsync(string accountId, string unitKey, CancellationToken cancellationToken = default)
    {
        const string Sql = "SELECT ticket_id, applied FROM zendesk_ticket_properties WHERE account_id = @accountId AND unit_key = @unitKey";
        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<(long TicketId, string Applied)>(new CommandDefinition(Sql, new { accountId, unitKey }, cancellationToken: cancellationToken));
        return rows.Select(r => new TicketProperties(r.TicketId, AppliedProperties.FromJson(r.Applied))).FirstOrDefault();
    }

    /// <summary>Records what Zendesk took for the ticket (a different ticket than before starts from <paramref name="applied"/>).</summary>
    public async Task SaveAsync(string accountId, string unitKey, long ticketId, AppliedProperties applied, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        const string Sql = """
            INSERT INTO zendesk_ticket_properties (account_id, unit_key, ticket_id, applied, updated_at)
            VALUES (@accountId, @unitKey, @ticketId, @applied, @now)
            ON CONFLICT (account_id, unit_key) DO UPDATE SET ticket_id = excluded.ticket_id, applied = excluded.applied, updated_at = excluded.updated_at
            """;
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(Sql, new { accountId, unitKey, ticketId, applied = applied.ToJson(), now }, cancellationToken: cancellationToken));
    }

    /// <summary>Forgets the account's tickets, inside the caller's transaction (account purge).</summary>
    public async Task DeleteAccountAsync(DbConnection connection, DbTransaction transaction, string accountId)
    {
        const string Sql = "DELETE FROM zendesk_ticket_properties WHERE account_id = @accountId";
        await connection.ExecuteAsync(Sql, new { accountId }, transaction);
    }

    /// <summary>Rows of the owned table, for the dashboard's table sizes.</summary>
    public static async Task<IReadOnlyList<TableRows>> RowCountsAsync(System.Data.Common.DbConnection connection) =>
        [new("zendesk_ticket_properties", await Dapper.SqlMapper.ExecuteScalarAsync<long>(connection, "SELECT count(*) FROM zendesk_ticket_properties"))];
}
