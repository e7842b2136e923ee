using System.Net;
using System.Text.Json.Nodes;
using ChannelService.Configuration;
using ChannelService.Zendesk;
using Flurl.Http.Configuration;
using Flurl.Http.Testing;
using Microsoft.Extensions.Options;

namespace ChannelService.Tests.Zendesk;

/// <summary>
/// The Zendesk clients against Flurl's canned answers (<see cref="HttpTest"/>): what goes on the wire and how each
/// answer is classified. The push scenarios run against the real-HTTP fake Zendesk (PushDeliveryTests).
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "Disposed in [TearDown].")]
public sealed class ZendeskClientTests
{
    private const string Token = "secret-push-token-xyz";
    private static readonly DateTimeOffset Now = new(2026, 11, 22, 10, 0, 0, TimeSpan.Zero);
    private static readonly PushCredentials Account = new("acct1", "acme", "push-id-1", Token);

    private HttpTest httpTest = null!;
    private FlurlClientCache clients = null!;

    [SetUp]
    public void SetUp()
    {
        httpTest = new HttpTest();
        clients = new FlurlClientCache();
    }

    [TearDown]
    public void TearDown()
    {
        clients.Clear();
        httpTest.Dispose();
    }

    [Test]
    public async Task Push_Posts_The_Documented_Body_With_The_Bearer_Token_And_Reads_Every_Item_Status()
    {
        httpTest.RespondWithJson(new
        {
            results = new object[]
            {
                new { external_resource_id = "a", status = new { code = "success" } },
                new { external_resource_id = "b", status = new { code = "processing_error", description = "bad" } },
            },
        });

        var outcome = await Client().PushAsync(Account, ["""{"external_id":"a"}""", """{"external_id":"b"}"""], "req-1", CancellationToken.None);

        var call = httpTest.CallLog.Single();
        Assert.Multiple(() =>
        {
            Assert.That(call.Request.Verb, Is.EqualTo(HttpMethod.Post));
            Assert.That(call.Request.Url.ToString(), Is.EqualTo("https://acme.zendesk.com/api/v2/any_channel/push"));
            Assert.That(call.Request.Headers.FirstOrDefault("Authorization"), Is.EqualTo($"Bearer {Token}"));
            Assert.That(call.HttpRequestMessage.Content!.Headers.ContentType!.MediaType, Is.EqualTo("application/json"));
            Assert.That(
                JsonNode.DeepEquals(JsonNode.Parse(call.RequestBody), JsonNode.Parse("""{"instance_push_id":"push-id-1","request_id":"req-1","external_resources":[{"external_id":"a"},{"external_id":"b"}]}""")),
                Is.True,
                call.RequestBody);
            Assert.That(outcome.Kind, Is.EqualTo(ZendeskOutcomeKind.Accepted));
            Assert.That(outcome.Items, Is.EqualTo(new[] { new PushItemStatus("a", "success", null), new PushItemStatus("b", "processing_error", "bad") }));
        });
    }

    [Test]
    public async Task An_Accepted_Push_Without_Readable_Results_Is_Transient()
    {
        httpTest.RespondWith("""{"results":[{"external_resource_id":"a"}]}""");
        var outcome = await Client().PushAsync(Account, ["""{"external_id":"a"}"""], "req-1", CancellationToken.None);
        Assert.That(outcome.Kind, Is.EqualTo(ZendeskOutcomeKind.Transient));
    }

    [TestCase(429, "7", "RateLimited", 7)]
    [TestCase(429, "Sun, 22 Nov 2026 10:02:00 GMT", "RateLimited", 120)]
    [TestCase(429, "", "RateLimited", 60)]
    [TestCase(429, "86400", "RateLimited", 600)]
    [TestCase(500, "", "Transient", null)]
    [TestCase(503, "", "Transient", null)]
    [TestCase(408, "", "Transient", null)]
    [TestCase(401, "", "Rejected", null)]
    [TestCase(422, "", "Rejected", null)]
    public async Task Each_Status_Is_Classified_And_Retry_After_Is_Read(int status, string retryAfter, string kind, int? waitSeconds)
    {
        httpTest.RespondWith("""{"error":"nope"}""", status, headers: retryAfter.Length == 0 ? null : new { Retry_After = retryAfter });

        var outcome = await Client().ValidateTokenAsync(Account, CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(outcome.Kind, Is.EqualTo(Enum.Parse<ZendeskOutcomeKind>(kind)));
            Assert.That(outcome.StatusCode, Is.EqualTo(status));
            Assert.That(outcome.RetryAfter, Is.EqualTo(waitSeconds is { } s ? TimeSpan.FromSeconds(s) : null));
            Assert.That(outcome.Message, Does.StartWith($"Zendesk answered HTTP {status}: {{\"error\":\"nope\"}}"));
        });
    }

    [Test]
    public async Task A_Timeout_Or_A_Network_Failure_Is_Transient_And_Names_Neither_Token_Nor_Url()
    {
        httpTest.SimulateTimeout();
        var timedOut = await Client().ReportErrorAsync(Account, "ext-1", "failed", CancellationToken.None);
        httpTest.SimulateException(new HttpRequestException("connection refused to https://acme.zendesk.com with " + Token));
        var unreachable = await Client().ReportErrorAsync(Account, "ext-1", "failed", CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(timedOut.Kind, Is.EqualTo(ZendeskOutcomeKind.Transient));
            Assert.That(timedOut.Message, Does.Contain("did not answer within 30 s"));
            Assert.That(unreachable.Kind, Is.EqualTo(ZendeskOutcomeKind.Transient));
            Assert.That(unreachable.Message, Is.EqualTo("Zendesk could not be reached (HttpRequestException)."));
            Assert.That(new[] { timedOut.Message, unreachable.Message }, Has.None.Contains(Token).And.None.Contains("zendesk.com"));
        });
    }

    [Test]
    public async Task Cancellation_By_The_Caller_Throws_Rather_Than_Reporting_An_Outcome()
    {
        // Flurl's canned answers ignore the token, so this one goes to the real-HTTP fake, which answers slowly.
        httpTest.AllowRealHttp();
        await using var zendesk = new FakeZendesk(Token) { Delay = TimeSpan.FromSeconds(20) };
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        var started = TimeProvider.System.GetTimestamp();

        Assert.That(async () => await Client(zendesk.BaseUrl).PushAsync(Account, ["""{"external_id":"a"}"""], "r", cancel.Token), Throws.InstanceOf<OperationCanceledException>());
        Assert.That(TimeProvider.System.GetElapsedTime(started), Is.LessThan(TimeSpan.FromSeconds(10)));
    }

    [Test]
    public async Task Report_Error_Cuts_The_Description_To_511_Characters()
    {
        httpTest.RespondWith("{}");
        var outcome = await Client().ReportErrorAsync(Account, "ext-1", new string('x', 600), CancellationToken.None);

        var body = JsonNode.Parse(httpTest.CallLog.Single().RequestBody)!;
        Assert.Multiple(() =>
        {
            Assert.That(outcome.Kind, Is.EqualTo(ZendeskOutcomeKind.Accepted));
            Assert.That(httpTest.CallLog.Single().Request.Url.Path, Is.EqualTo("/api/v2/any_channel/channelback/report_error"));
            Assert.That(body["description"]!.GetValue<string>(), Has.Length.EqualTo(511));
            Assert.That(body["external_id"]!.GetValue<string>(), Is.EqualTo("ext-1"));
        });
    }

    [Test]
    public async Task Path_Pieces_Are_Escaped_One_By_One_And_Query_Values_Encoded()
    {
        httpTest.RespondWith("{}");
        var request = new ZendeskRequest(HttpMethod.Get, ["api", "v2", "users", "a/b?c#d é"]) { Query = [new("cursor", "x&y=z")] };

        await Http().SendAsync("acme", "oauth-token", request, CancellationToken.None);

        var call = httpTest.CallLog.Single();
        Assert.Multiple(() =>
        {
            Assert.That(call.Request.Url.ToString(), Is.EqualTo("https://acme.zendesk.com/api/v2/users/a%2Fb%3Fc%23d%20%C3%A9?cursor=x%26y%3Dz"));
            Assert.That(call.Request.Headers.FirstOrDefault("Authorization"), Is.EqualTo("Bearer oauth-token"));
            Assert.That(call.RequestBody, Is.Null);
        });
    }

    [Test]
    public async Task One_Configured_Client_Per_Base_Url_And_The_Base_Url_Setting_Replaces_Every_Subdomain()
    {
        httpTest.RespondWith("{}").RespondWith("{}").RespondWith("{}").RespondWith("{}");
        var http = Http();
        await http.SendAsync("acme", "t", new ZendeskRequest(HttpMethod.Get, ["a"]), CancellationToken.None);
        await http.SendAsync("ACME", "t", new ZendeskRequest(HttpMethod.Get, ["a"]), CancellationToken.None);
        await http.SendAsync("other", "t", new ZendeskRequest(HttpMethod.Get, ["a"]), CancellationToken.None);
        await Http("http://127.0.0.1:9/proxy/").SendAsync("acme", "t", new ZendeskRequest(HttpMethod.Get, ["a"]), CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(httpTest.CallLog.Select(c => c.Request.Url.ToString()), Is.EqualTo(new[]
            {
                "https://acme.zendesk.com/a", "https://acme.zendesk.com/a", "https://other.zendesk.com/a", "http://127.0.0.1:9/proxy/a",
            }));
            Assert.That(httpTest.CallLog.Select(c => c.Client).Distinct().Count(), Is.EqualTo(3));
            Assert.That(httpTest.CallLog[0].Client.Settings.Timeout, Is.EqualTo(TimeSpan.FromSeconds(30)));
            Assert.That(httpTest.CallLog[0].Client.Settings.Redirects.Enabled, Is.False);
        });
    }

    [TestCase("evil.com/x")]
    [TestCase("a.b")]
    [TestCase("")]
    public void A_Subdomain_That_Is_Not_A_Dns_Label_Is_Refused_Before_Any_Call(string subdomain)
    {
        Assert.That(() => Http().BaseFor(subdomain), Throws.ArgumentException);
        Assert.That(httpTest.CallLog, Is.Empty);
    }

    private ZendeskClient Client(string? baseUrl = null) => new(Http(baseUrl));

    private ZendeskHttp Http(string? baseUrl = null) =>
        new(clients, Options.Create(new ChannelOptions { ZendeskBaseUrl = baseUrl }), new FixedTime(Now));

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
