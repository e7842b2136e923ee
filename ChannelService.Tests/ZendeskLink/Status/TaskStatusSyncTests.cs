using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using ChannelService.Accounts;
using ChannelService.Sources;
using ChannelService.Tests.Support;
using ChannelService.Tests.ZendeskLink.Changes;
using ChannelService.Tickets;
using ChannelService.ZendeskLink;
using ChannelService.ZendeskLink.Status;
using Microsoft.Extensions.DependencyInjection;

namespace ChannelService.Tests.ZendeskLink.Status;

/// <summary>
/// Issue 18 §2–4 end to end: a real Radicale task list as the source, the service pulling it through <c>/pull</c>, the
/// fake Zendesk REST API over HTTP (tickets, updates with internal notes, webhooks it signs as Zendesk does, the
/// incremental export), the change feed and the API worker. Every CalDAV request of the service is counted, so "once"
/// and "never" are measured, not assumed.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "Disposed in [TearDown].")]
public sealed class TaskStatusSyncTests
{
    private const long Ticket = 301;

    private RadicaleServer server = null!;
    private ShiftedClock clock = null!;
    private LinkTestHost host = null!;
    private HttpClient client = null!;
    private CountingHandler caldav = null!;
    private Uri collection = null!;
    private AccountMetadata account = null!;
    private string? state;

    [OneTimeSetUp]
    public async Task StartRadicale() => server = await RadicaleServer.StartAsync();

    [OneTimeTearDown]
    public async Task StopRadicale() => await server.DisposeAsync();

    [SetUp]
    public void StartService()
    {
        clock = new ShiftedClock();
        caldav = new CountingHandler();
        state = null;
        unitsByTicket.Clear();
        host = LinkTestHost.Start(
            clock: clock,
            settings: new Dictionary<string, string?>
            {
                ["Channel:ChangeFeedReconcileInterval"] = "00:00:01",
                ["Channel:DashboardUser"] = "ops",
                ["Channel:DashboardPassword"] = "dashboard-password",
            },
            services: s => s.AddSingleton<ISourceFactory>(sp => new CalDavRoutingSourceFactory(sp, () => caldav)));
        client = host.Host.CreateClient();
    }

    [TearDown]
    public async Task StopService()
    {
        client.Dispose();
        await host.DisposeAsync();
        caldav.Dispose();
    }

    [Test]
    public async Task Status_Round_Trips_Through_Both_Sides_Twice_Without_An_Echo()
    {
        // Arrange: a task with its ticket, acknowledged
        await SetUpAsync(("t-1", Ticket));

        for (var round = 1; round <= 2; round++)
        {
            // 1. An agent solves the ticket: the task is completed by the next pull, which tells nothing back.
            var sent = StatusUpdates(Ticket).Count;
            await AgentSetsAsync(Ticket, "solved");
            var resources = await PullAsync();
            var ics = await TaskAsync("t-1");
            Assert.That(Value(ics, "STATUS"), Is.EqualTo("COMPLETED"), $"round {round}");
            Assert.That(Value(ics, "PERCENT-COMPLETE"), Is.EqualTo("100"));
            Assert.That(Value(ics, "COMPLETED"), Is.Not.Null);
            Assert.That(Texts(resources), Has.None.Contains("Status"), "the pull does not tell the ticket what it did itself");
            await host.RunWorkerAsync();
            Assert.That(StatusUpdates(Ticket), Has.Count.EqualTo(sent), "nothing is sent back to the ticket");

            // 2. An agent reopens it: the task needs action again.
            await AgentSetsAsync(Ticket, "open");
            resources = await PullAsync();
            ics = await TaskAsync("t-1");
            Assert.That(Value(ics, "STATUS"), Is.EqualTo("NEEDS-ACTION"));
            Assert.That(Value(ics, "COMPLETED"), Is.Null);
            Assert.That(Texts(resources), Has.None.Contains("Status"));
            await host.RunWorkerAsync();
            Assert.That(StatusUpdates(Ticket), Has.Count.EqualTo(sent));

            // 3. The task is completed in the calendar: the ticket is solved with an internal note naming who and when.
            var completed = clock.GetUtcNow().AddMinutes(-3);
            await EditTaskAsync("t-1", "STATUS:COMPLETED", $"COMPLETED:{Ical(completed)}", "PERCENT-COMPLETE:100", "ATTENDEE;CN=Bo Berg;PARTSTAT=COMPLETED:mailto:bo@example.org");
            await PullAsync();
            await host.RunWorkerAsync();
            Assert.That((string?)host.Api.Ticket(Ticket)!["status"], Is.EqualTo("solved"));
            var note = host.Api.Comments(Ticket)[^1];
            Assert.That(note.Public, Is.False, "an internal note");
            Assert.That(note.Body, Does.Contain("completed in the calendar by Bo Berg on " + Instant(completed)));

            // Its echo comes back from Zendesk as ours; the task is not written, and nothing is told again.
            var puts = caldav.Puts;
            await EchoAsync(Ticket);
            Assert.That(await PullAsync(), Is.Empty);
            Assert.That(caldav.Puts, Is.EqualTo(puts), "the ticket's echo wrote nothing to the task");

            // 4. The task is reopened in the calendar: the ticket is open again, with a note.
            await EditTaskAsync("t-1", "STATUS:NEEDS-ACTION");
            await PullAsync();
            await host.RunWorkerAsync();
            Assert.That((string?)host.Api.Ticket(Ticket)!["status"], Is.EqualTo("open"));
            Assert.That(host.Api.Comments(Ticket)[^1].Body, Does.Contain("reopened in the calendar"));
            puts = caldav.Puts;
            await EchoAsync(Ticket);
            Assert.That(await PullAsync(), Is.Empty);
            Assert.That(caldav.Puts, Is.EqualTo(puts));
        }

        // Two rounds: two solves and two reopens sent to Zendesk, four writes to the task, nothing more. Counted are the
        // PUTs Radicale accepted: a PUT that never reached it (a pooled connection closed under it) is retried once by
        // the client and is not a second write.
        Assert.That(StatusUpdates(Ticket).Select(u => (string?)u["status"]), Is.EqualTo(new[] { "solved", "open", "solved", "open" }));
        Assert.That(caldav.AcceptedPuts, Is.EqualTo(4), caldav.Describe());
    }

    [Test]
    public async Task A_Cancelled_Task_Solves_Its_Ticket_With_A_Note_Saying_So()
    {
        await SetUpAsync(("t-2", Ticket));

        await EditTaskAsync("t-2", "STATUS:CANCELLED");
        await PullAsync();
        await host.RunWorkerAsync();

        Assert.That((string?)host.Api.Ticket(Ticket)!["status"], Is.EqualTo("solved"));
        Assert.That(host.Api.Comments(Ticket).Single().Body, Does.Contain("cancelled in the calendar"));
    }

    [TestCase("zendesk_wins", -60, "NEEDS-ACTION", "open", "Zendesk wins")]
    [TestCase("source_wins", -60, "COMPLETED", "solved", "the calendar wins")]
    [TestCase("newest_wins", 60, "COMPLETED", "solved", "the calendar wins")]
    [TestCase("newest_wins", -60, "NEEDS-ACTION", "open", "Zendesk wins")]
    public async Task When_Both_Sides_Changed_The_Policy_Decides_And_A_Note_Says_What_Was_Overridden(
        string policy, int completedAgainMinutes, string taskStatus, string ticketStatus, string winner)
    {
        // Arrange: both sides agree the task is done
        await SetUpAsync([("t-3", Ticket)], ("status_sync", policy));
        await EditTaskAsync("t-3", "STATUS:COMPLETED", $"COMPLETED:{Ical(clock.GetUtcNow().AddHours(-3))}");
        await PullAsync();
        await host.RunWorkerAsync();
        await EchoAsync(Ticket);
        Assert.That((string?)host.Api.Ticket(Ticket)!["status"], Is.EqualTo("solved"));

        // Act: an agent reopens the ticket now; in the calendar the task is completed again, earlier or later than that
        await AgentSetsAsync(Ticket, "open");
        await EditTaskAsync("t-3", "STATUS:COMPLETED", $"COMPLETED:{Ical(clock.GetUtcNow().AddMinutes(completedAgainMinutes))}");
        await PullAsync();
        await host.RunWorkerAsync();
        await PullAsync();

        // Assert
        Assert.That(Value(await TaskAsync("t-3"), "STATUS"), Is.EqualTo(taskStatus));
        Assert.That((string?)host.Api.Ticket(Ticket)!["status"], Is.EqualTo(ticketStatus));
        var note = host.Api.Comments(Ticket)[^1];
        Assert.That(note.Public, Is.False);
        Assert.That(note.Body, Does.StartWith("The task was completed in the calendar at ").And.Contain("the ticket was reopened at ").And.Contain(winner).And.EndWith($"(status_sync={policy})."));
        var row = await host.Services.GetRequiredService<StatusSyncStore>().GetAsync(account.AccountId, UnitKey("t-3"));
        Assert.That(row!.ConflictAt, Is.Not.Null);
        Assert.That(row.TicketMoved + row.SourceMoved, Is.Zero, "decided: both sides agree again");

        // The dashboard counts the conflict of the last day and shows when Zendesk last called.
        using var request = new HttpRequestMessage(HttpMethod.Get, "/dashboard");
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Basic", Convert.ToBase64String("ops:dashboard-password"u8.ToArray()));
        using var response = await client.SendAsync(request);
        var html = await response.Content.ReadAsStringAsync();
        var cells = new AngleSharp.Html.Parser.HtmlParser().ParseDocument(html).QuerySelectorAll("#status-sync tbody tr td").Select(c => c.TextContent.Trim()).ToList();
        Assert.That(cells.Take(2), Is.EqualTo(new[] { account.AccountId, LinkTestHost.Subdomain }));
        Assert.That(cells[2], Does.EndWith("ago)"), "last webhook");
        Assert.That(cells[4], Is.EqualTo("1"), "conflicts in the last day");
        Assert.That(cells[6], Does.Contain(winner));
    }

    [Test]
    public async Task A_Due_Date_An_Agent_Moves_In_Zendesk_Moves_The_Task()
    {
        await SetUpAsync(("t-8", Ticket));
        var due = new DateTimeOffset(2026, 12, 24, 16, 0, 0, TimeSpan.Zero);

        // Zendesk's trigger told the service of the ticket before (our own property update): that is the baseline.
        await EchoAsync(Ticket);

        host.Api.AgentSets(Ticket, "due_at", "2026-12-24T16:00:00Z");
        using (var response = await host.Api.DeliverAsync(client, Ticket))
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        }

        await WaitUntilAsync(async () => (await host.Services.GetRequiredService<StatusSyncStore>().GetAsync(account.AccountId, UnitKey("t-8")))?.DueMoved == 1);
        await PullAsync();

        Assert.That(Value(await TaskAsync("t-8"), "DUE"), Is.EqualTo(Ical(due)));
        Assert.That(Value(await TaskAsync("t-8"), "STATUS"), Is.EqualTo("NEEDS-ACTION"));
    }

    [Test]
    public async Task Status_Sync_Off_Changes_Neither_Side()
    {
        await SetUpAsync([("t-4", Ticket)], ("status_sync", "off"));

        await AgentSetsAsync(Ticket, "solved", waitForMove: false);
        await Task.Delay(1500);
        await EditTaskAsync("t-4", "SUMMARY:Renamed");
        await PullAsync();
        await host.RunWorkerAsync();

        Assert.That(Value(await TaskAsync("t-4"), "STATUS"), Is.EqualTo("NEEDS-ACTION"));
        Assert.That(caldav.Puts, Is.Zero);
        Assert.That(StatusUpdates(Ticket), Is.Empty);
    }

    [Test]
    public async Task A_Hundred_Tickets_Solved_At_Once_Complete_A_Hundred_Tasks_Each_Once_Through_The_Export()
    {
        // Arrange: 100 tasks with their tickets
        var tasks = Enumerable.Range(0, 100).Select(i => ($"bulk-{i:D3}", 1000L + i)).ToArray();
        await SetUpAsync(tasks);

        // Act: one bulk edit in Zendesk, and no webhook at all: the reconciliation export brings it (a minute later)
        host.Api.AgentSetsMany(tasks.Select(t => t.Item2), "status", "solved");
        clock.Advance(TimeSpan.FromMinutes(2));
        await WaitUntilAsync(async () => (await MovedAsync()) == 100);
        var resources = new List<JsonNode>();
        for (var pull = 0; pull < 5 && await MovedAsync() > 0; pull++)
        {
            // Each pull writes what fits half its source budget; the rest waits for the next pull.
            resources.AddRange(await PullAsync());
        }

        await host.RunWorkerAsync();
        var again = await PullAsync();

        // Assert: one write that Radicale took per task (a request that never reached it may be sent again), every task
        // completed, nothing told or sent back
        Assert.That(caldav.Statuses.Values.Select(s => s.Count(code => code is >= 200 and < 300)), Has.Exactly(100).EqualTo(1));
        foreach (var (uid, _) in tasks)
        {
            Assert.That(Value(await TaskAsync(uid), "STATUS"), Is.EqualTo("COMPLETED"), uid);
        }

        Assert.That(Texts(resources), Has.None.Contains("Status"));
        Assert.That(again, Is.Empty);
        Assert.That(host.Api.Calls.Where(c => c.Method == "PUT" && c.Body.Contains("\"status\"", StringComparison.Ordinal)), Is.Empty);
    }

    [Test]
    public async Task A_Delivery_Survives_A_Restart_Before_It_Is_Read_And_The_Next_Pull_Completes_The_Task()
    {
        await SetUpAsync(("t-5", Ticket));

        // The link stops working right after the delivery is stored: nothing is read, then the service stops.
        host.Tokens.Token = null;
        host.Api.AgentSets(Ticket, "status", "solved");
        using (var response = await host.Api.DeliverAsync(client, Ticket))
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        }

        await Task.Delay(500);
        client.Dispose();
        await host.RestartAsync();
        client = host.Host.CreateClient();
        Assert.That(await MovedAsync(), Is.Zero);

        // A new process with the link working again.
        host.Tokens.Token = "access-token-1";
        clock.Advance(TimeSpan.FromMinutes(2));
        await WaitUntilAsync(async () => await MovedAsync() == 1);
        await PullAsync();

        Assert.That(Value(await TaskAsync("t-5"), "STATUS"), Is.EqualTo("COMPLETED"));
    }

    [Test]
    public async Task A_Task_Deleted_In_The_Source_Is_Not_Brought_Back_By_Its_Solved_Ticket()
    {
        await SetUpAsync(("t-6", Ticket));
        using (var deleted = await server.SendAsync(HttpMethod.Delete, new Uri(collection, "t-6.ics")))
        {
            Assert.That(deleted.IsSuccessStatusCode, Is.True);
        }

        await AgentSetsAsync(Ticket, "solved");
        await PullAsync();
        await PullAsync();

        using var gone = await server.SendAsync(HttpMethod.Get, new Uri(collection, "t-6.ics"));
        Assert.That(gone.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That(caldav.Puts, Is.Zero);
        Assert.That(await MovedAsync(), Is.Zero, "settled: not tried again at every pull");
    }

    [Test]
    public async Task A_Task_Changed_Between_Read_And_Write_Is_Read_And_Decided_Again()
    {
        // The ticket is solved; in the calendar the task is completed by someone just before our write (412).
        await SetUpAsync(("t-7", Ticket));
        await AgentSetsAsync(Ticket, "solved");
        caldav.BeforeFirstPut = async () =>
        {
            var edited = (await TaskAsync("t-7")).Replace("STATUS:NEEDS-ACTION", "STATUS:COMPLETED\r\nCOMPLETED:20261201T090000Z", StringComparison.Ordinal);
            using var put = await server.SendAsync(HttpMethod.Put, new Uri(collection, "t-7.ics"), edited);
            Assert.That(put.IsSuccessStatusCode, Is.True);
        };

        await PullAsync();

        // The second decision sees both sides done: nothing more is written, the other writer's COMPLETED stays.
        var ics = await TaskAsync("t-7");
        Assert.That(Value(ics, "STATUS"), Is.EqualTo("COMPLETED"));
        Assert.That(Value(ics, "COMPLETED"), Is.EqualTo("20261201T090000Z"));
        Assert.That(caldav.Puts, Is.EqualTo(1), "our one PUT met 412; the new decision wrote nothing");
        await host.RunWorkerAsync();
        Assert.That(StatusUpdates(Ticket), Is.Empty);
    }

    // ------------------------------------------------------------ helpers

    private async Task SetUpAsync(params (string Uid, long TicketId)[] tasks) => await SetUpAsync(tasks, null);

    private async Task SetUpAsync((string Uid, long TicketId)[] tasks, (string Key, string Value)? option)
    {
        collection = await server.CreateCollectionAsync(components: ["VTODO"]);
        foreach (var (uid, _) in tasks)
        {
            using var put = await server.SendAsync(HttpMethod.Put, new Uri(collection, uid + ".ics"), Todo(uid, "Task " + uid, "STATUS:NEEDS-ACTION"));
            Assert.That(put.IsSuccessStatusCode, Is.True);
        }

        KeyValuePair<string, string>[] options = option is { } o ? [new(o.Key, o.Value), new("time_zone", "Europe/Berlin")] : [new("time_zone", "Europe/Berlin")];
        account = new NewAccountRequest("caldav-tasks", collection.AbsoluteUri, server.UserName, server.Password, "Tasks", options).Create(TimeProvider.System) with { Subdomain = LinkTestHost.Subdomain };
        await host.Services.GetRequiredService<AccountRegistry>().UpsertAsync(account);
        foreach (var observer in host.Services.GetServices<IZendeskLinkObserver>())
        {
            await observer.LinkedAsync(LinkTestHost.Subdomain, CancellationToken.None);
        }

        var openings = await PullAsync();
        foreach (var (uid, ticketId) in tasks)
        {
            var unitKey = UnitKey(uid);
            var opening = openings.Single(r => (string)r["external_id"]! == ExternalIds.Opening(ExternalIds.ThreadId(account.AccountId, unitKey)));
            host.Api.CreateTicket(ticketId, (string)opening["external_id"]!);
            await host.Services.GetRequiredService<ChannelService.Events.TicketLinkStore>().LinkAsync(
                account.AccountId, ExternalIds.ThreadId(account.AccountId, unitKey), ticketId, null, (string)opening["external_id"]!, null, DateTimeOffset.UtcNow);
        }

        Assert.That(await PullAsync(), Is.Empty, "acknowledged");
        await host.RunWorkerAsync();
        caldav.Reset();
    }

    private static string UnitKey(string uid) => SourceItemKeys.For(uid, null);

    /// <summary>An agent sets the ticket's status; Zendesk's trigger notifies the service, which records the move.</summary>
    private async Task AgentSetsAsync(long ticketId, string status, bool waitForMove = true)
    {
        host.Api.AgentSets(ticketId, "status", status);
        using (var response = await host.Api.DeliverAsync(client, ticketId))
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        }

        if (waitForMove)
        {
            await WaitUntilAsync(async () => (await host.Services.GetRequiredService<StatusSyncStore>().GetAsync(account.AccountId, UnitKeyOf(ticketId)))?.TicketStatus == status);
        }
    }

    /// <summary>Zendesk's trigger fires for our own update too: the service reads it and must recognise it as ours.</summary>
    private async Task EchoAsync(long ticketId)
    {
        var status = (string?)host.Api.Ticket(ticketId)!["status"];
        using (var response = await host.Api.DeliverAsync(client, ticketId))
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        }

        await WaitUntilAsync(async () => (await host.Services.GetRequiredService<StatusSyncStore>().GetAsync(account.AccountId, UnitKeyOf(ticketId)))?.TicketStatus == status);
        var row = await host.Services.GetRequiredService<StatusSyncStore>().GetAsync(account.AccountId, UnitKeyOf(ticketId));
        Assert.That(row!.TicketMoved, Is.Zero, "our own update is not a move of the ticket");
    }

    private readonly Dictionary<long, string> unitsByTicket = [];

    private string UnitKeyOf(long ticketId)
    {
        if (!unitsByTicket.TryGetValue(ticketId, out var unit))
        {
            var externalId = (string)host.Api.Ticket(ticketId)!["external_id"]!;
            Assert.That(ExternalIdShape.TryParse(externalId, out _, out unit), Is.True);
            unitsByTicket[ticketId] = unit;
        }

        return unit;
    }

    /// <summary>What the change feed holds and what the fake was asked, for a failure message.</summary>
    private async Task<string> DiagnosticsAsync()
    {
        var database = host.Services.GetRequiredService<ChannelService.Data.Database>();
        await using var connection = await database.OpenAsync();
        var nudges = await Dapper.SqlMapper.QueryAsync<string>(connection, "SELECT ticket_id || ':' || attempts || ':' || COALESCE(last_error, '') FROM change_feed_nudges");
        var dispatch = await Dapper.SqlMapper.QueryAsync<string>(connection, "SELECT handler || ':' || ticket_id || ':' || attempts || ':' || COALESCE(last_error, '') FROM change_feed_dispatch");
        var links = await Dapper.SqlMapper.QueryAsync<string>(connection, "SELECT state || ':' || COALESCE(last_error, '') FROM change_feed_links");
        var calls = host.Api.Calls.Select(c => $"{c.Method} {c.Path} {c.Status}").TakeLast(15);
        return $"links [{string.Join("; ", links)}] nudges [{string.Join("; ", nudges)}] dispatch [{string.Join("; ", dispatch)}] calls [{string.Join("; ", calls)}]";
    }

    private async Task<long> MovedAsync()
    {
        var database = host.Services.GetRequiredService<ChannelService.Data.Database>();
        await using var connection = await database.OpenAsync();
        return await Dapper.SqlMapper.ExecuteScalarAsync<long>(connection, "SELECT count(*) FROM task_status_sync WHERE ticket_moved = 1");
    }

    private async Task<List<JsonNode>> PullAsync()
    {
        var form = new Dictionary<string, string> { ["metadata"] = host.Services.GetRequiredService<MetadataCodec>().Encode(account) };
        if (state is not null)
        {
            form["state"] = state;
        }

        using var response = await client.PostAsync("/pull", new FormUrlEncodedContent(form));
        var text = await response.Content.ReadAsStringAsync();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), text);
        var body = JsonNode.Parse(text)!;
        state = (string?)body["state"] ?? state;
        return [.. body["external_resources"]!.AsArray().Select(r => r!)];
    }

    private IReadOnlyList<JsonObject> StatusUpdates(long ticketId) =>
        host.Updates(ticketId).Select(u => JsonNode.Parse(u.Body)!["ticket"]!.AsObject()).Where(t => t.ContainsKey("status") || t.ContainsKey("comment")).ToList();

    private static IEnumerable<string> Texts(IEnumerable<JsonNode> resources) => resources.Select(r => (string?)r["message"] ?? "");

    private async Task<string> TaskAsync(string uid)
    {
        using var response = await server.SendAsync(HttpMethod.Get, new Uri(collection, uid + ".ics"));
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        return (await response.Content.ReadAsStringAsync()).Replace("\r\n ", "", StringComparison.Ordinal);
    }

    /// <summary>
    /// Someone edits the task in the calendar app: the given lines replace those of the same name (a STATUS line also
    /// replaces COMPLETED and PERCENT-COMPLETE), and LAST-MODIFIED is now.
    /// </summary>
    private async Task EditTaskAsync(string uid, params string[] lines)
    {
        static string Name(string line) => line.Split([':', ';'], 2)[0];
        var names = lines.Select(Name).ToHashSet(StringComparer.Ordinal);
        names.Add("LAST-MODIFIED");
        if (names.Contains("STATUS"))
        {
            names.UnionWith(["COMPLETED", "PERCENT-COMPLETE"]);
        }

        var kept = (await TaskAsync(uid)).Split("\r\n").Where(l => !names.Contains(Name(l))).ToList();
        kept.InsertRange(kept.IndexOf("END:VTODO"), [.. lines, $"LAST-MODIFIED:{Ical(clock.GetUtcNow())}"]);
        using var put = await server.SendAsync(HttpMethod.Put, new Uri(collection, uid + ".ics"), string.Join("\r\n", kept));
        Assert.That(put.IsSuccessStatusCode, Is.True);
    }

    private static string? Value(string ics, string name) =>
        ics.Split("\r\n").Where(l => l.Split([':', ';'], 2)[0] == name).Select(l => l[(l.IndexOf(':', StringComparison.Ordinal) + 1)..]).FirstOrDefault();

    private static string Todo(string uid, string summary, string status) =>
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//ChannelService//tests//EN\r\nBEGIN:VTODO\r\n"
        + $"UID:{uid}\r\nDTSTAMP:20261120T090000Z\r\nSUMMARY:{summary}\r\nLAST-MODIFIED:20261120T090000Z\r\n{status}\r\nEND:VTODO\r\nEND:VCALENDAR\r\n";

    private static string Ical(DateTimeOffset at) => at.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);

    private static string Instant(DateTimeOffset at) =>
        NodaTime.Instant.FromDateTimeOffset(at).InZone(NodaTime.DateTimeZoneProviders.Tzdb["Europe/Berlin"]).ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);

    private async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!await condition())
        {
            if (DateTime.UtcNow > until)
            {
                Assert.Fail("condition not met within 30 s; " + await DiagnosticsAsync());
            }

            await Task.Delay(50);
        }
    }

    /// <summary>The service's CalDAV traffic: PUTs counted per object, and an edit by someone else just before the first PUT.</summary>
    private sealed class CountingHandler() : DelegatingHandler(new SocketsHttpHandler { AllowAutoRedirect = false })
    {
        public ConcurrentDictionary<string, int> PutsByPath { get; } = new(StringComparer.Ordinal);

        public ConcurrentDictionary<string, ConcurrentQueue<int>> Statuses { get; } = new(StringComparer.Ordinal);

        public ConcurrentQueue<string> Failures { get; } = new();

        public int Puts => PutsByPath.Values.Sum();

        /// <summary>PUTs the server answered with 2xx: writes that happened.</summary>
        public int AcceptedPuts => Statuses.Values.Sum(q => q.Count(s => s is >= 200 and < 300));

        public string Describe() =>
            "PUT answers: " + string.Join("; ", Statuses.Select(p => p.Key + " " + string.Join(",", p.Value)))
            + (Failures.IsEmpty ? "" : "; failures: " + string.Join("; ", Failures));

        public Func<Task>? BeforeFirstPut { get; set; }

        public void Reset()
        {
            PutsByPath.Clear();
            Statuses.Clear();
        }

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (request.Method == HttpMethod.Put)
            {
                PutsByPath.AddOrUpdate(request.RequestUri!.AbsolutePath, 1, (_, n) => n + 1);
                if (BeforeFirstPut is { } edit)
                {
                    BeforeFirstPut = null;
                    await edit();
                }
            }

            HttpResponseMessage response;
            try
            {
                response = await base.SendAsync(request, cancellationToken);
            }
            catch (Exception ex) when (request.Method == HttpMethod.Put)
            {
                Statuses.GetOrAdd(request.RequestUri!.AbsolutePath, _ => new ConcurrentQueue<int>()).Enqueue(-1);
                Failures.Enqueue(ex.GetType().Name + ": " + ex.Message);
                throw;
            }

            if (request.Method == HttpMethod.Put)
            {
                Statuses.GetOrAdd(request.RequestUri!.AbsolutePath, _ => new ConcurrentQueue<int>()).Enqueue((int)response.StatusCode);
            }

            return response;
        }
    }
}
