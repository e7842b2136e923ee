using System.Net;
using ChannelService.AgentCalendars;
using ChannelService.Calendars;
using ChannelService.Sources.CalDav;
using ChannelService.Tests.Support;
using ChannelService.Tests.ZendeskLink.Changes;
using ChannelService.ZendeskLink;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ChannelService.Tests.AgentCalendars;

/// <summary>
/// Agents' task tickets written straight into their own CalDAV calendars (issue 19 v2): the service on Kestrel with its
/// real change feed and push worker, the fake Zendesk REST API, and a real Radicale as the agents' calendars (alice is
/// agent A, bob agent B). Every calendar is read back with PROPFIND and GET and parsed.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "Disposed in [TearDown] and [OneTimeTearDown].")]
[NonParallelizable]
public sealed class AgentCalDavPushTests
{
    private const string Subdomain = "acme";
    private const long AgentA = 7001;
    private const long AgentB = 7002;
    private const long Requester = 9001;
    private const string Unrelated = """
        BEGIN:VCALENDAR
        VERSION:2.0
        PRODID:-//Agent//By hand//EN
        BEGIN:VEVENT
        UID:dentist-appointment-1
        DTSTAMP:20261201T090000Z
        DTSTART:20261224T080000Z
        DTEND:20261224T090000Z
        SUMMARY:Dentist
        END:VEVENT
        END:VCALENDAR
        """;

    private static readonly DateTimeOffset Due = new(2026, 12, 24, 12, 0, 0, TimeSpan.Zero);

    private RadicaleServer radicale = null!;
    private ShiftedClock clock = null!;
    private FakeZendeskApi zendesk = null!;
    private TestLinkTokens tokens = null!;
    private ServiceFactory factory = null!;
    private WebApplicationFactory<Program> host = null!;
    private HttpClient client = null!;
    private CapturingLoggerProvider logs = null!;
    private string serviceUrl = "";
    private FakeWebhook webhook = null!;
    private DateTimeOffset version;

    [OneTimeSetUp]
    public async Task OneTimeSetUp() => radicale = await RadicaleServer.StartAsync();

    [OneTimeTearDown]
    public async Task OneTimeTearDown() => await radicale.DisposeAsync();

    [SetUp]
    public void SetUp()
    {
        clock = new ShiftedClock();
        zendesk = new FakeZendeskApi(clock);
        tokens = new TestLinkTokens(zendesk.Token);
        tokens.Linked[Subdomain] = true;
        client = new HttpClient();
        logs = new CapturingLoggerProvider();
        zendesk.AddUser(AgentA, "Agent Anna", "anna@acme.test");
        zendesk.AddUser(AgentB, "Agent Bert", "bert@acme.test");
        zendesk.AddUser(Requester, "Jane Requester", "jane@example.com", role: "end-user");
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
    public async Task A_Task_Appears_In_Its_Assignees_Calendar_Moves_With_Its_Due_Date_And_Follows_Reassignment()
    {
        // Arrange: each agent's calendar, agent A's already holding an event of their own
        var calendarA = await radicale.CreateCollectionAsync("alice", "Anna's work");
        var calendarB = await radicale.CreateCollectionAsync("bob", "Bert's work");
        var dentist = await PutByHandAsync(calendarA, "dentist.ics", Unrelated, "alice");
        SetTask(1234, Due, AgentA, subject: "Call back about the invoice");
        Start();
        await ConnectAsync(AgentA, calendarA, "alice");
        await ConnectAsync(AgentB, calendarB, "bob");

        // Act: the first sync finds the task
        await LinkAndSyncAsync();
        var first = await WaitForAsync(calendarA, "alice", c => c.Ours.Count == 1);

        // Assert: the feed's event, named after its UID
        var (href, vevent) = first.Ours.Single();
        Assert.That(href, Is.EqualTo(calendarA.AbsolutePath + "zendesk-acme-ticket-1234-channelservice.ics"));
        Assert.That(Text(vevent, "UID"), Is.EqualTo("zendesk-acme-ticket-1234@channelservice"));
        Assert.That(Text(vevent, "SUMMARY"), Is.EqualTo("#1234 Call back about the invoice"));
        Assert.That(vevent.GetProperty("DTSTART")!.RawValue, Is.EqualTo("20261224T120000Z"));
        Assert.That(vevent.GetProperty("SEQUENCE")!.RawValue, Is.EqualTo("0"));
        Assert.That(Text(vevent, "DESCRIPTION"), Does.Contain("Requester: Jane Requester"));

        // Act: the due date moves
        SetTask(1234, Due.AddDays(2), AgentA, subject: "Call back about the invoice");
        await DeliverAsync(1234);
        var moved = await WaitForAsync(calendarA, "alice", c => c.Ours.Count == 1 && c.Ours.Single().Value.GetProperty("SEQUENCE")!.RawValue == "1");

        // Assert: the same resource, moved
        Assert.That(moved.Ours.Single().Key, Is.EqualTo(href));
        Assert.That(moved.Ours.Single().Value.GetProperty("DTSTART")!.RawValue, Is.EqualTo("20261226T120000Z"));

        // Act: reassigned to B
        SetTask(1234, Due.AddDays(2), AgentB, subject: "Call back about the invoice");
        await DeliverAsync(1234);
        var atB = await WaitForAsync(calendarB, "bob", c => c.Ours.Count == 1);
        var atA = await WaitForAsync(calendarA, "alice", c => c.Ours.Count == 0);

        // Assert: gone from A, in B's calendar as the same event; A's own event untouched throughout
        Assert.That(Text(atB.Ours.Single().Value, "UID"), Is.EqualTo("zendesk-acme-ticket-1234@channelservice"));
        Assert.That(atB.Ours.Single().Value.GetProperty("SEQUENCE")!.RawValue, Is.EqualTo("2"));
        Assert.That(atA.Others.Single(), Is.EqualTo(dentist));
        var targetA = await Store.TargetAsync(Subdomain, AgentA);
        Assert.That((targetA!.Writes, targetA.Events, targetA.LastError), Is.EqualTo((3L, 0L, (string?)null)), "create, update, delete");
        Assert.That(targetA.LastWriteAt, Is.Not.Null);
        Assert.That(logs.AllText(), Does.Not.Contain("s3cret").And.Not.Contain("hunter2"));
    }

    [TestCase("solved")]
    [TestCase("type changed")]
    [TestCase("due date removed")]
    [TestCase("unassigned")]
    public async Task A_Task_That_Meets_The_Delete_Rule_Is_Deleted_From_The_Calendar_And_Nothing_Else(string change)
    {
        // Arrange
        var calendarA = await radicale.CreateCollectionAsync("alice");
        var dentist = await PutByHandAsync(calendarA, "dentist.ics", Unrelated, "alice");
        SetTask(1234, Due, AgentA);
        SetTask(1235, Due.AddDays(1), AgentA);
        Start();
        await ConnectAsync(AgentA, calendarA, "alice");
        await LinkAndSyncAsync();
        await WaitForAsync(calendarA, "alice", c => c.Ours.Count == 2);

        // Act
        switch (change)
        {
            case "solved": SetTask(1234, Due, AgentA, status: "solved"); break;
            case "type changed": SetTask(1234, Due, AgentA, type: "question"); break;
            case "due date removed": SetTask(1234, null, AgentA); break;
            default: SetTask(1234, Due, null); break;
        }

        await DeliverAsync(1234);
        var after = await WaitForAsync(calendarA, "alice", c => c.Ours.Count == 1);

        // Assert
        Assert.That(Text(after.Ours.Single().Value, "UID"), Is.EqualTo("zendesk-acme-ticket-1235@channelservice"));
        Assert.That(after.Others.Single(), Is.EqualTo(dentist));
        Assert.That((await Store.EventsAsync(Subdomain, AgentA)).Select(e => e.TicketId), Is.EqualTo(new[] { 1235L }));
    }

    [Test]
    public async Task Unlinking_The_Zendesk_Deletes_Our_Events_From_The_Agents_Calendar_And_Nothing_Else()
    {
        // Arrange
        var calendarA = await radicale.CreateCollectionAsync("alice");
        var dentist = await PutByHandAsync(calendarA, "dentist.ics", Unrelated, "alice");
        SetTask(1234, Due, AgentA);
        Start();
        await ConnectAsync(AgentA, calendarA, "alice");
        await LinkAndSyncAsync();
        await WaitForAsync(calendarA, "alice", c => c.Ours.Count == 1);

        // Act: every feature is told before the link goes
        foreach (var observer in host.Services.GetServices<IZendeskLinkObserver>())
        {
            await observer.UnlinkingAsync(Subdomain, CancellationToken.None);
        }

        var after = await WaitForAsync(calendarA, "alice", c => c.Ours.Count == 0);

        // Assert
        Assert.That(after.Others.Single(), Is.EqualTo(dentist));
        Assert.That((await Store.TargetAsync(Subdomain, AgentA))!.Events, Is.Zero);
    }

    [Test]
    public async Task A_Pass_Compares_Only_Calendars_Whose_Agents_Tasks_Changed_Since_Its_Last_Clean_Pass()
    {
        // Arrange: agents with feed versions (listed once), A's calendar in line with A's task
        var calendarA = await radicale.CreateCollectionAsync("alice");
        SetTask(1234, Due, AgentA);
        Start();
        await ConnectAsync(AgentA, calendarA, "alice");
        await LinkAndSyncAsync();
        await host.Services.GetRequiredService<AgentCalendarService>().AgentsAsync(Subdomain, CancellationToken.None);
        await WaitForAsync(calendarA, "alice", c => c.Ours.Count == 1);
        await Pusher.RunOnceAsync(CancellationToken.None);

        // Act
        var unchanged = await Pusher.RunOnceAsync(CancellationToken.None);
        SetTask(1235, Due.AddDays(1), AgentB);                        // another agent's task: A's version stays
        await DeliverAsync(1235);
        await WaitForTaskAsync(1235);
        var otherAgent = await Pusher.RunOnceAsync(CancellationToken.None);
        SetTask(1234, Due.AddDays(3), AgentA);
        await DeliverAsync(1234);
        var moved = await WaitForAsync(calendarA, "alice", c => c.Ours.Count == 1 && c.Ours.Single().Value.GetProperty("SEQUENCE")!.RawValue == "1");

        // Assert: no comparison while nothing of A's changed; A's change still arrives
        Assert.That((unchanged, otherAgent), Is.EqualTo((0, 0)));
        Assert.That(moved.Ours.Single().Value.GetProperty("DTSTART")!.RawValue, Is.EqualTo("20261227T120000Z"));
    }

    [Test]
    public async Task An_Event_The_Agent_Deleted_By_Hand_Stays_Deleted_Until_The_Tickets_Next_Change_Recreates_It()
    {
        // Arrange
        var calendarA = await radicale.CreateCollectionAsync("alice");
        SetTask(1234, Due, AgentA);
        Start();
        await ConnectAsync(AgentA, calendarA, "alice");
        await LinkAndSyncAsync();
        var href = (await WaitForAsync(calendarA, "alice", c => c.Ours.Count == 1)).Ours.Single().Key;

        // Act: the agent deletes it; a reconcile pass runs
        using (var deleted = await radicale.SendAsync(HttpMethod.Delete, new Uri(radicale.BaseUrl, href), user: "alice"))
        {
            Assert.That(deleted.IsSuccessStatusCode, Is.True);
        }

        Assert.That(await Pusher.PushAsync(Subdomain, AgentA, CancellationToken.None), Is.True);
        var afterPass = await ReadAsync(calendarA, "alice");

        // Assert: their deletion stands
        Assert.That(afterPass.Ours, Is.Empty);

        // Act: the ticket changes
        SetTask(1234, Due.AddHours(3), AgentA);
        await DeliverAsync(1234);
        var recreated = await WaitForAsync(calendarA, "alice", c => c.Ours.Count == 1);

        // Assert
        Assert.That(recreated.Ours.Single().Key, Is.EqualTo(href));
        Assert.That(recreated.Ours.Single().Value.GetProperty("DTSTART")!.RawValue, Is.EqualTo("20261224T150000Z"));
        Assert.That((await Store.TargetAsync(Subdomain, AgentA))!.LastError, Is.Null);
    }

    [Test]
    public async Task An_Event_The_Agent_Edited_By_Hand_Keeps_The_Edit_Until_The_Tickets_Next_Change_Overwrites_It()
    {
        // Arrange
        var calendarA = await radicale.CreateCollectionAsync("alice");
        SetTask(1234, Due, AgentA, subject: "Ours");
        Start();
        await ConnectAsync(AgentA, calendarA, "alice");
        await LinkAndSyncAsync();
        var href = (await WaitForAsync(calendarA, "alice", c => c.Ours.Count == 1)).Ours.Single().Key;
        var url = new Uri(radicale.BaseUrl, href);

        // Act: the agent edits the summary (same UID); a reconcile pass runs
        using (var current = await radicale.SendAsync(HttpMethod.Get, url, user: "alice"))
        {
            var edited = (await current.Content.ReadAsStringAsync()).Replace("SUMMARY:#1234 Ours", "SUMMARY:Mine now", StringComparison.Ordinal);
            using var put = await radicale.SendAsync(HttpMethod.Put, url, edited, "alice");
            Assert.That(put.IsSuccessStatusCode, Is.True);
        }

        Assert.That(await Pusher.PushAsync(Subdomain, AgentA, CancellationToken.None), Is.True);
        var afterPass = await ReadAsync(calendarA, "alice");

        // Assert: their edit stands
        Assert.That(Text(afterPass.Ours.Single().Value, "SUMMARY"), Is.EqualTo("Mine now"));

        // Act: the ticket changes
        SetTask(1234, Due.AddDays(1), AgentA, subject: "Ours");
        await DeliverAsync(1234);
        var overwritten = await WaitForAsync(calendarA, "alice", c => c.Ours.Count == 1 && Text(c.Ours.Single().Value, "SUMMARY") != "Mine now");

        // Assert: the ticket's change wins, in the same resource
        Assert.That(overwritten.Ours.Single().Key, Is.EqualTo(href));
        Assert.That(Text(overwritten.Ours.Single().Value, "SUMMARY"), Is.EqualTo("#1234 Ours"));
        Assert.That(overwritten.Ours.Single().Value.GetProperty("DTSTART")!.RawValue, Is.EqualTo("20261225T120000Z"));
    }

    [Test]
    public async Task A_Refused_Password_Or_A_Server_That_Is_Down_Is_Recorded_And_The_Change_Arrives_When_It_Works_Again()
    {
        // Arrange: a Radicale of this test's own, to take down
        await using var own = await RadicaleServer.StartAsync(new Dictionary<string, string> { ["carol"] = "first-pass" });
        var calendar = await own.CreateCollectionAsync("carol");
        SetTask(1234, Due, AgentA);
        Start();
        await ConnectAsync(AgentA, calendar, "carol", own);
        await LinkAndSyncAsync();
        await WaitForAsync(calendar, "carol", c => c.Ours.Count == 1, own);

        // Act: the server stops taking the password; the due date moves
        await own.SetPasswordAsync("carol", "changed-at-the-server");
        SetTask(1234, Due.AddDays(1), AgentA);
        await DeliverAsync(1234);
        var refused = await WaitForTargetAsync(t => t.Failures > 0);

        // Assert
        Assert.That(refused.LastError, Is.EqualTo("The server rejected the username or password."));
        Assert.That(refused.LastErrorAt, Is.Not.Null);
        Assert.That(refused.NextAttemptAt, Is.GreaterThan(clock.GetUtcNow()), "backs off");

        // Act: the password works again, but the server is down
        await own.SetPasswordAsync("carol", "first-pass");
        await own.StopAsync();
        clock.Advance(TimeSpan.FromHours(1));
        Assert.That(await Pusher.PushAsync(Subdomain, AgentA, CancellationToken.None), Is.False);
        var down = await Store.TargetAsync(Subdomain, AgentA);

        // Assert
        Assert.That(down!.LastError, Is.EqualTo("The server refused the connection; check the address and port."));
        Assert.That(down.Failures, Is.GreaterThanOrEqualTo(2));

        // Act: back up; the next due pass delivers the change
        await own.StartAgainAsync();
        clock.Advance(TimeSpan.FromHours(1));
        Host.Services.GetRequiredService<AgentCalDavSignal>().Wake();
        var delivered = await WaitForAsync(calendar, "carol", c => c.Ours.Count == 1 && c.Ours.Single().Value.GetProperty("SEQUENCE")!.RawValue == "1", own);

        // Assert
        Assert.That(delivered.Ours.Single().Value.GetProperty("DTSTART")!.RawValue, Is.EqualTo("20261225T120000Z"));
        var healthy = await WaitForTargetAsync(t => t.Failures == 0);
        Assert.That(healthy.LastError, Is.EqualTo("The server refused the connection; check the address and port."), "the last error stays visible with its time");
        Assert.That(logs.AllText(), Does.Not.Contain("first-pass"));
    }

    [Test]
    public async Task Connect_Refuses_A_Url_That_Is_Not_An_Event_Calendar_Or_Not_Allowed_And_Stores_Nothing()
    {
        // Arrange
        var tasksOnly = await radicale.CreateCollectionAsync("alice", "Tasks", "VTODO");
        Start();

        // Act
        var notCalendar = await Pusher.ConnectAsync(Subdomain, AgentA, new Uri(radicale.BaseUrl, "alice/").AbsoluteUri, "alice", "s3cret", CancellationToken.None);
        var onlyTodos = await Pusher.ConnectAsync(Subdomain, AgentA, tasksOnly.AbsoluteUri, "alice", "s3cret", CancellationToken.None);
        var wrongPassword = await Pusher.ConnectAsync(Subdomain, AgentA, tasksOnly.AbsoluteUri, "alice", "nope", CancellationToken.None);
        var notUrl = await Pusher.ConnectAsync(Subdomain, AgentA, "ftp://calendar.example.com/x", "alice", "s3cret", CancellationToken.None);
        var userInfo = await Pusher.ConnectAsync(Subdomain, AgentA, "https://alice:s3cret@calendar.example.com/x/", "alice", "s3cret", CancellationToken.None);

        // Assert
        Assert.That(notCalendar, Is.EqualTo(new AgentCalDavResult(false, "This URL is not a calendar collection: pick a calendar or task list URL.")));
        Assert.That(onlyTodos, Is.EqualTo(new AgentCalDavResult(false, "This calendar takes only VTODO, not events (VEVENT): pick a calendar that holds events.")));
        Assert.That(wrongPassword, Is.EqualTo(new AgentCalDavResult(false, "The server rejected the username or password.")));
        Assert.That(notUrl.Ok, Is.False);
        Assert.That(notUrl.Message, Is.EqualTo("The address is not a valid http, https or webcal URL."));
        Assert.That(userInfo, Is.EqualTo(new AgentCalDavResult(false, "Give the CalDAV user name and password as their own fields, not inside the URL.")));
        Assert.That(await Store.TargetsAsync(), Is.Empty);
    }

    [Test]
    public async Task Connect_Refuses_A_Loopback_Calendar_Unless_Its_Network_Is_Allowed_Like_A_Source()
    {
        // Arrange
        var calendar = await radicale.CreateCollectionAsync("alice");
        Start(allowLoopback: false);

        // Act
        var refused = await Pusher.ConnectAsync(Subdomain, AgentA, calendar.AbsoluteUri, "alice", "s3cret", CancellationToken.None);

        // Assert
        Assert.That(refused.Ok, Is.False);
        Assert.That(refused.Message, Does.Contain("Channel:AllowedSourceNetworks"));
        Assert.That(await Store.TargetsAsync(), Is.Empty);
    }

    [Test]
    public async Task Disconnect_With_Remove_Events_Deletes_Only_Our_Events_And_Without_Leaves_Them()
    {
        // Arrange
        var calendarA = await radicale.CreateCollectionAsync("alice");
        var calendarB = await radicale.CreateCollectionAsync("bob");
        var dentist = await PutByHandAsync(calendarA, "dentist.ics", Unrelated, "alice");
        SetTask(1234, Due, AgentA);
        SetTask(1235, Due, AgentB);
        Start();
        await ConnectAsync(AgentA, calendarA, "alice");
        await ConnectAsync(AgentB, calendarB, "bob");
        await LinkAndSyncAsync();
        await WaitForAsync(calendarA, "alice", c => c.Ours.Count == 1);
        await WaitForAsync(calendarB, "bob", c => c.Ours.Count == 1);

        // Act
        var removed = await Pusher.DisconnectAsync(Subdomain, AgentA, removeEvents: true, CancellationToken.None);
        var kept = await Pusher.DisconnectAsync(Subdomain, AgentB, removeEvents: false, CancellationToken.None);
        var again = await Pusher.DisconnectAsync(Subdomain, AgentB, removeEvents: false, CancellationToken.None);

        // Assert
        Assert.That(removed, Is.EqualTo(new AgentCalDavResult(true, "Disconnected agent 7001 of acme; removed 1 event(s) written there.")));
        Assert.That(kept, Is.EqualTo(new AgentCalDavResult(true, "Disconnected agent 7002 of acme; the events written there were left in the calendar.")));
        Assert.That(again.Ok, Is.False);
        var a = await ReadAsync(calendarA, "alice");
        Assert.That((a.Ours.Count, a.Others.Single()), Is.EqualTo((0, dentist)));
        Assert.That((await ReadAsync(calendarB, "bob")).Ours, Has.Count.EqualTo(1));
        Assert.That(await Store.TargetsAsync(), Is.Empty);
    }

    [Test]
    public async Task Two_Instances_On_One_PostgreSql_Database_Write_Each_Event_Once()
    {
        // Arrange: two service hosts on one database and one key file, as a scaled-out deployment runs
        var calendar = await radicale.CreateCollectionAsync("alice");
        var database = await (await PostgresServer.SharedAsync()).CreateDatabaseAsync();
        var keyFolder = Directory.CreateTempSubdirectory("agent-caldav-keys-").FullName;
        var shared = new Dictionary<string, string?>
        {
            ["Channel:Database"] = database,
            ["Channel:KeyFile"] = Path.Combine(keyFolder, "keys.json"),
            ["Channel:AllowedSourceNetworks:0"] = "127.0.0.1/32",
            ["Channel:ZendeskBaseUrl"] = zendesk.BaseUrl,
        };
        using var first = new ServiceFactory(shared);
        using var second = new ServiceFactory(shared);
        try
        {
            var pushers = new[] { first, second }.Select(f => f.Services.GetRequiredService<AgentCalDavPusher>()).ToList();
            var connected = await pushers[0].ConnectAsync(Subdomain, AgentA, calendar.AbsoluteUri, "alice", "s3cret", CancellationToken.None);
            Assert.That(connected.Ok, Is.True, connected.Message);
            var tasks = first.Services.GetRequiredService<AgentCalendarStore>();
            for (var ticket = 1; ticket <= 5; ticket++)
            {
                await tasks.ApplyAsync(new AgentTask { Subdomain = Subdomain, TicketId = ticket, AssigneeId = AgentA, DueAt = Due.AddHours(ticket), Status = "open", UpdatedAt = version, InFeed = true });
            }

            // Act: both instances push the same calendar at the same moment, several times
            await Task.WhenAll(Enumerable.Range(0, 6).Select(i => pushers[i % 2].PushAsync(Subdomain, AgentA, CancellationToken.None)));

            // Assert: five events, each written once
            var read = await ReadAsync(calendar, "alice");
            Assert.That(read.Ours.Keys.Order(), Is.EqualTo(Enumerable.Range(1, 5).Select(t => calendar.AbsolutePath + $"zendesk-acme-ticket-{t}-channelservice.ics")));
            var target = await second.Services.GetRequiredService<AgentCalDavStore>().TargetAsync(Subdomain, AgentA);
            Assert.That((target!.Writes, target.Events, target.LastError), Is.EqualTo((5L, 5L, (string?)null)));
        }
        finally
        {
            Directory.Delete(keyFolder, recursive: true);
        }
    }

    [TestCase("en-US", "CalDAV calendar (optional)", "Connect")]
    [TestCase("de", "CalDAV-Kalender (optional)", "Verbinden")]
    [TestCase("es", "Calendario CalDAV (opcional)", "Conectar")]
    public async Task The_Admin_Ui_Connects_And_Disconnects_An_Agents_Calendar_And_Never_Shows_The_Password(string locale, string header, string connectLabel)
    {
        // Arrange
        var calendarA = await radicale.CreateCollectionAsync("alice");
        SetTask(1234, Due, AgentA);
        Start();
        await LinkAndSyncAsync();
        var fields = ChannelService.Tests.Admin.AdminDriver.ZendeskFields(locale: locale);

        // Act: the admin page, and agent A's connect form sent with the calendar and password
        var page = await AdminPageAsync(fields);
        var row = page.QuerySelector("#agent-calendars tr[data-agent-id='7001']")!;
        var form = row.QuerySelector("form.agent-caldav-connect")!;
        var post = form.QuerySelectorAll("input[type=hidden]").ToDictionary(i => i.GetAttribute("name")!, i => i.GetAttribute("value")!);
        post["url"] = "not a url";
        post["username"] = "alice";
        post["password"] = "s3cret";
        var refused = await PostJsonAsync(form.GetAttribute("action")!, post);
        post["url"] = calendarA.AbsoluteUri;
        var connected = await PostJsonAsync(form.GetAttribute("action")!, post);
        var forged = await PostJsonAsync(form.GetAttribute("action")!, new Dictionary<string, string>(post) { ["flow"] = "forged" });
        await WaitForAsync(calendarA, "alice", c => c.Ours.Count == 1);
        await WaitForTargetAsync(t => t.LastWriteAt is not null);
        var after = await AdminPageAsync(fields);

        // Assert
        Assert.That(page.QuerySelectorAll("#agent-calendars thead th").Last().TextContent, Is.EqualTo(header));
        Assert.That(form.QuerySelector("button")!.TextContent, Is.EqualTo(connectLabel));
        Assert.That(form.QuerySelector("input[type=password]")!.GetAttribute("value"), Is.Null);
        Assert.That(((bool)refused.Body!["ok"]!, (string)refused.Body!["message"]!), Is.EqualTo((false, "The address is not a valid http, https or webcal URL.")));
        Assert.That((bool)connected.Body!["ok"]!, Is.True, connected.Body.ToJsonString());
        Assert.That(forged.Status, Is.EqualTo(HttpStatusCode.NotFound));
        var connectedRow = after.QuerySelector("#agent-calendars tr[data-agent-id='7001']")!;
        Assert.That(connectedRow.QuerySelector(".agent-caldav-url")!.TextContent, Is.EqualTo(calendarA.AbsoluteUri));
        Assert.That(connectedRow.QuerySelector("form.agent-caldav-disconnect"), Is.Not.Null);
        Assert.That(after.DocumentElement.OuterHtml, Does.Not.Contain("s3cret"));
        Assert.That(connected.Text + refused.Text, Does.Not.Contain("s3cret"));

        // Act: disconnect, removing our events
        var disconnectForm = connectedRow.QuerySelector("form.agent-caldav-disconnect")!;
        var disconnect = disconnectForm.QuerySelectorAll("input[type=hidden]").ToDictionary(i => i.GetAttribute("name")!, i => i.GetAttribute("value")!);
        disconnect["remove_events"] = "true";
        var disconnected = await PostJsonAsync(disconnectForm.GetAttribute("action")!, disconnect);

        // Assert
        Assert.That((string)disconnected.Body!["message"]!, Is.EqualTo("Disconnected agent 7001 of acme; removed 1 event(s) written there."));
        Assert.That((await ReadAsync(calendarA, "alice")).Ours, Is.Empty);
        Assert.That(logs.AllText(), Does.Not.Contain("s3cret"));
    }

    [Test]
    public async Task In_A_Browser_The_Connect_Form_Says_How_It_Went_And_Empties_The_Password_Field()
    {
        // Arrange: the admin page opened in chromium as Zendesk posts it
        var calendarA = await radicale.CreateCollectionAsync("alice");
        SetTask(1234, Due, AgentA);
        Start();
        await LinkAndSyncAsync();
        using var playwright = await Microsoft.Playwright.Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = "/usr/bin/chromium", Headless = true, Args = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"] });
        var page = await browser.NewPageAsync();
        page.Dialog += (_, dialog) => dialog.AcceptAsync();
        var inputs = string.Concat(ChannelService.Tests.Admin.AdminDriver.ZendeskFields().Select(f => $"<input type=hidden name=\"{WebUtility.HtmlEncode(f.Key)}\" value=\"{WebUtility.HtmlEncode(f.Value)}\">"));
        await page.SetContentAsync($"<form id=zendesk method=post action=\"{serviceUrl}/admin\">{inputs}<button>Open admin UI</button></form>");
        // The shared build machine can be slow: locators wait for the admin page rather than for a load event.
        page.SetDefaultTimeout(60_000);
        await page.ClickAsync("#zendesk button");
        var row = page.Locator("#agent-calendars tr[data-agent-id='7001']");

        // Act: a wrong password first, then the right one
        await row.Locator("input[name=url]").FillAsync(calendarA.AbsoluteUri);
        await row.Locator("input[name=username]").FillAsync("alice");
        await row.Locator("input[name=password]").FillAsync("wrong");
        await row.Locator("form.agent-caldav-connect button").ClickAsync();
        await row.Locator(".agent-caldav-message.error").WaitForAsync();
        var refused = await row.Locator(".agent-caldav-message").TextContentAsync();
        var emptied = await row.Locator("input[name=password]").InputValueAsync();
        await row.Locator("input[name=password]").FillAsync("s3cret");
        await row.Locator("form.agent-caldav-connect button").ClickAsync();
        await row.Locator(".agent-caldav-message.ok").WaitForAsync();
        var connected = await row.Locator(".agent-caldav-message").TextContentAsync();

        // Assert
        Assert.That(refused, Is.EqualTo("The server rejected the username or password."));
        Assert.That(emptied, Is.Empty, "the password leaves the field when sent");
        Assert.That(connected, Does.StartWith("Connected agent 7001 of acme to "));
        await WaitForAsync(calendarA, "alice", c => c.Ours.Count == 1);
    }

    [Test]
    public async Task The_Dashboard_Shows_Each_Agents_Last_CalDav_Write_And_Last_Error()
    {
        // Arrange: A writes fine; B's calendar refuses the password
        var calendarA = await radicale.CreateCollectionAsync("alice");
        var calendarB = await radicale.CreateCollectionAsync("bob");
        SetTask(1234, Due, AgentA);
        SetTask(1235, Due, AgentB);
        Start(settings: new Dictionary<string, string?> { ["Channel:DashboardUser"] = "ops", ["Channel:DashboardPassword"] = "dashboard-password" });
        await ConnectAsync(AgentA, calendarA, "alice");
        await ConnectAsync(AgentB, calendarB, "bob");
        await radicale.SetPasswordAsync("bob", "changed");
        try
        {
            await LinkAndSyncAsync();
            await WaitForAsync(calendarA, "alice", c => c.Ours.Count == 1);
            var until = DateTime.UtcNow.AddSeconds(20);
            while ((await Store.TargetAsync(Subdomain, AgentB))!.Failures == 0)
            {
                Assert.That(DateTime.UtcNow, Is.LessThan(until));
                await Task.Delay(100);
            }

            // Act
            using var request = new HttpRequestMessage(HttpMethod.Get, serviceUrl + "/dashboard");
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Basic", Convert.ToBase64String("ops:dashboard-password"u8.ToArray()));
            using var response = await client.SendAsync(request);
            var document = new AngleSharp.Html.Parser.HtmlParser().ParseDocument(await response.Content.ReadAsStringAsync());

            // Assert
            var headers = document.QuerySelectorAll("#agent-calendars thead th").Select(h => h.TextContent).ToList();
            Assert.That(headers[^3..], Is.EqualTo(new[] { "CalDAV calendar", "Last CalDAV write", "Last CalDAV error" }));
            var rows = document.QuerySelectorAll("#agent-calendars tbody tr").Select(r => r.QuerySelectorAll("td").Select(c => c.TextContent).ToArray()).ToDictionary(c => c[1]);
            Assert.That(rows["7001"][6], Is.EqualTo(calendarA.AbsoluteUri + " (1 events, ok)"));
            Assert.That(rows["7001"][7], Does.EndWith("ago)"));
            Assert.That(rows["7001"][8], Is.Empty);
            Assert.That(rows["7002"][6], Does.StartWith(calendarB.AbsoluteUri + " (0 events, failing"));
            Assert.That(rows["7002"][7], Is.EqualTo("never"));
            Assert.That(rows["7002"][8], Does.EndWith("UTC: The server rejected the username or password."));
        }
        finally
        {
            await radicale.SetPasswordAsync("bob", "hunter2");
        }
    }

    private AgentCalDavPusher Pusher => Host.Services.GetRequiredService<AgentCalDavPusher>();

    private AgentCalDavStore Store => Host.Services.GetRequiredService<AgentCalDavStore>();

    private WebApplicationFactory<Program> Host => host;

    private void SetTask(long id, DateTimeOffset? due, long? assignee, string status = "open", string type = "task", string? subject = null)
    {
        version = version.AddSeconds(1);
        zendesk.SetTicket(id, status, version, via: "web", type: type, dueAt: due, assigneeId: assignee, subject: subject ?? $"Task {id}", priority: "normal", requesterId: Requester);
    }

    private void Start(bool allowLoopback = true, Dictionary<string, string?>? settings = null)
    {
        var configuration = new Dictionary<string, string?>(settings ?? [])
        {
            ["Channel:ZendeskBaseUrl"] = zendesk.BaseUrl,
            ["Channel:ChangeFeedReconcileInterval"] = "00:00:02",
        };
        if (allowLoopback)
        {
            configuration["Channel:AllowedSourceNetworks:0"] = "127.0.0.1/32";
        }

        factory = new ServiceFactory(configuration);
        host = factory.WithWebHostBuilder(b => b.ConfigureTestServices(s =>
        {
            s.AddSingleton<TimeProvider>(clock);
            s.AddSingleton<IZendeskLinkTokens>(tokens);
            s.AddSingleton<ILoggerProvider>(logs);
        }));
        host.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        host.StartServer();
        serviceUrl = host.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/');
    }

    private async Task ConnectAsync(long agentId, Uri calendar, string user, RadicaleServer? server = null)
    {
        server ??= radicale;
        var result = await Pusher.ConnectAsync(Subdomain, agentId, calendar.AbsoluteUri, user, server.Users[user], CancellationToken.None);
        Assert.That(result.Ok, Is.True, result.Message);
        var stored = await Store.TargetAsync(Subdomain, agentId);
        Assert.That(stored!.SealedPassword, Does.Not.Contain(server.Users[user]));
    }

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

    /// <summary>Puts an event of the agent's own into the calendar; returns its href and ETag.</summary>
    private async Task<(string Href, string ETag)> PutByHandAsync(Uri calendar, string name, string body, string user)
    {
        using var response = await radicale.SendAsync(HttpMethod.Put, new Uri(calendar, name), body.ReplaceLineEndings("\r\n"), user);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Created));
        return (new Uri(calendar, name).AbsolutePath, response.Headers.ETag!.ToString());
    }

    private sealed record CalendarContents(Dictionary<string, CalendarComponent> Ours, List<(string Href, string ETag)> Others);

    /// <summary>The calendar as the agent's client sees it: PROPFIND for the members, GET and parse each.</summary>
    private async Task<CalendarContents> ReadAsync(Uri calendar, string user, RadicaleServer? server = null)
    {
        server ??= radicale;
        using var http = RadicaleServer.CreateHttpClient();
        var dav = new CalDavClient(http, new CalDavCredentials(user, server.Users[user]), options: new CalDavClientOptions { UseSyncCollection = false });
        var listing = await dav.SyncAsync(calendar, null);
        var ours = new Dictionary<string, CalendarComponent>();
        var others = new List<(string, string)>();
        foreach (var member in listing.Changed)
        {
            if (await dav.TryGetAsync(CalDavClient.ObjectUrl(calendar, member.Href)) is not { } item)
            {
                continue; // deleted between the listing and the GET
            }

            var parse = IcalReader.Parse(System.Text.Encoding.UTF8.GetBytes(item.Body));
            Assert.That(parse.DiagnosticCount, Is.Zero, string.Join("; ", parse.Diagnostics));
            var vevent = parse.Roots.Single().Components.Single(c => c.Name == "VEVENT");
            if (Text(vevent, "UID").StartsWith("zendesk-", StringComparison.Ordinal))
            {
                ours[member.Href] = vevent;
            }
            else
            {
                others.Add((member.Href, item.ETag!));
            }
        }

        return new CalendarContents(ours, others);
    }

    private async Task<CalendarContents> WaitForAsync(Uri calendar, string user, Func<CalendarContents, bool> condition, RadicaleServer? server = null)
    {
        var until = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            var contents = await ReadAsync(calendar, user, server);
            if (condition(contents))
            {
                return contents;
            }

            Assert.That(DateTime.UtcNow, Is.LessThan(until), "the calendar did not change as expected within 20 s");
            await Task.Delay(100);
        }
    }

    private async Task WaitForTaskAsync(long ticketId)
    {
        var tasks = host.Services.GetRequiredService<AgentCalendarStore>();
        var until = DateTime.UtcNow.AddSeconds(20);
        while (await tasks.TaskAsync(Subdomain, ticketId) is null)
        {
            Assert.That(DateTime.UtcNow, Is.LessThan(until), "the task did not arrive within 20 s");
            await Task.Delay(50);
        }
    }

    private async Task<AgentCalDavTarget> WaitForTargetAsync(Func<AgentCalDavTarget, bool> condition)
    {
        var until = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            if (await Store.TargetAsync(Subdomain, AgentA) is { } target && condition(target))
            {
                return target;
            }

            Assert.That(DateTime.UtcNow, Is.LessThan(until), "the target did not change as expected within 20 s");
            await Task.Delay(100);
        }
    }

    private async Task<AngleSharp.Dom.IDocument> AdminPageAsync(IEnumerable<KeyValuePair<string, string>> fields)
    {
        using var page = await client.PostAsync(serviceUrl + "/admin", new FormUrlEncodedContent(fields));
        Assert.That(page.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        return new AngleSharp.Html.Parser.HtmlParser().ParseDocument(await page.Content.ReadAsStringAsync());
    }

    private async Task<(HttpStatusCode Status, System.Text.Json.Nodes.JsonNode? Body, string Text)> PostJsonAsync(string path, Dictionary<string, string> form)
    {
        using var response = await client.PostAsync(serviceUrl + path, new FormUrlEncodedContent(form));
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, response.IsSuccessStatusCode ? System.Text.Json.Nodes.JsonNode.Parse(text) : null, text);
    }

    private static string Text(CalendarComponent component, string name) => IcalText.Unescape(component.GetProperty(name)!.RawValue);
}
