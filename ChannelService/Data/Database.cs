using System.Data;
using System.Globalization;
using ChannelService.Configuration;
using Dapper;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;

namespace ChannelService.Data;

/// <summary>
/// The one factory of connections to the service's SQLite database (one file in the data folder, WAL mode), and
/// owner of <c>store_info</c> (the store epoch). Every other table has its own store class that opens connections
/// here; a store method that must join a caller's transaction takes the caller's connection and transaction.
/// </summary>
public sealed class Database
{
    public const string FileName = "channel.db";

    private readonly string connectionString;

    static Database()
    {
        // Times are stored as UTC ISO-8601 text so they sort and compare as strings and read the same anywhere.
        SqlMapper.RemoveTypeMap(typeof(DateTimeOffset));
        SqlMapper.RemoveTypeMap(typeof(DateTimeOffset?));
        SqlMapper.AddTypeHandler(new UtcDateTimeOffsetHandler());
    }

    public Database(IOptions<ChannelOptions> options)
        : this(System.IO.Path.Combine(options.Value.DataDirectoryFullPath, FileName))
    {
    }

    public Database(string path)
    {
        Path = path;
        connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
    }

    public string Path { get; }

    public async Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken = default)
    {
        var connection = new SqliteConnection(connectionString);
        await connection.OpenAsync(cancellationToken);

        // busy_timeout lets concurrent writers wait instead of failing; foreign keys are off by default in SQLite.
        await connection.ExecuteAsync("PRAGMA busy_timeout = 30000; PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;");
        return connection;
    }

    /// <summary>Creates the folder, switches the file to WAL (a persistent setting) and applies migrations.</summary>
    public async Task InitializeAsync(CancellationToken cancellationToken = default)
    {
        var folder = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(Path));
        if (!string.IsNullOrEmpty(folder))
        {
            Directory.CreateDirectory(folder);
        }

        const string CreateEpoch = "INSERT OR IGNORE INTO store_info (id, epoch, created_at) VALUES (1, @Epoch, @CreatedAt)";
        await using var connection = await OpenAsync(cancellationToken);
        await connection.ExecuteAsync("PRAGMA journal_mode = WAL;");
        await Migrations.ApplyAsync(connection, cancellationToken);
        await connection.ExecuteAsync(
            CreateEpoch,
            new { Epoch = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(8)), CreatedAt = DateTimeOffset.UtcNow });
    }

    /// <summary>
    /// The store epoch: random, made when the database was created. A pull state carrying another epoch was
    /// minted against a different database and forces a full resync (design §5).
    /// </summary>
    public async Task<string> GetEpochAsync(CancellationToken cancellationToken = default)
    {
        const string Sql = "SELECT epoch FROM store_info WHERE id = 1";
        await using var connection = await OpenAsync(cancellationToken);
        return await connection.QuerySingleAsync<string>(Sql);
    }

    /// <summary>Proves the database opens and answers (the health check); throws when it does not.</summary>
    public async Task CheckAsync(CancellationToken cancellationToken = default)
    {
        const string Sql = "SELECT count(*) FROM store_info";
        await using var connection = await OpenAsync(cancellationToken);
        await connection.ExecuteScalarAsync<int>(new CommandDefinition(Sql, cancellationToken: cancellationToken));
    }

    /// <summary>How every time is stored: UTC text that sorts as it reads.</summary>
    internal static string FormatTime(DateTimeOffset value) => value.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);

    private sealed class UtcDateTimeOffsetHandler : SqlMapper.TypeHandler<DateTimeOffset>
    {
        public override void SetValue(IDbDataParameter parameter, DateTimeOffset value)
        {
            parameter.DbType = DbType.String;
            parameter.Value = FormatTime(value);
        }

        public override DateTimeOffset Parse(object value) => value switch
        {
            string s => DateTimeOffset.Parse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal),
            DateTime d => new DateTimeOffset(DateTime.SpecifyKind(d, DateTimeKind.Utc)),
            _ => throw new DataException($"Cannot read a time from a {value.GetType().Name}."),
        };
    }

    /// <summary>Rows of the owned table(s), for the dashboard's table sizes.</summary>
    internal static async Task<IReadOnlyList<TableRows>> RowCountsAsync(System.Data.Common.DbConnection connection) =>
    [
        new("store_info", await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM store_info")),
    ];
}
