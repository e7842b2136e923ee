using System.Text;
using System.Text.Json.Nodes;
using ChannelService.Inbox;
using ChannelService.Tests.Sources.Http;
using ChannelService.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace ChannelService.Tests.Inbox;

/// <summary>Channelback for inbox accounts: a signed POST to the callback URL through the SSRF-guarded client.</summary>
public sealed class InboxReplySenderTests
{
    private static InboxReply Reply(string threadId) => new()
    {
        ExternalId = threadId + "-r1",
        ThreadId = threadId,
        Text = "Your parcel left our warehouse today.",
        AuthorName = "Grace (Support)",
        CreatedAt = DateTimeOffset.UtcNow,
    };

    [Test]
    public async Task Reply_Is_Posted_Signed_To_The_Callback_With_The_Senders_Thread()
    {
        await using var receiver = new LoopbackServer((request, stream, ct) => LoopbackServer.WriteAsync(stream, 200, "{}", ct));
        using var factory = new ServiceFactory(new Dictionary<string, string?> { ["Channel:AllowPrivateNetworkSources"] = "true" });
        using var client = factory.CreateClient();
        var (accountId, secret) = await InboxTestAccounts.CreateAsync(factory, callbackUrl: receiver.Url("/replies").ToString());
        using (await client.SendAsync(InboxTestClient.Signed(accountId, secret, InboxTestClient.Message("m1", "order-42").ToJsonString())))
        {
        }

        var threadId = InboxResources.ThreadId(accountId, "order-42");
        await factory.Services.GetRequiredService<InboxReplySender>().SendAsync(accountId, Reply(threadId), CancellationToken.None);

        var received = receiver.Requests.Single();
        var body = JsonNode.Parse(received.Body)!;
        Assert.Multiple(() =>
        {
            Assert.That(received.Method, Is.EqualTo("POST"));
            Assert.That(received.Target, Is.EqualTo("/replies"));
            Assert.That(InboxSignature.Verify(secret, received.Header(InboxSignature.TimestampHeader), received.Header(InboxSignature.SignatureHeader), received.Body, DateTimeOffset.UtcNow), Is.Null);
            Assert.That(body["id"]!.GetValue<string>(), Is.EqualTo(threadId + "-r1"));
            Assert.That(body["thread"]!.GetValue<string>(), Is.EqualTo("order-42"));
            Assert.That(body["text"]!.GetValue<string>(), Is.EqualTo("Your parcel left our warehouse today."));
        });
    }

    [Test]
    public async Task A_Refusing_Callback_Or_A_Private_Address_Fails_With_A_Message_For_The_Agent()
    {
        await using var receiver = new LoopbackServer((request, stream, ct) => LoopbackServer.WriteAsync(stream, 500, "boom", ct));
        using var allowed = new ServiceFactory(new Dictionary<string, string?> { ["Channel:AllowPrivateNetworkSources"] = "true" });
        using var guarded = new ServiceFactory();
        var (refusing, _) = await InboxTestAccounts.CreateAsync(allowed, callbackUrl: receiver.Url("/replies").ToString());
        var (privateAddress, _) = await InboxTestAccounts.CreateAsync(guarded, callbackUrl: receiver.Url("/replies").ToString());

        var refused = Assert.ThrowsAsync<InboxReplyException>(() => allowed.Services.GetRequiredService<InboxReplySender>().SendAsync(refusing, Reply(refusing + "-t"), CancellationToken.None));
        var blocked = Assert.ThrowsAsync<InboxReplyException>(() => guarded.Services.GetRequiredService<InboxReplySender>().SendAsync(privateAddress, Reply(privateAddress + "-t"), CancellationToken.None));

        Assert.That(refused!.Message, Does.Contain("HTTP 500"));
        Assert.That(blocked!.Message, Does.Contain("could not be delivered"));
        Assert.That(receiver.Requests, Has.Count.EqualTo(1), "the guarded service never connected");
        await Task.CompletedTask;
    }
}
