using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using ChannelService.Accounts;
using ChannelService.Events;
using ChannelService.Tests.Inbox;
using ChannelService.Tests.Support;
using ChannelService.Zendesk;
using Microsoft.Extensions.DependencyInjection;
using static ChannelService.Tests.Events.ZendeskEventJson;

namespace ChannelService.Tests.Events;

/// <summary>POST /events (spec §7) and GET /dashboard: every payload is checked against Zendesk's schema first.</summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "Disposed in [TearDown].")]
[TestFixtureSource(typeof(TestStore), nameof(TestStore.Both))]
public sealed class EventCallbackTests(TestStore testStore)
{
    private ServiceFactory factory = null!;
    private HttpClient client = null!;

    [SetUp]
    public void SetUp()
    {
        factory = new ServiceFactory(new Dictionary<string, string?>
        {
            ["Channel:DashboardUser"] = "ops",
            ["Channel:DashboardPassword"] = "s3cret-dashboard",
        }, store: testStore);
        client = factory.CreateClient();
    }

    [TearDown]
    public void TearDown()
    {
        client.Dispose();
        factory.Dispose();
    }

    private async Task<HttpResponseMessage> PostAsync(params (string Schema, JsonObject Event)[] events)
    {
        foreach (var (schema, e) in events)
        {
            ZendeskSchemas.AssertValid(schema, e.ToJsonString());
        }

        var body = new JsonObject { ["events"] = new JsonArray([.. events.Select(e => (JsonNode)e.Event)]) };
        return await client.PostAsync("/events", new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"));
    }

    private string Mint(AccountMetadata account) => factory.Services.GetRequiredService<MetadataCodec>().Encode(account);

    [Test]
    public async Task Instance_Lifecycle_Registers_Deactivates_And_Purges_An_Account_Of_Ours()
    {
        var account = new NewAccountRequest("ics", "https://example.org/feed.ics", null, null, "Feed", []).Create(TimeProvider.System);
        var registry = factory.Services.GetRequiredService<AccountRegistry>();

        using (var created = await PostAsync(("event_callback_create_integration_instance.json", Event("create_integration_instance", new JsonObject { ["metadata"] = Mint(account) }))))
        {
            Assert.That(created.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        }

        Assert.That((await registry.GetAsync(account.AccountId))?.Subdomain, Is.EqualTo("acme"));

        using (await PostAsync(("event_callback_deactivate_integration_instance.json", Event("deactivate_integration_instance", new JsonObject { ["metadata"] = Mint(account), ["deactivated_by"] = "error", ["deactivating_error"] = "Pull failed 20 times" }))))
        {
        }

        var deactivated = await registry.GetAsync(account.AccountId);
        Assert.That(deactivated?.DeactivatedAt, Is.Not.Null);
        Assert.That(deactivated?.LastError, Is.EqualTo("Pull failed 20 times"));

        using (await PostAsync(("event_callback_destroy_integration_instance.json", Event("destroy_integration_instance", new JsonObject { ["metadata"] = Mint(account) }))))
        {
        }

        Assert.That(await registry.GetAsync(account.AccountId), Is.Null);
        var log = await factory.Services.GetRequiredService<EventLog>().RecentAsync(10);
        Assert.That(log.Select(e => e.TypeId), Is.EqualTo(new[] { "destroy_integration_instance", "deactivate_integration_instance", "create_integration_instance" }));
        Assert.That(log.All(e => e.AccountId == account.AccountId), Is.True);
    }

    [Test]
    public async Task Destructive_Events_Without_Our_Metadata_Are_Logged_And_Delete_Nothing()
    {
        var (accountId, secret) = await InboxTestAccounts.CreateAsync(factory);
        using (await client.SendAsync(InboxTestClient.Signed(accountId, secret, InboxTestClient.Message("m1", "t", authorId: "u1").ToJsonString())))
        {
        }

        var author = ChannelService.Inbox.InboxResources.AuthorId(accountId, "u1");
        var forged = "v1.abcdefgh.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
        using var response = await PostAsync(
            ("event_callback_destroy_integration_instance.json", Event("destroy_integration_instance", new JsonObject { ["metadata"] = forged })),
            ("event_callback_destroy_user.json", Event("destroy_user_identity", new JsonObject { ["author"] = new JsonObject { ["external_id"] = author } })));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await factory.Services.GetRequiredService<AccountRegistry>().GetAsync(accountId), Is.Not.Null);
        Assert.That(await factory.Services.GetRequiredService<IInboxBacklog>().TakePendingAsync(accountId, 10), Has.Count.EqualTo(1));
        var log = await factory.Services.GetRequiredService<EventLog>().RecentAsync(10);
        Assert.That(log.Select(e => e.Summary), Has.All.Contain("nothing"));
    }

    [Test]
    public async Task Destroy_User_Identity_Purges_That_Authors_Messages_Only()
    {
        var (accountId, secret) = await InboxTestAccounts.CreateAsync(factory);
        foreach (var (id, author) in new[] { ("m1", "u1"), ("m2", "u2"), ("m3", "u1") })
        {
            using (await client.SendAsync(InboxTestClient.Signed(accountId, secret, InboxTestClient.Message(id, "t", authorId: author).ToJsonString())))
            {
            }
        }

        var metadata = Mint(new NewAccountRequest("inbox", "https://hooks.example.net/replies", null, null, null, []).Create(TimeProvider.System) with { AccountId = accountId });
        using var response = await PostAsync(("event_callback_destroy_user.json", Event("destroy_user_identity", new JsonObject
        {
            ["author"] = new JsonObject { ["external_id"] = ChannelService.Inbox.InboxResources.AuthorId(accountId, "u1") },
            ["metadata"] = metadata,
        })));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var left = await factory.Services.GetRequiredService<IInboxBacklog>().TakePendingAsync(accountId, 10);
        Assert.That(left.Select(i => JsonNode.Parse(i.Resource)!["author"]!["external_id"]!.GetValue<string>()), Is.EqualTo(new[] { ChannelService.Inbox.InboxResources.AuthorId(accountId, "u2") }));
    }

    [Test]
    public async Task Tickets_Are_Linked_For_Our_Threads_Errors_Shown_Unknown_Types_Ignored_And_Malformed_Bodies_Refused()
    {
        // Arrange: an inbox message of ours, so Zendesk can report the ticket its thread became.
        var (accountId, secret) = await InboxTestAccounts.CreateAsync(factory);
        using (await client.SendAsync(InboxTestClient.Signed(accountId, secret, InboxTestClient.Message("m1", "t").ToJsonString())))
        {
        }

        var threadId = ChannelService.Inbox.InboxResources.ThreadId(accountId, "t");
        var ours = ChannelService.Inbox.InboxResources.MessageId(threadId, "m1");
        var foreignThread = "zzzzzzzzzzzz-" + new string('a', 24);
        var resources = Event("resources_created_from_external_ids", new JsonObject
        {
            ["request_id"] = "r-1",
            ["resource_events"] = new JsonArray(
                new JsonObject { ["type_id"] = "comment_on_new_ticket", ["external_id"] = ours, ["comment_id"] = 11, ["ticket_id"] = 101 },
                new JsonObject { ["type_id"] = "comment_on_existing_ticket", ["external_id"] = foreignThread + "-o", ["comment_id"] = 12, ["ticket_id"] = 102 },
                new JsonObject { ["type_id"] = "comment_on_existing_ticket", ["external_id"] = "abc-c1", ["comment_id"] = 13, ["ticket_id"] = 103 }),
        });
        var pull = Event(
            "pull_request",
            new JsonObject { ["integration_instance_name"] = "Feed", ["url"] = "https://channel.example.com/pull", ["request_id"] = "p-1", ["duplicate_external_ids"] = new JsonArray() },
            error: "The pull endpoint timed out");
        var unknown = Event("create_integration", new JsonObject { ["manifest_url"] = "https://channel.example.com/manifest.json" });
        unknown["type_id"] = "something_new";

        // Act
        using var response = await PostAsync(("event_callback_resources_created_from_external_ids.json", resources), ("event_callback_pull_request.json", pull), ("event_callback_base.json", Event("create_integration", new JsonObject { ["manifest_url"] = "https://channel.example.com/manifest.json" })));
        using var withUnknown = await client.PostAsync("/events", new StringContent(new JsonObject { ["events"] = new JsonArray(unknown) }.ToJsonString(), Encoding.UTF8, "application/json"));
        using var malformed = await client.PostAsync("/events", new StringContent("{\"events\": ", Encoding.UTF8, "application/json"));

        // Assert
        var links = factory.Services.GetRequiredService<TicketLinkStore>();
        Assert.Multiple(async () =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(withUnknown.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(malformed.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(await links.TicketForAsync(threadId), Is.EqualTo(101));
            Assert.That(await links.TicketForAsync(foreignThread), Is.Null, "a thread this service never issued is not linked");
            Assert.That((await factory.Services.GetRequiredService<EventLog>().RecentAsync(10)).Select(e => (e.TypeId, e.Error)), Has.Member(("pull_request", (string?)"The pull endpoint timed out")));
        });

        // The dashboard shows what happened, only with the operator credential.
        using (await PostAsync(("event_callback_pull_request.json", Event("pull_request", new JsonObject { ["integration_instance_name"] = "Feed", ["url"] = "https://channel.example.com/pull", ["request_id"] = "p-2", ["duplicate_external_ids"] = new JsonArray() }, subdomain: "nobody-here"))))
        {
        }

        using var anonymous = await client.GetAsync("/dashboard");
        using var wrong = await client.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/dashboard") { Headers = { Authorization = Basic("ops", "guess") } });
        using var ok = await client.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/dashboard") { Headers = { Authorization = Basic("ops", "s3cret-dashboard") } });
        var html = await ok.Content.ReadAsStringAsync();
        Assert.Multiple(() =>
        {
            Assert.That(anonymous.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
            Assert.That(anonymous.Headers.WwwAuthenticate.ToString(), Does.StartWith("Basic"));
            Assert.That(wrong.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
            Assert.That(ok.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(html, Does.Contain(accountId).And.Contain("pull_request").And.Contain("The pull endpoint timed out").And.Contain("something_new"));
            Assert.That(html, Does.Contain("<td class=\"backlog\">1</td>"));
            Assert.That(html, Does.Contain("id=\"unverified\"").And.Contain("<td>nobody-here</td>"), "an event naming nothing of ours is shown, not stored");
            Assert.That(html, Does.Not.Contain(secret));
        });
    }

    [Test]
    public void The_Schema_Check_Used_Here_Rejects_Events_Missing_Base_Or_Type_Fields()
    {
        var noDeactivatedBy = Event("deactivate_integration_instance", new JsonObject { ["metadata"] = "x" });
        var noSubdomain = Event("create_integration_instance", new JsonObject { ["metadata"] = "x" });
        noSubdomain.Remove("subdomain");
        var httpUrl = Event("pull_request", new JsonObject { ["integration_instance_name"] = "n", ["url"] = "http://example.com/pull", ["request_id"] = "r", ["duplicate_external_ids"] = new JsonArray() });

        Assert.Multiple(() =>
        {
            Assert.That(ZendeskSchemas.Validate("event_callback_deactivate_integration_instance.json", noDeactivatedBy.ToJsonString()), Is.Not.Empty);
            Assert.That(ZendeskSchemas.Validate("event_callback_create_integration_instance.json", noSubdomain.ToJsonString()), Is.Not.Empty);
            Assert.That(ZendeskSchemas.Validate("event_callback_pull_request.json", httpUrl.ToJsonString()), Is.Not.Empty);
        });
    }

    [Test]
    public async Task Dashboard_Is_Not_Found_When_No_Operator_Credential_Is_Configured()
    {
        using var bare = new ServiceFactory(store: testStore);
        using var bareClient = bare.CreateClient();

        using var response = await bareClient.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/dashboard") { Headers = { Authorization = Basic("", "") } });

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
    }

    private static AuthenticationHeaderValue Basic(string user, string password) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));
}
