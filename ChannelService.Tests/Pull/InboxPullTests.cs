using System.Net;
using System.Text.Json.Nodes;
using ChannelService.Accounts;
using ChannelService.Inbox;
using ChannelService.Tests.Inbox;
using ChannelService.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace ChannelService.Tests.Pull;

/// <summary>With push off, inbox messages reach Zendesk by the pull, with the same lossless generations as sources.</summary>
[TestFixtureSource(typeof(TestStore), nameof(TestStore.Both))]
public sealed class InboxPullTests(TestStore testStore)
{
    [Test]
    public async Task Inbox_Messages_Are_Pulled_Sent_Again_After_A_Lost_Answer_And_Then_Never_Again()
    {
        await using var factory = new ServiceFactory(store: testStore);
        using var client = factory.CreateClient();
        var account = new NewAccountRequest("inbox", "https://hooks.example.net/replies", null, null, "Support inbox", []).Create(TimeProvider.System);
        await factory.Services.GetRequiredService<AccountRegistry>().UpsertAsync(account);
        var secret = await factory.Services.GetRequiredService<InboxAccountStore>().RegisterAsync(account.AccountId, new Uri("https://hooks.example.net/replies"));
        var metadata = factory.Services.GetRequiredService<MetadataCodec>().Encode(account);
        foreach (var id in new[] { "m1", "m2", "m3" })
        {
            using var accepted = await client.SendAsync(InboxTestClient.Signed(account.AccountId, secret, InboxTestClient.Message(id, "thread-1").ToJsonString()));
            Assert.That(accepted.StatusCode, Is.EqualTo(HttpStatusCode.Accepted));
        }

        async Task<JsonNode> Pull(string? state)
        {
            var form = new Dictionary<string, string> { ["metadata"] = metadata };
            if (state is not null)
            {
                form["state"] = state;
            }

            using var response = await client.PostAsync("/pull", new FormUrlEncodedContent(form));
            var text = await response.Content.ReadAsStringAsync();
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), text);
            ZendeskSchemas.AssertValid("pull_payload.json", text);
            return JsonNode.Parse(text)!;
        }

        static List<string> Ids(JsonNode payload) => payload["external_resources"]!.AsArray().Select(r => (string)r!["external_id"]!).ToList();

        var first = await Pull(null);
        var lostAndRepeated = await Pull(null);
        var acknowledged = await Pull((string)lostAndRepeated["state"]!);

        Assert.That(Ids(first), Has.Count.EqualTo(3));
        Assert.That(Ids(lostAndRepeated), Is.EqualTo(Ids(first)), "an answer Zendesk never got is sent again");
        Assert.That(Ids(acknowledged), Is.Empty, "an acknowledged answer is never sent again");
        Assert.That(first["external_resources"]!.AsArray().Select(r => (string)r!["thread_id"]!).Distinct().Count(), Is.EqualTo(1));
    }
}
