using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using ChannelService.Accounts;
using ChannelService.Cli;
using ChannelService.Data;
using ChannelService.Tests.Support;
using Dapper;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace ChannelService.Tests.Data;

/// <summary><c>db copy --from sqlite:PATH</c>: an SQLite installation's data moves into PostgreSQL and carries on there.</summary>
public sealed class DatabaseCopyTests
{
    [Test]
    public async Task Db_Copy_Moves_Every_Row_And_The_Next_Pull_Through_PostgreSql_Sends_Nothing_Twice()
    {
        await using var feed = await FeedServer.StartAsync();
        feed.Body = Calendar(Enumerable.Range(0, 230).Select(i => Todo($"t{i}", $"Task {i}")));
        using var folder = new ChannelService.Tests.Accounts.TempDirectory();
        var dataDirectory = folder.Path;
        var settings = new Dictionary<string, string?> { ["Channel:AllowPrivateNetworkSources"] = "true", ["Channel:DataDirectory"] = dataDirectory };
        var zendesk = new Support.FakeZendesk();
        string metadata;
        await using (var sqlite = new ServiceFactory(settings))
        {
            using var client = sqlite.CreateClient();
            metadata = sqlite.Services.GetRequiredService<MetadataCodec>()
                .Encode(new NewAccountRequest("ics", feed.Url, null, null, "Team calendar", []).Create(TimeProvider.System));

            // Two answers (200 + 30 tasks) reach Zendesk; a third is computed but lost, so a pending response is copied too.
            for (var i = 0; i < 3; i++)
            {
                var body = await PullAsync(client, metadata, zendesk.State);
                if (i < 2)
                {
                    zendesk.Apply(body);
                }
            }

            await sqlite.Services.GetRequiredService<ChannelService.Zendesk.ServiceErrors>().RecordAsync(null, "test", "an error the dashboard showed", CancellationToken.None);
        }

        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        var sqlitePath = Path.Combine(dataDirectory, Database.FileName);
        var connectionString = await (await PostgresServer.SharedAsync()).CreateDatabaseAsync();

        var (exit, stdout, stderr) = await RunAsync(["db", "copy", "--from", "sqlite:" + sqlitePath], connectionString, dataDirectory);
        Assert.That(exit, Is.EqualTo(0), stderr);
        Assert.That(stdout, Does.Contain("source_items: 230 rows"));

        // Every table, row for row.
        await using var source = new Database(sqlitePath);
        await using var target = Database.FromSettings(dataDirectory, connectionString);
        await using var from = await source.OpenAsync();
        await using var to = await target.OpenAsync();
        var tables = (await from.QueryAsync<string>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'schema_migrations'")).ToList();
        Assert.That(tables, Does.Contain("outbox").And.Contain("pull_mirror").And.Contain("accounts"));
        foreach (var table in tables)
        {
            Assert.That(await RowsAsync(to, table), Is.EqualTo(await RowsAsync(from, table)), table);
        }

        Assert.That(await RowsAsync(to, "pull_mirror"), Is.Not.Empty);
        Assert.That(await RowsAsync(to, "service_errors"), Has.Count.EqualTo(1));

        // The same data folder (keys.json) on PostgreSQL: Zendesk's state is still valid, and the lost answer comes again, once.
        await using var postgres = new ServiceFactory(new Dictionary<string, string?>(settings) { ["Channel:Database"] = connectionString });
        using var pgClient = postgres.CreateClient();
        var next = await PullAsync(pgClient, metadata, zendesk.State);
        zendesk.Apply(next);
        var last = await PullAsync(pgClient, metadata, zendesk.State);
        zendesk.Apply(last);
        Assert.Multiple(() =>
        {
            Assert.That(last["external_resources"]!.AsArray(), Is.Empty);
            Assert.That(zendesk.Tickets, Has.Count.EqualTo(230));
            Assert.That(zendesk.Duplicates, Is.Zero, "nothing Zendesk had came again");
        });

        feed.Body = Calendar(Enumerable.Range(0, 231).Select(i => Todo($"t{i}", $"Task {i}")));
        var added = await PullAsync(pgClient, metadata, zendesk.State);
        Assert.That(added["external_resources"]!.AsArray(), Has.Count.EqualTo(1));
    }

    [Test]
    public async Task Db_Copy_Refuses_A_PostgreSql_Database_That_Holds_Data()
    {
        using var folder = new ChannelService.Tests.Accounts.TempDirectory();
        var sqlitePath = Path.Combine(folder.Path, Database.FileName);
        await using (var source = new Database(sqlitePath))
        {
            await source.InitializeAsync();
        }

        var connectionString = await (await PostgresServer.SharedAsync()).CreateDatabaseAsync();
        await using (var target = Database.FromSettings(folder.Path, connectionString))
        {
            await target.InitializeAsync();
            await new ChannelService.Zendesk.ServiceErrors(target, TimeProvider.System).RecordAsync(null, "test", "already here", CancellationToken.None);
        }

        var (exit, _, stderr) = await RunAsync(["db", "copy", "--from", "sqlite:" + sqlitePath], connectionString, folder.Path);

        Assert.That((exit, stderr), Is.EqualTo((1, "error: the PostgreSQL table service_errors already holds data; db copy fills only an empty database " +
            $"(PostgreSQL database {new Npgsql.NpgsqlConnectionStringBuilder(connectionString).Database} at 127.0.0.1:{new Npgsql.NpgsqlConnectionStringBuilder(connectionString).Port} as postgres)\n")));
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
    }

    [Test]
    public async Task Db_Migrate_Brings_The_Configured_Database_To_This_Version()
    {
        using var folder = new ChannelService.Tests.Accounts.TempDirectory();
        var connectionString = await (await PostgresServer.SharedAsync()).CreateDatabaseAsync();

        var (exit, stdout, stderr) = await RunAsync(["db", "migrate"], connectionString, folder.Path);
        var (again, stdoutAgain, _) = await RunAsync(["db", "migrate"], connectionString, folder.Path);

        Assert.That(exit, Is.EqualTo(0), stderr);
        Assert.That(stdout, Does.Contain($"at migration {Migrations.AllPostgreSql.Count} ({Migrations.AllPostgreSql.Count} applied now)"));
        Assert.That(again, Is.EqualTo(0));
        Assert.That(stdoutAgain, Does.Contain("(0 applied now)"));
    }

    private static async Task<List<string>> RowsAsync(System.Data.Common.DbConnection connection, string table)
    {
        var rows = await connection.QueryAsync($"SELECT * FROM \"{table}\"");
        return rows.Select(r => string.Join("|", ((IDictionary<string, object?>)r).OrderBy(c => c.Key, StringComparer.Ordinal)
                .Select(c => $"{c.Key}={Convert.ToString(c.Value, CultureInfo.InvariantCulture)}")))
            .Order(StringComparer.Ordinal)
            .ToList();
    }

    private static async Task<(int Exit, string Stdout, string Stderr)> RunAsync(string[] args, string connectionString, string dataDirectory)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Channel:DataDirectory"] = dataDirectory,
            ["Channel:Database"] = connectionString,
        }).Build();
        using var input = new StringReader("");
        await using var stdout = new StringWriter();
        await using var stderr = new StringWriter { NewLine = "\n" };
        var exit = await CommandLine.RunAsync(args, configuration, input, stdout, stderr);
        return (exit, stdout.ToString(), stderr.ToString());
    }

    private static async Task<JsonNode> PullAsync(HttpClient client, string metadata, string? state)
    {
        var form = new Dictionary<string, string> { ["metadata"] = metadata };
        if (state is not null)
        {
            form["state"] = state;
        }

        using var response = await client.PostAsync("/pull", new FormUrlEncodedContent(form));
        var text = await response.Content.ReadAsStringAsync();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), text);
        return JsonNode.Parse(text)!;
    }

    private static string Calendar(IEnumerable<string> components) =>
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n" + string.Concat(components) + "END:VCALENDAR\r\n";

    private static string Todo(string uid, string summary) =>
        $"BEGIN:VTODO\r\nUID:{uid}\r\nDTSTAMP:20261101T000000Z\r\nSUMMARY:{summary}\r\nDUE:20291125T170000Z\r\nSTATUS:NEEDS-ACTION\r\nEND:VTODO\r\n";
}
