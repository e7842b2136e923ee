using System.Text.Json;
using ChannelService.Data;
using Dapper;
using Microsoft.Data.Sqlite;

namespace ChannelService.ZendeskLink.Changes;

/// <summary>A subdomain's change feed: its webhook and trigger in Zendesk, and where the reconciliation stands.</summary>
internal sealed record ChangeFeedLink
{
    public string LinkId { get; init; } = "";

    public string Subdomain { get; init; } = "";

    /// <summary><c>pending</c> until the webhook and trigger exist in Zendesk, then <c>active</c>.</summary>
    public string State { get; init; } = "";

    public string? WebhookId { get; init; }

    public string? TriggerId { get; init; }

    /// <summary>Sealed; open with <see cref="ChangeFeedStore.SecretPurpose"/> and the link id.</summary>
    public string? SigningSecret { get; init; }

    public DateTimeOffset LinkedAt { get; init; }

    public long ExportStart { get; init; }

    public string? ExportCursor { get; init; }

    public DateTimeOffset? LastExportAt { get; init; }

    public DateTimeOffset? LastDeliveryAt { get; init; }

    public string? LastError { get; init; }

    public bool IsActive => State == ChangeFeedStore.Active;
}

/// <summary>A ticket waiting to be re-read through the API.</summary>
internal sealed record ChangeFeedNudge
{
    public string Subdomain { get; init; } = "";

    public long TicketId { get; init; }

    public DateTimeOffset QueuedAt { get; init; }

    public long Attempts { get; init; }
}

/// <summary>A snapshot waiting for one handler.</summary>
internal sealed record ChangeFeedDispatch
{
    public string Subdomain { get; init; } = "";

    public long TicketId { get; init; }

    public string Handler { get; init; } = "";

    public DateTimeOffset UpdatedAt { get; init; }

    public string Snapshot { get; init; } = "";

    public long Attempts { get; init; }
}

/// <summary>One linked subdomain's change feed on the dashboard.</summary>
internal sealed record ChangeFeedSummary
{
    public string Subdomain { get; init; } = "";

    public string State { get; init; } = "";

    public DateTimeOffset? LastDeliveryAt { get; init; }

    /// <summary>When the export cursor last moved (the reconciliation's age).</summary>
    public DateTimeOffset? LastExportAt { get; init; }

    public string? LastError { get; init; }

    public long Nudges { get; init; }

    public long Waiting { get; init; }

    public long Failing { get; init; }
}

/// <summary>What a handler is, for the queue: its key and which tickets it wants.</summary>
internal sealed record HandlerKey(string Name, TicketScope Scope);

/// <summary>
/// Owner of the change feed's tables (Data/Migrations/0011_zendesk_change_feed.sql). Everything a delivery or an
/// export page leads to is written in one transaction with what proves it was taken (the invocation id, the export
/// cursor), so a crash at any point either leaves the change to come again or has it queued for good.
/// </summary>
internal sealed class ChangeFeedStore(Database database, TimeProvider time) : IOwnTicketWrites
{
    /// <summary>Rows of the owned tables, for the dashboard's table sizes.</summary>
    public static async Task<IReadOnlyList<TableRows>> RowCountsAsync(System.Data.Common.DbConnection connection) =>
    [
        new("change_feed_links", await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM change_feed_links")),
        new("change_feed_deliveries", await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM change_feed_deliveries")),
        new("change_feed_nudges", await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM change_feed_nudges")),
        new("change_feed_tickets", await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM change_feed_tickets")),
        new("change_feed_dispatch", await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM change_feed_dispatch")),
        new("change_feed_own_writes", await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM change_feed_own_writes")),
    ];

    public const string Pending = "pending";
    public const string Active = "active";

    /// <summary>Purpose for <see cref="Accounts.SecretSealer"/>: a webhook signing secret, bound to its link id.</summary>
    public const string SecretPurpose = "zendesk-webhook-secret/v1";

    /// <summary>
    /// How long an invocation id is remembered. Zendesk repeats a failed invocation within minutes, and a delivery
    /// older than the signature's five minutes is refused anyway, so a day bounds the table with a wide margin.
    /// </summary>
    public static readonly TimeSpan DeliveryRetention = TimeSpan.FromDays(1);

    /// <summary>How long an own write is remembered: its echo arrives within minutes (webhook) or one export round.</summary>
    public static readonly TimeSpan OwnWriteRetention = TimeSpan.FromDays(7);

    private const string LinkColumns = """
        link_id AS LinkId, subdomain AS Subdomain, state AS State, webhook_id AS WebhookId, trigger_id AS TriggerId,
        signing_secret AS SigningSecret, linked_at AS LinkedAt, export_start AS ExportStart, export_cursor AS ExportCursor,
        last_export_at AS LastExportAt, last_delivery_at AS LastDeliveryAt, last_error AS LastError
        """;

    public async Task<ChangeFeedLink?> LinkAsync(string linkId, CancellationToken cancellationToken = default)
    {
        const string Sql = $"SELECT {LinkColumns} FROM change_feed_links WHERE link_id = @linkId";
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<ChangeFeedLink>(new CommandDefinition(Sql, new { linkId }, cancellationToken: cancellationToken));
    }

    public async Task<ChangeFeedLink?> LinkForSubdomainAsync(string subdomain, CancellationToken cancellationToken = default)
    {
        const string Sql = $"SELECT {LinkColumns} FROM change_feed_links WHERE subdomain = @subdomain";
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<ChangeFeedLink>(new CommandDefinition(Sql, new { subdomain = subdomain.ToLowerInvariant() }, cancellationToken: cancellationToken));
    }

    public async Task<IReadOnlyList<ChangeFeedLink>> LinksAsync(CancellationToken cancellationToken = default)
    {
        const string Sql = $"SELECT {LinkColumns} FROM change_feed_links ORDER BY subdomain";
        await using var connection = await database.OpenAsync(cancellationToken);
        return (await connection.QueryAsync<ChangeFeedLink>(new CommandDefinition(Sql, cancellationToken: cancellationToken))).ToList();
    }

    /// <summary>The subdomain's link, created <c>pending</c> with a new opaque id when there is none (idempotent).</summary>
    public async Task<ChangeFeedLink> EnsureLinkAsync(string subdomain, CancellationToken cancellationToken = default)
    {
        const string Sql = """
            INSERT INTO change_feed_links (link_id, subdomain, state, linked_at, export_start)
            VALUES (@linkId, @subdomain, @Pending, @now, @start)
            ON CONFLICT (subdomain) DO NOTHING
            """;
        var now = time.GetUtcNow();
        await using (var connection = await database.OpenAsync(cancellationToken))
        {
            // 192 random bits, URL-safe: the id is the only thing naming the link in the webhook URL.
            var linkId = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(24)).Replace('+', '-').Replace('/', '_');
            await connection.ExecuteAsync(new CommandDefinition(Sql, new { linkId, subdomain = subdomain.ToLowerInvariant(), Pending, now, start = now.ToUnixTimeSeconds() }, cancellationToken: cancellationToken));
        }

        return (await LinkForSubdomainAsync(subdomain, cancellationToken))!;
    }

    /// <summary>The webhook exists in Zendesk: its id and sealed signing secret, stored before the trigger is made.</summary>
    public async Task SaveWebhookAsync(string linkId, string webhookId, string? sealedSecret, CancellationToken cancellationToken = default)
    {
        const string Sql = "UPDATE change_feed_links SET webhook_id = @webhookId, signing_secret = @sealedSecret WHERE link_id = @linkId";
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(Sql, new { linkId, webhookId, sealedSecret }, cancellationToken: cancellationToken));
    }

    public async Task ActivateAsync(string linkId, string triggerId, CancellationToken cancellationToken = default)
    {
        const string Sql = "UPDATE change_feed_links SET trigger_id = @triggerId, state = @Active, last_error = NULL WHERE link_id = @linkId";
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(Sql, new { linkId, triggerId, Active }, cancellationToken: cancellationToken));
    }

    public async Task RecordErrorAsync(string linkId, string error, CancellationToken cancellationToken = default)
    {
        const string Sql = "UPDATE change_feed_links SET last_error = @error WHERE link_id = @linkId";
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(Sql, new { linkId, error = error.Length <= 500 ? error : error[..500] }, cancellationToken: cancellationToken));
    }

    /// <summary>Forgets the subdomain's feed and everything queued for it (unlink).</summary>
    public async Task DeleteSubdomainAsync(string subdomain, CancellationToken cancellationToken = default)
    {
        const string Deliveries = "DELETE FROM change_feed_deliveries WHERE link_id IN (SELECT link_id FROM change_feed_links WHERE subdomain = @subdomain)";
        const string Links = "DELETE FROM change_feed_links WHERE subdomain = @subdomain";
        const string Nudges = "DELETE FROM change_feed_nudges WHERE subdomain = @subdomain";
        const string Tickets = "DELETE FROM change_feed_tickets WHERE subdomain = @subdomain";
        const string Dispatch = "DELETE FROM change_feed_dispatch WHERE subdomain = @subdomain";
        const string OwnWrites = "DELETE FROM change_feed_own_writes WHERE subdomain = @subdomain";
        var parameters = new { subdomain = subdomain.ToLowerInvariant() };
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        foreach (var sql in new[] { Deliveries, Links, Nudges, Tickets, Dispatch, OwnWrites })
        {
            await connection.ExecuteAsync(sql, parameters, transaction);
        }

        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>
    /// A verified delivery: remembers its invocation id and queues the ticket for a re-read, in one transaction.
    /// False when the invocation id was seen before (a replay or Zendesk's repeat): nothing changes then.
    /// <paramref name="ticketId"/> null records the delivery without queuing anything (a ticket the feed does not want).
    /// </summary>
    public async Task<bool> AcceptDeliveryAsync(ChangeFeedLink link, string? invocationId, long? ticketId, CancellationToken cancellationToken = default)
    {
        const string Remember = """
            INSERT INTO change_feed_deliveries (link_id, invocation_id, received_at) VALUES (@LinkId, @invocationId, @now)
            ON CONFLICT (link_id, invocation_id) DO NOTHING
            """;
        const string Nudge = """
            INSERT INTO change_feed_nudges (subdomain, ticket_id, queued_at, due_at) VALUES (@Subdomain, @ticketId, @now, @now)
            ON CONFLICT (subdomain, ticket_id) DO UPDATE SET queued_at = excluded.queued_at, due_at = excluded.due_at, attempts = 0
            """;
        const string Seen = "UPDATE change_feed_links SET last_delivery_at = @now WHERE link_id = @LinkId";
        const string Forget = "DELETE FROM change_feed_deliveries WHERE received_at < @cutoff";
        var now = time.GetUtcNow();
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        if (invocationId is not null
            && await connection.ExecuteAsync(Remember, new { link.LinkId, invocationId, now }, transaction) == 0)
        {
            return false;
        }

        if (ticketId is not null)
        {
            await connection.ExecuteAsync(Nudge, new { link.Subdomain, ticketId, now }, transaction);
        }

        await connection.ExecuteAsync(Seen, new { link.LinkId, now }, transaction);
        await connection.ExecuteAsync(Forget, new { cutoff = now - DeliveryRetention }, transaction);
        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    public async Task<IReadOnlyList<ChangeFeedNudge>> DueNudgesAsync(int max, CancellationToken cancellationToken = default)
    {
        const string Sql = """
            SELECT subdomain AS Subdomain, ticket_id AS TicketId, queued_at AS QueuedAt, attempts AS Attempts
            FROM change_feed_nudges WHERE due_at <= @now ORDER BY due_at LIMIT @max
            """;
        await using var connection = await database.OpenAsync(cancellationToken);
        return (await connection.QueryAsync<ChangeFeedNudge>(new CommandDefinition(Sql, new { now = time.GetUtcNow(), max }, cancellationToken: cancellationToken))).ToList();
    }

    /// <summary>The re-read failed in a way worth repeating: try again at <paramref name="dueAt"/>.</summary>
    public async Task PostponeNudgeAsync(ChangeFeedNudge nudge, DateTimeOffset dueAt, string error, CancellationToken cancellationToken = default)
    {
        const string Sql = """
            UPDATE change_feed_nudges SET due_at = @dueAt, attempts = attempts + 1, last_error = @error
            WHERE subdomain = @Subdomain AND ticket_id = @TicketId AND queued_at = @QueuedAt
            """;
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(Sql, new { nudge.Subdomain, nudge.TicketId, nudge.QueuedAt, dueAt, error }, cancellationToken: cancellationToken));
    }

    /// <summary>
    /// Queues snapshots for the handlers in one transaction, together with what proves they were taken: the nudge they
    /// answer is dropped (unless a newer one arrived meanwhile) and the export cursor moves to the page just read.
    /// A snapshot no newer than the last one queued for its ticket is skipped, so the webhook and the export never
    /// hand a handler the same version twice. Returns how many snapshots were queued.
    /// </summary>
    public async Task<int> IngestAsync(
        IReadOnlyList<TicketChange> changes,
        IReadOnlyList<HandlerKey> handlers,
        ChangeFeedNudge? answered = null,
        (string LinkId, string Cursor)? exportCursor = null,
        CancellationToken cancellationToken = default)
    {
        const string Newest = "SELECT updated_at FROM change_feed_tickets WHERE subdomain = @Subdomain AND ticket_id = @TicketId";
        const string Ours = "SELECT EXISTS (SELECT 1 FROM change_feed_own_writes WHERE subdomain = @Subdomain AND ticket_id = @TicketId AND updated_at = @UpdatedAt)";
        const string Version = """
            INSERT INTO change_feed_tickets (subdomain, ticket_id, updated_at) VALUES (@Subdomain, @TicketId, @UpdatedAt)
            ON CONFLICT (subdomain, ticket_id) DO UPDATE SET updated_at = excluded.updated_at
            """;
        const string Queue = """
            INSERT INTO change_feed_dispatch (subdomain, ticket_id, handler, updated_at, snapshot, due_at)
            VALUES (@Subdomain, @TicketId, @handler, @UpdatedAt, @snapshot, @now)
            ON CONFLICT (subdomain, ticket_id, handler) DO UPDATE SET updated_at = excluded.updated_at, snapshot = excluded.snapshot,
                due_at = excluded.due_at, attempts = 0, last_error = NULL
            WHERE excluded.updated_at > change_feed_dispatch.updated_at
            """;
        const string DropNudge = "DELETE FROM change_feed_nudges WHERE subdomain = @Subdomain AND ticket_id = @TicketId AND queued_at = @QueuedAt";
        const string MoveCursor = "UPDATE change_feed_links SET export_cursor = @Cursor, last_export_at = @now, last_error = NULL WHERE link_id = @LinkId";

        var now = time.GetUtcNow();
        var queued = 0;
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        foreach (var change in changes)
        {
            var key = new { change.Subdomain, change.TicketId, change.UpdatedAt };
            var newest = await connection.ExecuteScalarAsync<DateTimeOffset?>(Newest, key, transaction);
            if (newest is { } seen && seen >= change.UpdatedAt)
            {
                continue;
            }

            var snapshot = change with { ChangedByUs = await connection.ExecuteScalarAsync<bool>(Ours, key, transaction) };
            await connection.ExecuteAsync(Version, key, transaction);
            var json = JsonSerializer.Serialize(snapshot, SnapshotJson);
            foreach (var handler in handlers.Where(h => h.Scope == TicketScope.AllTickets || snapshot.IsOurs))
            {
                await connection.ExecuteAsync(Queue, new { change.Subdomain, change.TicketId, handler = handler.Name, change.UpdatedAt, snapshot = json, now }, transaction);
            }

            queued++;
        }

        if (answered is not null)
        {
            await connection.ExecuteAsync(DropNudge, answered, transaction);
        }

        if (exportCursor is { } cursor)
        {
            await connection.ExecuteAsync(MoveCursor, new { cursor.LinkId, cursor.Cursor, now }, transaction);
        }

        await transaction.CommitAsync(cancellationToken);
        return queued;
    }

    /// <summary>Drops a nudge that needs no work (the ticket is gone or is not one the feed wants).</summary>
    public Task DropNudgeAsync(ChangeFeedNudge nudge, CancellationToken cancellationToken = default) =>
        IngestAsync([], [], nudge, null, cancellationToken);

    public async Task<IReadOnlyList<ChangeFeedDispatch>> DueDispatchAsync(int max, CancellationToken cancellationToken = default)
    {
        const string Sql = """
            SELECT subdomain AS Subdomain, ticket_id AS TicketId, handler AS Handler, updated_at AS UpdatedAt, snapshot AS Snapshot, attempts AS Attempts
            FROM change_feed_dispatch WHERE due_at <= @now ORDER BY due_at, ticket_id LIMIT @max
            """;
        await using var connection = await database.OpenAsync(cancellationToken);
        return (await connection.QueryAsync<ChangeFeedDispatch>(new CommandDefinition(Sql, new { now = time.GetUtcNow(), max }, cancellationToken: cancellationToken))).ToList();
    }

    /// <summary>The handler took the snapshot; a newer one queued meanwhile stays.</summary>
    public async Task CompleteDispatchAsync(ChangeFeedDispatch item, CancellationToken cancellationToken = default)
    {
        const string Sql = "DELETE FROM change_feed_dispatch WHERE subdomain = @Subdomain AND ticket_id = @TicketId AND handler = @Handler AND updated_at = @UpdatedAt";
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(Sql, item, cancellationToken: cancellationToken));
    }

    public async Task PostponeDispatchAsync(ChangeFeedDispatch item, DateTimeOffset dueAt, string error, CancellationToken cancellationToken = default)
    {
        const string Sql = """
            UPDATE change_feed_dispatch SET due_at = @dueAt, attempts = attempts + 1, last_error = @error
            WHERE subdomain = @Subdomain AND ticket_id = @TicketId AND handler = @Handler AND updated_at = @UpdatedAt
            """;
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(Sql, new { item.Subdomain, item.TicketId, item.Handler, item.UpdatedAt, dueAt, error = error.Length <= 500 ? error : error[..500] }, cancellationToken: cancellationToken));
    }

    public async Task RecordAsync(string subdomain, long ticketId, DateTimeOffset updatedAt, CancellationToken cancellationToken)
    {
        const string Sql = """
            INSERT INTO change_feed_own_writes (subdomain, ticket_id, updated_at, recorded_at) VALUES (@subdomain, @ticketId, @updatedAt, @now)
            ON CONFLICT (subdomain, ticket_id, updated_at) DO NOTHING
            """;
        const string Forget = "DELETE FROM change_feed_own_writes WHERE recorded_at < @cutoff";
        var now = time.GetUtcNow();
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(Sql, new { subdomain = subdomain.ToLowerInvariant(), ticketId, updatedAt, now }, cancellationToken: cancellationToken));
        await connection.ExecuteAsync(new CommandDefinition(Forget, new { cutoff = now - OwnWriteRetention }, cancellationToken: cancellationToken));
    }

    /// <summary>Per linked subdomain, for the dashboard: the feed's state, when it last heard from Zendesk, and what waits.</summary>
    public async Task<IReadOnlyList<ChangeFeedSummary>> SummaryAsync(CancellationToken cancellationToken = default)
    {
        const string Sql = """
            SELECT l.subdomain AS Subdomain, l.state AS State, l.last_delivery_at AS LastDeliveryAt, l.last_export_at AS LastExportAt,
                   l.last_error AS LastError,
                   (SELECT COUNT(*) FROM change_feed_nudges n WHERE n.subdomain = l.subdomain) AS Nudges,
                   (SELECT COUNT(*) FROM change_feed_dispatch d WHERE d.subdomain = l.subdomain) AS Waiting,
                   (SELECT COUNT(*) FROM change_feed_dispatch d WHERE d.subdomain = l.subdomain AND d.attempts > 0) AS Failing
            FROM change_feed_links l ORDER BY l.subdomain
            """;
        await using var connection = await database.OpenAsync(cancellationToken);
        return (await connection.QueryAsync<ChangeFeedSummary>(new CommandDefinition(Sql, cancellationToken: cancellationToken))).ToList();
    }

    /// <summary>How snapshots are kept in the queue (the service's own format, not Zendesk's).</summary>
    public static readonly JsonSerializerOptions SnapshotJson = new(JsonSerializerDefaults.Web);
}
