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
}
