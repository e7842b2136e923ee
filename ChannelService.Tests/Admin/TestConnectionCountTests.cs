using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using ChannelService.Cli;
using ChannelService.Tests.Support;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace ChannelService.Tests.Admin;

/// <summary>
/// Issue 15 §5: the admin UI's Test connection, the <c>preview</c> command and the pull count with one planner, so
/// "N would become tickets" is the number of tickets the first pull creates. Each feed is served on loopback, tested
/// and saved through the admin pages, previewed by the command line, then pulled until the backlog is empty by a
/// Zendesk that makes one ticket per thread.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "NUnit disposes them in TearDown")]
public sealed partial class TestConnectionCountTests
{
    private FeedServer feed = null!;
    private ServiceFactory factory = null!;
    private WebApplicationFactory<Program> host = null!;
    private HttpClient client = null!;

    /// <summary>One feed, the clock it is read at, and the options typed into the admin form.</summary>
    public sealed record Case(string Name, Func<string> Body, DateTimeOffset Now, Dictionary<string, string> Options)
    {
        public override string ToString() => Name;
    }

    private static readonly DateTimeOffset November = new(2026, 11, 22, 8, 0, 0, TimeSpan.Zero);

    private static string Calendar(params string[] components) =>
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n" + string.Concat(components) + "END:VCALENDAR\r\n";

    private static string Corpus(string file) => File.ReadAllText(Path.Combine(TestPaths.IcsCorpus, file));

    private static DateTimeOffset At(string iso) => DateTimeOffset.Parse(iso, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);

    public static IEnumerable<Case> Cases() =>
    [
        new("weekly series", () => Calendar(
                "BEGIN:VEVENT\r\nUID:weekly\r\nDTSTAMP:20261101T000000Z\r\nSUMMARY:Weekly sync\r\nDTSTART:20250101T090000Z\r\nDURATION:PT30M\r\nRRULE:FREQ=WEEKLY\r\nEND:VEVENT\r\n"),
            November, []),
        new("tasks", () => Calendar(
                "BEGIN:VTODO\r\nUID:t1\r\nDTSTAMP:20261101T000000Z\r\nSUMMARY:Open\r\nDUE:20261125T170000Z\r\nEND:VTODO\r\n",
                "BEGIN:VTODO\r\nUID:t2\r\nDTSTAMP:20261101T000000Z\r\nSUMMARY:Open, no due date\r\nEND:VTODO\r\n",
                "BEGIN:VTODO\r\nUID:t3\r\nDTSTAMP:20261101T000000Z\r\nSUMMARY:Done\r\nSTATUS:COMPLETED\r\nEND:VTODO\r\n",
                "BEGIN:VTODO\r\nUID:t4\r\nDTSTAMP:20261101T000000Z\r\nSUMMARY:Cancelled\r\nSTATUS:CANCELLED\r\nEND:VTODO\r\n"),
            November, []),
        new("a mix with an EXDATE, an override and events outside the window", () => Calendar(
                "BEGIN:VTODO\r\nUID:m-t1\r\nDTSTAMP:20261101T000000Z\r\nSUMMARY:Open task\r\nEND:VTODO\r\n",
                "BEGIN:VTODO\r\nUID:m-t2\r\nDTSTAMP:20261101T000000Z\r\nSUMMARY:Done task\r\nSTATUS:COMPLETED\r\nEND:VTODO\r\n",
                "BEGIN:VEVENT\r\nUID:m-daily\r\nDTSTAMP:20261101T000000Z\r\nSUMMARY:Daily check\r\nDTSTART:20261120T080000Z\r\nDURATION:PT15M\r\nRRULE:FREQ=DAILY;COUNT=10\r\nEXDATE:20261124T080000Z\r\nEND:VEVENT\r\n",
                "BEGIN:VEVENT\r\nUID:m-daily\r\nDTSTAMP:20261101T000000Z\r\nRECURRENCE-ID:20261125T080000Z\r\nSUMMARY:Daily check (moved)\r\nDTSTART:20261125T100000Z\r\nDURATION:PT15M\r\nEND:VEVENT\r\n",
                "BEGIN:VEVENT\r\nUID:m-soon\r\nDTSTAMP:20261101T000000Z\r\nSUMMARY:Soon\r\nDTSTART;VALUE=DATE:20261201\r\nEND:VEVENT\r\n",
                "BEGIN:VEVENT\r\nUID:m-past\r\nDTSTAMP:20261101T000000Z\r\nSUMMARY:Long ago\r\nDTSTART:20250101T100000Z\r\nEND:VEVENT\r\n",
                "BEGIN:VEVENT\r\nUID:m-far\r\nDTSTAMP:20261101T000000Z\r\nSUMMARY:Next year\r\nDTSTART:20271201T100000Z\r\nEND:VEVENT\r\n"),
            November, []),
        new("the sample team calendar", () => File.ReadAllText(Path.Combine(TestPaths.RepositoryRoot, "ChannelService", "wwwroot", "samples", "team-calendar.ics")), November, []),
        new("the sample team calendar, every task and a long window", () => File.ReadAllText(Path.Combine(TestPaths.RepositoryRoot, "ChannelService", "wwwroot", "samples", "team-calendar.ics")),
            November, new() { ["tasks"] = "all", ["window_past_days"] = "60", ["window_future_days"] = "120" }),
        new("corpus: Google moved occurrences", () => Corpus("rie_google_moved_occurrences.ics"), At("2023-08-05T00:00:00Z"), []),
        new("corpus: DAVx5 EXDATE with TZID", () => Corpus("rie_davx5_exdate_tzid.ics"), At("2019-10-10T00:00:00Z"), new() { ["window_future_days"] = "120" }),
        new("corpus: Thunderbird events, tasks and overrides", () => Corpus("rie_thunderbird_events_todos_overrides.ics"), At("2024-12-17T00:00:00Z"), new() { ["tasks"] = "all" }),
        new("corpus: Outlook weekday stand-up", () => Corpus("ical4j_outlook11_recurring_standup.ics"), November, []),
        new("corpus: Mozilla events and tasks over ten years (several pages)", () => Corpus("ical4j_mozilla10_events_todos.ics"), November,
            new() { ["tasks"] = "all", ["window_past_days"] = "3650", ["window_future_days"] = "3650" }),
        new("corpus: Mozilla events and tasks, one ticket per series", () => Corpus("ical4j_mozilla10_events_todos.ics"), November,
            new() { ["recurring"] = "series", ["window_future_days"] = "3650" }),
    ];

    [SetUp]
    public async Task StartAsync()
    {
        feed = await FeedServer.StartAsync();
        factory = new ServiceFactory(new Dictionary<string, string?> { ["Channel:AllowPrivateNetworkSources"] = "true" });
    }

    [TearDown]
    public async Task StopAsync()
    {
        client?.Dispose();
        if (host is not null)
        {
            await host.DisposeAsync();
        }

        await factory.DisposeAsync();
        await feed.DisposeAsync();
    }

    [TestCaseSource(nameof(Cases))]
    public async Task Test_Connection_Preview_And_The_First_Pull_Agree_On_The_Number_Of_Tickets(Case feedCase)
    {
        feed.Body = feedCase.Body();
        host = factory.WithWebHostBuilder(b => b.ConfigureTestServices(s => s.AddSingleton<TimeProvider>(new ManualTimeProvider(feedCase.Now))));
        client = host.CreateClient(new() { AllowAutoRedirect = false, HandleCookies = false });
        var admin = new AdminDriver(client);

        // Test connection, through the admin pages, then Save: the metadata Zendesk would store.
        var details = await admin.SubmitAsync(await admin.StartAsync(), "kind", new() { ["kind"] = "ics" });
        var typed = new Dictionary<string, string>(feedCase.Options) { ["url"] = feed.Url };
        var tested = await admin.SubmitAsync(details, "test", typed);
        var result = tested.QuerySelector("#test-result.ok")?.TextContent;
        Assert.That(result, Is.Not.Null, () => "the test failed: " + AdminDriver.Text(tested));
        var fromTestConnection = WouldBecomeTickets().Match(result!) is { Success: true } m ? int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
        var saved = await admin.SubmitAsync(tested, "save");
        var metadata = saved.QuerySelector("form#return-form input[name=metadata]")?.GetAttribute("value");
        Assert.That(metadata, Is.Not.Null, () => "not saved: " + AdminDriver.Text(saved));

        // preview, from the command line, of the same calendar as a local file with the same options and clock.
        var fromPreview = await PreviewAsync(feed.Body, feedCase);

        // The first pull(s), until the backlog is empty.
        var zendesk = await DrainAsync(metadata!);

        Assert.That(zendesk.Tickets, Is.Not.Empty, "a case that creates no ticket would prove nothing");
        Assert.That(fromTestConnection, Is.EqualTo(zendesk.Tickets.Count), "Test connection's count == tickets the first pull created");
        Assert.That(fromPreview.Counted, Is.EqualTo(zendesk.Tickets.Count), "preview's count == tickets the first pull created");
        Assert.That(fromPreview.Openings, Is.EqualTo(zendesk.Tickets.Count), "preview's openings == tickets the first pull created");
    }

    /// <summary>The same agreement for CalDAV: a calendar (series with an override and an EXDATE, events in and out of the window) and a task list.</summary>
    [TestCase("caldav-calendar")]
    [TestCase("caldav-tasks")]
    public async Task Test_Connection_Preview_And_The_First_Pull_Agree_For_CalDAV(string kind)
    {
        await using var radicale = await RadicaleServer.StartAsync();
        var collection = await radicale.CreateCollectionAsync(components: kind == "caldav-tasks" ? "VTODO" : "VEVENT");
        var objects = kind == "caldav-tasks"
            ? new[]
            {
                ("t1", Calendar("BEGIN:VTODO\r\nUID:t1\r\nDTSTAMP:20261101T000000Z\r\nSUMMARY:Open\r\nDUE:20261125T170000Z\r\nEND:VTODO\r\n")),
                ("t2", Calendar("BEGIN:VTODO\r\nUID:t2\r\nDTSTAMP:20261101T000000Z\r\nSUMMARY:No due date\r\nEND:VTODO\r\n")),
                ("t3", Calendar("BEGIN:VTODO\r\nUID:t3\r\nDTSTAMP:20261101T000000Z\r\nSUMMARY:Done\r\nSTATUS:COMPLETED\r\nEND:VTODO\r\n")),
                ("t4", Calendar("BEGIN:VTODO\r\nUID:t4\r\nDTSTAMP:20261101T000000Z\r\nSUMMARY:In process\r\nSTATUS:IN-PROCESS\r\nEND:VTODO\r\n")),
            }
            : new[]
            {
                ("daily", Calendar(
                    "BEGIN:VEVENT\r\nUID:daily\r\nDTSTAMP:20261101T000000Z\r\nSUMMARY:Daily check\r\nDTSTART:20261120T090000Z\r\nDURATION:PT15M\r\nRRULE:FREQ=DAILY;COUNT=10\r\nEXDATE:20261124T090000Z\r\nEND:VEVENT\r\n",
                    "BEGIN:VEVENT\r\nUID:daily\r\nDTSTAMP:20261101T000000Z\r\nRECURRENCE-ID:20261125T090000Z\r\nSUMMARY:Daily check (moved)\r\nDTSTART:20261125T100000Z\r\nDURATION:PT15M\r\nEND:VEVENT\r\n")),
                ("weekly", Calendar("BEGIN:VEVENT\r\nUID:weekly\r\nDTSTAMP:20261101T000000Z\r\nSUMMARY:Weekly sync\r\nDTSTART:20250101T090000Z\r\nDURATION:PT30M\r\nRRULE:FREQ=WEEKLY\r\nEND:VEVENT\r\n")),
                ("soon", Calendar("BEGIN:VEVENT\r\nUID:soon\r\nDTSTAMP:20261101T000000Z\r\nSUMMARY:Soon\r\nDTSTART:20261201T100000Z\r\nDURATION:PT1H\r\nEND:VEVENT\r\n")),
                ("far", Calendar("BEGIN:VEVENT\r\nUID:far\r\nDTSTAMP:20261101T000000Z\r\nSUMMARY:Next year\r\nDTSTART:20271201T100000Z\r\nDURATION:PT1H\r\nEND:VEVENT\r\n")),
            };
        foreach (var (name, body) in objects)
        {
            using var put = await radicale.SendAsync(HttpMethod.Put, new Uri(collection, name + ".ics"), body);
            Assert.That(put.IsSuccessStatusCode, Is.True, name);
        }

        host = factory.WithWebHostBuilder(b => b.ConfigureTestServices(s => s.AddSingleton<TimeProvider>(new ManualTimeProvider(November))));
        client = host.CreateClient(new() { AllowAutoRedirect = false, HandleCookies = false });
        var admin = new AdminDriver(client);
        var details = await admin.SubmitAsync(await admin.StartAsync(), "kind", new() { ["kind"] = kind });
        var tested = await admin.SubmitAsync(details, "test", new() { ["url"] = collection.AbsoluteUri, ["username"] = radicale.UserName, ["password"] = radicale.Password });
        var result = tested.QuerySelector("#test-result.ok")?.TextContent;
        Assert.That(result, Is.Not.Null, () => "the test failed: " + AdminDriver.Text(tested));
        var fromTestConnection = WouldBecomeTickets().Match(result!) is { Success: true } m ? int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
        var saved = await admin.SubmitAsync(tested, "save");
        var metadata = saved.QuerySelector("form#return-form input[name=metadata]")?.GetAttribute("value");
        Assert.That(metadata, Is.Not.Null, () => "not saved: " + AdminDriver.Text(saved));

        // preview, with the password on standard input and loopback allowed as the test host allows it.
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Channel:AllowPrivateNetworkSources"] = "true" }).Build();
        var code = await CommandLine.RunAsync(
            ["preview", "--kind", kind, "--url", collection.AbsoluteUri, "--username", radicale.UserName, "--password-stdin", "--now", November.ToString("O", CultureInfo.InvariantCulture)],
            configuration,
            new StringReader(radicale.Password + "\n"),
            stdout,
            stderr);
        Assert.That(code, Is.Zero, stderr.ToString());
        var fromPreview = (int)JsonNode.Parse(stdout.ToString())!["tickets"]!;

        var zendesk = await DrainAsync(metadata!);

        Assert.That(zendesk.Tickets, Is.Not.Empty);
        Assert.That((fromTestConnection, fromPreview), Is.EqualTo((zendesk.Tickets.Count, zendesk.Tickets.Count)), "Test connection, preview, first pull");
        Assert.That(zendesk.Tickets.Count, Is.EqualTo(kind == "caldav-tasks" ? 3 : 13), kind == "caldav-tasks"
            ? "three open tasks"
            : "8 daily occurrences from 21 Nov (one EXDATE'd, one moved), 4 weekly ones, the event soon");
    }

    private async Task<FakeZendesk> DrainAsync(string metadata)
    {
        var zendesk = new FakeZendesk();
        for (var pulls = 0; ; pulls++)
        {
            Assert.That(pulls, Is.LessThan(50), "the backlog never drained");
            var form = new Dictionary<string, string> { ["metadata"] = metadata };
            if (zendesk.State is { } state)
            {
                form["state"] = state;
            }

            using var response = await client.PostAsync("/pull", new FormUrlEncodedContent(form));
            var body = await response.Content.ReadAsStringAsync();
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), body);
            var json = JsonNode.Parse(body)!;
            zendesk.Apply(json);
            if (json["external_resources"]!.AsArray().Count == 0)
            {
                return zendesk;
            }
        }
    }

    private static async Task<(int Counted, int Openings)> PreviewAsync(string body, Case feedCase)
    {
        var file = Path.Combine(Path.GetTempPath(), $"count-{Guid.NewGuid():N}.ics");
        await File.WriteAllTextAsync(file, body);
        try
        {
            var args = new List<string> { "preview", "--kind", "ics", "--url", file, "--now", feedCase.Now.ToString("O", CultureInfo.InvariantCulture) };
            foreach (var (key, value) in feedCase.Options)
            {
                args.AddRange(["--option", $"{key}={value}"]);
            }

            using var stdout = new StringWriter();
            using var stderr = new StringWriter();
            var code = await CommandLine.RunAsync([.. args], new ConfigurationBuilder().Build(), new StringReader(string.Empty), stdout, stderr);
            Assert.That(code, Is.Zero, stderr.ToString());
            var json = JsonNode.Parse(stdout.ToString())!;
            var openings = json["external_resources"]!.AsArray().Select(r => (string)r!["thread_id"]!).Distinct(StringComparer.Ordinal).Count();
            return ((int)json["tickets"]!, openings);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [GeneratedRegex(@"(\d+) would become tickets")]
    private static partial Regex WouldBecomeTickets();
}
