using ChannelService.Data;
using Dapper;

namespace ChannelService.Tests.Data;

public sealed class MigrationTests
{
    private string folder = null!;

    [SetUp]
    public void CreateFolder() => folder = Directory.CreateTempSubdirectory("channelservice-db-").FullName;

    [TearDown]
    public void DeleteFolder()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(folder, recursive: true);
    }

    [Test]
    public async Task Every_Migration_Applies_To_An_Empty_Database_And_Is_Recorded()
    {
        var database = new Database(Path.Combine(folder, "channel.db"));

        await database.InitializeAsync();

        await using var connection = await database.OpenAsync();
        var versions = (await connection.QueryAsync<int>("SELECT version FROM schema_migrations ORDER BY version")).ToList();
        Assert.That(Migrations.All, Is.Not.Empty);
        Assert.That(versions, Is.EqualTo(Migrations.All.Select(m => m.Version)));
        Assert.That(await connection.ExecuteScalarAsync<string>("PRAGMA journal_mode"), Is.EqualTo("wal"));
    }

    [Test]
    public async Task Applying_Twice_Changes_Nothing_And_Keeps_The_Store_Epoch()
    {
        var database = new Database(Path.Combine(folder, "channel.db"));
        await database.InitializeAsync();
        var epoch = await database.GetEpochAsync();

        await database.InitializeAsync();

        await using var connection = await database.OpenAsync();
        Assert.That(await Migrations.ApplyAsync(connection), Is.Zero);
        Assert.That(await database.GetEpochAsync(), Is.EqualTo(epoch));
    }

    [Test]
    public async Task A_New_Database_Gets_A_New_Store_Epoch()
    {
        var first = new Database(Path.Combine(folder, "a.db"));
        var second = new Database(Path.Combine(folder, "b.db"));
        await first.InitializeAsync();
        await second.InitializeAsync();

        Assert.That(await first.GetEpochAsync(), Is.Not.EqualTo(await second.GetEpochAsync()));
    }

    [Test]
    public async Task Times_Are_Stored_As_Utc_Text_And_Read_Back_Equal()
    {
        var database = new Database(Path.Combine(folder, "channel.db"));
        await database.InitializeAsync();
        var when = new DateTimeOffset(2026, 11, 22, 11, 30, 0, TimeSpan.FromHours(2));

        await using var connection = await database.OpenAsync();
        await connection.ExecuteAsync(
            "INSERT INTO accounts (account_id, kind, created_at, updated_at) VALUES ('a', 'ics', @When, @When)", new { When = when });

        Assert.That(await connection.ExecuteScalarAsync<string>("SELECT created_at FROM accounts"), Is.EqualTo("2026-11-22T09:30:00.0000000Z"));
        Assert.That(await connection.ExecuteScalarAsync<DateTimeOffset>("SELECT created_at FROM accounts"), Is.EqualTo(when));
    }

    [Test]
    public async Task Migration_7_Keeps_Ticket_Links_Of_Our_Threads_Only_And_Bounds_Unproven_Events()
    {
        // Arrange: a database as version 6 left it, with what forged event callbacks could have stored.
        await using var connection = await OpenAtVersionAsync(6);

        var pulledUnit = new string('a', 24);
        var inboxUnit = new string('b', 24);
        await connection.ExecuteAsync("INSERT INTO pull_mirror (account_id, unit_key, item_key) VALUES ('acct', @pulledUnit, 'item')", new { pulledUnit });
        await connection.ExecuteAsync(
            "INSERT INTO outbox (account_id, external_id, thread_id, author_external_id, resource, created_at) VALUES ('acct', 'm', @thread, 'a', '{}', '2026-01-01')",
            new { thread = "acct-" + inboxUnit });
        var links = new (string ExternalId, long Ticket)[]
        {
            ($"acct-{pulledUnit}-o", 1),
            ($"acct-{pulledUnit}-c1-abcdefabcdef", 2),
            ($"acct-{inboxUnit}-mxyz", 3),
            ($"acct-{new string('c', 24)}-o", 4),
            ("abc-c1", 5),
            ($"other-{pulledUnit}-o", 6),
        };
        foreach (var (externalId, ticket) in links)
        {
            await connection.ExecuteAsync(
                "INSERT INTO ticket_links (external_id, ticket_id, created_at) VALUES (@externalId, @ticket, @at)",
                new { externalId, ticket, at = $"2026-01-01T00:00:0{ticket}Z" });
        }

        for (var i = 0; i < 600; i++)
        {
            await connection.ExecuteAsync(
                "INSERT INTO event_log (received_at, type_id, account_id, summary) VALUES ('2026-01-01', 'pull_request', @account, @summary)",
                new { account = i % 100 == 0 ? "acct" : null, summary = "s" + i });
        }

        // Act
        var applied = await Migrations.ApplyAsync(connection);

        // Assert
        var kept = (await connection.QueryAsync<(string Thread, long Ticket, string ExternalId)>("SELECT thread_id, ticket_id, external_id FROM ticket_links ORDER BY thread_id")).ToList();
        Assert.Multiple(async () =>
        {
            Assert.That(applied, Is.EqualTo(Migrations.All.Count - 6));
            Assert.That(kept, Is.EqualTo(new[] { ($"acct-{pulledUnit}", 2L, $"acct-{pulledUnit}-c1-abcdefabcdef"), ($"acct-{inboxUnit}", 3L, $"acct-{inboxUnit}-mxyz") }));
            Assert.That(await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM event_log WHERE account_id IS NULL"), Is.EqualTo(500));
            Assert.That(await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM event_log WHERE account_id IS NOT NULL"), Is.EqualTo(6));
            Assert.That(await connection.ExecuteScalarAsync<string>("SELECT MIN(summary) FROM event_log WHERE summary = 's599'"), Is.EqualTo("s599"), "the newest stay");
        });
    }

    [Test]
    public async Task Migration_8_Gives_Existing_Pull_Accounts_No_Earlier_First_Sync()
    {
        // Arrange: a database as version 7 left it, with an account that has synced.
        await using var connection = await OpenAtVersionAsync(7);

        await connection.ExecuteAsync("INSERT INTO pull_accounts (account_id, issued_generation, first_synced_at) VALUES ('acct', 3, '2026-01-01T00:00:00.0000000Z')");

        // Act
        var applied = await Migrations.ApplyAsync(connection);

        // Assert: the account keeps its own first sync; only a resync sets the earlier one.
        var row = await connection.QuerySingleAsync<(long Generation, string? FirstSynced, string? EarlierFirstSync)>(
            "SELECT issued_generation, first_synced_at, earlier_first_sync_at FROM pull_accounts WHERE account_id = 'acct'");
        Assert.Multiple(() =>
        {
            Assert.That(applied, Is.EqualTo(Migrations.All.Count - 7));
            Assert.That(Migrations.All.Single(m => m.Version == 8).Name, Is.EqualTo("pull_resync"));
            Assert.That(row, Is.EqualTo((3L, (string?)"2026-01-01T00:00:00.0000000Z", (string?)null)));
        });
    }

    /// <summary>A database as the migrations up to <paramref name="version"/> left it, recorded as applied.</summary>
    private async Task<Microsoft.Data.Sqlite.SqliteConnection> OpenAtVersionAsync(int version)
    {
        var connection = (Microsoft.Data.Sqlite.SqliteConnection)await new Database(Path.Combine(folder, "channel.db")).OpenAsync();
        await connection.ExecuteAsync("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)");
        foreach (var migration in Migrations.All.Where(m => m.Version <= version))
        {
            await connection.ExecuteAsync(migration.Sql);
            await connection.ExecuteAsync("INSERT INTO schema_migrations VALUES (@Version, @Name, '2026-01-01')", new { migration.Version, migration.Name });
        }

        return connection;
    }
}
