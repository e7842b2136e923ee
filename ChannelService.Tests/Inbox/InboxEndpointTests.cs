using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using ChannelService.Inbox;
using ChannelService.Tests.Support;
using ChannelService.Zendesk;
using Microsoft.Extensions.DependencyInjection;

namespace ChannelService.Tests.Inbox;

/// <summary>POST /inbox/{account id} with push off: verified, validated, stored for the next pull.</summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "Disposed in [TearDown].")]
public sealed class InboxEndpointTests
{
    private ServiceFactory factory = null!;
    private HttpClient client = null!;

    [SetUp]
    public void SetUp()
    {
        factory = new ServiceFactory();
        client = factory.CreateClient();
    }

    [TearDown]
    public void TearDown()
    {
        client.Dispose();
        factory.Dispose();
    }

    [Test]
    public async Task Signed_Message_Is_Accepted_With_Its_External_Id_And_Waits_For_The_Pull()
    {
        var (accountId, secret) = await InboxTestAccounts.CreateAsync(factory);
        var message = InboxTestClient.Message("m-1", "order-42", "Where is my parcel?");
        message["html"] = "<p>Where is my parcel?</p>";
        message["attachments"] = new JsonArray("https://files.example.com/a.png");

        using var response = await client.SendAsync(InboxTestClient.Signed(accountId, secret, message.ToJsonString()));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Accepted), await response.Content.ReadAsStringAsync());
        var externalId = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["external_id"]!.GetValue<string>();
        var backlog = factory.Services.GetRequiredService<IInboxBacklog>();
        var pending = await backlog.TakePendingAsync(accountId, 200);
        Assert.That(pending, Has.Count.EqualTo(1));
        Assert.That(pending[0].ExternalId, Is.EqualTo(externalId));
        ZendeskSchemas.AssertValid("external_resource.json", pending[0].Resource);
        var resource = JsonNode.Parse(pending[0].Resource)!;
        Assert.Multiple(() =>
        {
            Assert.That(resource["message"]!.GetValue<string>(), Is.EqualTo("Where is my parcel?"));
            Assert.That(resource["html_message"]!.GetValue<string>(), Is.EqualTo("<p>Where is my parcel?</p>"));
            Assert.That(resource["thread_id"]!.GetValue<string>(), Does.StartWith(accountId + "-"));
            Assert.That(resource["created_at"]!.GetValue<string>(), Is.EqualTo("2026-11-20T10:00:00Z"));
            Assert.That(resource["file_urls"]![0]!.GetValue<string>(), Is.EqualTo("https://files.example.com/a.png"));
            Assert.That(resource["author"]!["name"]!.GetValue<string>(), Is.EqualTo("Ada Lovelace"));
        });

        await backlog.AcknowledgeAsync(accountId, [pending[0].Seq]);
        Assert.That(await backlog.TakePendingAsync(accountId, 200), Is.Empty, "acknowledged items are not handed out again");
    }

    [Test]
    public async Task The_Same_Message_Sent_Twice_Keeps_Its_External_Id_And_Is_Stored_Once()
    {
        var (accountId, secret) = await InboxTestAccounts.CreateAsync(factory);
        var body = InboxTestClient.Message("m-1", "t").ToJsonString();

        using var first = await client.SendAsync(InboxTestClient.Signed(accountId, secret, body));
        using var second = await client.SendAsync(InboxTestClient.Signed(accountId, secret, body));

        Assert.That(second.StatusCode, Is.EqualTo(HttpStatusCode.Accepted));
        Assert.That(await second.Content.ReadAsStringAsync(), Is.EqualTo(await first.Content.ReadAsStringAsync()));
        Assert.That(await factory.Services.GetRequiredService<IInboxBacklog>().TakePendingAsync(accountId, 200), Has.Count.EqualTo(1));
    }

    [Test]
    public async Task Bad_Signatures_Replays_And_Malformed_Messages_Are_Refused_And_Nothing_Is_Stored()
    {
        var (accountId, secret) = await InboxTestAccounts.CreateAsync(factory);
        var good = InboxTestClient.Message("m-1", "t").ToJsonString();
        var withoutText = InboxTestClient.Message("m-2", "t");
        withoutText.Remove("text");
        var badAttachment = InboxTestClient.Message("m-3", "t");
        badAttachment["attachments"] = new JsonArray("http://insecure.example.com/a.png");

        var cases = new (string Name, HttpRequestMessage Request, HttpStatusCode Status, string? Field)[]
        {
            ("wrong secret", InboxTestClient.Signed(accountId, "not-the-secret", good), HttpStatusCode.Unauthorized, null),
            ("tampered signature", InboxTestClient.Signed(accountId, secret, good, signature: Convert.ToBase64String(new byte[32])), HttpStatusCode.Unauthorized, null),
            ("replay from 10 minutes ago", InboxTestClient.Signed(accountId, secret, good, at: DateTimeOffset.UtcNow.AddMinutes(-10)), HttpStatusCode.Unauthorized, null),
            ("timestamp from the future", InboxTestClient.Signed(accountId, secret, good, at: DateTimeOffset.UtcNow.AddMinutes(6)), HttpStatusCode.Unauthorized, null),
            ("not JSON", InboxTestClient.Signed(accountId, secret, "{not json"), HttpStatusCode.BadRequest, null),
            ("missing text", InboxTestClient.Signed(accountId, secret, withoutText.ToJsonString()), HttpStatusCode.BadRequest, "text"),
            ("http attachment", InboxTestClient.Signed(accountId, secret, badAttachment.ToJsonString()), HttpStatusCode.BadRequest, "attachments"),
            ("too large", InboxTestClient.Signed(accountId, secret, InboxTestClient.Message("m-4", "t", new string('x', InboxController.MaxBodyBytes)).ToJsonString()), HttpStatusCode.RequestEntityTooLarge, null),
            ("unknown account", InboxTestClient.Signed("aaaaaaaaaaaa", secret, good), HttpStatusCode.NotFound, null),
        };

        foreach (var (name, request, status, field) in cases)
        {
            using (request)
            using (var response = await client.SendAsync(request))
            {
                var text = await response.Content.ReadAsStringAsync();
                Assert.That(response.StatusCode, Is.EqualTo(status), $"{name}: {text}");
                if (field is not null)
                {
                    Assert.That(JsonDocument.Parse(text).RootElement.GetProperty("detail").GetString(), Does.Contain(field), name);
                }
            }
        }

        // Without the signature headers at all.
        using var unsigned = await client.PostAsync($"/inbox/{accountId}", new StringContent(good));
        Assert.That(unsigned.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));

        Assert.That(await factory.Services.GetRequiredService<IInboxBacklog>().TakePendingAsync(accountId, 200), Is.Empty);
    }

    [Test]
    public void Signature_Matches_Zendesks_Documented_Rule_Over_Timestamp_Then_Body()
    {
        // HMAC-SHA256 over timestamp + body, base64, key = the secret's UTF-8 bytes (spec §11); computed independently here.
        const string secret = "dGhpc19zZWNyZXRfaXNfZm9yX3Rlc3Rpbmdfb25seQ==";
        const string timestamp = "2021-07-25T10:00:00Z";
        const string body = "{\"say\": \"hello\"}";
        using var hmac = new System.Security.Cryptography.HMACSHA256(System.Text.Encoding.UTF8.GetBytes(secret));
        var expected = Convert.ToBase64String(hmac.ComputeHash(System.Text.Encoding.UTF8.GetBytes(timestamp + body)));

        Assert.That(InboxSignature.Sign(secret, timestamp, System.Text.Encoding.UTF8.GetBytes(body)), Is.EqualTo(expected));
        Assert.That(InboxSignature.Verify(secret, timestamp, expected, System.Text.Encoding.UTF8.GetBytes(body), DateTimeOffset.Parse("2021-07-25T10:04:00Z", System.Globalization.CultureInfo.InvariantCulture)), Is.Null);
        Assert.That(InboxSignature.Verify(secret, timestamp, expected, System.Text.Encoding.UTF8.GetBytes(body + " "), DateTimeOffset.Parse("2021-07-25T10:04:00Z", System.Globalization.CultureInfo.InvariantCulture)), Is.Not.Null);
    }
}
