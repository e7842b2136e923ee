using System.CommandLine;
using System.Globalization;
using ChannelService.Accounts;
using ChannelService.Data;

namespace ChannelService.Cli;

/// <summary>
/// <c>db migrate</c> applies the migrations to the database the settings name (what every start does, by hand);
/// <c>db copy --from sqlite:PATH</c> moves an SQLite installation's data into the PostgreSQL database of
/// <c>Channel:Database</c>, so a growing installation moves to several instances without starting over.
/// </summary>
internal static class DbCommand
{
    private const string Where = """
        The database is Channel:Database (environment Channel__Database) when set, a PostgreSQL connection string;
        otherwise the SQLite file channel.db in Channel:DataDirectory.
        """;

    private const string Notes = Where + """

        db copy: stop the SQLite service first. The PostgreSQL database must hold no data yet (a new database, or one
        only migrated); every table is copied row for row, the store epoch included, so the pull states Zendesk holds
        stay valid and the next pull through PostgreSQL sends nothing again.
        """;

    /// <summary>Each subcommand's help says only what concerns it (db migrate used to print db copy's notes).</summary>
    private const string MigrateNotes = Where + """

        Applies the migrations this version has that the database lacks, as every start does; applied ones are left
        alone. Prints the newest migration and how many were applied now. Exit 0 done, 1 the database cannot be reached.
        """;

    private const string CopyNotes = Where + """

        Stop the SQLite service first. The PostgreSQL database must hold no data yet (a new database, or one only
        migrated); every table is copied row for row, the store epoch included, so the pull states Zendesk holds stay
        valid and the next pull through PostgreSQL sends nothing again.
        """;

    public static Command Create(CliContext context)
    {
        var command = new CliCommand("db", "Migrate the database, or copy an SQLite installation into PostgreSQL.") { Notes = Notes };
        CommandLine.RequireSubcommand(command);

        var migrate = new CliCommand("migrate", "Apply the migrations this version has to the configured database.") { Notes = MigrateNotes };
        migrate.SetAction(async _ => await MigrateAsync(context));
        command.Subcommands.Add(migrate);

        var from = CliOptions.Text("--from", "the SQLite database to copy, as sqlite:PATH (the channel.db file)", "sqlite:PATH", required: true);
        var copy = new CliCommand("copy", "Copy every table of an SQLite database into the configured PostgreSQL database.")
        {
            Usage = ["db copy --from sqlite:/var/lib/channelservice/channel.db"],
            Notes = CopyNotes,
        };
        copy.Options.Add(from);
        copy.SetAction(async result => await CopyAsync(context, result.GetValue(from)!));
        command.Subcommands.Add(copy);
        return command;
    }

    private static Database Configured(CliContext context) =>
        Database.FromSettings(AccountsConfiguration.DataDirectory(context.Configuration), context.Configuration["Channel:Database"]);

    private static async Task<int> MigrateAsync(CliContext context)
    {
        await using var database = Configured(context);
        var before = await AppliedAsync(database);
        await database.InitializeAsync();
        var after = await AppliedAsync(database);
        await context.Stdout.WriteLineAsync(string.Create(
            CultureInfo.InvariantCulture,
            $"{database.Description}: at migration {after} ({after - before} applied now)"));
        return 0;
    }

    /// <summary>The newest migration applied; 0 for a database without the journal (or a new SQLite file).</summary>
    private static async Task<int> AppliedAsync(Database database)
    {
        if (database.Dialect == SqlDialect.Sqlite && !File.Exists(database.Path))
        {
            return 0;
        }

        await using var connection = await database.OpenAsync();
        return await Migrations.CurrentVersionAsync(connection);
    }

    private static async Task<int> CopyAsync(CliContext context, string from)
    {
        if (!from.StartsWith("sqlite:", StringComparison.Ordinal) || from.Length == "sqlite:".Length)
        {
            throw new CliUsageException("--from must be sqlite:PATH, the SQLite file (channel.db) of the installation to copy");
        }

        var path = Path.GetFullPath(from["sqlite:".Length..]);
        if (!File.Exists(path))
        {
            throw new CliUsageException($"no SQLite database at {path}");
        }

        if (string.IsNullOrWhiteSpace(context.Configuration["Channel:Database"]))
        {
            throw new CliUsageException("Channel:Database (environment Channel__Database) must name the PostgreSQL database to copy into");
        }

        await using var source = new Database(path);
        await using var target = Configured(context);

        try
        {
            var total = await DatabaseCopy.CopyAsync(source, target, context.Stdout);
            await context.Stdout.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"copied {total} rows from {path} into the {target.Description}"));
            return 0;
        }
        catch (DatabaseCopy.TargetNotEmptyException ex)
        {
            await context.Stderr.WriteLineAsync($"error: {ex.Message}");
            return 1;
        }
    }
}
