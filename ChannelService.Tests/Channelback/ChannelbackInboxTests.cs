using System.Net;
using System.Text.Json.Nodes;
using ChannelService.Accounts;
using ChannelService.Inbox;
using ChannelService.Tests.Sources.Http;
using ChannelService.Tests.Support;
using ChannelService.Tickets;
using Microsoft.Extensions.DependencyInjection;

namespace ChannelService.Tests.Channelback;

/// <summary>Channelback for an inbox account: the reply goes to the callback once, however often Zendesk retries.</summary>
[TestFixtureSource(typeof(TestStore), nameof(TestStore.Both))]
public sealed class ChannelbackInboxTests(TestStore testStore)
{
    [Test]
    public async Task An_Inbox_Reply_Is_Delivered_Once_With_The_Reply_Id_And_The_File_Links()
    {
        await using var receiver = new LoopbackServer((request, stream, ct) => LoopbackServer.WriteAsync(stream, 200, "{}", ct));
        using var factory = new ServiceFactory(new Dictionary<string, string?> { ["Channel:AllowPrivateNetworkSources"] = "true" }, store: testStore);
        using var client = factory.CreateClient();
        var callback = receiver.Url("/replies");
        var account = new NewAccountRequest("inbox", callback.ToString(), null, null, "Support inbox", []).Create(TimeProvider.System) with { Subdomain = "acme" };
        await factory.Services.GetRequiredService<AccountRegistry>().UpsertAsync(account);
        await factory.Services.GetRequiredService<InboxAccountStore>().RegisterAsync(account.AccountId, callback);
        var threadId = InboxResources.ThreadId(account.AccountId, "order-42");
        var metadata = factory.Services.GetRequiredService<MetadataCodec>().Encode(account);
        FormUrlEncodedContent Form() => new(
        [
            new("message", "It ships today."),
            new("thread_id", threadId),
            new("parent_id", threadId + "-o"),
            new("metadata", metadata),
            new("request_unique_identifier", "zd-req-9"),
            new("file_urls[]", "https://acme.zendesk.com/attachments/token/a/?name=a.pdf"),
            new("file_urls[]", "https://acme.zendesk.com/attachments/token/b/?name=b.png"),
        ]);

        using var first = await client.PostAsync("/channelback", Form());
        using var retry = await client.PostAsync("/channelback", Form());
        var firstText = await first.Content.ReadAsStringAsync();
        var retryText = await retry.Content.ReadAsStringAsync();

        Assert.That(first.StatusCode, Is.EqualTo(HttpStatusCode.OK), firstText);
        Assert.That(retry.StatusCode, Is.EqualTo(HttpStatusCode.OK), retryText);
        ZendeskSchemas.AssertValid("channelback_payload_v2.json", firstText);
        ZendeskSchemas.AssertValid("channelback_payload_v2.json", retryText);
        var externalId = (string)JsonNode.Parse(firstText)!["external_id"]!;
        Assert.That(externalId, Is.EqualTo(ExternalIds.Reply(threadId, "zd-req-9")));
        Assert.That((string)JsonNode.Parse(retryText)!["external_id"]!, Is.EqualTo(externalId));
        var delivered = receiver.Requests.Single();
        var body = JsonNode.Parse(delivered.Body)!;
        Assert.That((string)body["id"]!, Is.EqualTo(externalId));
        Assert.That(body["file_urls"]!.AsArray().Select(u => (string)u!), Is.EqualTo(new[]
        {
            "https://acme.zendesk.com/attachments/token/a/?name=a.pdf", "https://acme.zendesk.com/attachments/token/b/?name=b.png",
        }));
    }
}
