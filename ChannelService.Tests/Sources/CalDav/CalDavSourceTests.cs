using System.Net;
using ChannelService.Accounts;
using ChannelService.Calendars;
using ChannelService.Data;
using ChannelService.Sources;
using ChannelService.Sources.CalDav;
using ChannelService.Sources.Http;
using ChannelService.Tests.Support;

namespace ChannelService.Tests.Sources.CalDav;

/// <summary>The CalDAV source against a real Radicale on loopback: one server and one database for the class, one collection and account per test.</summary>
[TestFixture]
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "A SQLite Database holds nothing to dispose; TearDown removes its folder.")]
public sealed class CalDavSourceTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 22, 4, 0, 0, TimeSpan.Zero);
    private readonly List<HttpClient> clients = [];
    private RadicaleServer server = null!;
    private string folder = null!;
    private Database database = null!;
    private SourceItemStore store = null!;
    private int accounts;

    [OneTimeSetUp]
    public async Task Start()
    {
        server = await RadicaleServer.StartAsync();
        folder = Directory.CreateTempSubdirectory("channelservice-caldav-source-").FullName;
        database = new Database(Path.Combine(folder, "channel.db"));
        await database.InitializeAsync();
        store = new SourceItemStore(database);
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        clients.ForEach(c => c.Dispose());
        await server.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(folder, recursive: true);
    }

    // ------------------------------------------------------------ reading

    [Test]
    public async Task First_Sync_Of_Tasks_Reads_Only_The_Tasks_With_Href_ETag_And_Web_Url()
    {
        var collection = await server.CreateCollectionAsync(components: ["VTODO", "VEVENT"]);
        await Put(collection, "t1.ics", Ics.Todo("t-1", "Call back", "URL:https://tasks.example.org/t-1"));
        await Put(collection, "t2.ics", Ics.Todo("t-2", "Order parts", "URL:mailto:parts@example.org"));
        await Put(collection, "e1.ics", Series("e-1"));
        var source = Source(collection, SourceKind.CalDavTasks);

        var changes = await Pull(source);

        Assert.That(changes.Upserts.Select(i => i.Uid), Is.EquivalentTo(new[] { "t-1", "t-2" }));
        Assert.That(changes.Upserts.All(i => i.Kind == CalendarItemKind.Task && i.Change == SourceChangeKind.Added), Is.True);
        var t1 = changes.Upserts.Single(i => i.Uid == "t-1");
        var live = await server.SendAsync(HttpMethod.Get, new Uri(collection, "t1.ics"));
        Assert.Multiple(() =>
        {
            Assert.That(t1.Href, Is.EqualTo(collection.AbsolutePath + "t1.ics"));
            Assert.That(t1.ETag, Is.EqualTo(live.Headers.ETag!.ToString()));
            Assert.That(t1.Key, Is.EqualTo(SourceItemKeys.For("t-1", null)));
            Assert.That(SourceItemCalendar.Parse(t1)!.Item.Summary, Is.EqualTo("Call back"));
            Assert.That(source.WebUrl(t1), Is.EqualTo(new Uri("https://tasks.example.org/t-1")));
            Assert.That(source.WebUrl(changes.Upserts.Single(i => i.Uid == "t-2")), Is.Null);
            Assert.That(changes.Deletions, Is.Empty);
            Assert.That(changes.CompleteListing, Is.True);
            Assert.That(changes.Cursor, Does.StartWith("s1:"));
        });
    }

    [Test]
    public async Task First_Sync_Of_Events_Gives_A_Series_And_Its_Override_As_Two_Items_Of_One_Resource()
    {
        var collection = await server.CreateCollectionAsync(components: ["VTODO", "VEVENT"]);
        await Put(collection, "t1.ics", Ics.Todo("t-1", "Call back"));
        await Put(collection, "s.ics", Series("s-1"));
        var source = Source(collection, SourceKind.CalDavCalendar);

        var changes = await Pull(source);

        Assert.That(changes.Upserts, Has.Count.EqualTo(2));
        Assert.That(changes.Upserts.All(i => i.Kind == CalendarItemKind.Event && i.Uid == "s-1"), Is.True);
        Assert.That(changes.Upserts.Select(i => i.RecurrenceId), Is.EquivalentTo(new[] { null, "20261208T100000Z" }));
        Assert.That(changes.Upserts.Select(i => i.Href).Distinct().Single(), Is.EqualTo(collection.AbsolutePath + "s.ics"));
        Assert.That(changes.Upserts.Select(i => i.ETag).Distinct().Count(), Is.EqualTo(1));
        Assert.That(changes.Upserts.Select(i => i.Key).Distinct().Count(), Is.EqualTo(2));
    }

    [Test]
    public async Task Added_Changed_And_Deleted_Resources_Are_Reported_Against_The_Store()
    {
        var collection = await server.CreateCollectionAsync(components: "VTODO");
        await Put(collection, "a.ics", Ics.Todo("a", "A"));
        await Put(collection, "b.ics", Ics.Todo("b", "B"));
        await Put(collection, "c.ics", Ics.Todo("c", "C"));
        var source = Source(collection, SourceKind.CalDavTasks);
        var first = await Pull(source);
        var versionOfB = first.Upserts.Single(i => i.Uid == "b").ContentVersion;

        await Put(collection, "b.ics", Ics.Todo("b", "B changed"));
        await Put(collection, "d.ics", Ics.Todo("d", "D"));
        await server.SendAsync(HttpMethod.Delete, new Uri(collection, "c.ics"));
        var second = await Pull(source);
        var third = await Pull(source);

        Assert.Multiple(() =>
        {
            Assert.That(second.Upserts.Select(i => (i.Uid, i.Change)), Is.EquivalentTo(new[] { ("b", SourceChangeKind.Changed), ("d", SourceChangeKind.Added) }));
            Assert.That(second.Upserts.Single(i => i.Uid == "b").PreviousVersion, Is.EqualTo(versionOfB));
            Assert.That(second.Deletions.Select(d => d.Uid), Is.EqualTo(new[] { "c" }));
            Assert.That(third.HasChanges, Is.False);
            Assert.That(third.Unchanged, Is.True);
        });
    }

    [Test]
    public async Task An_Override_Removed_From_A_Series_Deletes_That_Item_Only()
    {
        var collection = await server.CreateCollectionAsync(components: "VEVENT");
        await Put(collection, "s.ics", Series("s-2"));
        var source = Source(collection, SourceKind.CalDavCalendar);
        await Pull(source);

        await Put(collection, "s.ics", Series("s-2", withOverride: false));
        var changes = await Pull(source);

        Assert.That(changes.Upserts, Is.Empty, "the master did not change");
        Assert.That(changes.Deletions.Select(d => (d.Uid, d.RecurrenceId)), Is.EqualTo(new[] { ("s-2", (string?)"20261208T100000Z") }));
    }

    [Test]
    public async Task An_Expired_Sync_Token_Resyncs_Fully_Without_Losing_Or_Repeating_Anything()
    {
        var collection = await server.CreateCollectionAsync(components: "VTODO");
        for (var i = 0; i < 5; i++)
        {
            await Put(collection, $"t{i}.ics", Ics.Todo($"t-{i}", $"Task {i}"));
        }

        var source = Source(collection, SourceKind.CalDavTasks);
        var account = source.AccountId;
        await Pull(source);
        var before = await store.ListAsync(account);

        await Put(collection, "t1.ics", Ics.Todo("t-1", "Task 1 changed"));
        await Put(collection, "t9.ics", Ics.Todo("t-9", "Task 9"));
        await server.SendAsync(HttpMethod.Delete, new Uri(collection, "t2.ics"));

        // A token Radicale never issued (or dropped after max_sync_token_age) is refused with valid-sync-token.
        await store.ApplyAsync(account, new SourceChanges { Cursor = "s1:http://radicale.org/ns/sync/" + new string('0', 64), Upserts = [], Deletions = [], CompleteListing = true });
        var resync = await Pull(source);
        var after = await store.ListAsync(account);

        Assert.Multiple(() =>
        {
            Assert.That(resync.Upserts.Select(i => (i.Uid, i.Change)), Is.EquivalentTo(new[] { ("t-1", SourceChangeKind.Changed), ("t-9", SourceChangeKind.Added) }));
            Assert.That(resync.Deletions.Select(d => d.Uid), Is.EqualTo(new[] { "t-2" }));
            Assert.That(resync.ListedCount, Is.EqualTo(5));
            Assert.That(after.Select(s => s.Item.Uid), Is.EquivalentTo(new[] { "t-0", "t-1", "t-3", "t-4", "t-9" }));
            Assert.That(
                after.Where(s => s.Item.Uid is "t-0" or "t-3" or "t-4").Select(s => s.Item.ContentVersion),
                Is.EquivalentTo(before.Where(s => s.Item.Uid is "t-0" or "t-3" or "t-4").Select(s => s.Item.ContentVersion)));
            Assert.That(resync.Cursor, Does.StartWith("s1:").And.Not.Contain(new string('0', 64)));
        });
    }

    [Test]
    public async Task Without_Sync_Collection_The_Ctag_Fallback_Finds_The_Same_Changes()
    {
        var collection = await server.CreateCollectionAsync(components: "VTODO");
        await Put(collection, "a.ics", Ics.Todo("a", "A"));
        await Put(collection, "b.ics", Ics.Todo("b", "B"));
        var source = Source(collection, SourceKind.CalDavTasks, outer: new HideSyncCollectionHandler(new SocketsHttpHandler { AllowAutoRedirect = false }));
        var first = await Pull(source);

        await Put(collection, "a.ics", Ics.Todo("a", "A changed"));
        await server.SendAsync(HttpMethod.Delete, new Uri(collection, "b.ics"));
        await Put(collection, "c.ics", Ics.Todo("c", "C"));
        var second = await Pull(source);

        Assert.That(first.Cursor, Does.StartWith("c1:"));
        Assert.That(first.Upserts.Select(i => i.Uid), Is.EquivalentTo(new[] { "a", "b" }));
        Assert.That(second.Upserts.Select(i => (i.Uid, i.Change)), Is.EquivalentTo(new[] { ("a", SourceChangeKind.Changed), ("c", SourceChangeKind.Added) }));
        Assert.That(second.Deletions.Select(d => d.Uid), Is.EqualTo(new[] { "b" }));
    }

    [Test]
    public async Task The_Fallback_Keeps_Large_Etag_Maps_In_The_Database()
    {
        var collection = await server.CreateCollectionAsync(components: "VTODO");
        await Put(collection, "a.ics", Ics.Todo("a", "A"));
        await Put(collection, "b.ics", Ics.Todo("b", "B"));
        var etags = new SqliteCalDavEtagStore(database);
        var source = Source(collection, SourceKind.CalDavTasks, options: new CalDavClientOptions { UseSyncCollection = false, MaxInlineCursorChars = 10 }, etagStore: etags);
        var first = await Pull(source);

        await Put(collection, "b.ics", Ics.Todo("b", "B changed"));
        var second = await Pull(source);

        Assert.That(first.Cursor, Does.Contain(":m"), "the cursor names a stored snapshot");
        Assert.That(await etags.CountAsync(collection), Is.EqualTo(2));
        Assert.That(second.Upserts.Select(i => (i.Uid, i.Change)), Is.EqualTo(new[] { ("b", SourceChangeKind.Changed) }));
        Assert.That(second.Deletions, Is.Empty);
    }

    // ------------------------------------------------------------ writing

    [Test]
    public async Task A_Reply_Is_Written_With_Its_Marker_And_Repeating_It_Changes_Nothing()
    {
        var collection = await server.CreateCollectionAsync(components: "VTODO");
        await Put(collection, "t.ics", Ics.Todo("t-1", "Call back", "DESCRIPTION:Customer asked for a call"));
        var source = Source(collection, SourceKind.CalDavTasks);
        await Pull(source);
        var key = SourceItemKeys.For("t-1", null);

        var written = await source.WriteCommentAsync(new SourceCommentWrite(key, "zd-1001", "Called, all good", "Ann Agent", null));
        var afterFirst = await server.SendAsync(HttpMethod.Get, new Uri(collection, "t.ics"));
        var firstBody = await afterFirst.Content.ReadAsStringAsync();
        var repeated = await source.WriteCommentAsync(new SourceCommentWrite(key, "zd-1001", "Called, all good", "Ann Agent", null));
        var afterSecond = await server.SendAsync(HttpMethod.Get, new Uri(collection, "t.ics"));

        Assert.Multiple(async () =>
        {
            Assert.That(written.Outcome, Is.EqualTo(SourceWriteOutcome.Written), written.Message);
            Assert.That(written.NewVersion, Is.EqualTo(afterFirst.Headers.ETag!.ToString()));
            Assert.That(firstBody, Does.Contain("X-ZENDESK-COMMENT-ID=zd-1001"));
            var item = (await source.ReadItemAsync(key))!;
            var read = SourceItemCalendar.Parse(item)!.Item;
            Assert.That(read.Comments.Single().Text, Is.EqualTo("Called, all good"));
            Assert.That(read.Comments.Single().GetParameter("X-ZENDESK-COMMENT-ID"), Is.EqualTo("zd-1001"));
            Assert.That(read.Description, Is.EqualTo("Customer asked for a call\n\n--- Reply from Zendesk (zd-1001) ---\nCalled, all good\n--- End of reply ---"));
            Assert.That(read.Sequence, Is.Null, "a comment does not bump SEQUENCE");
            Assert.That(item.ETag, Is.EqualTo(written.NewVersion));
            Assert.That(repeated.Outcome, Is.EqualTo(SourceWriteOutcome.AlreadyApplied));
            Assert.That(afterSecond.Headers.ETag!.ToString(), Is.EqualTo(written.NewVersion));
            Assert.That(await afterSecond.Content.ReadAsStringAsync(), Is.EqualTo(firstBody));
        });
    }

    [Test]
    public async Task A_Reply_Racing_A_Concurrent_Edit_Is_Reapplied_And_Both_Changes_Survive()
    {
        var collection = await server.CreateCollectionAsync(components: "VTODO");
        var url = new Uri(collection, "t.ics");
        await Put(collection, "t.ics", Ics.Todo("t-1", "Call back"));
        var race = new EditBeforeFirstPutHandler(async () => await Put(collection, "t.ics", Ics.Todo("t-1", "Call back - edited on the phone", "PRIORITY:1")));
        var source = Source(collection, SourceKind.CalDavTasks, outer: race, replyTarget: ReplyTarget.Comment);
        await Pull(source);

        var result = await source.WriteCommentAsync(new SourceCommentWrite(SourceItemKeys.For("t-1", null), "zd-7", "On it", null, null));
        var body = await (await server.SendAsync(HttpMethod.Get, url)).Content.ReadAsStringAsync();

        Assert.That(result.Outcome, Is.EqualTo(SourceWriteOutcome.Written), result.Message);
        Assert.That(race.Puts, Is.EqualTo(2), "the first PUT met 412 and was re-applied on the edited object");
        Assert.That(body, Does.Contain("SUMMARY:Call back - edited on the phone").And.Contain("PRIORITY:1").And.Contain("COMMENT;X-ZENDESK-COMMENT-ID=zd-7:On it"));
    }

    [Test]
    public async Task Done_And_Reopen_Change_The_Task_Status_Once_Per_Request()
    {
        var collection = await server.CreateCollectionAsync(components: "VTODO");
        await Put(collection, "t.ics", Ics.Todo("t-1", "Call back"));
        var source = Source(collection, SourceKind.CalDavTasks);
        await Pull(source);
        var key = SourceItemKeys.For("t-1", null);

        var done = await source.ChangeTaskStatusAsync(new SourceTaskStatusWrite(key, "req-1", SourceTaskStatus.Completed, null));
        var completed = SourceItemCalendar.Parse((await source.ReadItemAsync(key))!)!.Item;
        var doneAgain = await source.ChangeTaskStatusAsync(new SourceTaskStatusWrite(key, "req-1", SourceTaskStatus.Completed, null));
        var reopened = await source.ChangeTaskStatusAsync(new SourceTaskStatusWrite(key, "req-2", SourceTaskStatus.NeedsAction, null));
        var open = SourceItemCalendar.Parse((await source.ReadItemAsync(key))!)!.Item;

        Assert.Multiple(() =>
        {
            Assert.That(done.Outcome, Is.EqualTo(SourceWriteOutcome.Written), done.Message);
            Assert.That(completed.Status, Is.EqualTo("COMPLETED"));
            Assert.That(completed.PercentComplete, Is.EqualTo(100));
            Assert.That(completed.Completed, Is.EqualTo(IcalDateTime.ForUtc(NodaTime.Instant.FromDateTimeOffset(Now))));
            Assert.That(doneAgain.Outcome, Is.EqualTo(SourceWriteOutcome.AlreadyApplied));
            Assert.That(reopened.Outcome, Is.EqualTo(SourceWriteOutcome.Written));
            Assert.That(open.Status, Is.EqualTo("NEEDS-ACTION"));
            Assert.That(open.Completed, Is.Null);
            Assert.That(open.PercentComplete, Is.EqualTo(0));
        });
    }

    [Test]
    public async Task A_Due_Date_Change_Reaches_The_Server_Once()
    {
        var collection = await server.CreateCollectionAsync(components: "VTODO");
        await Put(collection, "t.ics", Ics.Todo("t-1", "Call back", "DUE;VALUE=DATE:20261201"));
        var source = Source(collection, SourceKind.CalDavTasks);
        await Pull(source);
        var key = SourceItemKeys.For("t-1", null);
        var due = IcalDateTime.ForDate(new NodaTime.LocalDate(2026, 12, 9));

        var moved = await source.ChangeTaskDueAsync(new SourceTaskDueWrite(key, "req-9", due, null));
        var again = await source.ChangeTaskDueAsync(new SourceTaskDueWrite(key, "req-9", due, null));
        var item = SourceItemCalendar.Parse((await source.ReadItemAsync(key))!)!.Item;
        var onCalendar = await Source(collection, SourceKind.CalDavCalendar).ChangeTaskDueAsync(new SourceTaskDueWrite(key, "req-10", due, null));

        Assert.That(moved.Outcome, Is.EqualTo(SourceWriteOutcome.Written), moved.Message);
        Assert.That(again.Outcome, Is.EqualTo(SourceWriteOutcome.AlreadyApplied));
        Assert.That(item.Due, Is.EqualTo(due));
        Assert.That(onCalendar.Outcome, Is.EqualTo(SourceWriteOutcome.Rejected));
    }

    [Test]
    public async Task A_Reply_To_An_Event_With_Attendees_Is_Refused_By_Default_And_Nothing_Is_Written()
    {
        var collection = await server.CreateCollectionAsync(components: "VEVENT");
        var body = Series("m-1", withOverride: false).Replace("SUMMARY:Weekly sync\r\n", "SUMMARY:Weekly sync\r\nORGANIZER:mailto:alice@example.org\r\nATTENDEE;CN=Bo:mailto:bo@example.org\r\n", StringComparison.Ordinal);
        await Put(collection, "m.ics", body);
        var refusing = Source(collection, SourceKind.CalDavCalendar);
        await Pull(refusing);
        var before = await (await server.SendAsync(HttpMethod.Get, new Uri(collection, "m.ics"))).Content.ReadAsStringAsync();

        var refused = await refusing.WriteCommentAsync(new SourceCommentWrite(SourceItemKeys.For("m-1", null), "zd-5", "Hi", null, null));
        var after = await (await server.SendAsync(HttpMethod.Get, new Uri(collection, "m.ics"))).Content.ReadAsStringAsync();
        var allowing = Source(collection, SourceKind.CalDavCalendar, eventReplies: true);
        await Pull(allowing);
        var allowed = await allowing.WriteCommentAsync(new SourceCommentWrite(SourceItemKeys.For("m-1", null), "zd-5", "Hi", null, null));

        Assert.That(refused.Outcome, Is.EqualTo(SourceWriteOutcome.Rejected));
        Assert.That(refused.Message, Does.Contain("e-mail"));
        Assert.That(after, Is.EqualTo(before));
        Assert.That(allowed.Outcome, Is.EqualTo(SourceWriteOutcome.Written));
    }

    [Test]
    public async Task A_Write_To_An_Item_Deleted_On_The_Server_Is_Not_Found()
    {
        var collection = await server.CreateCollectionAsync(components: "VTODO");
        await Put(collection, "t.ics", Ics.Todo("t-1", "Call back"));
        var source = Source(collection, SourceKind.CalDavTasks);
        await Pull(source);
        await server.SendAsync(HttpMethod.Delete, new Uri(collection, "t.ics"));

        var result = await source.WriteCommentAsync(new SourceCommentWrite(SourceItemKeys.For("t-1", null), "zd-1", "Hi", null, null));

        Assert.That(result.Outcome, Is.EqualTo(SourceWriteOutcome.NotFound));
    }

    // ------------------------------------------------------------ errors and probe

    [Test]
    public async Task A_Wrong_Password_Is_Unauthorized_In_Plain_Words()
    {
        var collection = await server.CreateCollectionAsync(components: "VTODO");
        var source = Source(collection, SourceKind.CalDavTasks, password: "wrong");

        var error = Assert.ThrowsAsync<SourceException>(() => source.ReadChangesAsync(null));
        var probe = await source.ProbeAsync();

        Assert.That(error!.Kind, Is.EqualTo(SourceErrorKind.Unauthorized));
        Assert.That(error.Message, Is.EqualTo("The server rejected the username or password."));
        Assert.That(probe.Error, Is.EqualTo(SourceErrorKind.Unauthorized));
        Assert.That(probe.Reachable && !probe.Authenticated && !probe.Ok, Is.True);
        Assert.That(probe.Message, Is.EqualTo("The server rejected the username or password."));
    }

    [Test]
    public async Task The_Probe_Counts_Tasks_Open_Tasks_And_Events()
    {
        var collection = await server.CreateCollectionAsync(displayName: "Support", components: ["VTODO", "VEVENT"]);
        await Put(collection, "t1.ics", Ics.Todo("t-1", "One"));
        await Put(collection, "t2.ics", Ics.Todo("t-2", "Two"));
        await Put(collection, "t3.ics", Ics.Todo("t-3", "Three").Replace("STATUS:NEEDS-ACTION", "STATUS:COMPLETED", StringComparison.Ordinal));
        await Put(collection, "s.ics", Series("s-9"));

        var probe = await Source(collection, SourceKind.CalDavTasks).ProbeAsync();

        Assert.That(probe.Ok, Is.True, probe.Message);
        Assert.That((probe.Tasks, probe.OpenTasks, probe.Events), Is.EqualTo((3, 2, 2)));
        Assert.That(probe.Message, Is.EqualTo("Found 2 open tasks (3 tasks in all) and 2 events in \"Support\"."));
    }

    [Test]
    public async Task Probing_A_Principal_Url_Says_It_Is_Not_A_Calendar_And_Names_The_Calendars_There()
    {
        var collection = await server.CreateCollectionAsync(user: "bob", displayName: "Bob's tasks", components: "VTODO");

        var probe = await Source(new Uri(server.BaseUrl, "/bob/"), SourceKind.CalDavTasks, user: "bob").ProbeAsync();

        Assert.That(probe.Error, Is.EqualTo(SourceErrorKind.NotACalendar));
        Assert.That(probe.Message, Does.StartWith("This URL is not a calendar collection").And.Contain(collection.AbsoluteUri));
    }

    [Test]
    public async Task The_Factory_Path_Goes_Through_The_Ssrf_Guard()
    {
        var collection = await server.CreateCollectionAsync(components: "VTODO");
        await Put(collection, "t.ics", Ics.Todo("t-1", "One"));
        var account = new AccountMetadata
        {
            AccountId = AccountIds.New(),
            Kind = SourceKind.CalDavTasks,
            Url = collection.AbsoluteUri,
            Username = server.UserName,
            Secret = server.Password,
            CreatedAt = Now,
        };
        using var allowing = SourceHttpClient.Create(new SourceHttpOptions { AllowPrivateNetworkSources = true });
        using var guarded = SourceHttpClient.Create(new SourceHttpOptions());
        var etags = new SqliteCalDavEtagStore(database);

        var ok = await new SourceFactory(allowing, store, etags).Create(account).ProbeAsync();
        var blocked = await new SourceFactory(guarded, store, etags).Create(account).ProbeAsync();
        var feed = new SourceFactory(allowing, store, etags).Create(account with { Kind = SourceKind.Ics });

        Assert.That(ok.Ok, Is.True, ok.Message);
        Assert.That(ok.OpenTasks, Is.EqualTo(1));
        Assert.That(blocked.Error, Is.EqualTo(SourceErrorKind.BlockedAddress), blocked.Message);
        Assert.That(blocked.Reachable, Is.False);
        Assert.That(feed.Kind, Is.EqualTo(SourceKind.Ics));
    }

    // ------------------------------------------------------------ helpers

    private static string Series(string uid, bool withOverride = true) =>
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//ChannelService//tests//EN\r\n"
        + $"BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20261120T090000Z\r\nDTSTART:20261201T100000Z\r\nDURATION:PT1H\r\n"
        + "RRULE:FREQ=WEEKLY;COUNT=5\r\nSUMMARY:Weekly sync\r\nEND:VEVENT\r\n"
        + (withOverride
            ? $"BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20261120T090000Z\r\nRECURRENCE-ID:20261208T100000Z\r\n"
              + "DTSTART:20261208T110000Z\r\nDURATION:PT1H\r\nSUMMARY:Weekly sync (moved)\r\nEND:VEVENT\r\n"
            : string.Empty)
        + "END:VCALENDAR\r\n";

    /// <summary>
    /// PUT without If-Match. Test bodies must be valid iCalendar: Radicale 3.1.8 answered 201 but kept the old
    /// object (same ETag) when a replacement had an unescaped comma in SUMMARY.
    /// </summary>
    private async Task Put(Uri collection, string name, string body)
    {
        using var response = await server.SendAsync(HttpMethod.Put, new Uri(collection, name), body);
        Assert.That((int)response.StatusCode, Is.EqualTo(201).Or.EqualTo(204), $"PUT {name}");
    }

    private CalDavSource Source(
        Uri collection,
        SourceKind kind,
        string? user = null,
        string? password = null,
        HttpMessageHandler? outer = null,
        CalDavClientOptions? options = null,
        ICalDavEtagStore? etagStore = null,
        ReplyTarget replyTarget = ReplyTarget.Both,
        bool eventReplies = false)
    {
        user ??= server.UserName;
        var http = RadicaleServer.CreateHttpClient(outer);
        clients.Add(http);
        var client = new CalDavClient(http, new CalDavCredentials(user, password ?? server.Users[user]), etagStore, options);
        var accountId = "acct" + Interlocked.Increment(ref accounts).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var settings = new CalDavSourceSettings(accountId, kind, collection) { ReplyTarget = replyTarget, EventReplies = eventReplies };
        return new CalDavSource(settings, client, store, new FixedTime(Now));
    }

    private async Task<SourceChanges> Pull(CalDavSource source)
    {
        var account = source.AccountId;
        var changes = await source.ReadChangesAsync(await store.GetCursorAsync(account));
        await store.ApplyAsync(account, changes);
        return changes;
    }

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
