using System.IO.Compression;
using System.Text;
using ChannelService.Data;
using ChannelService.Sources;
using ChannelService.Sources.Feeds;
using ChannelService.Sources.Http;
using ChannelService.Tests.Sources.Http;

namespace ChannelService.Tests.Sources;

/// <summary>The feed source against a loopback HTTP server and a real SQLite store.</summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "A SQLite Database holds nothing to dispose; TearDown removes its folder.")]
public sealed class IcsFeedSourceTests
{
    private const string Account = "acct1";
    private readonly List<IAsyncDisposable> servers = [];
    private readonly List<SourceHttpClient> clients = [];
    private string folder = null!;
    private Database database = null!;
    private SourceItemStore store = null!;

    [SetUp]
    public async Task CreateDatabase()
    {
        folder = Directory.CreateTempSubdirectory("channelservice-feed-").FullName;
        database = new Database(Path.Combine(folder, "channel.db"));
        await database.InitializeAsync();
        store = new SourceItemStore(database);
    }

    [TearDown]
    public async Task StopServers()
    {
        foreach (var server in servers)
        {
            await server.DisposeAsync();
        }

        foreach (var client in clients)
        {
            client.Dispose();
        }

        servers.Clear();
        clients.Clear();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(folder, recursive: true);
    }

    [Test]
    public async Task First_Sync_Lists_Every_Item_As_Added_With_A_Readable_Raw_Component()
    {
        var feed = new Feed(Calendar(Event("e1", "Standup"), Event("e2", "Review"), Todo("t1", "Order paper")));
        var source = Source(Serve(feed));

        var changes = await SyncAsync(source);

        Assert.That(changes.Upserts.Select(u => u.Uid), Is.EqualTo(new[] { "e1", "e2", "t1" }));
        Assert.That(changes.Upserts.Select(u => u.Change), Is.All.EqualTo(SourceChangeKind.Added));
        Assert.That(changes.CompleteListing, Is.True);
        Assert.That(changes.Deletions, Is.Empty);
        var stored = await store.ListAsync(Account);
        Assert.That(stored, Has.Count.EqualTo(3));
        var task = SourceItemCalendar.Parse(stored.Single(s => s.Item.Uid == "t1").Item);
        Assert.That(task!.Item.Summary, Is.EqualTo("Order paper"));
        Assert.That(task.Item.Kind, Is.EqualTo(ChannelService.Calendars.CalendarItemKind.Task));
    }

    [Test]
    public async Task An_ETag_Answered_304_Costs_One_Request_And_Reports_No_Changes()
    {
        var feed = new Feed(Calendar(Event("e1", "Standup"))) { ETag = "\"v1\"" };
        var server = Serve(feed);
        var source = Source(server);
        await SyncAsync(source);

        var second = await SyncAsync(source);

        Assert.That(server.Requests, Has.Count.EqualTo(2));
        Assert.That(server.Requests[1].Header("If-None-Match"), Is.EqualTo("\"v1\""));
        Assert.That(feed.NotModifiedAnswers, Is.EqualTo(1));
        Assert.That(second.Unchanged, Is.True);
        Assert.That(second.HasChanges, Is.False);
    }

    [Test]
    public async Task A_Server_With_Only_Last_Modified_Gets_If_Modified_Since_And_Answers_304()
    {
        var feed = new Feed(Calendar(Event("e1", "Standup"))) { LastModified = new DateTimeOffset(2026, 3, 1, 12, 30, 0, TimeSpan.Zero) };
        var server = Serve(feed);
        var source = Source(server);
        await SyncAsync(source);

        var second = await SyncAsync(source);

        Assert.That(server.Requests[1].Header("If-Modified-Since"), Is.EqualTo("Sun, 01 Mar 2026 12:30:00 GMT"));
        Assert.That(server.Requests[1].Header("If-None-Match"), Is.Null);
        Assert.That(feed.NotModifiedAnswers, Is.EqualTo(1));
        Assert.That(second.Unchanged, Is.True);
    }

    [Test]
    public async Task A_Server_Without_Validators_Sending_The_Same_Bytes_Needs_No_Parse()
    {
        var feed = new Feed(Calendar(Event("e1", "Standup")));
        var server = Serve(feed);
        var source = Source(server);
        await SyncAsync(source);

        var second = await SyncAsync(source);

        Assert.That(server.Requests[1].Header("If-None-Match") ?? server.Requests[1].Header("If-Modified-Since"), Is.Null);
        Assert.That(feed.FullAnswers, Is.EqualTo(2));
        Assert.That(second.Unchanged, Is.True, "identical body hash: reported unchanged without parsing");
        Assert.That(second.HasChanges, Is.False);
    }

    [Test]
    public async Task A_Gzip_Compressed_Feed_Is_Read()
    {
        var feed = new Feed(Calendar(Event("e1", "Standup"), Event("e2", "Review"))) { Gzip = true };
        var source = Source(Serve(feed));

        var changes = await SyncAsync(source);

        Assert.That(changes.Upserts, Has.Count.EqualTo(2));
    }

    [TestCase("text/calendar")]
    [TestCase("text/calendar; charset=utf-8")]
    [TestCase("text/calendar; charset=windows-1252")]
    public async Task Windows_1252_Bytes_Are_Read_As_Such_Whatever_The_Charset_Says(string contentType)
    {
        var text = Calendar(Event("e1", "Caf\u00e9 cr\u00e8me"));
        var feed = new Feed(Encoding.Latin1.GetBytes(text)) { ContentType = contentType };
        var source = Source(Serve(feed));

        var changes = await SyncAsync(source);

        var item = SourceItemCalendar.Parse(changes.Upserts.Single());
        Assert.That(item!.Item.Summary, Is.EqualTo("Caf\u00e9 cr\u00e8me"));
    }

    [Test]
    public async Task An_Endless_Body_Is_Stopped_At_The_Limit_And_Deletes_Nothing()
    {
        var feed = new Feed(Calendar(Event("e1", "Standup"), Event("e2", "Review")));
        var server = Serve(feed);
        var source = Source(server, new SourceHttpOptions { AllowPrivateNetworkSources = true, MaxSourceResponseBytes = 64 * 1024 });
        await SyncAsync(source);
        feed.Endless = true;

        var error = Assert.ThrowsAsync<SourceException>(() => SyncAsync(source));

        Assert.That(error!.Kind, Is.EqualTo(SourceErrorKind.TooLarge));
        Assert.That(error.Message, Is.EqualTo("The response was larger than 64 KB."));
        Assert.That((await store.ListAsync(Account)).Select(s => s.Item.Uid), Is.EquivalentTo(new[] { "e1", "e2" }));
    }

    [Test]
    public async Task A_Slow_Server_Times_Out_With_A_Typed_Error()
    {
        var feed = new Feed(Calendar(Event("e1", "Standup"))) { Delay = TimeSpan.FromSeconds(5) };
        var source = Source(Serve(feed), new SourceHttpOptions { AllowPrivateNetworkSources = true, SourceRequestTimeout = TimeSpan.FromMilliseconds(400) });

        var error = Assert.ThrowsAsync<SourceException>(() => source.ReadChangesAsync(null));

        Assert.That(error!.Kind, Is.EqualTo(SourceErrorKind.Timeout));
    }

    [TestCase("<!DOCTYPE html><html><body>Sign in</body></html>", "text/html", "This URL returned a web page, not a calendar.")]
    [TestCase("\r\n  <html><body>Not found</body></html>", "text/calendar", "This URL returned a web page, not a calendar.")]
    [TestCase("{\"error\":\"nope\"}", "application/json", "This URL returned JSON data, not a calendar.")]
    [TestCase("", "text/calendar", "This URL returned an empty response, not a calendar.")]
    [TestCase("Hello, this is plain text.", "text/plain", "This URL did not return iCalendar data (no BEGIN:VCALENDAR).")]
    public async Task A_Body_That_Is_Not_A_Calendar_Is_A_Typed_Error(string body, string contentType, string message)
    {
        var source = Source(Serve(new Feed(body) { ContentType = contentType }));

        var error = Assert.ThrowsAsync<SourceException>(() => source.ReadChangesAsync(null));
        var probe = await source.ProbeAsync();

        Assert.That(error!.Kind, Is.EqualTo(SourceErrorKind.NotACalendar));
        Assert.That(error.Message, Is.EqualTo(message));
        Assert.That(probe.Reachable && probe.Authenticated, Is.True);
        Assert.That(probe.IsCalendar, Is.False);
        Assert.That(probe.Message, Is.EqualTo(message));
    }

    [Test]
    public async Task Added_Changed_And_Deleted_Items_Are_Found_Between_Two_Syncs()
    {
        var feed = new Feed(Calendar(Event("keep", "Same"), Event("change", "Old title"), Event("gone", "Bye")));
        var source = Source(Serve(feed));
        var first = await SyncAsync(source);
        var oldVersion = first.Upserts.Single(u => u.Uid == "change").ContentVersion;
        feed.Body = Encoding.UTF8.GetBytes(Calendar(Event("keep", "Same"), Event("change", "New title"), Event("new", "Hello")));

        var second = await SyncAsync(source);

        Assert.That(second.Upserts.Select(u => (u.Uid, u.Change)), Is.EquivalentTo(new[] { ("change", SourceChangeKind.Changed), ("new", SourceChangeKind.Added) }));
        Assert.That(second.Upserts.Single(u => u.Uid == "change").PreviousVersion, Is.EqualTo(oldVersion));
        Assert.That(second.Deletions.Select(d => d.Uid), Is.EqualTo(new[] { "gone" }));
        var stored = await store.ListAsync(Account, includeDeleted: true);
        Assert.That(stored.Single(s => s.Item.Uid == "gone").Deleted, Is.True);
        Assert.That(stored.Count(s => !s.Deleted), Is.EqualTo(3));
    }

    [Test]
    public async Task An_Item_That_Comes_Back_After_Deletion_Is_A_Change_Of_The_Known_Key()
    {
        var feed = new Feed(Calendar(Event("a", "A"), Event("b", "B")));
        var source = Source(Serve(feed));
        await SyncAsync(source);
        feed.Body = Encoding.UTF8.GetBytes(Calendar(Event("a", "A")));
        await SyncAsync(source);
        feed.Body = Encoding.UTF8.GetBytes(Calendar(Event("a", "A"), Event("b", "B")));

        var third = await SyncAsync(source);

        Assert.That(third.Upserts.Select(u => (u.Uid, u.Change)), Is.EqualTo(new[] { ("b", SourceChangeKind.Changed) }));
        Assert.That((await store.ListAsync(Account)).Count, Is.EqualTo(2));
    }

    [Test]
    public async Task A_Rewrite_Of_Only_DTSTAMP_Order_And_Folding_Is_No_Change()
    {
        var feed = new Feed(Calendar(Event("e1", "Standup"), Event("e2", "Review")));
        var source = Source(Serve(feed));
        await SyncAsync(source);
        feed.Body = Encoding.UTF8.GetBytes(Calendar(
            Event("e2", "Review", stamp: "20270101T000000Z"),
            Event("e1", "Standup", stamp: "20270101T000000Z")));

        var second = await SyncAsync(source);

        Assert.That(second.Unchanged, Is.False, "the body differs, so it was parsed");
        Assert.That(second.HasChanges, Is.False);
        Assert.That(second.ListedCount, Is.EqualTo(2));
    }

    [Test]
    public async Task A_Truncated_Second_Download_Deletes_Nothing_But_Reports_What_It_Read_Whole()
    {
        var feed = new Feed(Calendar(Event("e1", "One"), Event("e2", "Two"), Event("e3", "Three"))) { ETag = "\"v1\"" };
        var server = Serve(feed);
        var source = Source(server);
        await SyncAsync(source);

        // The producer's file ends in the middle of e2 (a crashed export): HTTP framing is fine, the calendar is not.
        var full = Calendar(Event("e1", "One changed"), Event("e2", "Two changed"), Event("e3", "Three"));
        feed.Body = Encoding.UTF8.GetBytes(full[..full.IndexOf("SUMMARY:Two", StringComparison.Ordinal)]);
        feed.ETag = "\"v2\"";

        var second = await SyncAsync(source);

        Assert.That(second.CompleteListing, Is.False);
        Assert.That(second.Deletions, Is.Empty);
        Assert.That(second.Upserts.Select(u => u.Uid), Is.EqualTo(new[] { "e1" }), "e1 was read whole; the cut e2 is not a change");
        Assert.That(second.Warnings, Has.Some.Contains("no items were treated as deleted"));
        Assert.That(second.Warnings, Has.Some.Contains("cut off"));
        Assert.That((await store.ListAsync(Account)).Select(s => s.Item.Uid), Is.EquivalentTo(new[] { "e1", "e2", "e3" }));

        // No validators were kept from the broken download: the next read fetches everything again.
        feed.Body = Encoding.UTF8.GetBytes(full);
        var third = await SyncAsync(source);
        Assert.That(server.Requests[2].Header("If-None-Match"), Is.Null);
        Assert.That(third.Upserts.Select(u => u.Uid), Is.EqualTo(new[] { "e2" }));
    }

    [Test]
    public async Task A_Download_Missing_Only_END_VCALENDAR_Applies_Its_Items_But_Deletes_Nothing()
    {
        var feed = new Feed(Calendar(Event("e1", "One"), Event("e2", "Two")));
        var source = Source(Serve(feed));
        await SyncAsync(source);
        var text = Calendar(Event("e1", "One"), Event("new", "New"));
        feed.Body = Encoding.UTF8.GetBytes(text.Replace("END:VCALENDAR\r\n", string.Empty, StringComparison.Ordinal));

        var second = await SyncAsync(source);

        Assert.That(second.CompleteListing, Is.False);
        Assert.That(second.Upserts.Select(u => u.Uid), Is.EqualTo(new[] { "new" }));
        Assert.That(second.Deletions, Is.Empty);
    }

    [Test]
    public async Task Items_Without_UID_Keep_Their_Synthetic_Keys_Across_Syncs()
    {
        var feed = new Feed(Calendar(Event(null, "Lunch", start: "20260105T120000Z"), Event(null, "Dinner", start: "20260105T190000Z")));
        var source = Source(Serve(feed));
        var first = await SyncAsync(source);
        var keys = first.Upserts.ToDictionary(u => u.Key, u => u.ContentVersion);

        // Re-exported: other order, new DTSTAMP; then a real edit of one description.
        feed.Body = Encoding.UTF8.GetBytes(Calendar(
            Event(null, "Dinner", start: "20260105T190000Z", stamp: "20270101T000000Z"),
            Event(null, "Lunch", start: "20260105T120000Z", stamp: "20270101T000000Z")));
        var second = await SyncAsync(source);
        feed.Body = Encoding.UTF8.GetBytes(Calendar(
            Event(null, "Dinner", start: "20260105T190000Z", extra: "DESCRIPTION:Bring wine"),
            Event(null, "Lunch", start: "20260105T120000Z")));
        var third = await SyncAsync(source);

        Assert.That(keys, Has.Count.EqualTo(2));
        Assert.That(first.Upserts.Select(u => u.Uid), Is.All.Null);
        Assert.That(second.HasChanges, Is.False);
        Assert.That(third.Deletions, Is.Empty);
        Assert.That(third.Upserts, Has.Count.EqualTo(1));
        Assert.That(third.Upserts[0].Change, Is.EqualTo(SourceChangeKind.Changed));
        Assert.That(keys.ContainsKey(third.Upserts[0].Key), Is.True);
    }

    [Test]
    public async Task Different_UID_Less_Items_With_The_Same_Start_And_Title_Get_Different_Keys()
    {
        var feed = new Feed(Calendar(
            Event(null, "Meeting", start: "20260105T120000Z", extra: "LOCATION:Room 1"),
            Event(null, "Meeting", start: "20260105T120000Z", extra: "LOCATION:Room 2"),
            Event(null, "Meeting", start: "20260105T120000Z", extra: "LOCATION:Room 2")));
        var source = Source(Serve(feed));

        var changes = await SyncAsync(source);

        Assert.That(changes.Upserts.Select(u => u.Key).Distinct().Count(), Is.EqualTo(2), "two distinct entries, the identical repeat falls together");
    }

    [Test]
    public async Task A_Restart_With_A_New_Source_And_The_Same_Database_Continues_From_Stored_Versions()
    {
        var feed = new Feed(Calendar(Event("e1", "One"), Event("e2", "Two"))) { ETag = "\"v1\"" };
        var server = Serve(feed);
        await SyncAsync(Source(server));
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();

        store = new SourceItemStore(new Database(Path.Combine(folder, "channel.db")));
        var restarted = Source(server);
        var afterRestart = await SyncAsync(restarted);
        feed.Body = Encoding.UTF8.GetBytes(Calendar(Event("e1", "One"), Event("e2", "Two, later")));
        feed.ETag = "\"v2\"";
        var changed = await SyncAsync(restarted);

        Assert.That(server.Requests[1].Header("If-None-Match"), Is.EqualTo("\"v1\""));
        Assert.That(afterRestart.Unchanged, Is.True);
        Assert.That(changed.Upserts.Select(u => (u.Uid, u.Change)), Is.EqualTo(new[] { ("e2", SourceChangeKind.Changed) }));
    }

    [Test]
    public async Task Duplicate_UIDs_Keep_The_Same_Copy_Whatever_The_Order_With_A_Warning()
    {
        var older = Event("dup", "Old", extra: "SEQUENCE:1");
        var newer = Event("dup", "New", extra: "SEQUENCE:2");
        var feed = new Feed(Calendar(newer, older));
        var source = Source(Serve(feed));
        var first = await SyncAsync(source);
        feed.Body = Encoding.UTF8.GetBytes(Calendar(older, newer));

        var second = await SyncAsync(source);

        Assert.That(first.Upserts, Has.Count.EqualTo(1));
        Assert.That(SourceItemCalendar.Parse(first.Upserts[0])!.Item.Summary, Is.EqualTo("New"));
        Assert.That(first.Warnings, Has.Some.Contains("appear more than once"));
        Assert.That(second.HasChanges, Is.False);
    }

    [Test]
    public async Task Recurrence_Overrides_Are_Separate_Items_And_Keep_Their_Time_Zone()
    {
        var tz = "BEGIN:VTIMEZONE\r\nTZID:Custom/Zone\r\nBEGIN:STANDARD\r\nDTSTART:19700101T000000\r\nTZOFFSETFROM:+0300\r\nTZOFFSETTO:+0300\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n";
        var master = "BEGIN:VEVENT\r\nUID:series\r\nDTSTAMP:20260101T000000Z\r\nDTSTART;TZID=Custom/Zone:20260105T090000\r\nRRULE:FREQ=DAILY;COUNT=3\r\nSUMMARY:Daily\r\nEND:VEVENT\r\n";
        var moved = "BEGIN:VEVENT\r\nUID:series\r\nDTSTAMP:20260101T000000Z\r\nRECURRENCE-ID;TZID=Custom/Zone:20260106T090000\r\nDTSTART;TZID=Custom/Zone:20260106T100000\r\nSUMMARY:Daily (moved)\r\nEND:VEVENT\r\n";
        var source = Source(Serve(new Feed("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:test\r\n" + tz + master + moved + "END:VCALENDAR\r\n")));

        var changes = await SyncAsync(source);

        Assert.That(changes.Upserts.Select(u => u.RecurrenceId), Is.EquivalentTo(new[] { null, "TZID=Custom/Zone:20260106T090000" }));
        Assert.That(changes.Upserts.Select(u => u.Key).Distinct().Count(), Is.EqualTo(2));
        var parsed = SourceItemCalendar.Parse(changes.Upserts.Single(u => u.RecurrenceId is not null))!;
        Assert.That(parsed.Item.StartInstant(parsed.Resolver).ToString(), Is.EqualTo("2026-01-06T07:00:00Z"), "the stored text carries the custom VTIMEZONE");
    }

    [Test]
    public async Task Writes_Are_Refused_As_Read_Only_And_Web_Urls_Are_Http_Only()
    {
        var feed = new Feed(Calendar(Event("e1", "Web", extra: "URL:https://example.org/e/1"), Event("e2", "Mail", extra: "URL:mailto:a@example.org")));
        var source = Source(Serve(feed));
        var changes = await SyncAsync(source);

        var comment = await source.WriteCommentAsync(new SourceCommentWrite(changes.Upserts[0].Key, "r1", "Hi", null, null));
        var status = await source.ChangeTaskStatusAsync(new SourceTaskStatusWrite(changes.Upserts[0].Key, "r2", SourceTaskStatus.Completed, null));

        Assert.That(source.Capabilities.CanComment, Is.False);
        Assert.That(comment.Outcome, Is.EqualTo(SourceWriteOutcome.ReadOnlySource));
        Assert.That(status.Outcome, Is.EqualTo(SourceWriteOutcome.ReadOnlySource));
        Assert.That(source.WebUrl(changes.Upserts.Single(u => u.Uid == "e1"))?.AbsoluteUri, Is.EqualTo("https://example.org/e/1"));
        Assert.That(source.WebUrl(changes.Upserts.Single(u => u.Uid == "e2")), Is.Null);
        Assert.That((await source.ReadItemAsync(changes.Upserts[0].Key))?.Uid, Is.EqualTo("e1"));
    }

    [Test]
    public async Task Probe_Counts_Open_Tasks_And_Events()
    {
        var feed = new Feed(Calendar(Todo("t1", "A"), Todo("t2", "B"), Todo("t3", "C", extra: "STATUS:COMPLETED"), Event("e1", "D")));
        var source = Source(Serve(feed));

        var probe = await source.ProbeAsync();

        Assert.That(probe.Ok, Is.True);
        Assert.That((probe.Events, probe.Tasks, probe.OpenTasks), Is.EqualTo((1, 3, 2)));
        Assert.That(probe.Message, Is.EqualTo("Found 2 open tasks (3 tasks in all) and 1 event."));
    }

    [Test]
    public async Task Probe_Of_A_Feed_Asking_For_A_Password_Says_So()
    {
        var source = Source(Serve(new Feed(string.Empty) { Status = 401 }));

        var probe = await source.ProbeAsync();

        Assert.That(probe.Reachable, Is.True);
        Assert.That(probe.Authenticated, Is.False);
        Assert.That(probe.Error, Is.EqualTo(SourceErrorKind.Unauthorized));
    }

    private static string Calendar(params string[] components) =>
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//feed//EN\r\n" + string.Concat(components) + "END:VCALENDAR\r\n";

    private static string Event(string? uid, string summary, string start = "20260105T090000Z", string stamp = "20260101T000000Z", string? extra = null) =>
        "BEGIN:VEVENT\r\n" + (uid is null ? string.Empty : $"UID:{uid}\r\n") + $"DTSTAMP:{stamp}\r\nDTSTART:{start}\r\nSUMMARY:{summary}\r\n"
        + (extra is null ? string.Empty : extra + "\r\n") + "END:VEVENT\r\n";

    private static string Todo(string uid, string summary, string? extra = null) =>
        $"BEGIN:VTODO\r\nUID:{uid}\r\nDTSTAMP:20260101T000000Z\r\nSUMMARY:{summary}\r\n" + (extra is null ? string.Empty : extra + "\r\n") + "END:VTODO\r\n";

    private async Task<SourceChanges> SyncAsync(IcsFeedSource source)
    {
        var changes = await source.ReadChangesAsync(await store.GetCursorAsync(Account));
        await store.ApplyAsync(Account, changes);
        return changes;
    }

    private IcsFeedSource Source(LoopbackServer server, SourceHttpOptions? options = null)
    {
        var client = SourceHttpClient.Create(options ?? new SourceHttpOptions { AllowPrivateNetworkSources = true });
        clients.Add(client);
        return new IcsFeedSource(new IcsFeedSettings(Account, server.Url("/feed.ics").AbsoluteUri), client, store);
    }

    private LoopbackServer Serve(Feed feed)
    {
        var server = new LoopbackServer(feed.HandleAsync);
        servers.Add(server);
        return server;
    }

    /// <summary>What the loopback server currently publishes, and how it answers.</summary>
    private sealed class Feed
    {
        private int notModified;
        private int full;

        public Feed(string body)
            : this(Encoding.UTF8.GetBytes(body))
        {
        }

        public Feed(byte[] body) => Body = body;

        public byte[] Body { get; set; }

        public string? ETag { get; set; }

        public DateTimeOffset? LastModified { get; set; }

        public string ContentType { get; init; } = "text/calendar; charset=utf-8";

        public bool Gzip { get; init; }

        public bool Endless { get; set; }

        public TimeSpan Delay { get; init; }

        public int Status { get; init; } = 200;

        public int NotModifiedAnswers => Volatile.Read(ref notModified);

        public int FullAnswers => Volatile.Read(ref full);

        public async Task HandleAsync(ReceivedRequest request, Stream stream, CancellationToken cancellationToken)
        {
            if (Delay > TimeSpan.Zero)
            {
                await Task.Delay(Delay, cancellationToken);
            }

            var validators = new List<(string, string)>();
            if (ETag is not null)
            {
                validators.Add(("ETag", ETag));
            }

            if (LastModified is { } lm)
            {
                validators.Add(("Last-Modified", lm.ToString("R", System.Globalization.CultureInfo.InvariantCulture)));
            }

            if ((ETag is not null && request.Header("If-None-Match") == ETag)
                || (ETag is null && LastModified is { } since && request.Header("If-Modified-Since") == since.ToString("R", System.Globalization.CultureInfo.InvariantCulture)))
            {
                Interlocked.Increment(ref notModified);
                await LoopbackServer.WriteAsync(stream, 304, [], cancellationToken, [.. validators]);
                return;
            }

            Interlocked.Increment(ref full);
            if (Endless)
            {
                await LoopbackServer.WriteHeadAsync(stream, 200, cancellationToken, ("Content-Type", ContentType), ("Connection", "close"));
                var chunk = Encoding.ASCII.GetBytes(new string('X', 8192));
                await stream.WriteAsync("BEGIN:VCALENDAR\r\nX-PAD:"u8.ToArray(), cancellationToken);
                while (!cancellationToken.IsCancellationRequested)
                {
                    await stream.WriteAsync(chunk, cancellationToken);
                }

                return;
            }

            var body = Body;
            var headers = new List<(string, string)>(validators) { ("Content-Type", ContentType) };
            if (Gzip)
            {
                using var compressed = new MemoryStream();
                await using (var gzip = new GZipStream(compressed, CompressionLevel.Fastest))
                {
                    await gzip.WriteAsync(body, cancellationToken);
                }

                body = compressed.ToArray();
                headers.Add(("Content-Encoding", "gzip"));
            }

            await LoopbackServer.WriteAsync(stream, Status, body, cancellationToken, [.. headers]);
        }
    }
}
