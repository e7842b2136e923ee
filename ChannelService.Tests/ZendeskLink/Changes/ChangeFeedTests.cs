using System.Net;
using System.Text.Json.Nodes;
using ChannelService.Accounts;
using ChannelService.Data;
using ChannelService.Events;
using ChannelService.Tests.Support;
using ChannelService.ZendeskLink;
using ChannelService.ZendeskLink.Changes;
using Dapper;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace ChannelService.Tests.ZendeskLink.Changes;

/// <summary>
/// The change feed end to end over real HTTP on loopback: the service on Kestrel, a fake Zendesk REST API that makes
/// webhooks and triggers, serves tickets and the cursor-based incremental export, and signs deliveries as Zendesk does.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "Disposed in [TearDown].")]
public sealed class ChangeFeedTests
{
    private const string Subdomain = "acme";
    private const long OurTicket = 501;

    private ShiftedClock clock = null!;
    private FakeZendeskApi zendesk = null!;
    private TestLinkTokens tokens = null!;
    private ServiceFactory factory = null!;
    private WebApplicationFactory<Program>? host;
    private HttpClient client = null!;
    private string serviceUrl = "";
    private string accountId = "";
    private DateTimeOffset linkedAt;

    private IServiceProvider Services => host!.Services;

    [SetUp]
    public void SetUp()
    {
        clock = new ShiftedClock();
        zendesk = new FakeZendeskApi(clock);
        tokens = new TestLinkTokens(zendesk.Token);
        tokens.Linked[Subdomain] = true;
        client = new HttpClient();
        accountId = "";
        host = null;
    }

    [TearDown]
    public async Task TearDownAsync()
    {
        client.Dispose();
        host?.Dispose();
        factory?.Dispose();
        await zendesk.DisposeAsync();
    }

    [Test]
    public async Task Linking_Creates_A_Webhook_With_Its_Trigger_And_Unlinking_Removes_Both()
    {
        // Arrange
        Start(new RecordingHandler("status", TicketScope.OwnTickets));

        // Act: told three times at once (the link renewed while the worker retries a set-up), then once more
        var observer = Services.GetRequiredService<ChangeFeedLinks>();
        await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => observer.LinkedAsync(Subdomain, CancellationToken.None)));
        await LinkAsync();

        // Assert: one webhook for triggers at an opaque URL, one trigger notifying it with the ticket id only
        var webhook = zendesk.Webhooks.Values.Single();
        Assert.That(webhook.Endpoint, Does.StartWith("https://channel.example.com/zendesk/webhook/"));
        var linkId = webhook.Endpoint["https://channel.example.com/zendesk/webhook/".Length..];
        Assert.That(linkId, Has.Length.GreaterThanOrEqualTo(32).And.Not.Contains(Subdomain));
        var trigger = zendesk.Triggers.Values.Single();
        var action = trigger.Request["actions"]![0]!;
        Assert.That(action["value"]![0]!.GetValue<string>(), Is.EqualTo(webhook.Id));
        Assert.That(action["value"]![1]!.GetValue<string>(), Is.EqualTo("""{"ticket_id": "{{ticket.id}}"}"""));
        Assert.That(trigger.Request["conditions"]!["any"]!.AsArray().Select(c => c!["value"]!.GetValue<string>()), Is.EquivalentTo(new[] { "Create", "Change" }));

        // The signing secret is stored sealed, never as it came.
        var stored = await ScalarAsync<string>("SELECT signing_secret FROM change_feed_links");
        Assert.That(stored, Does.Not.Contain(webhook.Secret));
        Assert.That(await ScalarAsync<string>("SELECT state FROM change_feed_links"), Is.EqualTo("active"));

        // Act: unlink
        await observer.UnlinkingAsync(Subdomain, CancellationToken.None);

        // Assert
        Assert.That(zendesk.Webhooks, Is.Empty);
        Assert.That(zendesk.Triggers, Is.Empty);
        Assert.That(await ScalarAsync<long>("SELECT COUNT(*) FROM change_feed_links"), Is.Zero);
        using var late = await zendesk.DeliverAsync(client, serviceUrl, webhook, FakeZendeskApi.DeliveryBody(OurTicket));
        Assert.That(late.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
    }

    [Test]
    public async Task A_Webhook_Create_Whose_Answer_Was_Lost_Is_Not_Repeated_Inside_The_Call()
    {
        // Arrange: Zendesk creates the webhook but the answer is a 503 (the shared client repeats failed reads)
        Start(new RecordingHandler("status", TicketScope.OwnTickets));
        zendesk.LoseWebhookCreateAnswersNext = 1;
        var observer = Services.GetRequiredService<ChangeFeedLinks>();

        // Act
        await observer.LinkedAsync(Subdomain, CancellationToken.None);

        // Assert: one POST, no trigger, the failure recorded; the unanswered webhook exists but nothing sends to it
        Assert.That(zendesk.Calls.Count(c => c.Method == "POST" && c.Path == "/api/v2/webhooks"), Is.EqualTo(1));
        Assert.That(zendesk.Triggers, Is.Empty);
        Assert.That(await ScalarAsync<string>("SELECT last_error FROM change_feed_links"), Does.Contain("create the webhook"));

        // Act: a later pass
        await observer.LinkedAsync(Subdomain, CancellationToken.None);

        // Assert: set up, with exactly one trigger, which names the webhook it just created
        Assert.That(await ScalarAsync<string>("SELECT state FROM change_feed_links"), Is.EqualTo("active"));
        var trigger = zendesk.Triggers.Values.Single();
        var named = trigger.Request["actions"]![0]!["value"]![0]!.GetValue<string>();
        Assert.That(await ScalarAsync<string>("SELECT webhook_id FROM change_feed_links"), Is.EqualTo(named));
    }

    [Test]
    public async Task Genuine_Delivery_Is_Reread_Through_The_Api_And_Handed_To_Every_Handler()
    {
        // Arrange
        var status = new RecordingHandler("status", TicketScope.OwnTickets);
        var audit = new RecordingHandler("audit", TicketScope.OwnTickets);
        Start(status, audit);
        var webhook = await LinkAsync();
        var thread = await OwnTicketAsync(OurTicket);
        var updated = Now().AddSeconds(-10);
        var due = new DateTimeOffset(2026, 12, 24, 17, 0, 0, TimeSpan.Zero);
        zendesk.SetTicket(OurTicket, "solved", updated, dueAt: due, externalId: "ext-1", tags: ["calendar", "task_overdue"]);

        // Act
        using var response = await zendesk.DeliverAsync(client, serviceUrl, webhook, FakeZendeskApi.DeliveryBody(OurTicket));

        // Assert
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var change = (await status.WaitForAsync(1)).Single();
        Assert.That(change, Is.EqualTo(change with
        {
            Subdomain = Subdomain,
            TicketId = OurTicket,
            Status = "solved",
            Type = "task",
            DueAt = due,
            AssigneeId = 7001,
            ExternalId = "ext-1",
            ViaChannel = "any_channel",
            ChangedByUs = false,
            Origin = new TicketOrigin(accountId, thread, thread + "-0"),
        }));
        Assert.That(change.UpdatedAt, Is.EqualTo(DateTimeOffset.FromUnixTimeSeconds(updated.ToUnixTimeSeconds())));
        Assert.That(change.Tags, Is.EqualTo(new[] { "calendar", "task_overdue" }));
        Assert.That((await audit.WaitForAsync(1)).Single().TicketId, Is.EqualTo(OurTicket));
        Assert.That(zendesk.ShowCalls.Single().Authorization, Is.EqualTo("Bearer " + zendesk.Token));
    }

    [Test]
    public async Task Forged_Stale_Unsigned_And_Misaddressed_Deliveries_Are_Refused_And_Change_Nothing()
    {
        // Arrange
        var status = new RecordingHandler("status", TicketScope.OwnTickets);
        Start(status);
        var webhook = await LinkAsync();
        tokens.Linked["beta"] = true;
        await LinkAsync("beta");
        var beta = zendesk.Webhooks.Values.Single(w => w.Id != webhook.Id);
        await OwnTicketAsync(OurTicket);
        zendesk.SetTicket(OurTicket, "solved", Now().AddSeconds(-10));
        var body = FakeZendeskApi.DeliveryBody(OurTicket);

        // Act
        var answers = new Dictionary<string, HttpStatusCode>();
        async Task SendAsync(string name, Func<Task<HttpResponseMessage>> send)
        {
            using var response = await send();
            answers[name] = response.StatusCode;
        }

        await SendAsync("forged", () => zendesk.DeliverAsync(client, serviceUrl, webhook, body, secret: "not-the-secret"));
        await SendAsync("stale", () => zendesk.DeliverAsync(client, serviceUrl, webhook, body, timestamp: Now().AddMinutes(-5).AddSeconds(-5)));
        await SendAsync("future", () => zendesk.DeliverAsync(client, serviceUrl, webhook, body, timestamp: Now().AddMinutes(5).AddSeconds(5)));
        await SendAsync("unsigned", () => zendesk.DeliverAsync(client, serviceUrl, webhook, body, sign: false));
        await SendAsync("other link", () => zendesk.DeliverAsync(client, serviceUrl, webhook, body, path: new Uri(beta.Endpoint).AbsolutePath));
        await SendAsync("unknown link", () => zendesk.DeliverAsync(client, serviceUrl, webhook, body, path: "/zendesk/webhook/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"));
        await SendAsync("tampered", async () =>
        {
            // Signed for one ticket, sent naming another.
            var stamp = Now().UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);
            using var request = new HttpRequestMessage(HttpMethod.Post, serviceUrl + new Uri(webhook.Endpoint).AbsolutePath) { Content = new ByteArrayContent(FakeZendeskApi.DeliveryBody(999)) };
            request.Headers.Add(WebhookSignature.TimestampHeader, stamp);
            request.Headers.Add(WebhookSignature.SignatureHeader, WebhookSignature.Sign(webhook.Secret, stamp, body));
            return await client.SendAsync(request);
        });
        await Task.Delay(1500);

        // Assert
        Assert.That(answers, Is.EquivalentTo(new Dictionary<string, HttpStatusCode>
        {
            ["forged"] = HttpStatusCode.Unauthorized,
            ["stale"] = HttpStatusCode.Unauthorized,
            ["future"] = HttpStatusCode.Unauthorized,
            ["unsigned"] = HttpStatusCode.Unauthorized,
            ["other link"] = HttpStatusCode.Unauthorized,
            ["unknown link"] = HttpStatusCode.NotFound,
            ["tampered"] = HttpStatusCode.Unauthorized,
        }));
        Assert.That(await ScalarAsync<long>("SELECT COUNT(*) FROM change_feed_deliveries"), Is.Zero);
        Assert.That(await ScalarAsync<long>("SELECT COUNT(*) FROM change_feed_nudges"), Is.Zero);
        Assert.That(await ScalarAsync<long>("SELECT COUNT(*) FROM change_feed_links WHERE last_delivery_at IS NOT NULL"), Is.Zero);
        Assert.That(zendesk.ShowCalls, Is.Empty);
        Assert.That(status.Calls, Is.Empty);
    }

    [Test]
    public async Task The_Same_Invocation_Id_Twice_Changes_Nothing_Twice()
    {
        // Arrange
        var status = new RecordingHandler("status", TicketScope.OwnTickets);
        Start(status);
        var webhook = await LinkAsync();
        await OwnTicketAsync(OurTicket);
        zendesk.SetTicket(OurTicket, "solved", Now().AddSeconds(-20));
        using var first = await zendesk.DeliverAsync(client, serviceUrl, webhook, FakeZendeskApi.DeliveryBody(OurTicket), invocationId: "4711");
        await status.WaitForAsync(1);
        zendesk.SetTicket(OurTicket, "open", Now().AddSeconds(-10));

        // Act: the same invocation again, freshly signed (a replay within the five minutes, or Zendesk's repeat)
        using var again = await zendesk.DeliverAsync(client, serviceUrl, webhook, FakeZendeskApi.DeliveryBody(OurTicket), invocationId: "4711");
        await Task.Delay(1500);

        // Assert
        Assert.That(first.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(again.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(JsonNode.Parse(await again.Content.ReadAsStringAsync())!["received"]!.GetValue<bool>(), Is.False);
        Assert.That(zendesk.ShowCalls, Has.Count.EqualTo(1));
        Assert.That(status.Calls.Select(c => c.Status), Is.EqualTo(new[] { "solved" }));
    }

    [Test]
    public async Task A_Delivery_About_A_Ticket_That_Is_Not_Ours_Is_Ignored()
    {
        // Arrange
        var status = new RecordingHandler("status", TicketScope.OwnTickets);
        Start(status);
        var webhook = await LinkAsync();
        zendesk.SetTicket(777, "solved", Now().AddSeconds(-10), via: "web");

        // A ticket id we linked once, which Zendesk says is not a Channel Framework ticket (e.g. a forged link event).
        await OwnTicketAsync(502);
        zendesk.SetTicket(502, "solved", Now().AddSeconds(-10), via: "web");

        // Act
        using var stranger = await zendesk.DeliverAsync(client, serviceUrl, webhook, FakeZendeskApi.DeliveryBody(777));
        using var disowned = await zendesk.DeliverAsync(client, serviceUrl, webhook, FakeZendeskApi.DeliveryBody(502));
        await WaitUntilAsync(async () => await ScalarAsync<long>("SELECT COUNT(*) FROM change_feed_nudges") == 0 && zendesk.ShowCalls.Count >= 1);
        await Task.Delay(1000);

        // Assert: the stranger cost no API call; the disowned one was re-read and dropped
        Assert.That(stranger.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(disowned.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(zendesk.ShowCalls.Single().Path, Is.EqualTo("/api/v2/tickets/502"));
        Assert.That(status.Calls, Is.Empty);
        Assert.That(await ScalarAsync<long>("SELECT COUNT(*) FROM change_feed_dispatch"), Is.Zero);
    }

    [Test]
    public async Task A_Lost_Delivery_Is_Recovered_By_Reconciliation_Starting_At_The_Link_Time()
    {
        // Arrange
        var status = new RecordingHandler("status", TicketScope.OwnTickets);
        Start(status);
        await LinkAsync();
        await OwnTicketAsync(400);
        await OwnTicketAsync(OurTicket);
        zendesk.SetTicket(400, "solved", linkedAt.AddHours(-1));
        zendesk.SetTicket(OurTicket, "solved", linkedAt.AddSeconds(5));

        // Act: no delivery at all; the export runs once the link time is more than a minute old
        clock.Advance(TimeSpan.FromMinutes(2));
        var changes = await status.WaitForAsync(1);

        // Assert
        Assert.That(changes.Single().TicketId, Is.EqualTo(OurTicket));
        Assert.That(zendesk.ExportCalls[0].Query, Is.EqualTo($"?start_time={linkedAt.ToUnixTimeSeconds()}"));
        Assert.That(await ScalarAsync<string>("SELECT export_cursor FROM change_feed_links"), Is.Not.Null);
        await Task.Delay(500);
        Assert.That(status.Calls, Has.Count.EqualTo(1));
    }

    [Test]
    public async Task The_Export_Cursor_Moves_Only_With_Queued_Changes_And_Not_Past_A_Failed_Page()
    {
        // Arrange
        var status = new RecordingHandler("status", TicketScope.OwnTickets);
        Start(status);
        await LinkAsync();
        await OwnTicketAsync(OurTicket);
        await OwnTicketAsync(502);
        zendesk.SetTicket(OurTicket, "solved", linkedAt.AddSeconds(5));
        zendesk.SetTicket(502, "solved", linkedAt.AddSeconds(6));
        zendesk.PageSize = 1;
        zendesk.FailCursorExportNext = 1;

        // Act: page one arrives, page two fails
        clock.Advance(TimeSpan.FromMinutes(2));
        await status.WaitForAsync(1);
        await WaitUntilAsync(() => Task.FromResult(zendesk.ExportCalls.Count >= 2));
        await WaitUntilAsync(async () => await ScalarAsync<string?>("SELECT last_error FROM change_feed_links") is not null);

        // Assert: the cursor is page one's
        var afterFirst = await ScalarAsync<string>("SELECT export_cursor FROM change_feed_links");
        Assert.That(afterFirst, Is.EqualTo(Cursor(1)));
        Assert.That(zendesk.ExportCalls[1].Status, Is.EqualTo(500));
        Assert.That(status.Calls.Single().TicketId, Is.EqualTo(OurTicket));

        // Act: the next round repeats page two from the stored cursor
        clock.Advance(TimeSpan.FromMinutes(2));
        var changes = await status.WaitForAsync(2);

        // Assert
        Assert.That(changes.Select(c => c.TicketId), Is.EqualTo(new[] { OurTicket, 502L }));
        Assert.That(zendesk.ExportCalls[2].Query, Is.EqualTo("?cursor=" + Uri.EscapeDataString(Cursor(1))));
        await WaitUntilAsync(async () => await ScalarAsync<string>("SELECT export_cursor FROM change_feed_links") == Cursor(2));
    }

    [Test]
    public async Task A_Failing_Handler_Gets_The_Change_Again_Later_And_Does_Not_Hold_Up_The_Others()
    {
        // Arrange
        var flaky = new RecordingHandler("flaky", TicketScope.OwnTickets) { FailFirst = 1 };
        var steady = new RecordingHandler("steady", TicketScope.OwnTickets);
        Start(flaky, steady);
        var webhook = await LinkAsync();
        await OwnTicketAsync(OurTicket);
        zendesk.SetTicket(OurTicket, "solved", Now().AddSeconds(-10));

        // Act
        using var response = await zendesk.DeliverAsync(client, serviceUrl, webhook, FakeZendeskApi.DeliveryBody(OurTicket));
        await flaky.WaitForAsync(1);
        await steady.WaitForAsync(1);
        Assert.That(await ScalarAsync<long>("SELECT attempts FROM change_feed_dispatch WHERE handler = 'flaky'"), Is.EqualTo(1));
        clock.Advance(TimeSpan.FromSeconds(5));
        var again = await flaky.WaitForAsync(2);

        // Assert
        Assert.That(again[1] with { Tags = again[0].Tags }, Is.EqualTo(again[0]));
        Assert.That(again[1].Tags, Is.EqualTo(again[0].Tags));
        await WaitUntilAsync(async () => await ScalarAsync<long>("SELECT COUNT(*) FROM change_feed_dispatch") == 0);
        Assert.That(steady.Calls, Has.Count.EqualTo(1));
    }

    [Test]
    public async Task A_Delivery_Survives_A_Restart_Between_Receipt_And_Processing()
    {
        // Arrange: the link stops answering right after the delivery is stored, then the service stops
        var status = new RecordingHandler("status", TicketScope.OwnTickets);
        Start(status);
        var webhook = await LinkAsync();
        await OwnTicketAsync(OurTicket);
        zendesk.SetTicket(OurTicket, "solved", Now().AddSeconds(-10));
        tokens.Linked[Subdomain] = false;
        using (var response = await zendesk.DeliverAsync(client, serviceUrl, webhook, FakeZendeskApi.DeliveryBody(OurTicket)))
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        }

        await Task.Delay(500);
        host!.Dispose();
        host = null;
        Assert.That(status.Calls, Is.Empty);

        // Act: a new process with the link working again
        tokens.Linked[Subdomain] = true;
        var afterRestart = new RecordingHandler("status", TicketScope.OwnTickets);
        Start(afterRestart, newFactory: false);
        clock.Advance(TimeSpan.FromMinutes(2));

        // Assert
        var change = (await afterRestart.WaitForAsync(1)).Single();
        Assert.That(change.TicketId, Is.EqualTo(OurTicket));
        Assert.That(change.Status, Is.EqualTo("solved"));
    }

    [Test]
    public async Task The_Export_Stays_Within_Its_Request_Budget_And_Honours_Retry_After()
    {
        // Arrange: two requests a minute, a 429 first, and more pages than the budget allows
        var status = new RecordingHandler("status", TicketScope.OwnTickets);
        Start([status], requestsPerMinute: 2);
        await LinkAsync();
        for (var i = 0; i < 5; i++)
        {
            await OwnTicketAsync(600 + i);
            zendesk.SetTicket(600 + i, "solved", linkedAt.AddSeconds(5 + i));
        }

        zendesk.PageSize = 1;
        zendesk.RateLimitExportNext = 1;
        zendesk.RetryAfterSeconds = 2;

        // Act
        clock.Advance(TimeSpan.FromMinutes(2));
        await status.WaitForAsync(1);
        await Task.Delay(4000);

        // Assert: the 429, then one page after Retry-After, then nothing until the minute has passed
        var calls = zendesk.ExportCalls;
        Assert.That(calls.Select(c => c.Status), Is.EqualTo(new[] { 429, 200 }));
        Assert.That(calls[1].At - calls[0].At, Is.GreaterThanOrEqualTo(TimeSpan.FromSeconds(2)));
        Assert.That(status.Calls, Has.Count.EqualTo(1));
    }

    [Test]
    public async Task A_Version_The_Service_Wrote_Itself_Is_Marked_As_Ours()
    {
        // Arrange
        var status = new RecordingHandler("status", TicketScope.OwnTickets);
        Start(status);
        var webhook = await LinkAsync();
        await OwnTicketAsync(OurTicket);
        var written = DateTimeOffset.FromUnixTimeSeconds(Now().AddSeconds(-20).ToUnixTimeSeconds());
        await Services.GetRequiredService<IOwnTicketWrites>().RecordAsync(Subdomain, OurTicket, written, CancellationToken.None);
        zendesk.SetTicket(OurTicket, "solved", written);

        // Act: our own write's echo, then an agent's change after it
        using (await zendesk.DeliverAsync(client, serviceUrl, webhook, FakeZendeskApi.DeliveryBody(OurTicket)))
        {
        }

        await status.WaitForAsync(1);
        zendesk.SetTicket(OurTicket, "open", written.AddSeconds(5));
        using (await zendesk.DeliverAsync(client, serviceUrl, webhook, FakeZendeskApi.DeliveryBody(OurTicket)))
        {
        }

        var changes = await status.WaitForAsync(2);

        // Assert
        Assert.That(changes.Select(c => (c.Status, c.ChangedByUs)), Is.EqualTo(new[] { ("solved", true), ("open", false) }));
    }

    [Test]
    public async Task An_All_Tickets_Handler_Hears_About_Tickets_Of_Any_Origin_And_An_Own_Tickets_Handler_Does_Not()
    {
        // Arrange
        var status = new RecordingHandler("status", TicketScope.OwnTickets);
        var calendars = new RecordingHandler("calendars", TicketScope.AllTickets);
        Start(status, calendars);
        var webhook = await LinkAsync();
        zendesk.SetTicket(777, "open", Now().AddSeconds(-10), via: "web", dueAt: Now().AddDays(1));

        // Act
        using (await zendesk.DeliverAsync(client, serviceUrl, webhook, FakeZendeskApi.DeliveryBody(777)))
        {
        }

        // Assert
        var change = (await calendars.WaitForAsync(1)).Single();
        Assert.That((change.TicketId, change.IsOurs, change.ViaChannel), Is.EqualTo((777L, false, "web")));
        await Task.Delay(500);
        Assert.That(status.Calls, Is.Empty);
    }

    [Test]
    public async Task The_Dashboard_Shows_The_Last_Delivery_The_Reconciliation_And_What_Waits()
    {
        // Arrange
        var flaky = new RecordingHandler("flaky", TicketScope.OwnTickets) { FailFirst = 100 };
        Start(flaky);
        var webhook = await LinkAsync();
        await OwnTicketAsync(OurTicket);
        zendesk.SetTicket(OurTicket, "solved", linkedAt.AddSeconds(5));
        using (await zendesk.DeliverAsync(client, serviceUrl, webhook, FakeZendeskApi.DeliveryBody(OurTicket)))
        {
        }

        await flaky.WaitForAsync(1);
        clock.Advance(TimeSpan.FromMinutes(2));
        await WaitUntilAsync(async () => await ScalarAsync<string?>("SELECT export_cursor FROM change_feed_links") is not null);

        // Act
        using var request = new HttpRequestMessage(HttpMethod.Get, serviceUrl + "/dashboard");
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Basic", Convert.ToBase64String("ops:dashboard-password"u8.ToArray()));
        using var response = await client.SendAsync(request);
        var html = await response.Content.ReadAsStringAsync();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), html);

        // Assert
        var document = new AngleSharp.Html.Parser.HtmlParser().ParseDocument(html);
        var cells = document.QuerySelectorAll("#change-feed tbody tr td").Select(c => c.TextContent.Trim()).ToList();
        Assert.That(cells[0], Is.EqualTo(Subdomain));
        Assert.That(cells[1], Is.EqualTo("active"));
        Assert.That(cells[2], Does.EndWith("UTC").And.Not.EqualTo("never"));
        Assert.That(cells[3], Does.Contain("ago"));
        Assert.That(cells.Skip(4).Take(3), Is.EqualTo(new[] { "0", "1", "1" }));
        Assert.That(cells[7], Is.Empty);
        Assert.That(html, Does.Not.Contain(webhook.Secret));
    }

    [Test]
    public async Task Without_Any_Handler_A_Delivery_Is_Acknowledged_Without_An_Api_Call()
    {
        // Arrange: the feed is set up on link, but no feature consumes it yet
        Start();
        var webhook = await LinkAsync();
        await OwnTicketAsync(OurTicket);
        zendesk.SetTicket(OurTicket, "solved", Now().AddSeconds(-10));

        // Act
        using var response = await zendesk.DeliverAsync(client, serviceUrl, webhook, FakeZendeskApi.DeliveryBody(OurTicket));
        await Task.Delay(1500);

        // Assert
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await ScalarAsync<long>("SELECT COUNT(*) FROM change_feed_deliveries"), Is.EqualTo(1));
        Assert.That(await ScalarAsync<long>("SELECT COUNT(*) FROM change_feed_nudges"), Is.Zero);
        Assert.That(zendesk.ShowCalls, Is.Empty);
    }

    private static string Cursor(long seq) => Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"seq:{seq}"));

    private DateTimeOffset Now() => clock.GetUtcNow();

    private void Start(params RecordingHandler[] handlers) => Start(handlers, 9, newFactory: true);

    private void Start(RecordingHandler handler, bool newFactory) => Start([handler], 9, newFactory);

    private void Start(RecordingHandler[] handlers, int requestsPerMinute, bool newFactory = true)
    {
        if (newFactory)
        {
            factory = new ServiceFactory(new Dictionary<string, string?>
            {
                ["Channel:ZendeskBaseUrl"] = zendesk.BaseUrl,
                ["Channel:ChangeFeedReconcileInterval"] = "00:00:02",
                ["Channel:ChangeFeedExportRequestsPerMinute"] = requestsPerMinute.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["Channel:DashboardUser"] = "ops",
                ["Channel:DashboardPassword"] = "dashboard-password",
            });
        }

        host = factory.WithWebHostBuilder(b => b.ConfigureTestServices(s =>
        {
            s.AddSingleton<TimeProvider>(clock);
            s.AddSingleton<IZendeskLinkTokens>(tokens);

            // Only the handlers under test: the service's own consumers (the two-way task status, agents' calendars, which
            // wants every ticket) would consume the feed too and change which deliveries cost an API call.
            s.RemoveAll<ITicketChangeHandler>();
            foreach (var handler in handlers)
            {
                s.AddSingleton<ITicketChangeHandler>(handler);
            }
        }));
        host.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        host.StartServer();
        serviceUrl = host.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/');
    }

    /// <summary>Links the subdomain as the OAuth side does: every observer is told. Returns the webhook Zendesk made.</summary>
    private async Task<FakeWebhook> LinkAsync(string subdomain = Subdomain)
    {
        var before = zendesk.Webhooks.Keys.ToHashSet();
        linkedAt = subdomain == Subdomain ? DateTimeOffset.FromUnixTimeSeconds(Now().ToUnixTimeSeconds()) : linkedAt;
        foreach (var observer in Services.GetServices<IZendeskLinkObserver>())
        {
            await observer.LinkedAsync(subdomain, CancellationToken.None);
        }

        return zendesk.Webhooks.Values.FirstOrDefault(w => !before.Contains(w.Id)) ?? zendesk.Webhooks.Values.First();
    }

    /// <summary>An account of the subdomain and a thread of ours that Zendesk reported as this ticket. Returns the thread id.</summary>
    private async Task<string> OwnTicketAsync(long ticketId)
    {
        if (accountId.Length == 0)
        {
            accountId = AccountIds.New();
            await Services.GetRequiredService<AccountRegistry>().UpsertAsync(new AccountMetadata
            {
                AccountId = accountId,
                Kind = SourceKind.CalDavTasks,
                Url = "https://dav.example.com/tasks/",
                CreatedAt = Now(),
                Subdomain = Subdomain,
            });
        }

        var thread = $"{accountId}-{ticketId.ToString(System.Globalization.CultureInfo.InvariantCulture).PadLeft(24, 'a')}";
        await Services.GetRequiredService<TicketLinkStore>().LinkAsync(accountId, thread, ticketId, null, thread + "-0", null, Now());
        return thread;
    }

    private async Task<T> ScalarAsync<T>(string sql)
    {
        var database = host is null ? new Database(Path.Combine(factory.DataDirectory, Database.FileName)) : Services.GetRequiredService<Database>();
        await using var connection = await database.OpenAsync();
        return (await connection.ExecuteScalarAsync<T>(sql))!;
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (!await condition())
        {
            if (DateTime.UtcNow > until)
            {
                Assert.Fail("condition not met within 20 s");
            }

            await Task.Delay(50);
        }
    }
}
