using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using AngleSharp.Html.Parser;
using ChannelService.Accounts;
using ChannelService.Data;
using ChannelService.Pull;
using ChannelService.Tests.Support;
using Dapper;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace ChannelService.Tests.Dashboard;

/// <summary>
/// The dashboard's storage card (rows per table, database file size) and its last pull for pulls answered by the
/// quick no-change path, which are recorded in batches (issue 15 §7).
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "NUnit disposes them in TearDown")]
[TestFixtureSource(typeof(TestStore), nameof(TestStore.Both))]
public sealed class DashboardStorageTests(TestStore testStore)
{
    private static readonly DateTimeOffset Start = new(2026, 11, 22, 8, 0, 0, TimeSpan.Zero);

    private ManualTimeProvider clock = null!;
    private ServiceFactory factory = null!;
    private Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactory<Program> host = null!;
    private HttpClient client = null!;
    private FeedServer feed = null!;

    [SetUp]
    public async Task StartAsync()
    {
        feed = await FeedServer.StartAsync();
        clock = new ManualTimeProvider(Start);
        factory = new ServiceFactory(new Dictionary<string, string?>
        {
            ["Channel:AllowPrivateNetworkSources"] = "true",
            ["Channel:DashboardUser"] = "ops",
            ["Channel:DashboardPassword"] = "s3cret-dashboard",
        }, store: testStore);

        // The periodic flush is pushed out of the way: the test flushes when it wants to look.
        host = factory.WithWebHostBuilder(b => b.ConfigureTestServices(s =>
        {
            s.AddSingleton<TimeProvider>(clock);
            s.Configure<PullOptions>(o => o.ActivityFlushInterval = TimeSpan.FromHours(1));
        }));
        client = host.CreateClient();
    }

    [TearDown]
    public async Task StopAsync()
    {
        client.Dispose();
        await host.DisposeAsync();
        await factory.DisposeAsync();
        await feed.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
    }

    [Test]
    public async Task The_Dashboard_Shows_Every_Tables_Rows_And_The_Database_Size()
    {
        // Arrange: an account with two synced tasks, so some tables have rows.
        var metadata = await RegisteredAccountAsync();
        feed.Body = Calendar(Task("t1", "One"), Task("t2", "Two"));
        await DrainAsync(metadata);

        // Act
        var page = await DashboardAsync();

        // Assert: one row per table of the schema, each with the count the table has.
        var shown = page.QuerySelectorAll("#table-sizes tbody tr")
            .ToDictionary(r => r.Children[0].TextContent.Trim(), r => long.Parse(r.Children[1].TextContent.Trim(), System.Globalization.CultureInfo.InvariantCulture));
        await using var connection = await host.Services.GetRequiredService<Database>().OpenAsync();
        var tables = await TablesAsync(connection);
        Assert.That(shown.Keys, Is.EquivalentTo(tables));
        foreach (var table in tables)
        {
            Assert.That(shown[table], Is.EqualTo(await connection.ExecuteScalarAsync<long>($"SELECT count(*) FROM \"{table}\"")), table);
        }

        Assert.That(shown["source_items"], Is.EqualTo(2));
        Assert.That(shown["accounts"], Is.EqualTo(1));
        var bytes = long.Parse(page.QuerySelector("#database-bytes")!.TextContent.Replace(",", "", StringComparison.Ordinal), System.Globalization.CultureInfo.InvariantCulture);
        if (testStore.Dialect == SqlDialect.Sqlite)
        {
            Assert.That(bytes, Is.EqualTo(new FileInfo(Path.Combine(factory.DataDirectory, Database.FileName)).Length).And.GreaterThan(0));
        }
        else
        {
            // The server's own figure; it may move by a page or two between the page and this query (statistics).
            var size = await connection.ExecuteScalarAsync<long>("SELECT pg_database_size(current_database())");
            Assert.That(bytes, Is.EqualTo(size).Within(1).Percent.And.GreaterThan(0));
        }
    }

    [Test]
    public async Task A_Quick_No_Change_Pull_Shows_On_The_Dashboard_After_One_Batched_Write()
    {
        // Arrange: synced; the last full pull found nothing, so identical pulls take the quick path.
        var metadata = await RegisteredAccountAsync();
        feed.Body = Calendar(Task("t1", "One"));
        var state = await DrainAsync(metadata);
        var fullPullShown = LastPull(await DashboardAsync());
        await using var observer = await host.Services.GetRequiredService<Database>().OpenAsync();
        var versionBefore = await DataVersionAsync(observer);
        var notModifiedBefore = feed.NotModified;

        // Act: twenty quick pulls, a second apart.
        for (var i = 0; i < 20; i++)
        {
            clock.Advance(TimeSpan.FromSeconds(1));
            var (status, body) = await PullAsync(metadata, state);
            Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(body!["external_resources"]!.AsArray(), Is.Empty);
        }

        var versionAfterPulls = await DataVersionAsync(observer);
        var beforeFlush = LastPull(await DashboardAsync());
        var written = await host.Services.GetRequiredService<QuickPullActivity>().FlushAsync();
        var versionAfterFlush = await DataVersionAsync(observer);
        var afterFlush = LastPull(await DashboardAsync());

        // Assert: the quick path was taken (one 304 each) and wrote nothing per pull; one flush wrote the latest.
        Assert.That(feed.NotModified - notModifiedBefore, Is.EqualTo(20), "each pull was one conditional GET answered 304");
        Assert.That(versionAfterPulls, Is.EqualTo(versionBefore), "a quick pull writes nothing to the database");
        Assert.That(beforeFlush, Is.EqualTo(fullPullShown), "until the flush the dashboard shows the last full pull");
        Assert.That(written, Is.EqualTo(1), "one account, one row, one transaction for twenty pulls");
        Assert.That(versionAfterFlush, Is.Not.EqualTo(versionAfterPulls), "the flush is a write");
        Assert.That(afterFlush.At, Is.EqualTo("2026-11-22 08:00:20 UTC"), "the time of the latest quick pull");
        Assert.That(afterFlush.Result, Is.EqualTo(QuickPullActivity.QuickResult));
        Assert.That(await host.Services.GetRequiredService<QuickPullActivity>().FlushAsync(), Is.Zero, "nothing new: no write");
    }

    [Test]
    public async Task A_Full_Pull_After_A_Quick_One_Is_Not_Overwritten_By_A_Late_Flush()
    {
        var metadata = await RegisteredAccountAsync();
        feed.Body = Calendar(Task("t1", "One"));
        var state = await DrainAsync(metadata);
        clock.Advance(TimeSpan.FromSeconds(1));
        await PullAsync(metadata, state); // quick, noted in memory at 08:00:01

        // A change in the feed: the next pull is a full one, recorded at once at 08:00:02.
        clock.Advance(TimeSpan.FromSeconds(1));
        feed.Body = Calendar(Task("t1", "One"), Task("t2", "Two"));
        await PullAsync(metadata, state);
        await host.Services.GetRequiredService<QuickPullActivity>().FlushAsync();

        var shown = LastPull(await DashboardAsync());
        Assert.That(shown.At, Is.EqualTo("2026-11-22 08:00:02 UTC"));
        Assert.That(shown.Result, Does.StartWith("1 resources"));
    }

    [Test]
    public async Task Stopping_The_Service_Flushes_The_Quick_Pulls_Noted_Since_The_Last_Flush()
    {
        var metadata = await RegisteredAccountAsync();
        feed.Body = Calendar(Task("t1", "One"));
        var state = await DrainAsync(metadata);
        clock.Advance(TimeSpan.FromSeconds(5));
        await PullAsync(metadata, state);
        var accountId = host.Services.GetRequiredService<MetadataCodec>().Decode(metadata).AccountId;
        var connectionString = host.Services.GetRequiredService<Microsoft.Extensions.Configuration.IConfiguration>()["Channel:Database"];

        await host.Services.GetRequiredService<Microsoft.Extensions.Hosting.IHost>().StopAsync();

        // Read as another process would: a stopped host has let go of its PostgreSQL data source.
        await using var database = Database.FromSettings(factory.DataDirectory, connectionString);
        Assert.That((await new PullMirrorStore(database).LastPullsAsync())[accountId].At, Is.EqualTo(Start + TimeSpan.FromSeconds(5)));
    }

    private async Task<List<string>> TablesAsync(System.Data.Common.DbConnection connection) =>
        (await connection.QueryAsync<string>(testStore.Dialect == SqlDialect.Sqlite
            ? "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            : "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'")).ToList();

    /// <summary>
    /// Changes whenever the service commits a write. SQLite: <c>PRAGMA data_version</c> of this (other) connection.
    /// PostgreSQL has no such counter per database, so: each table's row count and newest row version (<c>xmin</c>, set
    /// by every insert and update), which only this test's service changes (autovacuum and statistics do not).
    /// </summary>
    private async Task<string> DataVersionAsync(System.Data.Common.DbConnection connection)
    {
        if (testStore.Dialect == SqlDialect.Sqlite)
        {
            return (await connection.ExecuteScalarAsync<long>("PRAGMA data_version")).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        var parts = new List<string>();
        foreach (var table in await TablesAsync(connection))
        {
            parts.Add(table + "=" + await connection.ExecuteScalarAsync<string>($"SELECT count(*)::text || ':' || coalesce(max(xmin::text::bigint), 0)::text FROM \"{table}\""));
        }

        return string.Join(' ', parts.Order(StringComparer.Ordinal));
    }

    private async Task<string> RegisteredAccountAsync()
    {
        var account = new NewAccountRequest("ics", feed.Url, null, null, "Team calendar", []).Create(TimeProvider.System);
        await host.Services.GetRequiredService<AccountRegistry>().UpsertAsync(account);
        return host.Services.GetRequiredService<MetadataCodec>().Encode(account);
    }

    private async Task<AngleSharp.Dom.IDocument> DashboardAsync()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/dashboard");
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("ops:s3cret-dashboard")));
        using var response = await client.SendAsync(request);
        var html = await response.Content.ReadAsStringAsync();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), html);
        return await new HtmlParser().ParseDocumentAsync(html);
    }

    private static (string At, string Result) LastPull(AngleSharp.Dom.IDocument page)
    {
        var row = page.QuerySelector("#accounts tbody tr")!;
        return (row.Children[5].TextContent.Trim(), row.Children[6].TextContent.Trim());
    }

    private async Task<(HttpStatusCode Status, JsonNode? Body)> PullAsync(string metadata, string? state)
    {
        var form = new Dictionary<string, string> { ["metadata"] = metadata };
        if (state is not null)
        {
            form["state"] = state;
        }

        using var response = await client.PostAsync("/pull", new FormUrlEncodedContent(form));
        return (response.StatusCode, JsonNode.Parse(await response.Content.ReadAsStringAsync()));
    }

    /// <summary>Pulls until nothing is left; returns the state of the last answer.</summary>
    private async Task<string> DrainAsync(string metadata)
    {
        string? state = null;
        for (var i = 0; i < 20; i++)
        {
            var (status, body) = await PullAsync(metadata, state);
            Assert.That(status, Is.EqualTo(HttpStatusCode.OK), body?.ToJsonString());
            state = (string)body!["state"]!;
            if (body["external_resources"]!.AsArray().Count == 0)
            {
                return state;
            }
        }

        Assert.Fail("the backlog never drained");
        return state!;
    }

    private static string Calendar(params string[] components) =>
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n" + string.Concat(components) + "END:VCALENDAR\r\n";

    private static string Task(string uid, string summary) =>
        $"BEGIN:VTODO\r\nUID:{uid}\r\nDTSTAMP:20261101T000000Z\r\nSUMMARY:{summary}\r\nDUE:20261125T170000Z\r\nSTATUS:NEEDS-ACTION\r\nEND:VTODO\r\n";
}
