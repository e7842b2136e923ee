using System.Net;
using System.Text.Json.Nodes;
using ChannelService.Accounts;
using ChannelService.Channelback;
using ChannelService.Data;
using ChannelService.Events;
using ChannelService.Inbox;
using ChannelService.Pull;
using ChannelService.Retention;
using ChannelService.Sources;
using ChannelService.Tests.Sources.Http;
using ChannelService.Tests.Support;
using ChannelService.Zendesk;
using Dapper;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace ChannelService.Tests.Retention;

/// <summary>
/// Retention (issue 15 §7): each history table keeps its rows for its retention and no longer, in a real service
/// (test clock), and pruning never breaks exactly-once: a channelback repeated inside the window is answered from its
/// record, and an item gone from the source stays until Zendesk acknowledged its closing notice. On both stores (the
/// pass runs in every host, PostgreSQL instances too).
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "NUnit disposes them in TearDown")]
[TestFixtureSource(typeof(TestStore), nameof(TestStore.Both))]
public sealed class RetentionTests(TestStore testStore)
{
    private static readonly DateTimeOffset Start = new(2026, 11, 22, 8, 0, 0, TimeSpan.Zero);

    private ManualTimeProvider clock = null!;
    private ServiceFactory factory = null!;
    private Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactory<Program> host = null!;
    private HttpClient client = null!;

    [SetUp]
    public void StartHost()
    {
        clock = new ManualTimeProvider(Start);
        factory = new ServiceFactory(new Dictionary<string, string?>
        {
            ["Channel:AllowPrivateNetworkSources"] = "true",
            ["Channel:RetentionBatchSize"] = "2", // several batches per table
        }, store: testStore);
        host = factory.WithWebHostBuilder(b => b.ConfigureTestServices(s => s.AddSingleton<TimeProvider>(clock)));
        client = host.CreateClient();
    }

    [TearDown]
    public async Task StopHostAsync()
    {
        client.Dispose();
        await host.DisposeAsync();
        await factory.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
    }

    private T Service<T>()
        where T : notnull => host.Services.GetRequiredService<T>();

    private Task<RetentionResult> PruneAsync() => Service<RetentionService>().PruneOnceAsync();

    private async Task<long> RowsAsync(string table) =>
        (await Service<TableSizes>().SnapshotAsync()).Tables.Single(t => t.Table == table).Rows;

    [Test]
    public async Task A_Channelback_Repeated_Inside_Its_Retention_Is_Answered_From_The_Record_And_The_Record_Goes_After_It()
    {
        // Arrange: an inbox account whose replies go to a loopback receiver.
        await using var receiver = new LoopbackServer((request, stream, ct) => LoopbackServer.WriteAsync(stream, 200, "{}", ct));
        var callback = receiver.Url("/replies");
        var account = new NewAccountRequest("inbox", callback.ToString(), null, null, "Support inbox", []).Create(TimeProvider.System) with { Subdomain = "acme" };
        await Service<AccountRegistry>().UpsertAsync(account);
        await Service<InboxAccountStore>().RegisterAsync(account.AccountId, callback);
        var threadId = InboxResources.ThreadId(account.AccountId, "order-42");
        var metadata = Service<MetadataCodec>().Encode(account);
        FormUrlEncodedContent Form() => new(
        [
            new("message", "It ships today."),
            new("thread_id", threadId),
            new("parent_id", threadId + "-o"),
            new("metadata", metadata),
            new("request_unique_identifier", "zd-req-77"),
        ]);
        using var first = await client.PostAsync("/channelback", Form());
        Assert.That(first.StatusCode, Is.EqualTo(HttpStatusCode.OK), await first.Content.ReadAsStringAsync());
        var externalId = (string)JsonNode.Parse(await first.Content.ReadAsStringAsync())!["external_id"]!;

        // Act: just inside the 7-day default, a pass prunes nothing and Zendesk's repeat is answered from the record.
        clock.Advance(TimeSpan.FromDays(7) - TimeSpan.FromMinutes(1));
        var inside = await PruneAsync();
        using var retry = await client.PostAsync("/channelback", Form());
        var retryText = await retry.Content.ReadAsStringAsync();

        // Assert
        Assert.That(inside.ChannelbackRequests, Is.Zero);
        Assert.That(retry.StatusCode, Is.EqualTo(HttpStatusCode.OK), retryText);
        Assert.That((string)JsonNode.Parse(retryText)!["external_id"]!, Is.EqualTo(externalId));
        Assert.That(receiver.Requests, Has.Count.EqualTo(1), "the repeat inside the window is not delivered again");

        // Act: past the window the record goes.
        clock.Advance(TimeSpan.FromMinutes(2));
        var after = await PruneAsync();

        Assert.That(after.ChannelbackRequests, Is.EqualTo(1));
        Assert.That(await Service<ChannelbackRequestStore>().RecordedAsync(account.AccountId, "zd-req-77", CancellationToken.None), Is.Null);
        Assert.That(await RowsAsync("channelback_requests"), Is.Zero);
    }

    [Test]
    public async Task Events_And_Service_Errors_Are_Kept_For_Their_Retention_Then_Pruned_In_Batches()
    {
        // Arrange: five old entries of each (more than two batches of 2), then one recent.
        var events = Service<EventLog>();
        var errors = Service<ServiceErrors>();
        for (var i = 0; i < 5; i++)
        {
            await events.AppendAsync(new EventLogEntry { ReceivedAt = clock.GetUtcNow(), TypeId = "resources_created_from_external_ids", AccountId = "acct", Summary = $"old {i}" });
            await errors.RecordAsync("acct", "push", $"old {i}");
        }

        clock.Advance(TimeSpan.FromDays(20));
        await events.AppendAsync(new EventLogEntry { ReceivedAt = clock.GetUtcNow(), TypeId = "resources_created_from_external_ids", AccountId = "acct", Summary = "recent" });
        await errors.RecordAsync("acct", "push", "recent");

        // Act + Assert: at 29 days the old ones are still inside the 30-day default.
        clock.Advance(TimeSpan.FromDays(9));
        var inside = await PruneAsync();
        Assert.That((inside.EventLog, inside.ServiceErrors), Is.EqualTo((0, 0)));
        Assert.That((await RowsAsync("event_log"), await RowsAsync("service_errors")), Is.EqualTo((6L, 6L)));

        clock.Advance(TimeSpan.FromDays(2));
        var after = await PruneAsync();
        Assert.That((after.EventLog, after.ServiceErrors), Is.EqualTo((5, 5)));
        Assert.That((await events.RecentAsync(10)).Select(e => e.Summary), Is.EqualTo(new[] { "recent" }));
        Assert.That((await errors.RecentAsync(10)).Select(e => e.Message), Is.EqualTo(new[] { "recent" }));
    }

    [Test]
    public async Task Delivered_And_Parked_Outbox_Items_Go_After_Their_Retention_While_Pending_Ones_Stay()
    {
        // Arrange: three items, one delivered, one parked, one pending.
        var outbox = Service<Outbox>();
        await using (var connection = await Service<Database>().OpenAsync())
        {
            await using var transaction = connection.BeginTransaction();
            foreach (var id in new[] { "delivered", "parked", "pending" })
            {
                await outbox.EnqueueAsync(connection, transaction, "acct", id, "thread", "author", "{}");
            }

            transaction.Commit();
        }

        var items = await outbox.TakePendingAsync("acct", 10);
        await outbox.AcknowledgeAsync("acct", [items[0].Seq]);
        await outbox.ParkAsync(items[1].Seq, "processing_error");

        // Act + Assert: delivered kept 30 days, parked 90; pending always.
        clock.Advance(TimeSpan.FromDays(29));
        Assert.That((await PruneAsync()).Outbox, Is.Zero);
        clock.Advance(TimeSpan.FromDays(2));
        Assert.That((await PruneAsync()).Outbox, Is.EqualTo(1), "the delivered item goes after 30 days");
        clock.Advance(TimeSpan.FromDays(58));
        Assert.That((await PruneAsync()).Outbox, Is.Zero, "a parked item waits 90 days for an operator");
        clock.Advance(TimeSpan.FromDays(2));
        Assert.That((await PruneAsync()).Outbox, Is.EqualTo(1));
        clock.Advance(TimeSpan.FromDays(365));
        await PruneAsync();

        var remaining = await outbox.TakePendingAsync("acct", 10);
        Assert.That(remaining.Select(i => i.ExternalId), Is.EqualTo(new[] { "pending" }));
        Assert.That(await RowsAsync("outbox"), Is.EqualTo(1));
    }

    [Test]
    public async Task A_Forgotten_Item_Stays_Until_Its_Closing_Notice_Is_Acknowledged_And_Its_Ticket_Is_Never_Told_Twice()
    {
        // Arrange: two tasks synced, then one deleted from the feed.
        await using var feed = await FeedServer.StartAsync();
        var metadata = Service<MetadataCodec>().Encode(new NewAccountRequest("ics", feed.Url, null, null, "Tasks", []).Create(TimeProvider.System));
        var accountId = Service<MetadataCodec>().Decode(metadata).AccountId;
        feed.Body = Calendar(Task("t1", "Keep"), Task("t2", "Remove"));
        var zendesk = new FakeZendesk();
        await DrainAsync(metadata, zendesk);
        feed.Body = Calendar(Task("t1", "Keep"));

        // The pull that sends the closing notice; Zendesk has not acknowledged it yet (no pull since).
        var (status, notice) = await PullAsync(metadata, zendesk.State);
        Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(notice!["external_resources"]!.AsArray(), Has.Count.EqualTo(1));

        // Act + Assert: long past the retention, the item stays while its notice is unacknowledged.
        clock.Advance(TimeSpan.FromDays(40));
        Assert.That((await PruneAsync()).ForgottenItems, Is.Zero, "the closing notice is not acknowledged yet");
        Assert.That((await Service<SourceItemStore>().ListAsync(accountId, includeDeleted: true)).Count, Is.EqualTo(2));

        // Zendesk stores the answer and pulls again: that acknowledges the notice, and the item can go.
        zendesk.Apply(notice!);
        await DrainAsync(metadata, zendesk);
        var pruned = (await PruneAsync()).ForgottenItems;

        // Assert: gone from the store, the live item and the mirror untouched, and nothing is sent again.
        var stored = await Service<SourceItemStore>().ListAsync(accountId, includeDeleted: true);
        Assert.That(pruned, Is.EqualTo(1));
        Assert.That(stored.Select(s => s.Item.Uid), Is.EqualTo(new[] { "t1" }));
        Assert.That(await RowsAsync("pull_mirror"), Is.EqualTo(2), "the mirror of what Zendesk holds is never pruned");
        var (_, after) = await PullAsync(metadata, zendesk.State);
        Assert.That(after!["external_resources"]!.AsArray(), Is.Empty, "the closing notice is not sent twice");

        // The task comes back: the existing ticket hears of it, no second ticket.
        feed.Body = Calendar(Task("t1", "Keep"), Task("t2", "Remove"));
        await DrainAsync(metadata, zendesk);
        Assert.That(zendesk.Tickets.Values.Count(t => t.Subject == "Remove"), Is.EqualTo(1));
        Assert.That(zendesk.Tickets.Values.Single(t => t.Subject == "Remove").Comments, Has.Count.EqualTo(2), "deleted, then back");
        Assert.That(zendesk.Duplicates, Is.Zero);

        // Deleted again and acknowledged at once: kept for the 30-day retention, counted from the deletion.
        feed.Body = Calendar(Task("t1", "Keep"));
        await DrainAsync(metadata, zendesk);
        clock.Advance(TimeSpan.FromDays(29));
        Assert.That((await PruneAsync()).ForgottenItems, Is.Zero, "inside the retention");
        clock.Advance(TimeSpan.FromDays(2));
        Assert.That((await PruneAsync()).ForgottenItems, Is.EqualTo(1));
        Assert.That(zendesk.Duplicates, Is.Zero);
    }

    private async Task<(HttpStatusCode Status, JsonNode? Body)> PullAsync(string metadata, string? state)
    {
        var form = new Dictionary<string, string> { ["metadata"] = metadata };
        if (state is not null)
        {
            form["state"] = state;
        }

        using var response = await client.PostAsync("/pull", new FormUrlEncodedContent(form));
        return (response.StatusCode, JsonNode.Parse(await response.Content.ReadAsStringAsync()));
    }

    private async Task DrainAsync(string metadata, FakeZendesk zendesk)
    {
        for (var i = 0; i < 20; i++)
        {
            var (status, body) = await PullAsync(metadata, zendesk.State);
            Assert.That(status, Is.EqualTo(HttpStatusCode.OK), body?.ToJsonString());
            zendesk.Apply(body!);
            if (body!["external_resources"]!.AsArray().Count == 0)
            {
                return;
            }
        }

        Assert.Fail("the backlog never drained");
    }

    private static string Calendar(params string[] components) =>
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n" + string.Concat(components) + "END:VCALENDAR\r\n";

    private static string Task(string uid, string summary) =>
        $"BEGIN:VTODO\r\nUID:{uid}\r\nDTSTAMP:20261101T000000Z\r\nSUMMARY:{summary}\r\nDUE:20261125T170000Z\r\nSTATUS:NEEDS-ACTION\r\nEND:VTODO\r\n";
}
