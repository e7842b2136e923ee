using System.Net;
using ChannelService.Sources.CalDav;
using ChannelService.Tests.Support;

namespace ChannelService.Tests.Sources.CalDav;

/// <summary>The CalDAV client against a real Radicale 3.1.8 on loopback; one server for the class, one collection per test.</summary>
[TestFixture]
public sealed class CalDavClientRadicaleTests
{
    private readonly List<HttpClient> _clients = [];
    private RadicaleServer _server = null!;

    [OneTimeSetUp]
    public async Task StartRadicale() => _server = await RadicaleServer.StartAsync();

    [OneTimeTearDown]
    public async Task StopRadicale()
    {
        _clients.ForEach(c => c.Dispose());
        await _server.DisposeAsync();
    }

    // ------------------------------------------------------------ discovery

    [Test]
    public async Task Discovery_From_Server_Root_Lists_Collections_With_Names_And_Components()
    {
        var tasks = await _server.CreateCollectionAsync("bob", "Support tasks", "VTODO");
        var events = await _server.CreateCollectionAsync("bob", "Team calendar", "VEVENT");
        var (client, _) = Connect(user: "bob");

        var found = await client.DiscoverAsync(_server.BaseUrl);

        Assert.That(found.Principal, Is.EqualTo(new Uri(_server.BaseUrl, "/bob/")));
        Assert.That(found.CalendarHomes, Is.EqualTo(new[] { new Uri(_server.BaseUrl, "/bob/") }));
        var t = found.Collections.Single(c => c.Url == tasks);
        var e = found.Collections.Single(c => c.Url == events);
        Assert.Multiple(() =>
        {
            Assert.That(t.DisplayName, Is.EqualTo("Support tasks"));
            Assert.That(t.Components, Is.EqualTo(new[] { "VTODO" }));
            Assert.That(t.AcceptsTodos && !t.AcceptsEvents, Is.True);
            Assert.That(e.DisplayName, Is.EqualTo("Team calendar"));
            Assert.That(e.Components, Is.EqualTo(new[] { "VEVENT" }));
            Assert.That(t.SupportsSyncCollection, Is.True);
            Assert.That(t.SyncToken, Does.StartWith("http://radicale.org/ns/sync/"));
            Assert.That(t.CTag, Is.Not.Null.And.Not.Empty);
        });
    }

    [Test]
    public async Task Discovery_From_Well_Known_Url_Follows_The_Redirect()
    {
        var tasks = await _server.CreateCollectionAsync(displayName: "Well-known list", components: "VTODO");
        var (client, counter) = Connect();

        var found = await client.DiscoverAsync(new Uri(_server.BaseUrl, "/.well-known/caldav"));

        Assert.That(found.Principal, Is.EqualTo(new Uri(_server.BaseUrl, "/alice/")));
        Assert.That(found.Collections.Single(c => c.Url == tasks).DisplayName, Is.EqualTo("Well-known list"));
        Assert.That(counter.CountOf("PROPFIND"), Is.GreaterThanOrEqualTo(3), "301 hop, then principal, then home listing");
    }

    [Test]
    public async Task Discovery_From_A_Collection_Url_Returns_Just_That_Collection()
    {
        var tasks = await _server.CreateCollectionAsync(displayName: "Direct", components: ["VTODO", "VEVENT"]);
        var (client, _) = Connect();

        var found = await client.DiscoverAsync(tasks);

        Assert.That(found.Collections, Has.Count.EqualTo(1));
        Assert.That(found.Collections[0].Url, Is.EqualTo(tasks));
        Assert.That(found.Collections[0].Components, Is.EquivalentTo(new[] { "VTODO", "VEVENT" }));
    }

    [Test]
    public void Reading_A_Principal_As_A_Collection_Says_It_Is_Not_A_Calendar()
    {
        var (client, _) = Connect();

        var ex = Assert.ThrowsAsync<CalDavException>(() => client.GetCollectionAsync(new Uri(_server.BaseUrl, "/alice/")));

        Assert.That(ex!.Kind, Is.EqualTo(CalDavErrorKind.NotACalendar));
    }

    [Test]
    public async Task Wrong_Password_Is_Unauthorized_And_The_Message_Hides_It()
    {
        var tasks = await _server.CreateCollectionAsync(components: "VTODO");
        var (client, _) = Connect(password: "wrong-Pa55word");

        var sync = Assert.ThrowsAsync<CalDavException>(() => client.SyncAsync(tasks, null));
        var discover = Assert.ThrowsAsync<CalDavException>(() => client.DiscoverAsync(_server.BaseUrl));
        var put = await client.CreateAsync(new Uri(tasks, "x.ics"), Ics.Todo("x", "x"));

        Assert.Multiple(() =>
        {
            Assert.That(sync!.Kind, Is.EqualTo(CalDavErrorKind.Unauthorized));
            Assert.That(discover!.Kind, Is.EqualTo(CalDavErrorKind.Unauthorized));
            Assert.That(sync.Message + discover.Message, Does.Not.Contain("wrong-Pa55word"));
            Assert.That(put.Status, Is.EqualTo(CalDavWriteStatus.Unauthorized));
        });
    }

    // ------------------------------------------------------------ sync-collection

    [Test]
    public async Task First_Sync_Is_A_Complete_Listing_With_A_Sync_Token_Cursor()
    {
        var tasks = await _server.CreateCollectionAsync(components: "VTODO");
        var etags = await PutTodosAsync(tasks, 3);
        var (client, counter) = Connect();

        var result = await client.SyncAsync(tasks, null);

        Assert.Multiple(() =>
        {
            Assert.That(result.IsFullResync, Is.True);
            Assert.That(result.Method, Is.EqualTo(CalDavSyncMethod.SyncCollection));
            Assert.That(result.Changed.ToDictionary(c => c.Href, c => c.ETag), Is.EquivalentTo(etags));
            Assert.That(result.Deleted, Is.Empty);
            Assert.That(result.Cursor, Does.StartWith("s1:http://radicale.org/ns/sync/"));
            Assert.That(counter.Requests, Is.EqualTo(2), "PROPFIND of the collection, then one REPORT");
        });
    }

    [Test]
    public async Task Incremental_Sync_Reports_Added_Changed_And_Deleted_Items()
    {
        var tasks = await _server.CreateCollectionAsync(components: "VTODO");
        var etags = await PutTodosAsync(tasks, 3);
        var (client, counter) = Connect();
        var first = await client.SyncAsync(tasks, null);
        var hrefs = etags.Keys.Order().ToList();

        var changed = await _server.SendAsync(HttpMethod.Put, Url(tasks, hrefs[0]), Ics.Todo("t0", "changed"), configure: r => r.Headers.TryAddWithoutValidation("If-Match", etags[hrefs[0]]));
        var deleted = await _server.SendAsync(HttpMethod.Delete, Url(tasks, hrefs[1]));
        var added = await _server.SendAsync(HttpMethod.Put, new Uri(tasks, "new.ics"), Ics.Todo("new", "added"));
        Assert.That(new[] { changed.StatusCode, deleted.StatusCode, added.StatusCode }, Is.EqualTo(new[] { HttpStatusCode.Created, HttpStatusCode.OK, HttpStatusCode.Created }));
        counter.Reset();

        var second = await client.SyncAsync(tasks, first.Cursor);

        Assert.Multiple(() =>
        {
            Assert.That(second.IsFullResync, Is.False);
            Assert.That(second.Changed.Select(c => c.Href), Is.EquivalentTo(new[] { hrefs[0], tasks.AbsolutePath + "new.ics" }));
            Assert.That(second.Changed.Single(c => c.Href == hrefs[0]).ETag, Is.EqualTo(changed.Headers.ETag!.ToString()));
            Assert.That(second.Deleted, Is.EqualTo(new[] { hrefs[1] }));
            Assert.That(second.Cursor, Is.Not.EqualTo(first.Cursor));
            Assert.That(counter.Requests, Is.EqualTo(1), "an incremental sync is one REPORT");
        });

        var third = await client.SyncAsync(tasks, second.Cursor);
        Assert.That(third.Changed.Count + third.Deleted.Count, Is.Zero);
        Assert.That(third.IsFullResync, Is.False);
    }

    [Test]
    public async Task Unknown_Sync_Token_Turns_Into_A_Full_Resync_With_The_Complete_Listing()
    {
        var tasks = await _server.CreateCollectionAsync(components: "VTODO");
        var etags = await PutTodosAsync(tasks, 4);
        var (client, _) = Connect();

        var result = await client.SyncAsync(tasks, "s1:http://radicale.org/ns/sync/" + new string('0', 64));

        Assert.Multiple(() =>
        {
            Assert.That(result.IsFullResync, Is.True);
            Assert.That(result.Changed.ToDictionary(c => c.Href, c => c.ETag), Is.EquivalentTo(etags));
            Assert.That(result.Deleted, Is.Empty);
            Assert.That(result.Cursor, Does.StartWith("s1:http://radicale.org/ns/sync/"));
        });
        var next = await client.SyncAsync(tasks, result.Cursor);
        Assert.That(next.IsFullResync, Is.False, "the new token is accepted");
    }

    [Test]
    public async Task Names_With_Spaces_And_At_Signs_Round_Trip_Through_Sync_Multiget_And_Get()
    {
        var tasks = await _server.CreateCollectionAsync(components: "VTODO");
        var url = new Uri(tasks, "task%201%40example.test.ics");
        var (client, _) = Connect();
        var created = await client.CreateAsync(url, Ics.Todo("task 1@example.test", "odd name"));

        var listing = await client.SyncAsync(tasks, null);
        var fetched = await client.MultigetAsync(tasks, listing.Changed.Select(c => c.Href));
        var got = await client.GetAsync(CalDavClient.ObjectUrl(tasks, listing.Changed.Single().Href));

        Assert.That(created.Status, Is.EqualTo(CalDavWriteStatus.Written));
        Assert.That(listing.Changed.Single().Href, Is.EqualTo(url.AbsolutePath));
        Assert.That(fetched.Missing, Is.Empty);
        Assert.That(fetched.Objects.Single().ETag, Is.EqualTo(created.ETag));
        Assert.That(got.Body, Does.Contain("UID:task 1@example.test"));
    }

    [Test]
    public void Syncing_A_Collection_That_Does_Not_Exist_Is_Not_Found()
    {
        var (client, _) = Connect();
        var missing = new Uri(_server.BaseUrl, "/alice/no-such-list/");

        var first = Assert.ThrowsAsync<CalDavException>(() => client.SyncAsync(missing, null));
        var later = Assert.ThrowsAsync<CalDavException>(() => client.SyncAsync(missing, "s1:http://radicale.org/ns/sync/" + new string('1', 64)));

        Assert.That(first!.Kind, Is.EqualTo(CalDavErrorKind.NotFound));
        Assert.That(later!.Kind, Is.EqualTo(CalDavErrorKind.NotFound));
    }

    // ------------------------------------------------------------ ctag + etag fallback

    [Test]
    public async Task Without_Sync_Collection_The_First_Sync_Lists_Everything_By_ETag()
    {
        var tasks = await _server.CreateCollectionAsync(components: "VTODO");
        var etags = await PutTodosAsync(tasks, 3);
        var (client, counter) = Connect(wrap: h => new HideSyncCollectionHandler(h));

        var collection = await client.GetCollectionAsync(tasks);
        var result = await client.SyncAsync(tasks, null);

        Assert.Multiple(() =>
        {
            Assert.That(collection.SupportsSyncCollection, Is.False);
            Assert.That(result.Method, Is.EqualTo(CalDavSyncMethod.CTagAndETags));
            Assert.That(result.IsFullResync, Is.True);
            Assert.That(result.Changed.ToDictionary(c => c.Href, c => c.ETag), Is.EquivalentTo(etags));
            Assert.That(result.Cursor, Does.StartWith("c1:"));
            Assert.That(counter.CountOf("REPORT"), Is.Zero);
        });
    }

    [Test]
    public async Task Without_Sync_Collection_Changes_Are_Found_By_CTag_And_ETag_Diff()
    {
        var tasks = await _server.CreateCollectionAsync(components: "VTODO");
        var etags = await PutTodosAsync(tasks, 3);
        var hrefs = etags.Keys.Order().ToList();
        var (client, counter) = Connect(wrap: h => new HideSyncCollectionHandler(h));
        var first = await client.SyncAsync(tasks, null);

        counter.Reset();
        var unchanged = await client.SyncAsync(tasks, first.Cursor);
        Assert.That(unchanged.Changed.Count + unchanged.Deleted.Count, Is.Zero);
        Assert.That(unchanged.Cursor, Is.EqualTo(first.Cursor));
        Assert.That(counter.Requests, Is.EqualTo(1), "an unchanged ctag costs one Depth:0 PROPFIND");

        var changed = await _server.SendAsync(HttpMethod.Put, Url(tasks, hrefs[2]), Ics.Todo("t2", "edited"));
        await _server.SendAsync(HttpMethod.Delete, Url(tasks, hrefs[0]));
        await _server.SendAsync(HttpMethod.Put, new Uri(tasks, "added.ics"), Ics.Todo("added", "added"));

        var second = await client.SyncAsync(tasks, first.Cursor);

        Assert.Multiple(() =>
        {
            Assert.That(second.IsFullResync, Is.False);
            Assert.That(second.Changed.Select(c => c.Href), Is.EquivalentTo(new[] { hrefs[2], tasks.AbsolutePath + "added.ics" }));
            Assert.That(second.Changed.Single(c => c.Href == hrefs[2]).ETag, Is.EqualTo(changed.Headers.ETag!.ToString()));
            Assert.That(second.Deleted, Is.EqualTo(new[] { hrefs[0] }));
        });
    }

    [Test]
    public async Task Without_Sync_Collection_A_Large_ETag_Map_Is_Kept_In_The_Store()
    {
        var tasks = await _server.CreateCollectionAsync(components: "VTODO");
        var etags = await PutTodosAsync(tasks, 12);
        var store = new InMemoryCalDavEtagStore();
        var (client, _) = Connect(wrap: h => new HideSyncCollectionHandler(h), store: store, options: new CalDavClientOptions { MaxInlineCursorChars = 200 });

        var first = await client.SyncAsync(tasks, null);
        await _server.SendAsync(HttpMethod.Delete, Url(tasks, etags.Keys.Min()!));
        var second = await client.SyncAsync(tasks, first.Cursor);
        var withoutStore = Connect(wrap: h => new HideSyncCollectionHandler(h), options: new CalDavClientOptions { MaxInlineCursorChars = 200 }).Client;
        var lost = await withoutStore.SyncAsync(tasks, second.Cursor);

        Assert.Multiple(() =>
        {
            Assert.That(first.Cursor, Does.Match("^c1:[A-Za-z0-9_-]+:m[0-9a-f]{32}$"));
            Assert.That(first.Cursor.Length, Is.LessThan(200));
            Assert.That(store.Count(tasks), Is.EqualTo(2));
            Assert.That(second.Deleted, Is.EqualTo(new[] { etags.Keys.Min() }));
            Assert.That(second.Changed, Is.Empty);
            Assert.That(lost.IsFullResync, Is.True, "a snapshot the store no longer has means a full resync, never a guess");
            Assert.That(lost.Changed, Has.Count.EqualTo(11));
        });
    }

    [Test]
    public async Task A_Sync_Token_Cursor_Survives_A_Server_That_Dropped_Sync_Collection()
    {
        var tasks = await _server.CreateCollectionAsync(components: "VTODO");
        var etags = await PutTodosAsync(tasks, 2);
        var first = await Connect().Client.SyncAsync(tasks, null);
        var (fallback, _) = Connect(wrap: h => new HideSyncCollectionHandler(h));

        var result = await fallback.SyncAsync(tasks, first.Cursor);

        Assert.That(result.IsFullResync, Is.True);
        Assert.That(result.Method, Is.EqualTo(CalDavSyncMethod.CTagAndETags));
        Assert.That(result.Changed.Select(c => c.Href), Is.EquivalentTo(etags.Keys));
    }

    // ------------------------------------------------------------ bodies

    [Test]
    public async Task Multiget_Fetches_250_Items_In_Batches_Of_100_And_Names_The_Missing()
    {
        var tasks = await _server.CreateCollectionAsync(components: "VTODO");
        _server.WriteItems(tasks, Enumerable.Range(0, 250).Select(i => ($"t{i}.ics", Ics.Todo($"t{i}", $"task {i}"))));
        var (client, counter) = Connect();
        var listing = await client.SyncAsync(tasks, null);
        var etags = listing.Changed.ToDictionary(c => c.Href, c => c.ETag);
        counter.Reset();

        var result = await client.MultigetAsync(tasks, listing.Changed.Select(c => c.Href).Append(tasks.AbsolutePath + "gone.ics"));

        Assert.Multiple(() =>
        {
            Assert.That(counter.CountOf("REPORT"), Is.EqualTo(3));
            Assert.That(result.Objects, Has.Count.EqualTo(250));
            Assert.That(result.Missing, Is.EqualTo(new[] { tasks.AbsolutePath + "gone.ics" }));
            Assert.That(etags, Has.Count.EqualTo(250));
            Assert.That(result.Objects.ToDictionary(o => o.Href, o => o.ETag), Is.EquivalentTo(etags));
            var first = result.Objects.Single(o => o.Href == tasks.AbsolutePath + "t0.ics");
            Assert.That(first.Body, Does.Contain("UID:t0").And.Contain("SUMMARY:task 0"));
        });
    }

    [Test]
    public async Task Get_Returns_The_Exact_Body_And_ETag_The_Server_Stores()
    {
        var tasks = await _server.CreateCollectionAsync(components: "VTODO");
        var etags = await PutTodosAsync(tasks, 1);
        var (client, _) = Connect();

        var obj = await client.GetAsync(Url(tasks, etags.Keys.Single()));

        Assert.That(obj.ETag, Is.EqualTo(etags.Values.Single()));
        Assert.That(obj.Body, Does.StartWith("BEGIN:VCALENDAR\r\n").And.Contain("UID:t0\r\n"));
        var missing = Assert.ThrowsAsync<CalDavException>(() => client.GetAsync(new Uri(tasks, "nope.ics")));
        Assert.That(missing!.Kind, Is.EqualTo(CalDavErrorKind.NotFound));
    }

    // ------------------------------------------------------------ writes

    [Test]
    public async Task Create_With_If_None_Match_Refuses_A_Second_Create_And_A_Duplicate_Uid()
    {
        var tasks = await _server.CreateCollectionAsync(components: "VTODO");
        var (client, _) = Connect();
        var url = new Uri(tasks, "created.ics");

        var created = await client.CreateAsync(url, Ics.Todo("created-1", "first"));
        var again = await client.CreateAsync(url, Ics.Todo("created-1", "second"));
        var sameUid = await client.CreateAsync(new Uri(tasks, "other-name.ics"), Ics.Todo("created-1", "third"));

        Assert.Multiple(async () =>
        {
            Assert.That(created.Status, Is.EqualTo(CalDavWriteStatus.Written));
            Assert.That(created.ETag, Is.EqualTo((await client.GetAsync(url)).ETag));
            Assert.That(again.Status, Is.EqualTo(CalDavWriteStatus.PreconditionFailed));
            Assert.That(sameUid.Status, Is.EqualTo(CalDavWriteStatus.Conflict));
            Assert.That(sameUid.Precondition, Is.EqualTo("no-uid-conflict"));
            Assert.That((await client.GetAsync(url)).Body, Does.Contain("SUMMARY:first"));
        });
    }

    [Test]
    public async Task Put_With_A_Stale_ETag_Is_Refused_And_Changes_Nothing()
    {
        var tasks = await _server.CreateCollectionAsync(components: "VTODO");
        var url = new Uri(tasks, "p.ics");
        var (client, _) = Connect();
        var v1 = await client.CreateAsync(url, Ics.Todo("p", "v1"));
        var v2 = await client.PutAsync(url, Ics.Todo("p", "v2"), v1.ETag!);

        var stale = await client.PutAsync(url, Ics.Todo("p", "stale"), v1.ETag!);

        Assert.That(v2.Status, Is.EqualTo(CalDavWriteStatus.Written));
        Assert.That(v2.HttpStatus, Is.EqualTo(201), "Radicale answers 201 to an update");
        Assert.That(stale.Status, Is.EqualTo(CalDavWriteStatus.PreconditionFailed));
        Assert.That((await client.GetAsync(url)).Body, Does.Contain("SUMMARY:v2"));
    }

    [Test]
    public async Task Put_Without_An_ETag_In_The_Answer_Reads_The_Stored_Object_Back()
    {
        var tasks = await _server.CreateCollectionAsync(components: "VTODO");
        var url = new Uri(tasks, "noetag.ics");
        var (client, counter) = Connect(wrap: h => new DropPutETagHandler(h));

        // DUE with a TZID and no VTIMEZONE: Radicale adds the VTIMEZONE, so the stored body differs from ours.
        var written = await client.CreateAsync(url, Ics.Todo("noetag", "rewritten", "DUE;TZID=Europe/Berlin:20261125T170000"));
        var stored = await client.GetAsync(url);

        Assert.That(written.Status, Is.EqualTo(CalDavWriteStatus.Written));
        Assert.That(counter.CountOf("GET"), Is.EqualTo(2), "one GET to learn the ETag, one by this test");
        Assert.That(written.ETag, Is.EqualTo(stored.ETag));
        Assert.That(stored.Body, Does.Contain("BEGIN:VTIMEZONE"));
    }

    [Test]
    public async Task Update_Racing_A_Concurrent_Edit_Retries_And_Keeps_Both_Changes()
    {
        var tasks = await _server.CreateCollectionAsync(components: "VTODO");
        var url = new Uri(tasks, "race.ics");
        var (client, _) = Connect();
        await client.CreateAsync(url, Ics.Todo("race", "shared task"));
        var (other, _) = Connect();
        var calls = 0;

        var result = await client.UpdateWithRetryAsync(url, body =>
        {
            if (++calls == 1)
            {
                // Another client edits between our GET and our PUT.
                var theirs = other.UpdateWithRetryAsync(url, b => b.Replace("STATUS:NEEDS-ACTION", "STATUS:IN-PROCESS", StringComparison.Ordinal)).GetAwaiter().GetResult();
                Assert.That(theirs.Status, Is.EqualTo(CalDavWriteStatus.Written));
            }

            return body.Contains("COMMENT:agent reply", StringComparison.Ordinal)
                ? null
                : body.Replace("END:VTODO", "COMMENT:agent reply\r\nEND:VTODO", StringComparison.Ordinal);
        });
        var final = await client.GetAsync(url);
        var again = await client.UpdateWithRetryAsync(url, b => b.Contains("COMMENT:agent reply", StringComparison.Ordinal) ? null : b + "x");

        Assert.Multiple(() =>
        {
            Assert.That(result.Status, Is.EqualTo(CalDavWriteStatus.Written));
            Assert.That(result.Attempts, Is.EqualTo(2));
            Assert.That(result.ETag, Is.EqualTo(final.ETag));
            Assert.That(final.Body, Does.Contain("STATUS:IN-PROCESS").And.Contain("COMMENT:agent reply"));
            Assert.That(again.Status, Is.EqualTo(CalDavWriteStatus.AlreadyApplied));
        });
    }

    [Test]
    public async Task Update_Gives_Up_After_The_Bounded_Number_Of_Conflicts()
    {
        var tasks = await _server.CreateCollectionAsync(components: "VTODO");
        var url = new Uri(tasks, "busy.ics");
        var (client, counter) = Connect();
        await client.CreateAsync(url, Ics.Todo("busy", "busy"));
        var n = 0;

        var result = await client.UpdateWithRetryAsync(
            url,
            body =>
            {
                // Someone else writes every time, so our If-Match never holds.
                _server.SendAsync(HttpMethod.Put, url, Ics.Todo("busy", $"theirs {++n}")).GetAwaiter().GetResult().Dispose();
                return body.Replace("END:VTODO", "COMMENT:ours\r\nEND:VTODO", StringComparison.Ordinal);
            },
            maxAttempts: 2);

        Assert.That(result.Status, Is.EqualTo(CalDavWriteStatus.PreconditionFailed));
        Assert.That(result.Attempts, Is.EqualTo(2));
        Assert.That(counter.CountOf("PUT"), Is.EqualTo(3), "one create and two refused updates");
    }

    // ------------------------------------------------------------ benchmark command

    [Test]
    public async Task Bench_Command_Prints_Full_And_Incremental_Figures_Side_By_Side()
    {
        var tasks = await _server.CreateCollectionAsync(components: "VTODO");
        _server.WriteItems(tasks, Enumerable.Range(0, 30).Select(i => ($"b{i}.ics", Ics.Todo($"b{i}", $"bench {i}"))));
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var before = Environment.GetEnvironmentVariable("CALDAV_PASSWORD");
        int exit;
        try
        {
            Environment.SetEnvironmentVariable("CALDAV_PASSWORD", _server.Password);
            exit = await ChannelService.Cli.CommandLine.RunAsync(
                ["caldav-bench", "--url", tasks.AbsoluteUri, "--user", _server.UserName, "--repeat", "1"],
                new Microsoft.Extensions.Configuration.ConfigurationBuilder().Build(),
                TextReader.Null,
                stdout,
                stderr);
        }
        finally
        {
            Environment.SetEnvironmentVariable("CALDAV_PASSWORD", before);
        }

        var text = stdout.ToString();
        Assert.That(exit, Is.EqualTo(0), stderr.ToString());
        Assert.That(text, Does.Match(@"full resync \(sync-collection \+ multiget\)\s+30\s+3\s"));
        Assert.That(text, Does.Match(@"incremental \(sync-collection \+ multiget\)\s+1\s+2\s"));
        Assert.That(text, Does.Match(@"incremental fallback \(ctag \+ etag PROPFIND\)\s+1\s+3\s"));
    }

    [Test]
    public async Task Bench_Command_Rejects_A_Missing_Url_With_Exit_Code_2()
    {
        var stderr = new StringWriter();

        var exit = await ChannelService.Cli.CommandLine.RunAsync(
            ["caldav-bench", "--user", "alice"], new Microsoft.Extensions.Configuration.ConfigurationBuilder().Build(), TextReader.Null, TextWriter.Null, stderr);

        Assert.That(exit, Is.EqualTo(2));
        Assert.That(stderr.ToString(), Does.Contain("--url"));
    }

    // ------------------------------------------------------------ helpers

    private (CalDavClient Client, HttpTrafficCounter Counter) Connect(
        string? user = null,
        string? password = null,
        Func<HttpMessageHandler, HttpMessageHandler>? wrap = null,
        ICalDavEtagStore? store = null,
        CalDavClientOptions? options = null)
    {
        user ??= _server.UserName;
        HttpMessageHandler handler = new SocketsHttpHandler { AllowAutoRedirect = false };
        if (wrap is not null)
        {
            handler = wrap(handler);
        }

        var counter = new HttpTrafficCounter(handler);
        var http = new HttpClient(counter) { Timeout = TimeSpan.FromSeconds(60) };
        _clients.Add(http);
        return (new CalDavClient(http, new CalDavCredentials(user, password ?? _server.Users[user]), store, options), counter);
    }

    private static Uri Url(Uri collection, string href) => CalDavClient.ObjectUrl(collection, href);

    /// <summary>PUTs t0.ics … t{n-1}.ics concurrently; returns href → ETag as the server answered.</summary>
    private async Task<Dictionary<string, string>> PutTodosAsync(Uri collection, int count)
    {
        using var gate = new SemaphoreSlim(8);
        var results = await Task.WhenAll(Enumerable.Range(0, count).Select(async i =>
        {
            await gate.WaitAsync();
            try
            {
                var url = new Uri(collection, $"t{i}.ics");
                using var response = await _server.SendAsync(HttpMethod.Put, url, Ics.Todo($"t{i}", $"task {i}"));
                Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Created));
                return (Href: url.AbsolutePath, ETag: response.Headers.ETag!.ToString());
            }
            finally
            {
                gate.Release();
            }
        }));
        return results.ToDictionary(r => r.Href, r => r.ETag);
    }
}
