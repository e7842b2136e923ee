using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using ChannelService.Accounts;
using ChannelService.Data;
using ChannelService.Events;
using ChannelService.Inbox;
using ChannelService.Tests.Inbox;
using ChannelService.Tests.Support;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using static ChannelService.Tests.Events.ZendeskEventJson;

namespace ChannelService.Tests.Events;

/// <summary>
/// <c>/events</c> is unauthenticated by Zendesk's design (issue 15 §4): events naming nothing of ours cost nothing
/// durable, storage from unauthenticated callers stays bounded whatever they send, and real events still act.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "Disposed in [TearDown].")]
[TestFixtureSource(typeof(TestStore), nameof(TestStore.Both))]
public sealed class EventFloodTests(TestStore testStore)
{
    private const int Forged = 5000;

    private ServiceFactory factory = null!;
    private HttpClient client = null!;

    [SetUp]
    public void SetUp()
    {
        factory = new ServiceFactory(store: testStore);
        client = factory.CreateClient();
    }

    [TearDown]
    public void TearDown()
    {
        client.Dispose();
        factory.Dispose();
    }

    private async Task PostBatchesAsync(IEnumerable<JsonNode> events)
    {
        foreach (var batch in events.Chunk(200))
        {
            using var response = await client.PostAsync("/events", new StringContent(new JsonObject { ["events"] = new JsonArray([.. batch]) }.ToJsonString(), Encoding.UTF8, "application/json"));
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        }
    }

    /// <summary>The database file and its write-ahead log: what a caller could make grow.</summary>
    private long StoredBytes() =>
        Directory.GetFiles(factory.DataDirectory, Database.FileName + "*").Sum(f => new FileInfo(f).Length);

    private async Task<long> RowsAsync(string table)
    {
        await using var connection = await factory.Services.GetRequiredService<Database>().OpenAsync();
        return await connection.ExecuteScalarAsync<long>($"SELECT COUNT(*) FROM {table}");
    }

    /// <summary>Every kind of event a stranger can post: undecryptable metadata, unknown subdomains and types, ids nobody issued, junk.</summary>
    private static IEnumerable<JsonNode> ForgedEvents(int count)
    {
        var random = new Random(15);
        for (var i = 0; i < count; i++)
        {
            var subdomain = $"stranger{i}";
            var garbage = "v1.abcdefgh." + Convert.ToBase64String(Encoding.UTF8.GetBytes(new string('x', 40 + (i % 50))));
            var unit = new string(Enumerable.Range(0, 24).Select(_ => "abcdefghijklmnopqrstuvwxyz234567"[random.Next(32)]).ToArray());
            yield return (i % 7) switch
            {
                0 => Event("destroy_integration_instance", new JsonObject { ["metadata"] = garbage }, subdomain),
                1 => Event("create_integration_instance", new JsonObject { ["metadata"] = garbage }, subdomain),
                2 => Event("resources_created_from_external_ids", new JsonObject
                {
                    ["request_id"] = "r" + i,
                    ["resource_events"] = new JsonArray(new JsonObject { ["type_id"] = "comment_on_new_ticket", ["external_id"] = $"acct{i}-{unit}-o", ["comment_id"] = i, ["ticket_id"] = i }),
                }, subdomain),
                3 => Event("pull_request", new JsonObject { ["request_id"] = "p" + i }, subdomain, error: new string('e', 2000)),
                4 => Event($"made_up_type_{i}", new JsonObject { ["anything"] = new string('y', 300) }, subdomain),
                5 => Event("destroy_user_identity", new JsonObject { ["author"] = new JsonObject { ["external_id"] = "someone" + i } }, subdomain),
                _ => JsonValue.Create(i)!,
            };
        }
    }

    [Test]
    public async Task Thousands_Of_Forged_Events_Store_Nothing_And_Are_Only_Counted()
    {
        // Arrange: an account of ours (subdomain acme) with a message, so there is something a forger could aim at.
        var (accountId, secret) = await InboxTestAccounts.CreateAsync(factory);
        using (await client.SendAsync(InboxTestClient.Signed(accountId, secret, InboxTestClient.Message("m1", "t").ToJsonString())))
        {
        }

        var before = StoredBytes();

        // Act
        await PostBatchesAsync(ForgedEvents(Forged));

        // Assert
        var unverified = factory.Services.GetRequiredService<UnverifiedEvents>().Snapshot();
        Assert.Multiple(async () =>
        {
            Assert.That(await RowsAsync("event_log"), Is.Zero);
            Assert.That(await RowsAsync("ticket_links"), Is.Zero);
            Assert.That(await RowsAsync("service_errors"), Is.Zero);
            Assert.That(StoredBytes() - before, Is.LessThanOrEqualTo(0), "nothing written, so the data folder does not grow");
            Assert.That(unverified.Total, Is.EqualTo(Forged));
            Assert.That(unverified.ByType.Keys, Has.Count.LessThanOrEqualTo(12), "counted under a fixed set of names, whatever type ids a caller invents");
            Assert.That(unverified.Latest, Has.Count.EqualTo(UnverifiedEvents.MaxSamples));
            Assert.That(await factory.Services.GetRequiredService<AccountRegistry>().GetAsync(accountId), Is.Not.Null);
        });
    }

    [Test]
    public async Task Events_Tied_To_Us_Only_By_A_Subdomain_Keep_A_Bounded_Log()
    {
        // Arrange: acme is a subdomain of ours; anybody can name it.
        await InboxTestAccounts.CreateAsync(factory);

        // Act
        await PostBatchesAsync(Enumerable.Range(0, 2 * EventLog.MaxUnprovenEntries).Select(i => (JsonNode)Event("pull_request", new JsonObject { ["request_id"] = "p" + i }, "acme", error: new string('e', 2000))));

        // Assert
        Assert.That(await RowsAsync("event_log"), Is.EqualTo(EventLog.MaxUnprovenEntries));
        var newest = await factory.Services.GetRequiredService<EventLog>().RecentAsync(1);
        Assert.That(newest.Single().Summary, Is.EqualTo($"request p{(2 * EventLog.MaxUnprovenEntries) - 1} failed"));
        Assert.That(newest.Single().Error, Has.Length.EqualTo(1000), "each stored text is cut");
    }

    [Test]
    public async Task Real_Events_Still_Act_After_A_Flood()
    {
        // Arrange
        var (accountId, secret) = await InboxTestAccounts.CreateAsync(factory);
        using (await client.SendAsync(InboxTestClient.Signed(accountId, secret, InboxTestClient.Message("m1", "t").ToJsonString())))
        {
        }

        await PostBatchesAsync(ForgedEvents(1000));
        var threadId = InboxResources.ThreadId(accountId, "t");
        var metadata = factory.Services.GetRequiredService<MetadataCodec>().Encode(
            new NewAccountRequest("inbox", "https://hooks.example.net/replies", null, null, null, []).Create(TimeProvider.System) with { AccountId = accountId });

        // Act: Zendesk reports the message's ticket, then the account is removed.
        await PostBatchesAsync([
            Event("resources_created_from_external_ids", new JsonObject
            {
                ["request_id"] = "r-1",
                ["resource_events"] = new JsonArray(new JsonObject { ["type_id"] = "comment_on_new_ticket", ["external_id"] = InboxResources.MessageId(threadId, "m1"), ["comment_id"] = 7, ["ticket_id"] = 42 }),
            }, "acme"),
            Event("destroy_integration_instance", new JsonObject { ["metadata"] = metadata }, "acme"),
        ]);

        // Assert
        Assert.That(await factory.Services.GetRequiredService<TicketLinkStore>().TicketForAsync(threadId), Is.EqualTo(42));
        Assert.That(await factory.Services.GetRequiredService<AccountRegistry>().GetAsync(accountId), Is.Null);
        var log = await factory.Services.GetRequiredService<EventLog>().RecentAsync(10);
        Assert.That(log.Select(e => e.Summary), Is.EqualTo(new[] { "account and its data purged", "1 external id(s) linked to tickets" }));
    }
}
