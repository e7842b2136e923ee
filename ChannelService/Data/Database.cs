using System.Data;
using System.Data.Common;
using System.Globalization;
using System.Net.Sockets;
using ChannelService.Configuration;
using Dapper;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;
using Npgsql;

namespace ChannelService.Data;

/// <summary>
/// The one factory of connections to the service's database and owner of <c>store_info</c> (the store epoch). By
/// default that is SQLite, one file in the data folder (WAL mode); with <c>Channel:Database</c> set it is the
/// PostgreSQL database several instances share (README, "Scale-out"). Every other table has its own store class that
/// opens connections here; a store method that must join a caller's transaction takes the caller's connection and
/// transaction. Times are stored the same way in both dialects, as UTC ISO-8601 text (<see cref="FormatTime"/>), so
/// they sort and compare as strings, read the same anywhere, and <c>db copy</c> moves them verbatim.
/// </summary>
public sealed class Database : IAsyncDisposable, IDisposable
{
    public const string FileName = "channel.db";

    /// <summary>The advisory lock the instance that migrates holds; the others wait on it (any constant no name hashes to in practice).</summary>
    internal const long MigrationLockKey = 0x4368_616E_6E65_6C01;

    private readonly string? sqliteConnectionString;
    private readonly NpgsqlDataSource? postgres;

    static Database()
    {
        // Times are stored as UTC ISO-8601 text so they sort and compare as strings and read the same anywhere.
        SqlMapper.RemoveTypeMap(typeof(DateTimeOffset));
        SqlMapper.RemoveTypeMap(typeof(DateTimeOffset?));
        SqlMapper.AddTypeHandler(new UtcDateTimeOffsetHandler());
    }

    public Database(IOptions<ChannelOptions> options)
        : this(string.IsNullOrWhiteSpace(options.Value.Database) ? System.IO.Path.Combine(options.Value.DataDirectoryFullPath, FileName) : null, options.Value.Database)
    {
    }

    /// <summary>
    /// The database the settings name, for the command line: <c>Channel:Database</c> when set (PostgreSQL), else the
    /// SQLite file in <paramref name="dataDirectory"/>.
    /// </summary>
    public static Database FromSettings(string dataDirectory, string? postgresConnectionString) =>
        string.IsNullOrWhiteSpace(postgresConnectionString)
            ? new Database(System.IO.Path.Combine(dataDirectory, FileName))
            : new Database(null, postgresConnectionString);

    /// <summary>The SQLite database in the file at <paramref name="path"/>.</summary>
    public Database(string path)
        : this(path, null)
    {
    }

    private Database(string? path, string? postgresConnectionString)
    {
        if (string.IsNullOrWhiteSpace(postgresConnectionString))
        {
            Dialect = SqlDialect.Sqlite;
            Path = path!;
            sqliteConnectionString = new SqliteConnectionStringBuilder
            {
                DataSource = path,
                Mode = SqliteOpenMode.ReadWriteCreate,
                Cache = SqliteCacheMode.Private,
                Pooling = true,
                DefaultTimeout = 30,
            }.ToString();
            Description = "SQLite " + path;
            return;
        }

        Dialect = SqlDialect.PostgreSql;
        NpgsqlConnectionStringBuilder builder;
        try
        {
            builder = new NpgsqlConnectionStringBuilder(postgresConnectionString);
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or InvalidCastException or OverflowException)
        {
            // The parser's messages name a keyword or a value's type, never the value (which may be the password).
            throw new DatabaseUnavailableException($"Channel:Database is not a valid PostgreSQL connection string ({ex.Message})", ex);
        }

        if (string.IsNullOrWhiteSpace(builder.Host))
        {
            throw new DatabaseUnavailableException("Channel:Database names no Host (expected Host=…;Port=…;Database=…;Username=…;Password=…)");
        }

        builder.ApplicationName ??= "ChannelService";
        Path = string.Empty;
        Description = string.Create(CultureInfo.InvariantCulture, $"PostgreSQL database {builder.Database ?? builder.Username ?? "(default)"} at {builder.Host}:{builder.Port} as {builder.Username ?? "(default user)"}");
        postgres = NpgsqlDataSource.Create(builder);
    }

    /// <summary>Which store this is.</summary>
    public SqlDialect Dialect { get; }

    /// <summary><c>sqlite</c> or <c>postgresql</c>, as /health and the dashboard name it.</summary>
    public string Kind => Dialect == SqlDialect.PostgreSql ? "postgresql" : "sqlite";

    /// <summary>What the database is, for messages: the file, or database, host, port and user; never a password.</summary>
    public string Description { get; }

    /// <summary>The SQLite file; empty for PostgreSQL.</summary>
    public string Path { get; }

    public async Task<DbConnection> OpenAsync(CancellationToken cancellationToken = default)
    {
        if (postgres is not null)
        {
            return await postgres.OpenConnectionAsync(cancellationToken);
        }

        var connection = new SqliteConnection(sqliteConnectionString);
        await connection.OpenAsync(cancellationToken);

        // busy_timeout lets concurrent writers wait instead of failing; foreign keys are off by default in SQLite.
        await connection.ExecuteAsync("PRAGMA busy_timeout = 30000; PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;");
        return connection;
    }

    /// <summary>
    /// Prepares the store and applies migrations: SQLite creates the folder and switches the file to WAL (a persistent
    /// setting); on PostgreSQL exactly one instance migrates, holding an advisory lock the others wait on. Throws
    /// <see cref="DatabaseUnavailableException"/> when the database cannot be reached or is newer than this build.
    /// </summary>
    public async Task InitializeAsync(CancellationToken cancellationToken = default)
    {
        const string CreateEpoch = "INSERT INTO store_info (id, epoch, created_at) VALUES (1, @Epoch, @CreatedAt) ON CONFLICT (id) DO NOTHING";
        if (Dialect == SqlDialect.Sqlite)
        {
            var folder = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(Path));
            if (!string.IsNullOrEmpty(folder))
            {
                Directory.CreateDirectory(folder);
            }
        }

        await using var connection = await OpenForStartAsync(cancellationToken);
        if (Dialect == SqlDialect.Sqlite)
        {
            await connection.ExecuteAsync("PRAGMA journal_mode = WAL;");
        }
        else
        {
            // Session-level: held across the migrations' own transactions, released below or when the session ends.
            await connection.ExecuteAsync(new CommandDefinition("SELECT pg_advisory_lock(@MigrationLockKey)", new { MigrationLockKey }, commandTimeout: 0, cancellationToken: cancellationToken));
        }

        try
        {
            await Migrations.ApplyAsync(connection, Dialect, cancellationToken);
            await connection.ExecuteAsync(
                CreateEpoch,
                new { Epoch = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(8)), CreatedAt = DateTimeOffset.UtcNow });
        }
        finally
        {
            if (Dialect == SqlDialect.PostgreSql)
            {
                await connection.ExecuteAsync("SELECT pg_advisory_unlock(@MigrationLockKey)", new { MigrationLockKey });
            }
        }
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

    public void Dispose() => postgres?.Dispose();

    public async ValueTask DisposeAsync()
    {
        if (postgres is not null)
        {
            await postgres.DisposeAsync();
        }
    }

    /// <summary>How every time is stored: UTC text that sorts as it reads.</summary>
    internal static string FormatTime(DateTimeOffset value) => value.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);

    /// <summary>The first connection of a start: a server that cannot be reached is named in one line, without the password.</summary>
    private async Task<DbConnection> OpenForStartAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await OpenAsync(cancellationToken);
        }
        catch (Exception ex) when (Dialect == SqlDialect.PostgreSql && ex is NpgsqlException or SocketException or TimeoutException or InvalidOperationException)
        {
            // Npgsql's messages name the host and port, the server's name the user or database; neither carries the password.
            var reason = ex.InnerException is { } inner && !ex.Message.Contains(inner.Message, StringComparison.Ordinal) ? $"{ex.Message} ({inner.Message})" : ex.Message;
            throw new DatabaseUnavailableException($"cannot use the {Description} (Channel:Database): {reason.ReplaceLineEndings(" ")}", ex);
        }
    }

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
