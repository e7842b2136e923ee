using System.Data.Common;
using System.Globalization;
using Dapper;
using Npgsql;
using NpgsqlTypes;

namespace ChannelService.Data;

/// <summary>
/// <c>db copy</c>'s work: every table of an SQLite database, row for row, into an empty PostgreSQL database of the
/// same schema version. The one place that handles tables it does not own (TableOwnershipTests exempts it): it names
/// none of them, it copies whatever the SQLite schema has, column by column, so a table added by a later migration is
/// copied without a change here. The store epoch is copied too, so pull states Zendesk holds stay valid.
/// </summary>
internal static class DatabaseCopy
{
    /// <summary>The target already holds data: copying would mix two installations.</summary>
    internal sealed class TargetNotEmptyException(string message) : Exception(message);

    /// <summary>Copies; writes one line per table to <paramref name="progress"/>; returns the number of rows.</summary>
    public static async Task<long> CopyAsync(Database source, Database target, TextWriter progress)
    {
        // Both at this version's schema: the copy is then column for column.
        await source.InitializeAsync();
        await target.InitializeAsync();

        var tables = await TablesAsync(source);
        await using var sqlite = await source.OpenAsync();
        await using var postgres = (NpgsqlConnection)await target.OpenAsync();
        const string StoreTable = "store_info";
        foreach (var table in tables.Where(t => t != StoreTable))
        {
            if (await postgres.ExecuteScalarAsync<bool>($"SELECT EXISTS (SELECT 1 FROM {Quote(table)})"))
            {
                throw new TargetNotEmptyException($"the PostgreSQL table {table} already holds data; db copy fills only an empty database ({target.Description})");
            }
        }

        await using var transaction = await postgres.BeginTransactionAsync();

        // Made by the target's own start; the source's epoch replaces it.
        await postgres.ExecuteAsync($"DELETE FROM {Quote(StoreTable)}", transaction: transaction);
        var total = 0L;
        foreach (var table in tables)
        {
            var copied = await CopyTableAsync(sqlite, postgres, table);
            await progress.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"{table}: {copied} rows"));
            total += copied;
        }

        await RestartIdentitiesAsync(postgres, transaction);
        await transaction.CommitAsync();
        return total;
    }

    /// <summary>The SQLite database's own tables (not the migration journal, which each database keeps for itself).</summary>
    private static async Task<List<string>> TablesAsync(Database source)
    {
        await using var connection = await source.OpenAsync();
        var names = await connection.QueryAsync<string>(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'schema_migrations' ORDER BY name");
        return names.ToList();
    }

    /// <summary>Every row of one table by binary COPY, in the column order of the PostgreSQL table.</summary>
    private static async Task<long> CopyTableAsync(DbConnection sqlite, NpgsqlConnection postgres, string table)
    {
        var columns = (await postgres.QueryAsync<(string Name, string Type)>(
            "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = @table ORDER BY ordinal_position",
            new { table })).ToList();
        if (columns.Count == 0)
        {
            throw new InvalidOperationException($"the PostgreSQL database has no table {table}: is it a database of this version?");
        }

        var list = string.Join(", ", columns.Select(c => Quote(c.Name)));
        await using var read = sqlite.CreateCommand();
        read.CommandText = $"SELECT {list} FROM {Quote(table)}";
        await using var reader = await read.ExecuteReaderAsync();
        await using var writer = await postgres.BeginBinaryImportAsync($"COPY {Quote(table)} ({list}) FROM STDIN (FORMAT BINARY)");
        long rows = 0;
        while (await reader.ReadAsync())
        {
            await writer.StartRowAsync();
            for (var i = 0; i < columns.Count; i++)
            {
                if (await reader.IsDBNullAsync(i))
                {
                    await writer.WriteNullAsync();
                }
                else if (columns[i].Type == "bigint")
                {
                    await writer.WriteAsync(Convert.ToInt64(reader.GetValue(i), CultureInfo.InvariantCulture), NpgsqlDbType.Bigint);
                }
                else
                {
                    await writer.WriteAsync(Convert.ToString(reader.GetValue(i), CultureInfo.InvariantCulture)!, NpgsqlDbType.Text);
                }
            }

            rows++;
        }

        await writer.CompleteAsync();
        return rows;
    }

    /// <summary>Identity columns continue after the copied keys (outbox sequence numbers, log ids).</summary>
    private static async Task RestartIdentitiesAsync(NpgsqlConnection postgres, NpgsqlTransaction transaction)
    {
        var identities = await postgres.QueryAsync<(string Table, string Column)>(
            "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema() AND is_identity = 'YES'",
            transaction: transaction);
        foreach (var (table, column) in identities)
        {
            await postgres.ExecuteAsync(
                "SELECT setval(pg_get_serial_sequence(@table, @column), @next, false)",
                new { table, column, next = await postgres.ExecuteScalarAsync<long>($"SELECT COALESCE(MAX({Quote(column)}), 0) + 1 FROM {Quote(table)}", transaction: transaction) },
                transaction);
        }
    }

    /// <summary>A name from the schema itself, quoted as an identifier.</summary>
    private static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}
