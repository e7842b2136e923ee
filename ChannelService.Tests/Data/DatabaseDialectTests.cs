using ChannelService.Configuration;
using ChannelService.Data;
using ChannelService.Tests.Support;
using Dapper;
using Microsoft.Extensions.Options;
using Npgsql;

namespace ChannelService.Tests.Data;

/// <summary>What holds for the store in both dialects: migrations, refusal of a newer database, the start-up messages.</summary>
[TestFixtureSource(typeof(TestStore), nameof(TestStore.Both))]
public sealed class DatabaseDialectTests(TestStore kind)
{
    [Test]
    public void Every_Migration_Has_A_PostgreSql_Form_With_The_Same_Number_And_Name()
    {
        Assert.That(
            Migrations.AllPostgreSql.Select(m => (m.Version, m.Name)),
            Is.EqualTo(Migrations.All.Select(m => (m.Version, m.Name))));
    }

    [Test]
    public async Task A_Database_Newer_Than_The_Code_Is_Refused_With_A_Clear_Message()
    {
        using var folder = new ChannelService.Tests.Accounts.TempDirectory();
        await using var database = await kind.CreateAsync(folder.Path);
        await database.InitializeAsync();
        var next = Migrations.All.Count + 1;
        await using (var connection = await database.OpenAsync())
        {
            await connection.ExecuteAsync("INSERT INTO schema_migrations (version, name, applied_at) VALUES (@next, 'from_the_future', '2030-01-01')", new { next });
        }

        var ex = Assert.ThrowsAsync<DatabaseUnavailableException>(() => database.InitializeAsync());
        Assert.That(ex!.Message, Does.Contain($"at migration {next}").And.Contain("newer than this version"));
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
    }

    [Test]
    public async Task The_Kind_Names_The_Dialect()
    {
        using var folder = new ChannelService.Tests.Accounts.TempDirectory();
        await using var database = await kind.CreateAsync(folder.Path);
        Assert.That(database.Kind, Is.EqualTo(kind.Dialect == SqlDialect.PostgreSql ? "postgresql" : "sqlite"));
    }
}

/// <summary>PostgreSQL only: several instances on one database (each a <see cref="Database"/> of its own, as in separate processes).</summary>
public sealed class PostgresInstancesTests
{
    private static Database Instance(string connectionString) =>
        new(Options.Create(new ChannelOptions { DataDirectory = Path.GetTempPath(), Database = connectionString }));

    [Test]
    public async Task Two_Instances_Starting_Together_On_An_Empty_Database_Migrate_Once_And_Both_Start()
    {
        var connectionString = await (await PostgresServer.SharedAsync()).CreateDatabaseAsync();
        await using var a = Instance(connectionString);
        await using var b = Instance(connectionString);

        await Task.WhenAll(a.InitializeAsync(), b.InitializeAsync());

        await using var connection = await a.OpenAsync();
        var versions = (await connection.QueryAsync<long>("SELECT version FROM schema_migrations ORDER BY version")).ToList();
        Assert.That(versions, Is.EqualTo(Enumerable.Range(1, Migrations.AllPostgreSql.Count).Select(v => (long)v)), "each migration recorded exactly once");
        Assert.That(await a.GetEpochAsync(), Is.EqualTo(await b.GetEpochAsync()), "one store epoch for both");
    }

    [Test]
    public void A_Bad_Connection_String_Stops_With_A_Message_That_Names_The_Setting()
    {
        var ex = Assert.Throws<DatabaseUnavailableException>(() => Instance("Host=127.0.0.1;Password=hunter2;Frobnicate=1"));
        Assert.That(ex!.Message, Does.Contain("Channel:Database").And.Not.Contain("hunter2"));
    }

    [Test]
    public async Task An_Unreachable_Server_Stops_Start_Up_Naming_Host_And_Port_But_Not_The_Password()
    {
        var port = ChannelService.Tests.Deployment.ProcessRunner.FreeLoopbackPort();
        await using var database = Instance($"Host=127.0.0.1;Port={port};Database=channel;Username=svc;Password=hunter2;Timeout=3");

        var ex = Assert.ThrowsAsync<DatabaseUnavailableException>(() => database.InitializeAsync());

        Assert.That(ex!.Message, Does.Contain($"127.0.0.1:{port}").And.Contain("channel").And.Not.Contain("hunter2"));
        Assert.That(ex.Message, Does.Not.Contain('\n'));
    }

    [Test]
    public async Task A_Named_Lock_Is_Held_By_One_Instance_At_A_Time_And_Freed_When_Its_Session_Dies()
    {
        var connectionString = await (await PostgresServer.SharedAsync()).CreateDatabaseAsync();
        await using var a = Instance(connectionString);
        await using var b = Instance(connectionString);
        var locksA = new PostgresNamedLocks(a);
        var locksB = new PostgresNamedLocks(b);

        var held = await locksA.TryAcquireAsync("pull:acct", TimeSpan.Zero, CancellationToken.None);
        Assert.That(held, Is.Not.Null);
        Assert.That(await locksB.TryAcquireAsync("pull:acct", TimeSpan.FromMilliseconds(300), CancellationToken.None), Is.Null, "B waits, then gives up");
        await using (var other = await locksB.TryAcquireAsync("pull:other", TimeSpan.Zero, CancellationToken.None))
        {
            Assert.That(other, Is.Not.Null, "another name is another lock");
        }

        var waiting = locksB.TryAcquireAsync("pull:acct", Timeout.InfiniteTimeSpan, CancellationToken.None);
        await Task.Delay(200);
        Assert.That(waiting.IsCompleted, Is.False);
        await held!.DisposeAsync();
        await using (var taken = await waiting.WaitAsync(TimeSpan.FromSeconds(10)))
        {
            Assert.That(taken, Is.Not.Null, "released by A, taken by the waiting B");
        }

        // A holder that dies (kill -9) ends its session: the server frees its locks.
        var doomed = await locksA.TryAcquireAsync("pull:acct", TimeSpan.Zero, CancellationToken.None);
        Assert.That(doomed, Is.Not.Null);
        await using (var admin = new NpgsqlConnection((await PostgresServer.SharedAsync()).AdminConnectionString))
        {
            await admin.ExecuteAsync(
                "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted AND pid <> pg_backend_pid()");
        }

        await using var afterDeath = await locksB.TryAcquireAsync("pull:acct", TimeSpan.FromSeconds(5), CancellationToken.None);
        Assert.That(afterDeath, Is.Not.Null);
        await doomed!.DisposeAsync();
    }
}
