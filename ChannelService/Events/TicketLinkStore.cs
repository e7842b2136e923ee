using ChannelService.Data;
using Dapper;

namespace ChannelService.Events;

/// <summary>
/// Owner of <c>ticket_links</c> (Data/Migrations/0007_bounded_event_storage.sql): which Zendesk ticket each thread of
/// ours became, from <c>resources_created_from_external_ids</c> (spec §7). One row per thread, and only for threads
/// this service issued, so the table is bounded by our own threads whatever the unsigned callback names.
/// </summary>
internal sealed class TicketLinkStore(Database database)
{
    /// <summary>Links the thread to the ticket; a later event overwrites (a follow-up ticket wins).</summary>
    public async Task LinkAsync(string accountId, string threadId, long ticketId, long? commentId, string externalId, string? requestId, DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        const string Sql = """
            INSERT INTO ticket_links (thread_id, account_id, ticket_id, comment_id, external_id, request_id, created_at)
            VALUES (@threadId, @accountId, @ticketId, @commentId, @externalId, @requestId, @at)
            ON CONFLICT (thread_id) DO UPDATE SET ticket_id = excluded.ticket_id, comment_id = excluded.comment_id,
                external_id = excluded.external_id, request_id = excluded.request_id
            """;
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(Sql, new { threadId, accountId, ticketId, commentId, externalId, requestId, at }, cancellationToken: cancellationToken));
    }

    /// <summary>The ticket a thread of ours became, if Zendesk said so.</summary>
    public async Task<long?> TicketForAsync(string threadId, CancellationToken cancellationToken = default)
    {
        const string Sql = "SELECT ticket_id FROM ticket_links WHERE thread_id = @threadId";
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<long?>(new CommandDefinition(Sql, new { threadId }, cancellationToken: cancellationToken));
    }

    /// <summary>
    /// The thread of ours a ticket holds, among the given accounts (those of the ticket's subdomain): a ticket id names a
    /// thread of ours only through a link this service stored, never through what a caller says.
    /// </summary>
    public async Task<(string AccountId, string ThreadId, string ExternalId)?> ThreadOfTicketAsync(IReadOnlyCollection<string> accountIds, long ticketId, CancellationToken cancellationToken = default)
    {
        // A list parameter: Dapper spreads it into IN (…) for SQLite and passes a PostgreSQL array, compared with ANY.
        var sql = new DialectSql(
            Sqlite: "SELECT account_id AS AccountId, thread_id AS ThreadId, external_id AS ExternalId FROM ticket_links WHERE ticket_id = @ticketId AND account_id IN @accountIds ORDER BY created_at DESC LIMIT 1",
            PostgreSql: "SELECT account_id AS AccountId, thread_id AS ThreadId, external_id AS ExternalId FROM ticket_links WHERE ticket_id = @ticketId AND account_id = ANY(@accountIds) ORDER BY created_at DESC LIMIT 1");
        if (accountIds.Count == 0)
        {
            return null;
        }

        await using var connection = await database.OpenAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<ThreadRow>(new CommandDefinition(sql.For(database.Dialect), new { ticketId, accountIds = accountIds.ToArray() }, cancellationToken: cancellationToken));
        return row is null ? null : (row.AccountId, row.ThreadId, row.ExternalId);
    }

    private sealed record ThreadRow
    {
        public string AccountId { get; init; } = "";

        public string ThreadId { get; init; } = "";

        public string ExternalId { get; init; } = "";
    }

    /// <summary>Rows of the owned table(s), for the dashboard's table sizes.</summary>
    public static async Task<IReadOnlyList<TableRows>> RowCountsAsync(System.Data.Common.DbConnection connection) =>
    [
        new("ticket_links", await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM ticket_links")),
    ];
}
