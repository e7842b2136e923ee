using System.Globalization;
using System.Reflection;
using System.Text.RegularExpressions;
using Dapper;
using Microsoft.Data.Sqlite;

namespace ChannelService.Data;

/// <summary>
/// Numbered SQL migrations embedded in the assembly (<c>Data/Migrations/0001_name.sql</c>), applied in order at
/// start, each in its own transaction and recorded in <c>schema_migrations</c>.
/// </summary>
public static partial class Migrations
{
    private const string CreateJournal = """
        CREATE TABLE IF NOT EXISTS schema_migrations (
            version    INTEGER PRIMARY KEY,
            name       TEXT NOT NULL,
            applied_at TEXT NOT NULL
        );
        """;

    public sealed record Migration(int Version, string Name, string Sql);

    /// <summary>Every embedded migration, ordered by number. Gaps or duplicate numbers are a build mistake.</summary>
    public static IReadOnlyList<Migration> All { get; } = Load();

    public static async Task<int> ApplyAsync(SqliteConnection connection, CancellationToken cancellationToken = default)
    {
        await connection.ExecuteAsync(CreateJournal);
        var applied = (await connection.QueryAsync<int>("SELECT version FROM schema_migrations")).ToHashSet();
        var count = 0;
        foreach (var migration in All.Where(m => !applied.Contains(m.Version)))
        {
            cancellationToken.ThrowIfCancellationRequested();
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            await connection.ExecuteAsync(migration.Sql, transaction: transaction);
            await connection.ExecuteAsync(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES (@Version, @Name, @AppliedAt)",
                new { migration.Version, migration.Name, AppliedAt = DateTimeOffset.UtcNow },
                transaction);
            await transaction.CommitAsync(cancellationToken);
            count++;
        }

        return count;
    }

    private static List<Migration> Load()
    {
        var assembly = typeof(Migrations).Assembly;
        var list = new List<Migration>();
        foreach (var resource in assembly.GetManifestResourceNames())
        {
            var match = ResourceName().Match(resource);
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
    private static partial Regex ResourceName();

    /// <summary>Rows of the owned table(s), for the dashboard's table sizes.</summary>
    internal static async Task<IReadOnlyList<TableRows>> RowCountsAsync(System.Data.Common.DbConnection connection) =>
    [
        new("schema_migrations", await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM schema_migrations")),
    ];
}
