using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using ChannelService.Accounts;
using ChannelService.Pull;
using ChannelService.Tests.Support;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace ChannelService.Tests.Pull;

/// <summary>
/// The pull end to end: a real feed on loopback, the real service, and a small Zendesk that applies every response
/// the way Zendesk does (dedupe by external_id, thread by thread_id, state only from successful answers).
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "NUnit disposes them in TearDown")]
[TestFixtureSource(typeof(TestStore), nameof(TestStore.Both))]
public sealed partial class PullScenarioTests(TestStore testStore)
{
    private static readonly DateTimeOffset Start = new(2026, 11, 22, 8, 0, 0, TimeSpan.Zero);

    private FeedServer feed = null!;
    private ServiceFactory factory = null!;
    private ManualTimeProvider clock = null!;
    private HttpClient client = null!;
    private Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactory<Program> host = null!;

    [SetUp]
    public async Task StartAsync()
    {
        feed = await FeedServer.StartAsync();
        clock = new ManualTimeProvider(Start);
        factory = new ServiceFactory(new Dictionary<string, string?> { ["Channel:AllowPrivateNetworkSources"] = "true" }, store: testStore);
        StartHost();
    }

    private void StartHost()
    {
        host = factory.WithWebHostBuilder(b => b.ConfigureTestServices(s => s.AddSingleton<TimeProvider>(clock)));
        client = host.CreateClient();
    }

    /// <summary>Stops the web host and starts a new one on the same data folder, as a service restart does.</summary>
    private async Task RestartAsync()
    {
        client.Dispose();
        await host.DisposeAsync();

        // Pooled connections would outlive the host inside this process; a restarted service opens the file afresh.
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        StartHost();
    }

    /// <summary>A new host on a new, empty data folder that holds only the old keys.json (the database is lost).</summary>
    private async Task ReplaceDatabaseAsync()
    {
        client.Dispose();
        await host.DisposeAsync();
        var fresh = new ServiceFactory(new Dictionary<string, string?> { ["Channel:AllowPrivateNetworkSources"] = "true" }, store: testStore);
        Directory.CreateDirectory(fresh.DataDirectory);
        File.Copy(Path.Combine(factory.DataDirectory, "keys.json"), Path.Combine(fresh.DataDirectory, "keys.json"));
        await factory.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        factory = fresh;
        StartHost();
    }

    [TearDown]
    public async Task StopAsync()
    {
        client.Dispose();
        await host.DisposeAsync();
        await factory.DisposeAsync();
        await feed.DisposeAsync();
    }

    private string Metadata(params string[] options)
    {
        var codec = host.Services.GetRequiredService<MetadataCodec>();
        var pairs = options.Select(o => o.Split('=', 2)).Select(p => new KeyValuePair<string, string>(p[0], p[1])).ToList();
        return codec.Encode(new NewAccountRequest("ics", feed.Url, null, null, "Team calendar", pairs).Create(TimeProvider.System));
    }

    private async Task<(HttpStatusCode Status, JsonNode? Body)> PullAsync(string metadata, string? state)
    {
        var form = new Dictionary<string, string> { ["metadata"] = metadata };
        if (state is not null)
        {
            form["state"] = state;
        }

        using var response = await client.PostAsync("/pull", new FormUrlEncodedContent(form));
        var text = await response.Content.ReadAsStringAsync();
        var body = JsonNode.Parse(text);
        if (response.IsSuccessStatusCode)
        {
            ZendeskSchemas.AssertValid("pull_payload.json", text);
        }

        return (response.StatusCode, body);
    }

    /// <summary>Pulls until the backlog is empty, applying each answer to <paramref name="zendesk"/>.</summary>
    private async Task<int> DrainAsync(string metadata, FakeZendesk zendesk, Random? loseSome = null)
    {
        var pulls = 0;
        for (var i = 0; i < 100; i++)
        {
            var (status, body) = await PullAsync(metadata, zendesk.State);
            Assert.That(status, Is.EqualTo(HttpStatusCode.OK), body?.ToJsonString());
            pulls++;
            if (loseSome is not null && loseSome.Next(3) == 0)
            {
                continue; // the response never reached Zendesk: it keeps its old state and pulls again
            }

            zendesk.Apply(body!);
            if (body!["external_resources"]!.AsArray().Count == 0)
            {
                return pulls;
            }
        }

        Assert.Fail("the backlog never drained");
        return pulls;
    }

    private static string Calendar(params string[] components) =>
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n" + string.Concat(components) + "END:VCALENDAR\r\n";

    private static string Task(string uid, string summary, string due = "20261125T170000Z", string status = "NEEDS-ACTION", string extra = "") =>
        $"BEGIN:VTODO\r\nUID:{uid}\r\nDTSTAMP:20261101T000000Z\r\nSUMMARY:{summary}\r\nDUE:{due}\r\nSTATUS:{status}\r\n{extra}END:VTODO\r\n";

    private static string Event(string uid, string summary, string start, string end, string extra = "") =>
        $"BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20261101T000000Z\r\nSUMMARY:{summary}\r\nDTSTART:{start}\r\nDTEND:{end}\r\n{extra}END:VEVENT\r\n";

    [Test]
    public async Task First_Sync_Imports_Open_Tasks_And_Events_In_The_Window_As_Tickets()
    {
        feed.Body = Calendar(
            Task("t-open", "Renew certificate"),
            Task("t-done", "Old chore", status: "COMPLETED"),
            Event("e-soon", "Planning", "20261124T090000Z", "20261124T100000Z"),
            Event("e-far", "Offsite", "20270301T090000Z", "20270301T170000Z"),
            Event("e-past", "Retro", "20261001T090000Z", "20261001T100000Z"));
        var zendesk = new FakeZendesk();

        await DrainAsync(Metadata(), zendesk);

        Assert.That(zendesk.Tickets.Values.Select(t => t.Subject), Is.EquivalentTo(new[] { "Renew certificate", "Planning" }));
        Assert.That(zendesk.Duplicates, Is.Zero);
    }

    [Test]
    public async Task An_Events_Start_Date_Goes_To_The_Configured_Date_Field_In_The_Accounts_Zone_When_Its_Ticket_Is_Created()
    {
        // 23:30 UTC on 24 Nov is already 25 Nov in Berlin; an all-day start is its own date wherever the account is.
        feed.Body = Calendar(
            Event("e-late", "Late call", "20261124T233000Z", "20261125T003000Z"),
            "BEGIN:VEVENT\r\nUID:e-day\r\nDTSTAMP:20261101T000000Z\r\nSUMMARY:Away day\r\nDTSTART;VALUE=DATE:20261126\r\nDTEND;VALUE=DATE:20261127\r\nEND:VEVENT\r\n",
            Task("t-open", "Renew certificate"));

        var (_, body) = await PullAsync(Metadata("time_zone=Europe/Berlin", "start_date_field=360000000042"), null);

        var dates = body!["external_resources"]!.AsArray().ToDictionary(
            r => (string)r!["fields"]!.AsArray().Single(f => (string?)f!["id"]?.ToString() == "subject")!["value"]!,
            r => r!["fields"]!.AsArray().Where(f => f!["id"]!.GetValueKind() == System.Text.Json.JsonValueKind.Number && (long)f["id"]! == 360000000042).Select(f => (string)f!["value"]!).SingleOrDefault());
        Assert.That(dates, Is.EquivalentTo(new Dictionary<string, string?> { ["Late call"] = "2026-11-25", ["Away day"] = "2026-11-26", ["Renew certificate"] = null }));
        foreach (var r in body["external_resources"]!.AsArray())
        {
            ZendeskSchemas.AssertValid("external_resource.json", r!.ToJsonString());
        }
    }

    [Test]
    public async Task Every_Resource_Is_A_Valid_External_Resource_Threaded_By_Item()
    {
        feed.Body = Calendar(Task("t1", "One"), Task("t2", "Two"));

        var (_, body) = await PullAsync(Metadata(), null);

        var resources = body!["external_resources"]!.AsArray();
        Assert.That(resources, Has.Count.EqualTo(2));
        foreach (var r in resources)
        {
            ZendeskSchemas.AssertValid("external_resource.json", r!.ToJsonString());
            Assert.That((bool)r["allow_channelback"]!, Is.False, "a feed is read-only");
        }

        Assert.That(resources.Select(r => (string)r!["thread_id"]!).Distinct().Count(), Is.EqualTo(2));
    }

    [Test]
    public async Task Changes_Become_Comments_On_The_Same_Ticket_And_A_Dtstamp_Rewrite_Says_Nothing()
    {
        var metadata = Metadata("time_zone=Europe/Berlin");
        feed.Body = Calendar(Task("t1", "Renew certificate"), Event("e1", "Planning", "20261124T090000Z", "20261124T100000Z", "LOCATION:Room 1\r\n"));
        var zendesk = new FakeZendesk();
        await DrainAsync(metadata, zendesk);

        feed.Body = Calendar(
            Task("t1", "Renew certificate", due: "20261128T110000Z", status: "COMPLETED"),
            Event("e1", "Planning", "20261124T090000Z", "20261124T100000Z", "LOCATION:Room 2\r\n")).Replace("DTSTAMP:20261101T000000Z", "DTSTAMP:20261122T070000Z");
        clock.Advance(TimeSpan.FromMinutes(2));
        await DrainAsync(metadata, zendesk);

        var task = zendesk.Tickets.Values.Single(t => t.Subject == "Renew certificate");
        Assert.That(task.Comments, Is.EqualTo(new[] { "Due date moved from Wed 25 Nov 18:00 to Sat 28 Nov 12:00 (Europe/Berlin)\nStatus: completed" }));
        Assert.That(zendesk.Tickets.Values.Single(t => t.Subject == "Planning").Comments, Is.EqualTo(new[] { "Location changed to Room 2" }));

        feed.Body = feed.Body.Replace("DTSTAMP:20261122T070000Z", "DTSTAMP:20261122T090000Z");
        clock.Advance(TimeSpan.FromMinutes(2));
        await DrainAsync(metadata, zendesk);
        Assert.That(zendesk.Tickets.Values.Sum(t => t.Comments.Count), Is.EqualTo(2), "a DTSTAMP-only rewrite makes no comment");
    }

    [Test]
    public async Task A_Summary_Change_And_An_Attendee_Answer_Each_Become_One_Comment()
    {
        var metadata = Metadata();
        const string People = "ORGANIZER;CN=Bo:mailto:bo@example.org\r\nATTENDEE;CN=Alice;PARTSTAT=NEEDS-ACTION:mailto:alice@example.org\r\n"
            + "ATTENDEE;CN=Carl;PARTSTAT=ACCEPTED:mailto:carl@example.org\r\n";
        feed.Body = Calendar(Task("t1", "Renew certificate"), Event("e1", "Planning", "20261124T090000Z", "20261124T100000Z", People));
        var zendesk = new FakeZendesk();
        await DrainAsync(metadata, zendesk);

        feed.Body = Calendar(Task("t1", "Renew TLS certificate"), Event("e1", "Planning", "20261124T090000Z", "20261124T100000Z", People));
        clock.Advance(TimeSpan.FromMinutes(1));
        await DrainAsync(metadata, zendesk);
        feed.Body = Calendar(Task("t1", "Renew TLS certificate"), Event("e1", "Planning", "20261124T090000Z", "20261124T100000Z", People.Replace("PARTSTAT=NEEDS-ACTION", "PARTSTAT=DECLINED")));
        clock.Advance(TimeSpan.FromMinutes(1));
        await DrainAsync(metadata, zendesk);

        Assert.That(zendesk.Tickets.Values.Single(t => t.Subject == "Renew certificate").Comments, Is.EqualTo(new[] { "Title changed from \"Renew certificate\" to \"Renew TLS certificate\"" }));
        Assert.That(zendesk.Tickets.Values.Single(t => t.Subject == "Planning").Comments, Is.EqualTo(new[] { "Alice declined" }), "Carl did not change his answer");
        Assert.That(zendesk.Duplicates, Is.Zero);
    }

    [Test]
    public async Task A_Restart_Between_Pulls_Resends_Nothing_And_Later_Changes_Arrive()
    {
        var metadata = Metadata();
        feed.Body = Calendar(Task("t1", "One"), Task("t2", "Two"));
        var zendesk = new FakeZendesk();
        await DrainAsync(metadata, zendesk);

        await RestartAsync();
        var notModified = feed.NotModified;
        var (status, body) = await PullAsync(metadata, zendesk.State);
        Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(body!["external_resources"]!.AsArray(), Is.Empty, "the new host knows what Zendesk has");
        Assert.That(feed.NotModified, Is.EqualTo(notModified + 1), "and still sends the feed's ETag");
        zendesk.Apply(body);

        feed.Body = Calendar(Task("t1", "One"), Task("t2", "Two", status: "COMPLETED"), Task("t3", "Three"));
        clock.Advance(TimeSpan.FromMinutes(1));
        await DrainAsync(metadata, zendesk);

        Assert.That(zendesk.Tickets.Values.Select(t => t.Subject), Is.EquivalentTo(new[] { "One", "Two", "Three" }));
        Assert.That(zendesk.Tickets.Values.Single(t => t.Subject == "Two").Comments, Is.EqualTo(new[] { "Status: completed" }));
        Assert.That(zendesk.Tickets.Values.Single(t => t.Subject == "One").Comments, Is.Empty);
        Assert.That(zendesk.Duplicates, Is.Zero);
    }

    [Test]
    public async Task Comments_Written_In_The_Source_Become_Comments_And_Change_Notes_Can_Be_Internal_Notes()
    {
        var metadata = Metadata("change_notes=internal");
        feed.Body = Calendar(Task("t1", "Renew certificate"));
        var zendesk = new FakeZendesk();
        await DrainAsync(metadata, zendesk);
        var thread = zendesk.Tickets.Keys.Single();

        feed.Body = Calendar(Task("t1", "Renew certificate", status: "COMPLETED", extra: "COMMENT:Done by Bob\\, see the log\r\n"));
        clock.Advance(TimeSpan.FromMinutes(2));
        var (_, body) = await PullAsync(metadata, zendesk.State);

        var resources = body!["external_resources"]!.AsArray();
        Assert.That(resources.Select(r => (string)r!["thread_id"]!), Has.All.EqualTo(thread));
        var note = resources.Single(r => (string)r!["message"]! == "Status: completed")!;
        var comment = resources.Single(r => (string)r!["message"]! == "Done by Bob, see the log")!;
        Assert.That((bool?)note["internal_note"], Is.True, "change_notes=internal: only agents see what changed");
        Assert.That((bool?)comment["internal_note"] ?? false, Is.False, "a comment written in the source is not a change note");
        Assert.That(resources, Has.Count.EqualTo(2));
    }

    [Test]
    public async Task A_Deleted_Item_Gets_A_Final_Comment()
    {
        var metadata = Metadata();
        feed.Body = Calendar(Task("t1", "Keep"), Task("t2", "Remove"));
        var zendesk = new FakeZendesk();
        await DrainAsync(metadata, zendesk);

        feed.Body = Calendar(Task("t1", "Keep"));
        await DrainAsync(metadata, zendesk);

        Assert.That(zendesk.Tickets.Values.Single(t => t.Subject == "Remove").Comments, Is.EqualTo(new[] { "Deleted from the task list" }));
        Assert.That(zendesk.Tickets.Values.Single(t => t.Subject == "Keep").Comments, Is.Empty);
    }

    [Test]
    public async Task A_Thousand_Items_Arrive_In_Pages_Of_At_Most_200_Exactly_Once()
    {
        feed.Body = Calendar(Enumerable.Range(0, 1000).Select(i => Task($"t{i}", $"Task {i}")).ToArray());
        var zendesk = new FakeZendesk();
        var metadata = Metadata();

        var sizes = new List<int>();
        for (var i = 0; i < 10; i++)
        {
            var (_, body) = await PullAsync(metadata, zendesk.State);
            sizes.Add(body!["external_resources"]!.AsArray().Count);
            zendesk.Apply(body);
            if (sizes[^1] == 0)
            {
                break;
            }
        }

        Assert.That(sizes, Is.EqualTo(new[] { 200, 200, 200, 200, 200, 0 }));
        Assert.That(zendesk.Tickets, Has.Count.EqualTo(1000));
        Assert.That(zendesk.Duplicates, Is.Zero);
    }

    [Test]
    public async Task Lost_Responses_Are_Sent_Again_And_Nothing_Is_Lost_Or_Doubled()
    {
        var metadata = Metadata();
        var zendesk = new FakeZendesk();
        var random = new Random(7);
        feed.Body = Calendar(Enumerable.Range(0, 450).Select(i => Task($"t{i}", $"Task {i}")).ToArray());
        await DrainAsync(metadata, zendesk, random);

        feed.Body = Calendar(Enumerable.Range(0, 450).Select(i => Task($"t{i}", $"Task {i}", status: i % 3 == 0 ? "COMPLETED" : "NEEDS-ACTION")).ToArray());
        await DrainAsync(metadata, zendesk, random);
        await DrainAsync(metadata, zendesk);

        Assert.That(zendesk.Tickets, Has.Count.EqualTo(450));
        Assert.That(zendesk.Tickets.Values.Where(t => t.Comments.Count == 1).Count(), Is.EqualTo(150));
        Assert.That(zendesk.Tickets.Values.All(t => t.Comments.Count <= 1), Is.True, "each change arrives once");
        Assert.That(zendesk.Tickets.Values.Where(t => t.Comments.Count == 1).All(t => t.Comments[0] == "Status: completed"), Is.True);
    }

    [Test]
    public async Task Concurrent_Pulls_Of_One_Account_Never_Mix_Their_State()
    {
        var metadata = Metadata();
        feed.Body = Calendar(Enumerable.Range(0, 300).Select(i => Task($"t{i}", $"Task {i}")).ToArray());

        var answers = await System.Threading.Tasks.Task.WhenAll(Enumerable.Range(0, 4).Select(_ => PullAsync(metadata, null)));

        Assert.That(answers.Select(a => a.Status), Is.All.EqualTo(HttpStatusCode.OK));
        var zendesk = new FakeZendesk();
        zendesk.Apply(answers[^1].Body!);
        await DrainAsync(metadata, zendesk);
        Assert.That(zendesk.Tickets, Has.Count.EqualTo(300));
    }

    [Test]
    public async Task Time_Moves_Even_When_The_Feed_Does_Not()
    {
        var metadata = Metadata();
        feed.Body = Calendar(Event("e-later", "Launch", "20270101T090000Z", "20270101T100000Z"));
        var zendesk = new FakeZendesk();
        await DrainAsync(metadata, zendesk);
        Assert.That(zendesk.Tickets, Is.Empty);

        clock.Advance(TimeSpan.FromDays(15));
        var before = feed.Requests;
        await DrainAsync(metadata, zendesk);

        Assert.That(zendesk.Tickets.Values.Single().Subject, Is.EqualTo("Launch"));
        Assert.That(feed.Requests - before, Is.EqualTo(2), "each pull asked once and got 304");
    }

    [Test]
    public async Task A_Lost_Database_Resyncs_Without_Duplicate_Tickets()
    {
        var metadata = Metadata();
        feed.Body = Calendar(Task("t1", "One"), Task("t2", "Two"));
        var zendesk = new FakeZendesk();
        await DrainAsync(metadata, zendesk);

        // A new service on a new, empty database; Zendesk still holds the old state and metadata.
        await using var fresh = new ServiceFactory(new Dictionary<string, string?>
        {
            ["Channel:AllowPrivateNetworkSources"] = "true",
        }, store: testStore);
        foreach (var keyFile in new[] { "keys.json" })
        {
            Directory.CreateDirectory(fresh.DataDirectory);
            File.Copy(Path.Combine(factory.DataDirectory, keyFile), Path.Combine(fresh.DataDirectory, keyFile));
        }

        using var freshClient = fresh.CreateClient();
        using var response = await freshClient.PostAsync("/pull", new FormUrlEncodedContent(new Dictionary<string, string> { ["metadata"] = metadata, ["state"] = zendesk.State! }));
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        zendesk.Apply(body);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(body["external_resources"]!.AsArray(), Has.Count.EqualTo(2), "everything is sent again");
        Assert.That(zendesk.Tickets, Has.Count.EqualTo(2), "and Zendesk drops all of it as already imported");
        Assert.That(zendesk.Duplicates, Is.EqualTo(2));
    }

    /// <param name="stateKnowsFirstSync">False: Zendesk holds a state minted before states carried the first sync time.</param>
    [TestCase(true)]
    [TestCase(false)]
    public async Task After_A_Lost_Database_A_Task_Completed_Meanwhile_Is_Told_When_The_State_Knows_The_First_Sync(bool stateKnowsFirstSync)
    {
        var metadata = Metadata("time_zone=Europe/Berlin");
        const string Old = "COMPLETED:20261001T120000Z\r\n";
        feed.Body = Calendar(Task("t1", "One"), Task("t2", "Two"), Task("t-old", "Done long ago", status: "COMPLETED", extra: Old));
        var zendesk = new FakeZendesk();
        await DrainAsync(metadata, zendesk);
        var codec = host.Services.GetRequiredService<PullStateCodec>();
        var state = codec.Decode(zendesk.State, AccountIdOf(metadata))!;
        Assert.That(state.FirstSyncedAt, Is.EqualTo(Start), "the state carries the first sync");
        var held = stateKnowsFirstSync ? zendesk.State! : codec.Encode(state with { FirstSyncedAt = null });

        await ReplaceDatabaseAsync();
        clock.Advance(TimeSpan.FromHours(2));
        feed.Body = Calendar(Task("t1", "One", status: "COMPLETED", extra: "COMPLETED:20261122T093000Z\r\n"), Task("t2", "Two"), Task("t-old", "Done long ago", status: "COMPLETED", extra: Old));
        var resync = new FakeZendesk();
        resync.Apply(new JsonObject { ["external_resources"] = new JsonArray(), ["state"] = held });
        var sent = new List<JsonNode>();
        for (var (status, body) = await PullAsync(metadata, resync.State); ; (status, body) = await PullAsync(metadata, resync.State))
        {
            Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
            var resources = body!["external_resources"]!.AsArray();
            sent.AddRange(resources.Select(r => r!));
            resync.Apply(body);
            if (resources.Count == 0)
            {
                break;
            }
        }

        var messages = sent.Select(r => (string)r["message"]!).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(messages.Count(m => m == "Status: completed"), Is.EqualTo(stateKnowsFirstSync ? 1 : 0), "t1's closing notice, or (without the first sync known) the earlier behaviour");
            Assert.That(messages, Has.None.Contains("Done long ago"), "a task closed before the first sync is never imported");
            Assert.That(
                sent.Select(r => (string)r["thread_id"]!).Distinct(),
                Is.EquivalentTo(zendesk.Tickets.Keys.Where(k => zendesk.Tickets[k].Uid == "t2" || (stateKnowsFirstSync && zendesk.Tickets[k].Uid == "t1"))),
                "only the threads Zendesk has: the open task, and the one whose closing it missed");
        });
    }

    private string AccountIdOf(string metadata) => host.Services.GetRequiredService<MetadataCodec>().Decode(metadata).AccountId;

    [Test]
    public async Task Undecryptable_Metadata_Is_401_And_No_Source_Is_Contacted()
    {
        var (status, body) = await PullAsync("v1.abcdefgh.AAAA", null);

        Assert.That(status, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That((string)body!["error"]!, Is.Not.Empty);
        Assert.That(feed.Requests, Is.Zero);
    }

    [Test]
    public async Task A_Tampered_Or_Foreign_State_Is_Rejected()
    {
        feed.Body = Calendar(Task("t1", "One"));
        var (_, first) = await PullAsync(Metadata(), null);
        var state = (string)first!["state"]!;

        var (tampered, _) = await PullAsync(Metadata(), state);
        var (flipped, _) = await PullAsync(Metadata(), state[..^2] + (state[^2] == 'A' ? "B" : "A") + state[^1]);

        Assert.That(tampered, Is.EqualTo(HttpStatusCode.BadRequest), "a state minted for another account");
        Assert.That(flipped, Is.EqualTo(HttpStatusCode.BadRequest));
    }

    [Test]
    public async Task Source_Failures_Answer_503_Or_502_And_Keep_The_State()
    {
        var metadata = Metadata();
        feed.Body = Calendar(Task("t1", "One"));
        var zendesk = new FakeZendesk();
        await DrainAsync(metadata, zendesk);

        feed.FailWith = HttpStatusCode.InternalServerError;
        var (status, body) = await PullAsync(metadata, zendesk.State);
        Assert.That((int)status, Is.AnyOf(502, 503));
        Assert.That((string)body!["error"]!, Is.Not.Empty);

        feed.FailWith = HttpStatusCode.Unauthorized;
        var (authStatus, authBody) = await PullAsync(metadata, zendesk.State);
        Assert.That(authStatus, Is.EqualTo(HttpStatusCode.OK));
        Assert.That((bool)authBody!["metadata_needs_update"]!, Is.True);
        Assert.That(authBody["state"], Is.Null, "an omitted state keeps Zendesk's copy");
        Assert.That(authBody["external_resources"]!.AsArray(), Is.Empty);

        feed.FailWith = null;
        feed.Body = Calendar(Task("t1", "One"), Task("t2", "Two"));
        await DrainAsync(metadata, zendesk);
        Assert.That(zendesk.Tickets, Has.Count.EqualTo(2));
    }

    [Test]
    public async Task Attachments_Become_File_Urls_And_Inline_Ones_Are_Served_Through_Signed_Expiring_Links()
    {
        feed.Body = Calendar(Task("t1", "With files", extra:
            "ATTACH:https://files.example.com/spec.pdf\r\nATTACH;ENCODING=BASE64;VALUE=BINARY;FMTTYPE=text/plain;X-FILENAME=note.txt:aGVsbG8gZmlsZQ==\r\n"));

        var (_, body) = await PullAsync(Metadata(), null);

        var urls = body!["external_resources"]![0]!["file_urls"]!.AsArray().Select(u => (string)u!).ToList();
        Assert.That(urls, Has.Count.EqualTo(2));
        Assert.That(urls[0], Is.EqualTo("https://files.example.com/spec.pdf"));
        Assert.That(urls[1], Does.StartWith("https://channel.example.com/files/"));
        var path = new Uri(urls[1]).AbsolutePath;
        using (var get = await client.GetAsync(path))
        {
            Assert.That(get.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(await get.Content.ReadAsStringAsync(), Is.EqualTo("hello file"));
            Assert.That(get.Content.Headers.ContentType?.MediaType, Is.EqualTo("text/plain"));
        }

        using (var post = await client.PostAsync(path, null))
        {
            Assert.That(post.StatusCode, Is.EqualTo(HttpStatusCode.OK), "Zendesk may fetch files with POST");
        }

        using (var tampered = await client.GetAsync(path[..^3] + (path[^3] == 'A' ? "B" : "A") + path[^2..]))
        {
            Assert.That(tampered.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        }

        clock.Advance(TimeSpan.FromDays(8));
        using var expired = await client.GetAsync(path);
        Assert.That(expired.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
    }

    private const string BerlinTz = "BEGIN:VTIMEZONE\r\nTZID:Europe/Berlin\r\nBEGIN:STANDARD\r\nDTSTART:19701025T030000\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nRRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\nEND:STANDARD\r\nBEGIN:DAYLIGHT\r\nDTSTART:19700329T020000\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\nEND:DAYLIGHT\r\nEND:VTIMEZONE\r\n";

    /// <summary>
    /// A first pull of more than one answer's worth goes out from the first items in document order while the rest
    /// of the listing is stored after the answer; items that only the whole file can key (a series and its moved
    /// occurrence, a UID written twice, an item without UID) follow in later pulls. With the zone definition after
    /// the items, the items cannot be read in order as they stream, and the whole file is parsed first.
    /// </summary>
    [TestCase(true)]
    [TestCase(false)]
    public async Task A_Large_First_Pull_Answers_From_The_First_Items_And_The_Rest_Follows_Exactly_Once(bool zoneFirst)
    {
        string Body(Func<int, string> status) => Calendar([
            zoneFirst ? BerlinTz : string.Empty,
            .. Enumerable.Range(0, 600).Select(i => Task($"t{i:D3}", $"Task {i:D3}", status: status(i))),
            "BEGIN:VEVENT\r\nUID:weekly\r\nDTSTAMP:20261101T000000Z\r\nSUMMARY:Team sync\r\nDTSTART;TZID=Europe/Berlin:20261102T100000\r\nDURATION:PT30M\r\nRRULE:FREQ=WEEKLY\r\nEND:VEVENT\r\n",
            "BEGIN:VEVENT\r\nUID:weekly\r\nDTSTAMP:20261101T000000Z\r\nRECURRENCE-ID;TZID=Europe/Berlin:20261130T100000\r\nSUMMARY:Team sync (moved)\r\nDTSTART;TZID=Europe/Berlin:20261130T120000\r\nDURATION:PT30M\r\nEND:VEVENT\r\n",
            Task("twice", "Written twice"),
            Task("twice", "Written twice"),
            "BEGIN:VEVENT\r\nDTSTAMP:20261101T000000Z\r\nSUMMARY:No UID\r\nDTSTART:20261124T090000Z\r\nDTEND:20261124T100000Z\r\nEND:VEVENT\r\n",
            zoneFirst ? string.Empty : BerlinTz]);
        var metadata = Metadata();
        feed.Body = Body(_ => "NEEDS-ACTION");
        var zendesk = new FakeZendesk();

        var (status, first) = await PullAsync(metadata, null);

        Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
        var subjects = first!["external_resources"]!.AsArray().Select(r => (string?)r!["fields"]?.AsArray().Single(f => (string?)f!["id"] == "subject")!["value"]).ToList();
        Assert.That(subjects, Is.EqualTo(Enumerable.Range(0, 200).Select(i => $"Task {i:D3}")), "the first 200 items of the file, all new tickets");
        zendesk.Apply(first);
        await DrainAsync(metadata, zendesk);

        // 600 tasks, five weekly occurrences in the 30-day window (23 Nov to 21 Dec), one task written twice, one event without UID.
        Assert.That(zendesk.Tickets, Has.Count.EqualTo(607));
        Assert.That(zendesk.Duplicates, Is.Zero);
        Assert.That(zendesk.Tickets.Values.Count(t => t.Subject == "Team sync (moved) – Mon 30 Nov 2026"), Is.EqualTo(1), "the moved occurrence is read with its override");
        Assert.That(zendesk.Tickets.Values.All(t => t.Comments.Count == 0), Is.True);

        // Both halves were stored with their content versions: one change each, in a sent and in a later item.
        feed.Body = Body(i => i is 5 or 450 ? "COMPLETED" : "NEEDS-ACTION");
        clock.Advance(TimeSpan.FromMinutes(2));
        await DrainAsync(metadata, zendesk);

        Assert.That(zendesk.Tickets.Values.Where(t => t.Comments.Count > 0).Select(t => (t.Subject, t.Comments.Single())),
            Is.EquivalentTo(new[] { ("Task 005", "Status: completed"), ("Task 450", "Status: completed") }));
    }

    [Test]
    public async Task When_Storing_The_Rest_Of_A_First_Read_Fails_The_Next_Pull_Reads_The_Feed_Again_And_Nothing_Is_Lost()
    {
        await using var failing = factory.WithWebHostBuilder(b => b.ConfigureTestServices(s =>
        {
            s.AddSingleton<TimeProvider>(clock);
            s.AddSingleton<ChannelService.Sources.ISourceFactory>(sp => new FailFirstCompletionFactory(sp));
        }));
        client.Dispose();
        client = failing.CreateClient();
        var codec = failing.Services.GetRequiredService<MetadataCodec>();
        var metadata = codec.Encode(new NewAccountRequest("ics", feed.Url, null, null, "Team calendar", []).Create(TimeProvider.System));
        feed.Body = Calendar(Enumerable.Range(0, 600).Select(i => Task($"t{i:D3}", $"Task {i:D3}")).ToArray());
        var zendesk = new FakeZendesk();

        var (_, first) = await PullAsync(metadata, null);
        Assert.That(first!["external_resources"]!.AsArray(), Has.Count.EqualTo(200), "answered before the rest was stored");
        zendesk.Apply(first);
        var before = feed.Requests;
        await DrainAsync(metadata, zendesk);

        Assert.That(feed.Requests - before, Is.GreaterThan(0));
        Assert.That(zendesk.Tickets, Has.Count.EqualTo(600));
        Assert.That(zendesk.Duplicates, Is.Zero);
        var accountId = codec.Decode(metadata).AccountId;
        var stored = await failing.Services.GetRequiredService<ChannelService.Sources.SourceItemStore>().ListAsync(accountId);
        Assert.That(stored, Has.Count.EqualTo(600), "the feed was read whole again by the next pull");
    }

    /// <summary>The service's sources, except that the first read's storing step fails once (a full disk, a crash).</summary>
    private sealed class FailFirstCompletionFactory(IServiceProvider services) : ChannelService.Sources.ISourceFactory
    {
        private readonly ChannelService.Sources.SourceFactory real = CalDavRoutingSourceFactory.Real(services);

        private int failed;

        public ChannelService.Sources.ISource Create(AccountMetadata account) => new FailingSource((ChannelService.Sources.Feeds.IcsFeedSource)real.Create(account), this);

        private sealed class FailingSource(ChannelService.Sources.Feeds.IcsFeedSource inner, FailFirstCompletionFactory owner)
            : ChannelService.Sources.ISource, ChannelService.Sources.IFirstReadSource
        {
            public SourceKind Kind => inner.Kind;

            public ChannelService.Sources.SourceCapabilities Capabilities => inner.Capabilities;

            public async Task<ChannelService.Sources.FirstRead?> BeginFirstReadAsync(CancellationToken cancellationToken = default) =>
                await inner.BeginFirstReadAsync(cancellationToken) is { } read && Interlocked.Exchange(ref owner.failed, 1) == 0
                    ? read with { Complete = () => throw new IOException("disk full") }
                    : null;

            public Task<ChannelService.Sources.SourceChanges> ReadChangesAsync(string? cursor, CancellationToken cancellationToken = default) => inner.ReadChangesAsync(cursor, cancellationToken);

            public Task<ChannelService.Sources.SourceItem?> ReadItemAsync(string itemKey, CancellationToken cancellationToken = default) => inner.ReadItemAsync(itemKey, cancellationToken);

            public Task<ChannelService.Sources.SourceWriteResult> WriteCommentAsync(ChannelService.Sources.SourceCommentWrite comment, CancellationToken cancellationToken = default) => inner.WriteCommentAsync(comment, cancellationToken);

            public Task<ChannelService.Sources.SourceWriteResult> ChangeTaskStatusAsync(ChannelService.Sources.SourceTaskStatusWrite change, CancellationToken cancellationToken = default) => inner.ChangeTaskStatusAsync(change, cancellationToken);

            public Task<ChannelService.Sources.SourceWriteResult> ChangeTaskDueAsync(ChannelService.Sources.SourceTaskDueWrite change, CancellationToken cancellationToken = default) => inner.ChangeTaskDueAsync(change, cancellationToken);

            public Uri? WebUrl(ChannelService.Sources.SourceItem item) => inner.WebUrl(item);

            public Task<ChannelService.Sources.SourceProbe> ProbeAsync(CancellationToken cancellationToken = default) => inner.ProbeAsync(cancellationToken);
        }
    }

    /// <summary>A host on the same data folder with <see cref="PullOptions"/> changed, its client and a feed account's metadata.</summary>
    private OptionsHost HostWith(Action<PullOptions> configure)
    {
        var changed = factory.WithWebHostBuilder(b => b.ConfigureTestServices(s =>
        {
            s.AddSingleton<TimeProvider>(clock);
            s.Configure(configure);
        }));
        var metadata = changed.Services.GetRequiredService<MetadataCodec>().Encode(new NewAccountRequest("ics", feed.Url, null, null, "Team calendar", []).Create(TimeProvider.System));
        return new OptionsHost(changed, changed.CreateClient(), metadata);
    }

    private sealed record OptionsHost(Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactory<Program> Host, HttpClient Client, string Metadata) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            Client.Dispose();
            await Host.DisposeAsync();
        }
    }

    [Test]
    public async Task A_Second_Pull_Of_The_Same_Account_Waits_Then_Answers_Busy()
    {
        // Arrange: the pull's lock wait comes from PullOptions; the publisher hangs until released.
        await using var impatient = HostWith(o => o.LockWait = TimeSpan.FromMilliseconds(200));
        var (impatientClient, metadata) = (impatient.Client, impatient.Metadata);
        var release = new TaskCompletionSource();
        feed.HoldUntil = release.Task;
        feed.Body = Calendar(Task("t-1", "Renew certificate"));
        using var form = new FormUrlEncodedContent(new Dictionary<string, string> { ["metadata"] = metadata });
        using var secondForm = new FormUrlEncodedContent(new Dictionary<string, string> { ["metadata"] = metadata });

        // Act
        var first = impatientClient.PostAsync("/pull", form);
        while (feed.Requests == 0)
        {
            await System.Threading.Tasks.Task.Delay(10);
        }

        using var second = await impatientClient.PostAsync("/pull", secondForm);
        release.SetResult();
        using var firstAnswer = await first;

        // Assert
        Assert.That(second.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
        Assert.That(JsonNode.Parse(await second.Content.ReadAsStringAsync())!["error"]!.GetValue<string>(), Is.EqualTo("Another pull for this account is still running; try again."));
        Assert.That(firstAnswer.StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async Task A_Source_That_Does_Not_Answer_Within_The_Budget_Is_A_503()
    {
        // Arrange: the source budget comes from PullOptions; the publisher never answers.
        await using var impatient = HostWith(o => o.SourceBudget = TimeSpan.FromMilliseconds(300));
        var (impatientClient, metadata) = (impatient.Client, impatient.Metadata);
        var never = new TaskCompletionSource();
        feed.HoldUntil = never.Task;

        // Act
        using var response = await impatientClient.PostAsync("/pull", new FormUrlEncodedContent(new Dictionary<string, string> { ["metadata"] = metadata }));

        // Assert
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
        Assert.That(JsonNode.Parse(await response.Content.ReadAsStringAsync())!["error"]!.GetValue<string>(), Is.EqualTo("The source did not answer in time."));
        never.SetResult();
    }

    [Test]
    public async Task A_Parse_Cache_Too_Small_For_The_Account_Changes_Nothing_Zendesk_Sees()
    {
        // Entries are evicted while a pull plans (its own inserts overflow the cache): every item must still be planned,
        // or an acknowledged occurrence would look removed from its series and get a deletion comment.
        await using var small = factory.WithWebHostBuilder(b => b.ConfigureTestServices(s =>
        {
            s.AddSingleton<TimeProvider>(clock);

            // No no-change shortcut at all: every pull below plans every item.
            s.Configure<PullOptions>(o => (o.ParsedItemCapacity, o.UnchangedValidity) = (4, TimeSpan.Zero));
        }));
        client.Dispose();
        client = small.CreateClient();
        var metadata = small.Services.GetRequiredService<MetadataCodec>().Encode(new NewAccountRequest("ics", feed.Url, null, null, "Team calendar", []).Create(TimeProvider.System));
        feed.Body = Calendar(Enumerable.Range(0, 12).Select(i =>
            $"BEGIN:VEVENT\r\nUID:series-{i:D2}\r\nDTSTAMP:20261101T000000Z\r\nSUMMARY:Series {i}\r\nDTSTART:202611{10 + i:D2}T090000Z\r\nDURATION:PT30M\r\nRRULE:FREQ=WEEKLY\r\nEND:VEVENT\r\n").ToArray());
        var zendesk = new FakeZendesk();
        await DrainAsync(metadata, zendesk);
        var tickets = zendesk.Tickets.Count;
        Assert.That(tickets, Is.GreaterThanOrEqualTo(48), "four or five weekly occurrences of each series in the window");

        for (var i = 0; i < 3; i++)
        {
            clock.Advance(TimeSpan.FromMinutes(2));
            await DrainAsync(metadata, zendesk);
        }

        Assert.That(zendesk.Tickets.Values.SelectMany(t => t.Comments), Is.Empty);
        Assert.That(zendesk.Tickets, Has.Count.EqualTo(tickets));
    }

    [Test]
    public async Task A_Repeated_No_Change_Pull_Asks_The_Feed_Once_And_Still_Notices_A_Change()
    {
        var metadata = Metadata();
        feed.Body = Calendar(Task("t1", "One"));
        var zendesk = new FakeZendesk();
        await DrainAsync(metadata, zendesk);

        var state = zendesk.State;
        var before = feed.Requests;
        for (var i = 0; i < 3; i++)
        {
            var (status, body) = await PullAsync(metadata, state);
            Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(body!["external_resources"]!.AsArray(), Is.Empty);
            Assert.That((string)body["state"]!, Is.EqualTo(state), "nothing to acknowledge: the same state");
        }

        Assert.That(feed.Requests - before, Is.EqualTo(3), "one conditional request per pull");

        feed.Body = Calendar(Task("t1", "One"), Task("t2", "Two"));
        await DrainAsync(metadata, zendesk);
        Assert.That(zendesk.Tickets.Values.Select(t => t.Subject), Is.EquivalentTo(new[] { "One", "Two" }));
    }

    [Test]
    public async Task Changed_Account_Settings_Are_Applied_By_The_Next_Pull_Even_When_The_Feed_Did_Not_Change()
    {
        var codec = host.Services.GetRequiredService<MetadataCodec>();
        var account = new NewAccountRequest("ics", feed.Url, null, null, "Team calendar", []).Create(TimeProvider.System);
        feed.Body = Calendar(Task("open", "Open task"), Task("done", "Done task", status: "COMPLETED"));
        var zendesk = new FakeZendesk();
        await DrainAsync(codec.Encode(account), zendesk);
        Assert.That(zendesk.Tickets.Values.Select(t => t.Subject), Is.EqualTo(new[] { "Open task" }));

        // The admin switches to all tasks; Zendesk sends the new metadata with the state it holds.
        await DrainAsync(codec.Encode(account with { Options = account.Options with { Tasks = TaskScope.All } }), zendesk);

        Assert.That(zendesk.Tickets.Values.Select(t => t.Subject), Is.EquivalentTo(new[] { "Open task", "Done task" }));
    }

    [Test]
    public async Task Recurring_Events_Become_One_Ticket_Per_Occurrence_And_A_Time_Change_Updates_Them()
    {
        var metadata = Metadata("time_zone=Europe/Berlin", "window_future_days=14");
        const string Tz = "BEGIN:VTIMEZONE\r\nTZID:Europe/Berlin\r\nBEGIN:STANDARD\r\nDTSTART:19701025T030000\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nRRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\nEND:STANDARD\r\nBEGIN:DAYLIGHT\r\nDTSTART:19700329T020000\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\nEND:DAYLIGHT\r\nEND:VTIMEZONE\r\n";
        string Series(string time) => $"BEGIN:VEVENT\r\nUID:weekly\r\nDTSTAMP:20261101T000000Z\r\nSUMMARY:Team sync\r\nDTSTART;TZID=Europe/Berlin:20261102T{time}\r\nDURATION:PT30M\r\nRRULE:FREQ=WEEKLY\r\nEND:VEVENT\r\n";
        feed.Body = Calendar(Tz, Series("100000"));
        var zendesk = new FakeZendesk();
        await DrainAsync(metadata, zendesk);

        Assert.That(zendesk.Tickets, Has.Count.EqualTo(2), "23 and 30 November fall in the 14-day window");

        feed.Body = Calendar(Tz, Series("110000"));
        await DrainAsync(metadata, zendesk);

        Assert.That(zendesk.Tickets, Has.Count.EqualTo(2), "the same occurrences, not new tickets");
        Assert.That(zendesk.Tickets.Values.Select(t => t.Comments.Single()), Has.All.StartWith("Start moved from"));
    }

    [Test]
    public async Task Occurrence_Subjects_Carry_The_Date_In_The_Accounts_Zone_And_Locale_And_Keep_Their_Tickets()
    {
        // 23:30 in New York is already the next day in UTC: the subject's date is the account's.
        string Series(string summary) => $"BEGIN:VEVENT\r\nUID:weekly\r\nDTSTAMP:20261101T000000Z\r\nSUMMARY:{summary}\r\nDTSTART:20261103T043000Z\r\nDURATION:PT30M\r\nRRULE:FREQ=WEEKLY\r\nEND:VEVENT\r\n";
        var metadata = Metadata("time_zone=America/New_York", "locale=de", "window_future_days=14");
        feed.Body = Calendar(Series("Support stand-up"));
        var zendesk = new FakeZendesk();
        await DrainAsync(metadata, zendesk);
        var threads = zendesk.Tickets.Keys.ToList();

        feed.Body = Calendar(Series("Support stand-up (new room)"));
        clock.Advance(TimeSpan.FromMinutes(2));
        await DrainAsync(metadata, zendesk);

        Assert.That(zendesk.Tickets.Values.Select(t => t.Subject), Is.EquivalentTo(new[] { "Support stand-up – Mo 23.11.2026", "Support stand-up – Mo 30.11.2026" }));
        Assert.That(zendesk.Tickets.Keys, Is.EquivalentTo(threads), "a new title comments on the same tickets (the subject is set once, at creation)");
        Assert.That(zendesk.Tickets.Values.Select(t => t.Comments.Single()), Has.All.EqualTo("Title changed from \"Support stand-up\" to \"Support stand-up (new room)\""));
    }

    [Test]
    public async Task A_Corrected_Vtimezone_Moves_The_Items_Whose_Times_Change_Once_And_Its_Rewrite_Says_Nothing()
    {
        // A zone no name resolves, so only its VTIMEZONE's rules place the items.
        static string Zone(string standardOffset = "+0100", string daylightOffset = "+0200", bool rewritten = false) =>
            "BEGIN:VTIMEZONE\r\nTZID:Office Time\r\n" + (rewritten ? "LAST-MODIFIED:20261120T000000Z\r\n" : string.Empty)
            + "BEGIN:DAYLIGHT\r\nDTSTART:19700329T020000\r\nTZOFFSETFROM:" + standardOffset + "\r\nTZOFFSETTO:" + daylightOffset + "\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\nEND:DAYLIGHT\r\n"
            + (rewritten
                ? "BEGIN:STANDARD\r\nRRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\nTZOFFSETTO:" + standardOffset + "\r\nTZOFFSETFROM:" + daylightOffset + "\r\nDTSTART:19701025T030000\r\nEND:STANDARD\r\n"
                : "BEGIN:STANDARD\r\nDTSTART:19701025T030000\r\nTZOFFSETFROM:" + daylightOffset + "\r\nTZOFFSETTO:" + standardOffset + "\r\nRRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\nEND:STANDARD\r\n")
            + "END:VTIMEZONE\r\n";
        string Body(string zone) => Calendar(
            zone,
            Event("office", "Office hours", "20261124T100000", "20261124T110000").Replace("DTSTART:", "DTSTART;TZID=Office Time:", StringComparison.Ordinal).Replace("DTEND:", "DTEND;TZID=Office Time:", StringComparison.Ordinal),
            "BEGIN:VEVENT\r\nUID:weekly\r\nDTSTAMP:20261101T000000Z\r\nSUMMARY:Weekly review\r\nDTSTART;TZID=Office Time:20261124T140000\r\nDURATION:PT30M\r\nRRULE:FREQ=WEEKLY;COUNT=3\r\nEND:VEVENT\r\n",
            Event("utc", "Call", "20261125T090000Z", "20261125T093000Z"));
        var metadata = Metadata("time_zone=Europe/Berlin");
        feed.Body = Body(Zone());
        var zendesk = new FakeZendesk();
        await DrainAsync(metadata, zendesk);
        Assert.That(zendesk.Tickets, Has.Count.EqualTo(5), "one event, three occurrences, one event in UTC");

        // Summer rules corrected: nothing in November moves, nothing is said.
        feed.Body = Body(Zone(daylightOffset: "+0300"));
        clock.Advance(TimeSpan.FromMinutes(2));
        await DrainAsync(metadata, zendesk);
        Assert.That(zendesk.Tickets.Values.SelectMany(t => t.Comments), Is.Empty, "no instant moved");

        // Winter rules corrected (+01:00 becomes +00:00): every item in the zone moves by an hour, once.
        feed.Body = Body(Zone("+0000", "+0300"));
        clock.Advance(TimeSpan.FromMinutes(2));
        await DrainAsync(metadata, zendesk);
        await DrainAsync(metadata, zendesk);

        var byTitle = zendesk.Tickets.Values.ToLookup(t => t.Subject!.Split(" – ")[0]);
        Assert.Multiple(() =>
        {
            Assert.That(byTitle["Office hours"].Single().Comments, Is.EqualTo(new[]
            {
                "Start moved from Tue 24 Nov 10:00 to Tue 24 Nov 11:00 (Europe/Berlin)\nEnd moved from Tue 24 Nov 11:00 to Tue 24 Nov 12:00 (Europe/Berlin)",
            }));
            Assert.That(byTitle["Weekly review"].Select(t => t.Comments.Single()), Has.Exactly(3).StartWith("Start moved from").And.All.StartWith("Start moved from"));
            Assert.That(byTitle["Call"].Single().Comments, Is.Empty, "an item in UTC does not move");
        });

        // The same rules written again (another order, a new LAST-MODIFIED): nothing.
        feed.Body = Body(Zone("+0000", "+0300", rewritten: true));
        clock.Advance(TimeSpan.FromMinutes(2));
        await DrainAsync(metadata, zendesk);

        Assert.That(zendesk.Tickets.Values.Sum(t => t.Comments.Count), Is.EqualTo(4));
        Assert.That(zendesk.Duplicates, Is.Zero);
    }
}
