using System.Net;
using System.Text.Json.Nodes;
using ChannelService.Tests.Inbox;
using ChannelService.Tests.Support;
using ChannelService.Zendesk;
using Microsoft.Extensions.DependencyInjection;

namespace ChannelService.Tests.Zendesk;

/// <summary>Inbox messages pushed to a fake Zendesk on loopback: batching, per-item statuses, 429, 500.</summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "Disposed in [TearDown].")]
[TestFixtureSource(typeof(TestStore), nameof(TestStore.Both))]
public sealed class PushDeliveryTests(TestStore testStore)
{
    private const string Token = "push-token-1";

    private FakeZendesk zendesk = null!;
    private ServiceFactory factory = null!;
    private HttpClient client = null!;

    [SetUp]
    public void SetUp()
    {
        zendesk = new FakeZendesk(Token);
        factory = new ServiceFactory(new Dictionary<string, string?>
        {
            ["Channel:PushClientId"] = "channelservice-tests",
            ["Channel:ZendeskBaseUrl"] = zendesk.BaseUrl,
            ["Channel:PushLinger"] = "00:00:00.300",
        }, store: testStore);
        client = factory.CreateClient();
    }

    [TearDown]
    public async Task TearDown()
    {
        // Null when SetUp failed (a missing fixture): its message is then the only one.
        client?.Dispose();
        if (factory is not null)
        {
            await factory.DisposeAsync();
        }

        if (zendesk is not null)
        {
            await zendesk.DisposeAsync();
        }

        (client, factory, zendesk) = (null!, null!, null!);
    }

    [Test]
    public async Task A_Burst_Of_1000_Messages_Arrives_Exactly_Once_In_Order_Per_Thread_In_At_Most_10_Calls()
    {
        var (accountId, secret) = await InboxTestAccounts.CreateAsync(factory, Token);
        const int Threads = 20;
        const int PerThread = 50;
        var sent = new Dictionary<string, List<string>>();

        // Threads post in parallel, each thread's messages one after another: that order must hold in Zendesk.
        var posted = await Task.WhenAll(Enumerable.Range(0, Threads).Select(async t =>
        {
            var ids = new List<string>();
            for (var m = 0; m < PerThread; m++)
            {
                using var response = await client.SendAsync(InboxTestClient.Signed(accountId, secret, InboxTestClient.Message($"t{t}-m{m}", $"thread-{t}", $"message {m} of thread {t}").ToJsonString()));
                Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Accepted));
                ids.Add(JsonNode.Parse(await response.Content.ReadAsStringAsync())!["external_id"]!.GetValue<string>());
            }

            return ids;
        }));

        Assert.That(await zendesk.WaitForImportsAsync(Threads * PerThread, TimeSpan.FromSeconds(30)), Is.True, $"imported {zendesk.ImportOrder.Count}");
        await Task.Delay(500);

        var threads = zendesk.Threads;
        Assert.Multiple(() =>
        {
            Assert.That(zendesk.ImportOrder, Has.Count.EqualTo(Threads * PerThread).And.Unique);
            Assert.That(zendesk.Calls, Has.Count.LessThanOrEqualTo(10), string.Join(", ", zendesk.Calls.Select(c => c.ExternalIds.Count)));
            Assert.That(zendesk.Calls.All(c => c.ExternalIds.Count <= 200), Is.True);
            Assert.That(zendesk.SchemaErrors, Is.Empty);
            foreach (var ids in posted)
            {
                Assert.That(threads.Values.Single(v => v.Contains(ids[0])), Is.EqualTo(ids), "one thread, in posting order");
            }
        });
    }

    [Test]
    public async Task Rate_Limit_Is_Honoured_With_Retry_After_And_Server_Errors_Back_Off_Then_Everything_Arrives()
    {
        var (accountId, secret) = await InboxTestAccounts.CreateAsync(factory, Token);
        zendesk.RateLimitNext = 1;
        zendesk.RetryAfterSeconds = 2;
        zendesk.FailNext = 1;

        for (var i = 0; i < 5; i++)
        {
            using var response = await client.SendAsync(InboxTestClient.Signed(accountId, secret, InboxTestClient.Message($"m{i}", "t").ToJsonString()));
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Accepted));
        }

        Assert.That(await zendesk.WaitForImportsAsync(5, TimeSpan.FromSeconds(20)), Is.True);
        var calls = zendesk.Calls;
        var limited = calls.First(c => c.StatusCode == 429);
        var next = calls[calls.ToList().IndexOf(limited) + 1];
        Assert.Multiple(() =>
        {
            Assert.That(next.At - limited.At, Is.GreaterThanOrEqualTo(TimeSpan.FromSeconds(1.9)), "waited as Retry-After asked");
            Assert.That(calls.Count(c => c.StatusCode == 500), Is.EqualTo(1));
            Assert.That(calls.All(c => c.Authorization == $"Bearer {Token}"), Is.True);
            Assert.That(zendesk.ImportOrder, Has.Count.EqualTo(5).And.Unique);
        });
    }

    [Test]
    public async Task A_Refused_Item_Is_Parked_With_Zendesks_Description_While_The_Rest_Continue_And_An_Operator_Can_Retry_It()
    {
        var (accountId, secret) = await InboxTestAccounts.CreateAsync(factory, Token);
        var ids = new List<string>();
        factory.Services.GetRequiredService<Outbox>(); // started
        for (var i = 0; i < 6; i++)
        {
            var body = InboxTestClient.Message($"m{i}", "t").ToJsonString();
            var externalId = ChannelService.Inbox.InboxResources.MessageId(ChannelService.Inbox.InboxResources.ThreadId(accountId, "t"), $"m{i}");
            ids.Add(externalId);
            if (i == 2)
            {
                zendesk.FailOnce[externalId] = PushStatusCodes.ProcessingError;
            }

            using var response = await client.SendAsync(InboxTestClient.Signed(accountId, secret, body));
            Assert.That(JsonNode.Parse(await response.Content.ReadAsStringAsync())!["external_id"]!.GetValue<string>(), Is.EqualTo(externalId));
        }

        Assert.That(await zendesk.WaitForImportsAsync(5, TimeSpan.FromSeconds(15)), Is.True);
        await Task.Delay(300);
        var outbox = factory.Services.GetRequiredService<Outbox>();
        var parked = await outbox.ParkedAsync(10);
        Assert.Multiple(() =>
        {
            Assert.That(zendesk.ImportOrder, Is.EqualTo(ids.Where((_, i) => i != 2).ToList()), "the halted items after the failure were sent again");
            Assert.That(parked.Select(p => p.ExternalId), Is.EqualTo(new[] { ids[2] }));
            Assert.That(parked[0].LastError, Does.Contain("processing_error").And.Contain("fake failure"));
        });

        Assert.That(await outbox.RetryParkedAsync(accountId), Is.EqualTo(1));
        outbox.NotifyEnqueued(accountId);
        Assert.That(await zendesk.WaitForImportsAsync(6, TimeSpan.FromSeconds(15)), Is.True);
        Assert.That(zendesk.ImportOrder[^1], Is.EqualTo(ids[2]));
    }

    [Test]
    public async Task A_Slow_Zendesk_Times_Out_And_The_Repeat_Is_Dropped_As_Already_Imported()
    {
        await using var slowFactory = new ServiceFactory(new Dictionary<string, string?>
        {
            ["Channel:PushClientId"] = "channelservice-tests",
            ["Channel:ZendeskBaseUrl"] = zendesk.BaseUrl,
            ["Channel:PushLinger"] = "00:00:00",
            ["Channel:ZendeskTimeout"] = "00:00:00.500",
        }, store: testStore);
        using var slowClient = slowFactory.CreateClient();
        var (accountId, secret) = await InboxTestAccounts.CreateAsync(slowFactory, Token);
        zendesk.Delay = TimeSpan.FromSeconds(1);

        using (await slowClient.SendAsync(InboxTestClient.Signed(accountId, secret, InboxTestClient.Message("m1", "t").ToJsonString())))
        {
        }

        Assert.That(await zendesk.WaitForImportsAsync(1, TimeSpan.FromSeconds(10)), Is.True);
        zendesk.Delay = TimeSpan.Zero;
        var outbox = slowFactory.Services.GetRequiredService<Outbox>();
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (await outbox.PendingCountAsync(accountId) > 0 && DateTime.UtcNow < deadline)
        {
            zendesk.ThrowIfFaulted();
            await Task.Delay(100);
        }

        Assert.Multiple(() =>
        {
            Assert.That(zendesk.Calls.Count, Is.GreaterThanOrEqualTo(2), "the timed-out call was repeated");
            Assert.That(zendesk.Calls.Select(c => c.ExternalIds.Single()).Distinct().Count(), Is.EqualTo(1));
            Assert.That(zendesk.ImportOrder, Has.Count.EqualTo(1), "Zendesk imported it once although it was sent twice");
        });
        Assert.That(await outbox.PendingCountAsync(accountId), Is.Zero, "the already_imported answer completes the item");
    }

    [Test]
    public async Task Without_Push_Client_Id_Nothing_Is_Pushed_And_Messages_Wait_For_The_Pull()
    {
        await using var pullOnly = new ServiceFactory(new Dictionary<string, string?> { ["Channel:ZendeskBaseUrl"] = zendesk.BaseUrl }, store: testStore);
        using var pullClient = pullOnly.CreateClient();
        var (accountId, secret) = await InboxTestAccounts.CreateAsync(pullOnly, Token);

        using (await pullClient.SendAsync(InboxTestClient.Signed(accountId, secret, InboxTestClient.Message("m1", "t").ToJsonString())))
        {
        }

        await Task.Delay(1000);
        Assert.That(zendesk.Calls, Is.Empty);
        Assert.That(await pullOnly.Services.GetRequiredService<IInboxBacklog>().TakePendingAsync(accountId, 200), Has.Count.EqualTo(1));
    }

    [Test]
    public async Task Report_Error_And_Validate_Token_Carry_The_Push_Token_And_Match_Zendesks_Schema()
    {
        var (accountId, _) = await InboxTestAccounts.CreateAsync(factory, Token);
        var credentials = await factory.Services.GetRequiredService<PushCredentialsStore>().GetAsync(accountId);
        var client = factory.Services.GetRequiredService<ZendeskClient>();

        var reported = await client.ReportErrorAsync(credentials!, $"{accountId}-reply-1", "The inbox callback answered HTTP 500.", CancellationToken.None);
        var valid = await client.ValidateTokenAsync(credentials!, CancellationToken.None);
        var invalid = await client.ValidateTokenAsync(credentials! with { Token = "wrong" }, CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(reported.Kind, Is.EqualTo(ZendeskOutcomeKind.Accepted));
            Assert.That(valid.Kind, Is.EqualTo(ZendeskOutcomeKind.Accepted));
            Assert.That(invalid.Kind, Is.EqualTo(ZendeskOutcomeKind.Rejected));
            Assert.That(zendesk.OtherCalls.Select(c => c.Endpoint), Is.EqualTo(new[] { "report_error", "validate_token", "validate_token" }));
            Assert.That(zendesk.SchemaErrors, Is.Empty);
        });
    }
}
