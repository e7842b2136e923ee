namespace ChannelService.Cli;

/// <summary>
/// One command-line command (<c>dotnet ChannelService.dll metadata new …</c>). The first word of the
/// arguments selects the command; the rest is passed to it.
/// </summary>
internal interface ICliCommand
{
    /// <summary>First word of the command line, e.g. <c>metadata</c>.</summary>
    string Name { get; }

    /// <summary>One line for <c>--help</c>.</summary>
    string Summary { get; }

    /// <summary>Runs the command. Returns the process exit code (0 ok, 1 failure, 2 bad arguments).</summary>
    Task<int> RunAsync(CliContext context, IReadOnlyList<string> args);
}

/// <summary>What a command may use: configuration, standard streams.</summary>
internal sealed class CliContext(IConfiguration configuration, TextReader stdin, TextWriter stdout, TextWriter stderr)
{
    public IConfiguration Configuration { get; } = configuration;

    public TextReader Stdin { get; } = stdin;

    public TextWriter Stdout { get; } = stdout;

    public TextWriter Stderr { get; } = stderr;
}

/// <summary>Thrown by a command for bad arguments: printed as one line, exit code 2.</summary>
internal sealed class CliUsageException(string message) : Exception(message);

internal static class CommandLine
{
    /// <summary>Every command the executable knows. Add new commands here.</summary>
    private static readonly ICliCommand[] Commands =
    [
        new MetadataCommand(),
        new KeysCommand(),
        new AccountsCommand(),
        new Installer.InstallerAppCommand(),
        new ChannelService.Calendars.IcalCommand(),
        new Pull.PreviewCommand(),
        new Sources.CalDav.CalDavBenchCommand(),
        new ChannelService.Sources.Feeds.FeedBenchmarkCommand(),
        new Pull.PullBenchmarkCommand(),
    ];

    public static bool IsCommand(string[] args) =>
        args.Length > 0 && (args[0] is "--help" or "-h" or "help" || Commands.Any(c => c.Name == args[0]));

    public static async Task<int> RunAsync(string[] args, IConfiguration configuration, TextReader stdin, TextWriter stdout, TextWriter stderr)
    {
        if (args.Length == 0 || args[0] is "--help" or "-h" or "help")
        {
            await stdout.WriteLineAsync("ChannelService: Zendesk Channel Framework integration service.");
            await stdout.WriteLineAsync();
            await stdout.WriteLineAsync("Usage: ChannelService [--urls URL]            run the web service");
            await stdout.WriteLineAsync("       ChannelService <command> [args]        run a command (add --help for its options)");
            await stdout.WriteLineAsync();
            await stdout.WriteLineAsync("Commands:");
            foreach (var c in Commands)
            {
                await stdout.WriteLineAsync($"  {c.Name,-14} {c.Summary}");
            }

            return 0;
        }

        var command = Commands.First(c => c.Name == args[0]);
        try
        {
            return await command.RunAsync(new CliContext(configuration, stdin, stdout, stderr), args.Skip(1).ToArray());
        }
        catch (CliUsageException ex)
        {
            await stderr.WriteLineAsync($"error: {ex.Message}");
            return 2;
        }
    }
}
