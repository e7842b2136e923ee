using System.Data.Common;
using Npgsql;

namespace ChannelService.Data;

/// <summary>The two stores the service runs on (<c>Channel:Database</c>: empty = SQLite, a connection string = PostgreSQL).</summary>
public enum SqlDialect
{
    Sqlite,
    PostgreSql,
}

/// <summary>
/// One statement written out in both dialects, side by side in the store that owns the table, for the few places the
/// dialects differ (locking, identity columns, SQLite's <c>rowid</c>). Everything else is one <c>const string</c> both run.
/// </summary>
internal sealed record DialectSql(string Sqlite, string PostgreSql)
{
    public string For(SqlDialect dialect) => dialect == SqlDialect.PostgreSql ? PostgreSql : Sqlite;

    /// <summary>The form for the database behind <paramref name="connection"/> (a store given the caller's connection).</summary>
    public string For(DbConnection connection) => For(connection is NpgsqlConnection ? SqlDialect.PostgreSql : SqlDialect.Sqlite);
}

/// <summary>The database named by the settings cannot be used: start-up stops with <see cref="Exception.Message"/>, one line, no password.</summary>
public sealed class DatabaseUnavailableException : Exception
{
    public DatabaseUnavailableException(string message)
        : base(message)
    {
    }

    public DatabaseUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public DatabaseUnavailableException()
    {
    }
}
