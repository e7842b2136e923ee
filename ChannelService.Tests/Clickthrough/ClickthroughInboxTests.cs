using System.Net;
using System.Text.Json.Nodes;
using ChannelService.Inbox;
using ChannelService.Tests.Inbox;
using ChannelService.Tests.Support;
using ChannelService.Tickets;
using ChannelService.Zendesk;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace ChannelService.Tests.Clickthrough;

/// <summary>Clickthrough from an inbox thread's comments: the sender's own URL, else the read-only page of the thread.</summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "Disposed in [TearDown].")]
public sealed class ClickthroughInboxTests
{
    private ServiceFactory factory = null!;
    private HttpClient client = null!;

    [SetUp]
    public void SetUp()
    {
        factory = new ServiceFactory();
        client = factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
    }

    [TearDown]
    public void TearDown()
    {
        client.Dispose();
        factory.Dispose();
    }

    [Test]
    public async Task A_Message_Without_A_Url_Opens_The_Read_Only_Page_Of_Its_Thread()
    {
        var (accountId, secret) = await InboxTestAccounts.CreateAsync(factory);
        var first = await SendAsync(accountId, secret, InboxTestClient.Message("m-1", "order-42", "Where is my parcel? <script>alert(1)</script>"));
        var second = InboxTestClient.Message("m-2", "order-42", "It was due on Monday.");
        second["created_at"] = "2026-11-21T09:30:00Z";
        await SendAsync(accountId, secret, second);
        await DeliverAllAsync(accountId);

        using var response = await client.GetAsync("/clickthrough?external_id=" + Uri.EscapeDataString(first));
        var html = await response.Content.ReadAsStringAsync();

        Assert.Multiple(() =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("text/html"));
            Assert.That(html, Does.Contain("Conversation order-42"));
            Assert.That(html, Does.Contain("Where is my parcel? &lt;script&gt;alert(1)&lt;/script&gt;"), "the sender's text, encoded");
            Assert.That(html, Does.Not.Contain("<script>alert(1)</script>"));
            Assert.That(html, Does.Contain("It was due on Monday."));
            Assert.That(html, Does.Contain("Ada Lovelace, 2026-11-21 09:30 UTC"));
            Assert.That(html, Does.Not.Contain(secret), "no secrets on the page");
        });
    }

    [Test]
    public async Task A_Message_With_A_Url_Leads_To_It_And_An_Agents_Reply_To_The_Thread_Page()
    {
        var (accountId, secret) = await InboxTestAccounts.CreateAsync(factory);
        var message = InboxTestClient.Message("m-1", "order-42", "Where is my parcel?");
        message["url"] = "https://shop.example.com/orders/42";
        var withUrl = await SendAsync(accountId, secret, message);
        var threadId = InboxResources.ThreadId(accountId, "order-42");

        using var toSender = await client.GetAsync("/clickthrough?external_id=" + Uri.EscapeDataString(withUrl));
        using var fromReply = await client.GetAsync("/clickthrough?external_id=" + Uri.EscapeDataString(ExternalIds.Reply(threadId, "zd-req-1")));
        var page = await fromReply.Content.ReadAsStringAsync();

        Assert.Multiple(() =>
        {
            Assert.That(toSender.StatusCode, Is.EqualTo(HttpStatusCode.Redirect));
            Assert.That(toSender.Headers.Location, Is.EqualTo(new Uri("https://shop.example.com/orders/42")));
            Assert.That(fromReply.StatusCode, Is.EqualTo(HttpStatusCode.OK), "a pending message is shown as well");
            Assert.That(page, Does.Contain("Where is my parcel?").And.Contain("href=\"https://shop.example.com/orders/42\""));
        });
    }

    [Test]
    public async Task A_Thread_Whose_Messages_Are_Erased_Or_Belong_To_Another_Account_Answers_404()
    {
        var (accountId, secret) = await InboxTestAccounts.CreateAsync(factory);
        var (otherAccount, _) = await InboxTestAccounts.CreateAsync(factory);
        var id = await SendAsync(accountId, secret, InboxTestClient.Message("m-1", "order-42"));

        using var foreign = await client.GetAsync("/clickthrough?external_id=" + Uri.EscapeDataString(otherAccount + id[id.IndexOf('-', StringComparison.Ordinal)..]));
        await factory.Services.GetRequiredService<Outbox>().PurgeAuthorAsync(accountId, InboxResources.AuthorId(accountId, "u1"));
        using var erased = await client.GetAsync("/clickthrough?external_id=" + Uri.EscapeDataString(id));

        Assert.That(foreign.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That(erased.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That(await erased.Content.ReadAsStringAsync(), Does.Contain("Item not found"));
    }

    private async Task<string> SendAsync(string accountId, string secret, JsonObject message)
    {
        using var response = await client.SendAsync(InboxTestClient.Signed(accountId, secret, message.ToJsonString()));
        var body = await response.Content.ReadAsStringAsync();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Accepted), body);
        return (string)JsonNode.Parse(body)!["external_id"]!;
    }

    private async Task DeliverAllAsync(string accountId)
    {
        var backlog = factory.Services.GetRequiredService<IInboxBacklog>();
        await backlog.AcknowledgeAsync(accountId, [.. (await backlog.TakePendingAsync(accountId, 200)).Select(i => i.Seq)]);
    }
}
