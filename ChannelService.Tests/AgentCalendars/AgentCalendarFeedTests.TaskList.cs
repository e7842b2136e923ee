using System.Diagnostics;
using System.Globalization;
using System.Net;
using ChannelService.AgentCalendars;
using ChannelService.Calendars;
using Microsoft.Extensions.DependencyInjection;

namespace ChannelService.Tests.AgentCalendars;

/// <summary>
/// The VTODO variant of agents' feeds (<c>/calendars/{token}/tasks.ics</c>), over the same real service, fake Zendesk
/// and helpers as the VEVENT feed's tests.
/// </summary>
public sealed partial class AgentCalendarFeedTests
{
    [Test]
    public async Task The_Task_List_Has_A_Vtodo_Per_Open_Task_With_Due_Status_And_Priority_And_Only_The_Agents_Own()
    {
        // Arrange: one task per Zendesk status and priority that can be in a feed, B's task, and a solved one
        var due = new DateTimeOffset(2026, 12, 24, 12, 0, 0, TimeSpan.Zero);
        SetTask(1234, due, AgentA, subject: "Call back; about the invoice, part 2", priority: "high");
        SetTask(1235, due.AddHours(1), AgentA, status: "pending", priority: "urgent");
        SetTask(1236, due.AddHours(2), AgentA, status: "hold", priority: "low");
        SetTask(1237, due.AddHours(3), AgentA, status: "new", priority: "normal");
        SetTask(1238, due.AddHours(4), AgentA, priority: null);
        SetTask(1239, due, AgentA, status: "solved");
        SetTask(1240, due, AgentB);
        Start();
        await LinkAndSyncAsync();
        var (urlA, urlB) = await FeedUrlsAsync();

        // Act
        using var response = await client.GetAsync(Local(TasksUrl(urlA)));
        var body = await response.Content.ReadAsByteArrayAsync();

        // Assert: the headers of the VEVENT feed
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(response.Content.Headers.ContentType!.ToString(), Is.EqualTo("text/calendar; charset=utf-8"));
        Assert.That(response.Headers.ETag!.IsWeak, Is.False);
        Assert.That((response.Headers.CacheControl!.Private, response.Headers.CacheControl.NoCache), Is.EqualTo((true, true)));
        var calendar = IcalReader.Parse(body).Roots.Single();
        Assert.That(calendar.Components.Select(c => c.Name).Distinct(), Is.EqualTo(new[] { "VTODO" }));
        Assert.That(Text(calendar, "X-WR-CALNAME"), Is.EqualTo("Zendesk task list (acme)"));
        Assert.That(calendar.GetProperty("X-PUBLISHED-TTL")!.RawValue, Is.EqualTo("PT15M"));

        // Assert: every to-do
        var todos = Todos(body);
        Assert.That(todos.Select(t => Text(t, "UID")), Is.EqualTo(new[] { 1234, 1235, 1236, 1237, 1238 }.Select(id => $"zendesk-acme-ticket-{id}-todo@channelservice")));
        Assert.That(todos.Select(t => t.GetProperty("STATUS")!.RawValue), Is.EqualTo(new[] { "NEEDS-ACTION", "IN-PROCESS", "IN-PROCESS", "NEEDS-ACTION", "NEEDS-ACTION" }));
        Assert.That(todos.Select(t => t.GetProperty("PRIORITY")?.RawValue), Is.EqualTo(new[] { "3", "1", "9", "5", null }));
        Assert.That(todos.Select(t => t.GetProperty("DUE")!.RawValue), Is.EqualTo(new[] { "20261224T120000Z", "20261224T130000Z", "20261224T140000Z", "20261224T150000Z", "20261224T160000Z" }));
        var first = todos[0];
        Assert.That(Text(first, "SUMMARY"), Is.EqualTo("#1234 Call back; about the invoice, part 2"));
        Assert.That(Text(first, "DESCRIPTION"), Is.EqualTo("Status: open\nPriority: high\nRequester: Jane Requester, Esq.\nhttps://acme.zendesk.com/agent/tickets/1234"));
        Assert.That(IcalWriter.FormatProperty(first.GetProperty("URL")!), Is.EqualTo("URL;VALUE=URI:https://acme.zendesk.com/agent/tickets/1234"));
        Assert.That(first.GetProperty("SEQUENCE")!.RawValue, Is.EqualTo("0"));
        var events = Events(await client.GetByteArrayAsync(Local(urlA)));
        Assert.That(first.GetProperty("LAST-MODIFIED")!.RawValue, Is.EqualTo(events[0].GetProperty("LAST-MODIFIED")!.RawValue));
        Assert.That(first.GetProperty("DTSTAMP")!.RawValue, Is.EqualTo(events[0].GetProperty("DTSTAMP")!.RawValue));
        Assert.That(todos.Select(t => Text(t, "UID")).Intersect(events.Select(e => Text(e, "UID"))), Is.Empty, "a UID namespace of its own");
        todos.ForEach(AssertRfc5545Todo);
        Assert.That(todos, Has.All.Matches<CalendarComponent>(t => t.GetProperty("DTSTART") is null), "a ticket has no start: DUE only");

        // Assert: B sees B's task only, in both variants
        Assert.That((await TodosOfAsync(urlB)).Select(t => Text(t, "UID")), Is.EqualTo(new[] { "zendesk-acme-ticket-1240-todo@channelservice" }));
        Assert.That((await EventsOfAsync(urlB)).Select(e => Text(e, "UID")), Is.EqualTo(new[] { "zendesk-acme-ticket-1240@channelservice" }));
        Assert.That(events.Select(e => Text(e, "UID")), Has.None.EqualTo("zendesk-acme-ticket-1240@channelservice"));
    }

    [Test]
    public async Task A_Moved_Due_Date_Moves_The_Vtodo_And_Bumps_Its_Sequence()
    {
        // Arrange
        var due = new DateTimeOffset(2026, 12, 24, 12, 0, 0, TimeSpan.Zero);
        SetTask(1234, due, AgentA);
        Start();
        await LinkAndSyncAsync();
        var (urlA, urlB) = await FeedUrlsAsync();
        var before = (await TodosOfAsync(urlA)).Single();

        // Act
        SetTask(1234, due.AddDays(2), AgentA);
        await DeliverAsync(1234);
        var moved = await WaitForTodosAsync(urlA, todos => todos.Count == 1 && todos[0].GetProperty("SEQUENCE")!.RawValue == "1");

        // Assert
        Assert.That(before.GetProperty("DUE")!.RawValue, Is.EqualTo("20261224T120000Z"));
        Assert.That(moved[0].GetProperty("DUE")!.RawValue, Is.EqualTo("20261226T120000Z"));
        Assert.That(moved[0].GetProperty("LAST-MODIFIED")!.RawValue, Is.EqualTo(Utc(version)));

        // Act: reassigned to B
        SetTask(1234, due.AddDays(2), AgentB);
        await DeliverAsync(1234);
        await WaitForTodosAsync(urlA, todos => todos.Count == 0);
        var atB = await WaitForTodosAsync(urlB, todos => todos.Count == 1);

        // Assert
        Assert.That(Text(atB[0], "UID"), Is.EqualTo("zendesk-acme-ticket-1234-todo@channelservice"));
        Assert.That(atB[0].GetProperty("SEQUENCE")!.RawValue, Is.EqualTo("2"));
    }

    [TestCase("solved")]
    [TestCase("closed")]
    [TestCase("type changed")]
    [TestCase("due date removed")]
    [TestCase("unassigned")]
    public async Task A_Task_That_Meets_The_Delete_Rule_Leaves_The_Task_List_And_Is_Not_Listed_As_Completed(string change)
    {
        // Arrange
        var due = new DateTimeOffset(2026, 12, 24, 12, 0, 0, TimeSpan.Zero);
        SetTask(1234, due, AgentA);
        SetTask(1240, due, AgentA);
        Start();
        await LinkAndSyncAsync();
        var (urlA, _) = await FeedUrlsAsync();
        Assert.That(await TodosOfAsync(urlA), Has.Count.EqualTo(2));

        // Act
        switch (change)
        {
            case "solved":
            case "closed":
                SetTask(1234, due, AgentA, status: change);
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
        var left = await WaitForTodosAsync(urlA, todos => todos.Count == 1);
        Assert.That(Text(left[0], "UID"), Is.EqualTo("zendesk-acme-ticket-1240-todo@channelservice"));
        Assert.That(left[0].GetProperty("STATUS")!.RawValue, Is.EqualTo("NEEDS-ACTION"));
    }

    [Test]
    public async Task Each_Variant_Has_Its_Own_Strong_ETag_And_Answers_304_To_Its_Own()
    {
        // Arrange: B's feeds are empty, so only the variant tells them apart
        var due = new DateTimeOffset(2026, 12, 24, 12, 0, 0, TimeSpan.Zero);
        SetTask(1234, due, AgentA);
        Start();
        await LinkAndSyncAsync();
        var (urlA, urlB) = await FeedUrlsAsync();

        // Act: the VEVENT feed first, so its rendering is cached before the task list is asked for
        using var events = await client.GetAsync(Local(urlA));
        using var todos = await client.GetAsync(Local(TasksUrl(urlA)));
        using var unchanged = await SendAsync(TasksUrl(urlA), todos.Headers.ETag!);
        using var crossed = await SendAsync(TasksUrl(urlA), events.Headers.ETag!);
        using var eventsUnchanged = await SendAsync(urlA, events.Headers.ETag!);
        using var emptyEvents = await client.GetAsync(Local(urlB));
        using var emptyTodos = await client.GetAsync(Local(TasksUrl(urlB)));
        SetTask(1234, due.AddHours(1), AgentA);
        await DeliverAsync(1234);
        await WaitForTodosAsync(urlA, list => list[0].GetProperty("SEQUENCE")!.RawValue == "1");
        using var changed = await SendAsync(TasksUrl(urlA), todos.Headers.ETag!);

        // Assert
        Assert.That(Todos(await todos.Content.ReadAsByteArrayAsync()), Has.Count.EqualTo(1), "not the cached VEVENT rendering");
        Assert.That(todos.Headers.ETag!.IsWeak, Is.False);
        Assert.That(todos.Headers.ETag, Is.Not.EqualTo(events.Headers.ETag));
        Assert.That(emptyTodos.Headers.ETag, Is.Not.EqualTo(emptyEvents.Headers.ETag));
        Assert.That(unchanged.StatusCode, Is.EqualTo(HttpStatusCode.NotModified));
        Assert.That(await unchanged.Content.ReadAsByteArrayAsync(), Is.Empty);
        Assert.That(unchanged.Headers.ETag, Is.EqualTo(todos.Headers.ETag));
        Assert.That(crossed.StatusCode, Is.EqualTo(HttpStatusCode.OK), "the VEVENT feed's ETag does not validate the task list");
        Assert.That(eventsUnchanged.StatusCode, Is.EqualTo(HttpStatusCode.NotModified));
        Assert.That(changed.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(changed.Headers.ETag, Is.Not.EqualTo(todos.Headers.ETag));
    }

    [Test]
    public async Task A_Rotated_Revoked_Unknown_Or_Malformed_Token_Answers_The_Same_404_For_The_Task_List()
    {
        // Arrange
        SetTask(1234, new DateTimeOffset(2026, 12, 24, 12, 0, 0, TimeSpan.Zero), AgentA);
        Start();
        await LinkAndSyncAsync();
        var (oldUrl, urlB) = await FeedUrlsAsync();
        var calendars = host.Services.GetRequiredService<AgentCalendarService>();
        using var beforeRotation = await client.GetAsync(Local(TasksUrl(oldUrl)));

        // Act
        var newUrl = await calendars.RotateAsync(Subdomain, AgentA, CancellationToken.None);
        await calendars.RevokeAsync(Subdomain, AgentB, CancellationToken.None);
        using var unknownEvents = await client.GetAsync(serviceUrl + "/calendars/" + new string('A', AgentCalendarTokens.TokenLength) + ".ics");
        var answers = new List<HttpResponseMessage>();
        foreach (var path in new[]
        {
            Local(oldUrl), Local(TasksUrl(oldUrl)), Local(urlB), Local(TasksUrl(urlB)),
            serviceUrl + "/calendars/" + new string('A', AgentCalendarTokens.TokenLength) + "/tasks.ics",
            serviceUrl + "/calendars/x/tasks.ics",
        })
        {
            answers.Add(await client.GetAsync(path));
        }

        using var fresh = await client.GetAsync(Local(TasksUrl(newUrl!)));
        var listed = await calendars.AgentsAsync(Subdomain, CancellationToken.None);

        // Assert
        Assert.That(beforeRotation.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(Todos(await fresh.Content.ReadAsByteArrayAsync()), Has.Count.EqualTo(1));
        var notFound = await unknownEvents.Content.ReadAsStringAsync();
        foreach (var answer in answers)
        {
            Assert.That(answer.StatusCode, Is.EqualTo(HttpStatusCode.NotFound), answer.RequestMessage!.RequestUri!.AbsolutePath);
            Assert.That(await answer.Content.ReadAsStringAsync(), Is.EqualTo(notFound));
            Assert.That(answer.Content.Headers.ContentType?.MediaType, Is.Not.EqualTo("text/calendar"));
            answer.Dispose();
        }

        Assert.That(listed.Agents.Single(a => a.AgentId == AgentA).TasksUrl, Is.EqualTo(TasksUrl(newUrl!)));
    }

    [Test]
    public async Task The_Task_List_Parses_In_Debians_Python_Icalendar_With_Every_Uid_Unique()
    {
        // Arrange: many tasks with text that needs escaping and folding
        var due = new DateTimeOffset(2026, 12, 24, 12, 0, 0, TimeSpan.Zero);
        for (var i = 0; i < 40; i++)
        {
            SetTask(2000 + i, due.AddHours(i), AgentA, subject: $"Größe, Preis; \"Angebot\" \\ Nummer {i} — {new string('x', 90)}", priority: i % 2 == 0 ? "urgent" : "low");
        }

        Start();
        await LinkAndSyncAsync();
        var (urlA, _) = await FeedUrlsAsync();
        var body = await client.GetByteArrayAsync(Local(TasksUrl(urlA)));
        var file = Path.Combine(factory.DataDirectory, "tasks.ics");
        await File.WriteAllBytesAsync(file, body);

        // Act: Debian's python3-icalendar reads it back
        var script = """
            import sys, icalendar
            cal = icalendar.Calendar.from_ical(open(sys.argv[1], 'rb').read())
            todos = cal.walk('VTODO')
            uids = [str(t['UID']) for t in todos]
            assert len(uids) == len(set(uids)), 'duplicate UID'
            assert not cal.walk('VEVENT'), 'a VEVENT in the task list'
            assert all('DTEND' not in t for t in todos), 'DTEND in a VTODO'
            first = [t for t in todos if str(t['UID']) == 'zendesk-acme-ticket-2007-todo@channelservice'][0]
            print(len(uids))
            print(str(first['SUMMARY']))
            print(first.decoded('DUE').isoformat())
            print(int(first['PRIORITY']), str(first['STATUS']))
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
        Assert.That(lines[3], Is.EqualTo("9 NEEDS-ACTION"));
        var ours = Todos(body);
        Assert.That(ours.Select(t => Text(t, "UID")).Distinct().Count(), Is.EqualTo(40));
        Assert.That(System.Text.Encoding.UTF8.GetString(body).Split("\r\n").Max(l => System.Text.Encoding.UTF8.GetByteCount(l)), Is.LessThanOrEqualTo(75));
    }

    [Test]
    public async Task The_All_Day_Option_Writes_A_Date_Due_In_The_Task_List()
    {
        // Arrange
        SetTask(1234, new DateTimeOffset(2026, 12, 24, 11, 0, 0, TimeSpan.Zero), AgentA);
        Start(new Dictionary<string, string?> { ["Channel:AgentCalendarAllDay"] = "true" });
        await LinkAndSyncAsync();
        var (urlA, _) = await FeedUrlsAsync();

        // Act
        var todo = (await TodosOfAsync(urlA)).Single();

        // Assert
        Assert.That(IcalWriter.FormatProperty(todo.GetProperty("DUE")!), Is.EqualTo("DUE;VALUE=DATE:20261224"));
        AssertRfc5545Todo(todo);
    }

    [Test]
    public async Task The_Admin_Ui_And_Its_Rotate_Answer_Show_The_Task_List_Address()
    {
        // Arrange
        Start();
        await LinkAndSyncAsync();
        var (urlA, urlB) = await FeedUrlsAsync();

        // Act
        var fields = ChannelService.Tests.Admin.AdminDriver.ZendeskFields(locale: "de");
        using var page = await client.PostAsync(serviceUrl + "/admin", new FormUrlEncodedContent(fields));
        var document = new AngleSharp.Html.Parser.HtmlParser().ParseDocument(await page.Content.ReadAsStringAsync());
        var rows = document.QuerySelectorAll("#agent-calendars tbody tr").ToList();
        var form = rows[0].QuerySelector("form.agent-feed-rotate")!;
        var post = form.QuerySelectorAll("input[type=hidden]").ToDictionary(i => i.GetAttribute("name")!, i => i.GetAttribute("value")!);
        using var rotated = await client.PostAsync(serviceUrl + form.GetAttribute("action"), new FormUrlEncodedContent(post));
        var answer = System.Text.Json.Nodes.JsonNode.Parse(await rotated.Content.ReadAsStringAsync())!;

        // Assert
        Assert.That(rows.Select(r => r.QuerySelector("input.agent-tasks-url")!.GetAttribute("value")), Is.EqualTo(new[] { TasksUrl(urlA), TasksUrl(urlB) }));
        var label = rows[0].QuerySelector("label.agent-tasks-label")!;
        Assert.That(label.TextContent, Is.EqualTo("Als Aufgabenliste, für Apps mit Aufgaben (Thunderbird):"));
        Assert.That(document.GetElementById(label.GetAttribute("for")!)!.ClassList, Does.Contain("agent-tasks-url"));
        Assert.That(rows[0].QuerySelectorAll("button.agent-feed-copy").Select(b => b.GetAttribute("data-copy-for")), Does.Contain(label.GetAttribute("for")));
        Assert.That((string)answer["tasks_url"]!, Is.EqualTo(TasksUrl((string)answer["feed_url"]!)));
        Assert.That((await client.GetAsync(Local((string)answer["tasks_url"]!))).StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    /// <summary>
    /// RFC 5545 §3.6.2: a VTODO has no DTEND, and DUE and DURATION exclude each other; §3.8.2.3: with a DTSTART, DUE has
    /// the same value type and is later.
    /// </summary>
    private static void AssertRfc5545Todo(CalendarComponent todo)
    {
        Assert.That(todo.GetProperty("DTEND"), Is.Null, "VTODO takes no DTEND");
        Assert.That(todo.GetProperty("DURATION"), Is.Null, "DUE and DURATION exclude each other");
        var due = todo.GetProperty("DUE");
        Assert.That(due, Is.Not.Null);
        if (todo.GetProperty("DTSTART") is { } start)
        {
            Assert.That(start.GetParameter("VALUE") ?? "DATE-TIME", Is.EqualTo(due!.GetParameter("VALUE") ?? "DATE-TIME"), "DTSTART and DUE of one value type");
            Assert.That(string.CompareOrdinal(due.RawValue, start.RawValue), Is.GreaterThan(0), "DUE after DTSTART");
        }
    }

    private static string TasksUrl(string feedUrl)
    {
        Assert.That(feedUrl, Does.EndWith(".ics"));
        return feedUrl[..^".ics".Length] + "/tasks.ics";
    }

    private async Task<HttpResponseMessage> SendAsync(string url, System.Net.Http.Headers.EntityTagHeaderValue ifNoneMatch)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, Local(url));
        request.Headers.IfNoneMatch.Add(ifNoneMatch);
        return await client.SendAsync(request);
    }

    private async Task<List<CalendarComponent>> TodosOfAsync(string feedUrl) => Todos(await client.GetByteArrayAsync(Local(TasksUrl(feedUrl))));

    private async Task<List<CalendarComponent>> WaitForTodosAsync(string feedUrl, Func<List<CalendarComponent>, bool> condition)
    {
        var until = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            var todos = await TodosOfAsync(feedUrl);
            if (condition(todos))
            {
                return todos;
            }

            Assert.That(DateTime.UtcNow, Is.LessThan(until), "the task list did not change as expected within 20 s");
            await Task.Delay(100);
        }
    }

    private static List<CalendarComponent> Todos(byte[] body)
    {
        var parse = IcalReader.Parse(body);
        Assert.That(parse.DiagnosticCount, Is.Zero, string.Join("; ", parse.Diagnostics));
        return [.. parse.Roots.Single().Components.Where(c => c.Name == "VTODO")];
    }
}
