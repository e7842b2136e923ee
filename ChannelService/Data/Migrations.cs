using System.Data.Common;
using System.Globalization;
using System.Text.RegularExpressions;
using Dapper;

namespace ChannelService.Data;

/// <summary>
/// Numbered SQL migrations embedded in the assembly, one set per dialect with the same numbers and names
/// (<c>Data/Migrations/0001_name.sql</c> for SQLite, <c>Data/Migrations/PostgreSql/0001_name.sql</c> for PostgreSQL),
/// applied in order at start, each in its own transaction and recorded in <c>schema_migrations</c>. A database that
/// records a migration this build does not have was upgraded by a newer version: it is not touched.
/// </summary>
/// <remarks>
/// A small runner rather than DbUp (README, "Scale-out"): it is fifty lines, the journal stays the table existing
/// installations already have, and what DbUp would add (script providers, a journal of script names) does not help
/// with what needs care here, the advisory lock and the refusal of a newer database, which we would write anyway.
/// </remarks>
public static partial class Migrations
{
    private const string CreateJournal = """
        CREATE TABLE IF NOT EXISTS schema_migrations (
            version    INTEGER PRIMARY KEY,
            name       TEXT NOT NULL,
            applied_at TEXT NOT NULL
        );
        """;

    private const string Record = "INSERT INTO schema_migrations (version, name, applied_at) VALUES (@Version, @Name, @AppliedAt)";

    public sealed record Migration(int Version, string Name, string Sql);

    /// <summary>Every embedded SQLite migration, ordered by number. Gaps or duplicate numbers are a build mistake.</summary>
    public static IReadOnlyList<Migration> All { get; } = Load(SqliteResourceName());

    /// <summary>The same migrations for PostgreSQL, number for number.</summary>
    public static IReadOnlyList<Migration> AllPostgreSql { get; } = Load(PostgreSqlResourceName());

    public static IReadOnlyList<Migration> For(SqlDialect dialect) => dialect == SqlDialect.PostgreSql ? AllPostgreSql : All;

    /// <summary>Applies what is missing; returns how many. Throws <see cref="DatabaseUnavailableException"/> for a newer database.</summary>
    public static async Task<int> ApplyAsync(DbConnection connection, SqlDialect dialect, CancellationToken cancellationToken = default)
    {
        var migrations = For(dialect);
        await connection.ExecuteAsync(CreateJournal);
        var applied = (await connection.QueryAsync<long>("SELECT version FROM schema_migrations")).Select(v => (int)v).ToHashSet();
        if (applied.Count > 0 && applied.Max() > migrations.Count)
        {
            throw new DatabaseUnavailableException(string.Create(
                CultureInfo.InvariantCulture,
                $"the database is at migration {applied.Max()}, newer than this version of ChannelService knows (migrations 1-{migrations.Count}): run the newer version, or restore the backup taken before the upgrade"));
        }

        var count = 0;
        foreach (var migration in migrations.Where(m => !applied.Contains(m.Version)))
        {
            cancellationToken.ThrowIfCancellationRequested();
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            await connection.ExecuteAsync(new CommandDefinition(migration.Sql, transaction: transaction, commandTimeout: 0, cancellationToken: cancellationToken));
            await connection.ExecuteAsync(Record, new { migration.Version, migration.Name, AppliedAt = DateTimeOffset.UtcNow }, transaction);
            await transaction.CommitAsync(cancellationToken);
            count++;
        }

        return count;
    }

    /// <summary>The newest migration the database records; 0 before the first.</summary>
    public static async Task<int> CurrentVersionAsync(DbConnection connection)
    {
        await connection.ExecuteAsync(CreateJournal);
        return (int)await connection.ExecuteScalarAsync<long>("SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
    }

    /// <summary>Applies the SQLite set (the service's default store).</summary>
    public static Task<int> ApplyAsync(DbConnection connection, CancellationToken cancellationToken = default) =>
        ApplyAsync(connection, SqlDialect.Sqlite, cancellationToken);

    private static List<Migration> Load(Regex resourceName)
    {
        var assembly = typeof(Migrations).Assembly;
        var list = new List<Migration>();
        foreach (var resource in assembly.GetManifestResourceNames())
        {
            var match = resourceName.Match(resource);
            if (!match.Success)
            {
                continue;
            }

            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var reader = new StreamReader(stream);
            list.Add(new Migration(int.Parse(match.Groups["n"].Value, CultureInfo.InvariantCulture), match.Groups["name"].Value, reader.ReadToEnd()));
        }

        list.Sort((a, b) => a.Version.CompareTo(b.Version));
        for (var i = 0; i < list.Count; i++)
        {
            if (list[i].Version != i + 1)
            {
                throw new InvalidOperationException($"Migrations must be numbered 1..n without gaps; found {list[i].Version} at position {i + 1}.");
            }
        }

        return list;
    }

    [GeneratedRegex(@"\.Migrations\._?(?<n>\d{4})_(?<name>[A-Za-z0-9_]+)\.sql$")]
    private static partial Regex SqliteResourceName();

    [GeneratedRegex(@"\.Migrations\.PostgreSql\._?(?<n>\d{4})_(?<name>[A-Za-z0-9_]+)\.sql$")]
    private static partial Regex PostgreSqlResourceName();

    /// <summary>Rows of the owned table(s), for the dashboard's table sizes.</summary>
    internal static async Task<IReadOnlyList<TableRows>> RowCountsAsync(System.Data.Common.DbConnection connection) =>
    [
        new("schema_migrations", await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM schema_migrations")),
    ];
}
