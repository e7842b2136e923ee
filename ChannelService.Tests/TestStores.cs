using ChannelService.Data;
using ChannelService.Tests.Support;

namespace ChannelService.Tests;

/// <summary>
/// The store a parameterised fixture runs against (<c>[TestFixtureSource(typeof(TestStore), nameof(TestStore.Both))]</c>):
/// SQLite in the test's data folder, or a fresh database on the run's PostgreSQL server (<see cref="PostgresServer"/>).
/// </summary>
public sealed class TestStore
{
    private TestStore(SqlDialect dialect) => Dialect = dialect;

    public static TestStore Sqlite { get; } = new(SqlDialect.Sqlite);

    public static TestStore PostgreSql { get; } = new(SqlDialect.PostgreSql);

    /// <summary>Fixture arguments: every storage, pull, channelback, outbox and events test runs against both.</summary>
    public static IEnumerable<TestFixtureData> Both =>
    [
        new TestFixtureData(Sqlite).SetArgDisplayNames("sqlite"),
        new TestFixtureData(PostgreSql).SetArgDisplayNames("postgresql"),
    ];

    public SqlDialect Dialect { get; }

    /// <summary>A new empty database: the SQLite file in <paramref name="folder"/>, or a fresh PostgreSQL database.</summary>
    internal async Task<Database> CreateAsync(string folder)
    {
        if (Dialect == SqlDialect.Sqlite)
        {
            Directory.CreateDirectory(folder);
            return new Database(Path.Combine(folder, Database.FileName));
        }

        var connectionString = await NewPostgresDatabaseAsync();
        return new Database(Microsoft.Extensions.Options.Options.Create(new ChannelService.Configuration.ChannelOptions { DataDirectory = folder, Database = connectionString }));
    }

    /// <summary>The <c>Channel:Database</c> setting of a service host on this store: empty (SQLite) or a fresh PostgreSQL database.</summary>
    internal string? NewSetting() => Dialect == SqlDialect.Sqlite ? null : NewPostgresDatabaseAsync().GetAwaiter().GetResult();

    public override string ToString() => Dialect == SqlDialect.PostgreSql ? "postgresql" : "sqlite";

    private static async Task<string> NewPostgresDatabaseAsync() => await (await PostgresServer.SharedAsync()).CreateDatabaseAsync();
}

/// <summary>Stops the run's PostgreSQL server, if a test started it, when every test is done.</summary>
[SetUpFixture]
public sealed class PostgresRun
{
    [OneTimeTearDown]
    public static Task StopServer() => PostgresServer.StopSharedAsync();
}
