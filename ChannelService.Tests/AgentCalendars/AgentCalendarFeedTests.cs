using System.Diagnostics;
using System.Globalization;
using System.Net;
using ChannelService.AgentCalendars;
using ChannelService.Calendars;
using ChannelService.Tests.Support;
using ChannelService.Tests.ZendeskLink.Changes;
using ChannelService.ZendeskLink;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace ChannelService.Tests.AgentCalendars;

/// <summary>
/// Agents' calendar feeds end to end over real HTTP on loopback: the service on Kestrel with its real change feed and
/// first sync, the fake Zendesk REST API (tickets, users, search export, incremental export, signed webhook deliveries).
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "Disposed in [TearDown].")]
public sealed partial class AgentCalendarFeedTests
{
    private const string Subdomain = "acme";
    private const long AgentA = 7001;
    private const long AgentB = 7002;
    private const long Requester = 9001;

    private ShiftedClock clock = null!;
    private FakeZendeskApi zendesk = null!;
    private TestLinkTokens tokens = null!;
    private ServiceFactory factory = null!;
    private WebApplicationFactory<Program> host = null!;
    private HttpClient client = null!;
    private string serviceUrl = "";
    private FakeWebhook webhook = null!;
    private DateTimeOffset version;

    [SetUp]
    public void SetUp()
    {
        clock = new ShiftedClock();
        zendesk = new FakeZendeskApi(clock);
        tokens = new TestLinkTokens(zendesk.Token);
        tokens.Linked[Subdomain] = true;
        client = new HttpClient();
        zendesk.AddUser(AgentA, "Agent Anna", "anna@acme.test");
        zendesk.AddUser(AgentB, "Agent Bert", "bert@acme.test", role: "admin");
        zendesk.AddUser(7003, "Former Agent", "gone@acme.test", active: false);
        zendesk.AddUser(Requester, "Jane Requester, Esq.", "jane@example.com", role: "end-user");
        version = clock.GetUtcNow().AddMinutes(-30);
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
    public async Task Open_Task_Tickets_From_The_First_Sync_Appear_In_Their_Assignees_Feed_Only()
    {
        // Arrange: tickets that exist before the link
        var due = new DateTimeOffset(2026, 12, 24, 12, 0, 0, TimeSpan.Zero);
        SetTask(1234, due, AgentA, subject: "Call back; about the invoice, part 2", priority: "high");
        SetTask(1235, due.AddDays(1), AgentB);
        SetTask(1236, null, AgentA);                                   // no due date
        SetTask(1237, due, null);                                      // unassigned
        SetTask(1238, due, AgentA, type: "question");                  // not a task
        SetTask(1239, due, AgentA, status: "solved");                  // solved
        Start();

        // Act
        await LinkAndSyncAsync();
        var (urlA, urlB) = await FeedUrlsAsync();
        using var response = await client.GetAsync(Local(urlA));
        var body = await response.Content.ReadAsByteArrayAsync();

        // Assert
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(response.Content.Headers.ContentType!.ToString(), Is.EqualTo("text/calendar; charset=utf-8"));
        Assert.That(response.Headers.ETag!.IsWeak, Is.False);
        var events = Events(body);
        var vevent = events.Single();
        Assert.That(Text(vevent, "UID"), Is.EqualTo("zendesk-acme-ticket-1234@channelservice"));
        Assert.That(Text(vevent, "SUMMARY"), Is.EqualTo("#1234 Call back; about the invoice, part 2"));
        Assert.That(vevent.GetProperty("DTSTART")!.RawValue, Is.EqualTo("20261224T120000Z"));
        Assert.That(vevent.GetProperty("DTEND")!.RawValue, Is.EqualTo("20261224T123000Z"));
        Assert.That(vevent.GetProperty("SEQUENCE")!.RawValue, Is.EqualTo("0"));
        Assert.That(vevent.GetProperty("URL")!.RawValue, Is.EqualTo("https://acme.zendesk.com/agent/tickets/1234"));
        Assert.That(Text(vevent, "DESCRIPTION"), Is.EqualTo("Status: open\nPriority: high\nRequester: Jane Requester, Esq.\nhttps://acme.zendesk.com/agent/tickets/1234"));
        var calendar = IcalReader.Parse(body).Roots.Single();
        Assert.That(calendar.GetProperty("REFRESH-INTERVAL")!.RawValue, Is.EqualTo("PT15M"));
        Assert.That(calendar.GetProperty("X-PUBLISHED-TTL")!.RawValue, Is.EqualTo("PT15M"));
        Assert.That((await EventsOfAsync(urlB)).Select(e => Text(e, "UID")), Is.EqualTo(new[] { "zendesk-acme-ticket-1235@channelservice" }));
        Assert.That(zendesk.SearchCalls.Single().Query, Does.Contain("filter%5Btype%5D=ticket").Or.Contain("filter[type]=ticket"));
    }

    [Test]
    public async Task Due_Date_Moves_Bump_The_Sequence_And_Reassignment_Moves_The_Event_To_The_New_Assignee()
    {
        // Arrange
        var due = new DateTimeOffset(2026, 12, 24, 12, 0, 0, TimeSpan.Zero);
        SetTask(1234, due, AgentA);
        Start();
        await LinkAndSyncAsync();
        var (urlA, urlB) = await FeedUrlsAsync();

        // Act: the due date moves
        SetTask(1234, due.AddDays(2), AgentA);
        await DeliverAsync(1234);
        var moved = await WaitForAsync(urlA, events => events.Count == 1 && events[0].GetProperty("SEQUENCE")!.RawValue == "1");

        // Assert
        Assert.That(moved[0].GetProperty("DTSTART")!.RawValue, Is.EqualTo("20261226T120000Z"));
        Assert.That(moved[0].GetProperty("LAST-MODIFIED")!.RawValue, Is.EqualTo(Utc(version)));

        // Act: reassigned to B
        SetTask(1234, due.AddDays(2), AgentB);
        await DeliverAsync(1234);
        await WaitForAsync(urlA, events => events.Count == 0);
        var atB = await WaitForAsync(urlB, events => events.Count == 1);

        // Assert: the same event (UID), newer
        Assert.That(Text(atB[0], "UID"), Is.EqualTo("zendesk-acme-ticket-1234@channelservice"));
        Assert.That(int.Parse(atB[0].GetProperty("SEQUENCE")!.RawValue, CultureInfo.InvariantCulture), Is.EqualTo(2));
    }

    [TestCase("solved")]
    [TestCase("type changed")]
    [TestCase("due date removed")]
    [TestCase("unassigned")]
    [TestCase("closed")]
    public async Task A_Task_That_Meets_The_Delete_Rule_Leaves_The_Feed(string change)
    {
        // Arrange
        var due = new DateTimeOffset(2026, 12, 24, 12, 0, 0, TimeSpan.Zero);
        SetTask(1234, due, AgentA);
        SetTask(1240, due, AgentA);
        Start();
        await LinkAndSyncAsync();
        var (urlA, _) = await FeedUrlsAsync();
        Assert.That(await EventsOfAsync(urlA), Has.Count.EqualTo(2));

        // Act
        switch (change)
        {
            case "solved":
                SetTask(1234, due, AgentA, status: "solved");
                break;
            case "closed":
                SetTask(1234, due, AgentA, status: "closed");
                break;
            case "type changed":
                SetTask(1234, due, AgentA, type: "incident");
                break;
            case "due date removed":
                SetTask(1234, null, AgentA);
                break;
            default:
                SetTask(1234, due, null);
                break;
        }

        await DeliverAsync(1234);

        // Assert
        var left = await WaitForAsync(urlA, events => events.Count == 1);
        Assert.That(Text(left[0], "UID"), Is.EqualTo("zendesk-acme-ticket-1240@channelservice"));
    }

    [Test]
    public async Task An_Unchanged_Feed_Answers_304_And_A_Changed_One_A_New_ETag()
    {
        // Arrange
        var due = new DateTimeOffset(2026, 12, 24, 12, 0, 0, TimeSpan.Zero);
        SetTask(1234, due, AgentA);
        Start();
        await LinkAndSyncAsync();
        var (urlA, _) = await FeedUrlsAsync();
        using var first = await client.GetAsync(Local(urlA));
        var etag = first.Headers.ETag!;

        // Act
        using var again = new HttpRequestMessage(HttpMethod.Get, Local(urlA));
        again.Headers.IfNoneMatch.Add(etag);
        using var unchanged = await client.SendAsync(again);
        SetTask(1234, due.AddHours(1), AgentA);
        await DeliverAsync(1234);
        await WaitForAsync(urlA, events => events[0].GetProperty("SEQUENCE")!.RawValue == "1");
        using var afterChange = new HttpRequestMessage(HttpMethod.Get, Local(urlA));
        afterChange.Headers.IfNoneMatch.Add(etag);
        using var changed = await client.SendAsync(afterChange);

        // Assert
        Assert.That(unchanged.StatusCode, Is.EqualTo(HttpStatusCode.NotModified));
        Assert.That(await unchanged.Content.ReadAsByteArrayAsync(), Is.Empty);
        Assert.That(unchanged.Headers.ETag, Is.EqualTo(etag));
        Assert.That(changed.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(changed.Headers.ETag, Is.Not.EqualTo(etag));
    }

    [Test]
    public async Task A_Rotated_Or_Revoked_Token_Answers_The_Same_Plain_404_As_An_Unknown_One()
    {
        // Arrange
        SetTask(1234, new DateTimeOffset(2026, 12, 24, 12, 0, 0, TimeSpan.Zero), AgentA);
        Start();
        await LinkAndSyncAsync();
        var (oldUrl, urlB) = await FeedUrlsAsync();
        var calendars = host.Services.GetRequiredService<AgentCalendarService>();

        // Act
        var newUrl = await calendars.RotateAsync(Subdomain, AgentA, CancellationToken.None);
        using var old = await client.GetAsync(Local(oldUrl));
        using var fresh = await client.GetAsync(Local(newUrl!));
        await calendars.RevokeAsync(Subdomain, AgentB, CancellationToken.None);
        using var revoked = await client.GetAsync(Local(urlB));
        using var unknown = await client.GetAsync(serviceUrl + "/calendars/" + new string('A', AgentCalendarTokens.TokenLength) + ".ics");
        using var malformed = await client.GetAsync(serviceUrl + "/calendars/x.ics");
        var listed = await calendars.AgentsAsync(Subdomain, CancellationToken.None);

        // Assert
        Assert.That(newUrl, Is.Not.EqualTo(oldUrl));
        Assert.That(fresh.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(Events(await fresh.Content.ReadAsByteArrayAsync()), Has.Count.EqualTo(1));
        var notFound = await unknown.Content.ReadAsStringAsync();
        foreach (var response in new[] { old, revoked, unknown, malformed })
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
            Assert.That(await response.Content.ReadAsStringAsync(), Is.EqualTo(notFound));
        }

        Assert.That(listed.Agents.Single(a => a.AgentId == AgentA).FeedUrl, Is.EqualTo(newUrl));
        Assert.That(listed.Agents.Single(a => a.AgentId == AgentB).Revoked, Is.True);
    }

    [Test]
    public async Task Agents_Are_Listed_From_The_Api_With_Unguessable_Urls_And_No_Token_Is_Stored()
    {
        // Arrange
        Start();
        await LinkAndSyncAsync();

        // Act
        var listing = await host.Services.GetRequiredService<AgentCalendarService>().AgentsAsync(Subdomain, CancellationToken.None);
        var again = await host.Services.GetRequiredService<AgentCalendarService>().AgentsAsync(Subdomain, CancellationToken.None);

        // Assert: agents and admins, active only, the end user not
        Assert.That(listing.Problem, Is.Null);
        Assert.That(listing.Agents.Select(a => (a.AgentId, a.Email)), Is.EqualTo(new[] { (AgentA, "anna@acme.test"), (AgentB, "bert@acme.test") }));
        Assert.That(again.Agents.Select(a => a.FeedUrl), Is.EqualTo(listing.Agents.Select(a => a.FeedUrl)));
        var token = listing.Agents[0].FeedUrl!["https://channel.example.com/calendars/".Length..^".ics".Length];
        Assert.That(token, Has.Length.EqualTo(43));
        Assert.That(listing.Agents[0].FeedUrl, Does.StartWith("https://channel.example.com/calendars/"));
        var database = host.Services.GetRequiredService<ChannelService.Data.Database>();
        await using var connection = await database.OpenAsync();
        var stored = string.Join("|", await Dapper.SqlMapper.QueryAsync<string>(connection, "SELECT token_hash || generation || key_id FROM agent_calendar_tokens"));
        Assert.That(stored, Does.Not.Contain(token));
        Assert.That(stored, Does.Contain(AgentCalendarTokens.Hash(token)));
    }

    [Test]
    public async Task The_Feed_Parses_In_Debians_Python_Icalendar_With_Every_Uid_Unique()
    {
        // Arrange: many tasks with text that needs escaping and folding
        var due = new DateTimeOffset(2026, 12, 24, 12, 0, 0, TimeSpan.Zero);
        for (var i = 0; i < 40; i++)
        {
            SetTask(2000 + i, due.AddHours(i), AgentA, subject: $"Größe, Preis; \"Angebot\" \\ Nummer {i} — {new string('x', 90)}");
        }

        Start();
        await LinkAndSyncAsync();
        var (urlA, _) = await FeedUrlsAsync();
        var body = await client.GetByteArrayAsync(Local(urlA));
        var file = Path.Combine(factory.DataDirectory, "feed.ics");
        await File.WriteAllBytesAsync(file, body);

        // Act: Debian's python3-icalendar (not a pip one on PATH) reads it back
        var script = """
            import sys, icalendar
            cal = icalendar.Calendar.from_ical(open(sys.argv[1], 'rb').read())
            uids = [str(e['UID']) for e in cal.walk('VEVENT')]
            assert len(uids) == len(set(uids)), 'duplicate UID'
            first = [e for e in cal.walk('VEVENT') if str(e['UID']) == 'zendesk-acme-ticket-2007@channelservice'][0]
            print(len(uids))
            print(str(first['SUMMARY']))
            print(first.decoded('DTSTART').isoformat())
            """;
        var psi = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true, StandardOutputEncoding = System.Text.Encoding.UTF8 };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(script);
        psi.ArgumentList.Add(file);
        psi.Environment["PYTHONIOENCODING"] = "utf-8";
        using var python = Process.Start(psi)!;
        var output = await python.StandardOutput.ReadToEndAsync();
        var errors = await python.StandardError.ReadToEndAsync();
        await python.WaitForExitAsync();

        // Assert
        Assert.That(python.ExitCode, Is.Zero, errors);
        var lines = output.TrimEnd().Split('\n');
        Assert.That(lines[0], Is.EqualTo("40"));
        Assert.That(lines[1], Is.EqualTo($"#2007 Größe, Preis; \"Angebot\" \\ Nummer 7 — {new string('x', 90)}"));
        Assert.That(lines[2], Is.EqualTo("2026-12-24T19:00:00+00:00"));
        var ours = Events(body);
        Assert.That(ours.Select(e => Text(e, "UID")).Distinct().Count(), Is.EqualTo(40));
        Assert.That(System.Text.Encoding.UTF8.GetString(body).Split("\r\n").Max(l => System.Text.Encoding.UTF8.GetByteCount(l)), Is.LessThanOrEqualTo(75));
    }

    [Test]
    public async Task The_All_Day_Option_Writes_Date_Events_On_The_Due_Day()
    {
        // Arrange
        SetTask(1234, new DateTimeOffset(2026, 12, 24, 11, 0, 0, TimeSpan.Zero), AgentA);
        Start(new Dictionary<string, string?> { ["Channel:AgentCalendarAllDay"] = "true", ["Channel:AgentCalendarRefreshInterval"] = "01:00:00" });
        await LinkAndSyncAsync();
        var (urlA, _) = await FeedUrlsAsync();

        // Act
        var body = await client.GetByteArrayAsync(Local(urlA));

        // Assert
        var vevent = Events(body).Single();
        Assert.That(IcalWriter.FormatProperty(vevent.GetProperty("DTSTART")!), Is.EqualTo("DTSTART;VALUE=DATE:20261224"));
        Assert.That(IcalWriter.FormatProperty(vevent.GetProperty("DTEND")!), Is.EqualTo("DTEND;VALUE=DATE:20261225"));
        Assert.That(IcalReader.Parse(body).Roots.Single().GetProperty("X-PUBLISHED-TTL")!.RawValue, Is.EqualTo("PT1H"));
    }

    [TestCase("en-US", "Calendars for agents", "Rotate")]
    [TestCase("de", "Kalender für Agenten", "Neue Adresse")]
    [TestCase("es", "Calendarios para agentes", "Nueva dirección")]
    public async Task The_Admin_Ui_Lists_The_Agents_With_Their_Feed_Urls_And_Rotates_One(string locale, string title, string rotateLabel)
    {
        // Arrange
        SetTask(1234, new DateTimeOffset(2026, 12, 24, 12, 0, 0, TimeSpan.Zero), AgentA);
        Start();
        await LinkAndSyncAsync();
        var (urlA, urlB) = await FeedUrlsAsync();

        // Act: Zendesk opens the admin UI for the subdomain
        var fields = ChannelService.Tests.Admin.AdminDriver.ZendeskFields(locale: locale);
        using var page = await client.PostAsync(serviceUrl + "/admin", new FormUrlEncodedContent(fields));
        var document = new AngleSharp.Html.Parser.HtmlParser().ParseDocument(await page.Content.ReadAsStringAsync());
        var section = document.QuerySelector("#agent-calendars");

        // Assert: every agent with their own address and task count
        Assert.That(page.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(section, Is.Not.Null, "the section is shown for a linked subdomain");
        Assert.That(section!.QuerySelector("h2")!.TextContent, Is.EqualTo(title));
        var rows = section.QuerySelectorAll("tbody tr").ToList();
        Assert.That(rows.Select(r => r.GetAttribute("data-agent-id")), Is.EqualTo(new[] { "7001", "7002" }));
        Assert.That(rows.Select(r => r.QuerySelector("input.agent-feed-url")!.GetAttribute("value")), Is.EqualTo(new[] { urlA, urlB }));
        Assert.That(rows[0].QuerySelectorAll("td")[2].TextContent.Trim(), Is.EqualTo("1"));
        Assert.That(rows[0].QuerySelector("form.agent-feed-rotate button")!.TextContent, Is.EqualTo(rotateLabel));

        // Act: the rotate button's post
        var form = rows[0].QuerySelector("form.agent-feed-rotate")!;
        var post = form.QuerySelectorAll("input[type=hidden]").ToDictionary(i => i.GetAttribute("name")!, i => i.GetAttribute("value")!);
        using var rotated = await client.PostAsync(serviceUrl + form.GetAttribute("action"), new FormUrlEncodedContent(post));
        var answer = System.Text.Json.Nodes.JsonNode.Parse(await rotated.Content.ReadAsStringAsync())!;
        using var forged = await client.PostAsync(serviceUrl + "/admin/agent-calendars/rotate", new FormUrlEncodedContent(new Dictionary<string, string> { ["flow"] = "forged", ["agent_id"] = "7001" }));
        var otherAgent = new Dictionary<string, string>(post) { ["agent_id"] = "12345" };
        using var stranger = await client.PostAsync(serviceUrl + "/admin/agent-calendars/rotate", new FormUrlEncodedContent(otherAgent));

        // Assert
        Assert.That(rotated.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var newUrl = (string)answer["feed_url"]!;
        Assert.That(newUrl, Does.StartWith("https://channel.example.com/calendars/").And.Not.EqualTo(urlA));
        Assert.That((await client.GetAsync(Local(urlA))).StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That(await EventsOfAsync(newUrl), Has.Count.EqualTo(1));
        Assert.That(forged.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(stranger.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
    }

    [Test]
    public async Task The_Dashboard_Shows_Each_Agents_Tasks_And_Last_Fetch_And_The_First_Sync()
    {
        // Arrange
        SetTask(1234, new DateTimeOffset(2026, 12, 24, 12, 0, 0, TimeSpan.Zero), AgentA);
        SetTask(1235, new DateTimeOffset(2026, 12, 25, 12, 0, 0, TimeSpan.Zero), AgentA);
        Start(new Dictionary<string, string?> { ["Channel:DashboardUser"] = "ops", ["Channel:DashboardPassword"] = "dashboard-password" });
        await LinkAndSyncAsync();
        var (urlA, _) = await FeedUrlsAsync();
        await client.GetByteArrayAsync(Local(urlA));

        // Act
        using var request = new HttpRequestMessage(HttpMethod.Get, serviceUrl + "/dashboard");
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Basic", Convert.ToBase64String("ops:dashboard-password"u8.ToArray()));
        using var response = await client.SendAsync(request);
        var document = new AngleSharp.Html.Parser.HtmlParser().ParseDocument(await response.Content.ReadAsStringAsync());

        // Assert
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var cells = document.QuerySelectorAll("#agent-calendars tbody tr").Select(r => r.QuerySelectorAll("td").Select(c => c.TextContent).ToArray()).ToList();
        Assert.That(cells.Select(c => (c[0], c[1], c[2], c[3], c[5])), Is.EqualTo(new[] { ("acme", "7001", "anna@acme.test", "2", "active"), ("acme", "7002", "bert@acme.test", "0", "active") }));
        Assert.That(cells[0][4], Does.EndWith("ago)"));
        Assert.That(cells[1][4], Is.EqualTo("never"));
        var sync = document.QuerySelector("#agent-calendar-syncs tbody tr")!.QuerySelectorAll("td").Select(c => c.TextContent).ToArray();
        Assert.That((sync[0], sync[2]), Is.EqualTo(("acme", "2")));
        Assert.That(sync[1], Does.EndWith(" UTC"));
    }

    private void SetTask(long id, DateTimeOffset? due, long? assignee, string status = "open", string type = "task", string? subject = null, string? priority = "normal")
    {
        version = version.AddSeconds(1);
        zendesk.SetTicket(id, status, version, via: "web", type: type, dueAt: due, assigneeId: assignee, subject: subject ?? $"Task {id}", priority: priority, requesterId: Requester);
    }

    private void Start(Dictionary<string, string?>? settings = null)
    {
        var configuration = new Dictionary<string, string?>
        {
            ["Channel:ZendeskBaseUrl"] = zendesk.BaseUrl,
            ["Channel:ChangeFeedReconcileInterval"] = "00:00:02",
        };
        foreach (var (key, value) in settings ?? [])
        {
            configuration[key] = value;
        }

        factory = new ServiceFactory(configuration);
        host = factory.WithWebHostBuilder(b => b.ConfigureTestServices(s =>
        {
            s.AddSingleton<TimeProvider>(clock);
            s.AddSingleton<IZendeskLinkTokens>(tokens);
        }));
        host.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        host.StartServer();
        serviceUrl = host.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/');
    }

    /// <summary>Links the subdomain as the OAuth side does (every observer told) and waits for the first sync to finish.</summary>
    private async Task LinkAndSyncAsync()
    {
        foreach (var observer in host.Services.GetServices<IZendeskLinkObserver>())
        {
            await observer.LinkedAsync(Subdomain, CancellationToken.None);
        }

        webhook = zendesk.Webhooks.Values.Single();
        var store = host.Services.GetRequiredService<AgentCalendarStore>();
        var until = DateTime.UtcNow.AddSeconds(20);
        while ((await store.SyncAsync(Subdomain))?.SyncedAt is null)
        {
            Assert.That(DateTime.UtcNow, Is.LessThan(until), "the first sync did not finish within 20 s");
            await Task.Delay(50);
        }
    }

    private async Task DeliverAsync(long ticketId)
    {
        using var response = await zendesk.DeliverAsync(client, serviceUrl, webhook, FakeZendeskApi.DeliveryBody(ticketId));
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    private async Task<(string A, string B)> FeedUrlsAsync()
    {
        var listing = await host.Services.GetRequiredService<AgentCalendarService>().AgentsAsync(Subdomain, CancellationToken.None);
        return (listing.Agents.Single(a => a.AgentId == AgentA).FeedUrl!, listing.Agents.Single(a => a.AgentId == AgentB).FeedUrl!);
    }

    /// <summary>The public feed URL on this test's loopback service.</summary>
    private string Local(string feedUrl) => serviceUrl + new Uri(feedUrl).AbsolutePath;

    private async Task<List<CalendarComponent>> EventsOfAsync(string feedUrl) => Events(await client.GetByteArrayAsync(Local(feedUrl)));

    private async Task<List<CalendarComponent>> WaitForAsync(string feedUrl, Func<List<CalendarComponent>, bool> condition)
    {
        var until = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            var events = await EventsOfAsync(feedUrl);
            if (condition(events))
            {
                return events;
            }

            Assert.That(DateTime.UtcNow, Is.LessThan(until), "the feed did not change as expected within 20 s");
            await Task.Delay(100);
        }
    }

    private static List<CalendarComponent> Events(byte[] body)
    {
        var parse = IcalReader.Parse(body);
        Assert.That(parse.DiagnosticCount, Is.Zero, string.Join("; ", parse.Diagnostics));
        return [.. parse.Roots.Single().Components.Where(c => c.Name == "VEVENT")];
    }

    private static string Text(CalendarComponent component, string name) => IcalText.Unescape(component.GetProperty(name)!.RawValue);

    private static string Utc(DateTimeOffset time) => time.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
}
