using System.CommandLine;
using System.CommandLine.Invocation;
using System.CommandLine.Parsing;
using ChannelService.Cli.Benchmarks;
using ChannelService.Cli.Ical;

namespace ChannelService.Cli;

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

/// <summary>
/// The executable's commands (<c>dotnet ChannelService.dll metadata new …</c>), parsed by System.CommandLine.
/// Exit codes: 0 done, 1 the work failed, 2 bad arguments (one <c>error:</c> line on standard error). Standard
/// output carries only a command's result, so <c>META=$(ChannelService metadata new …)</c> works.
/// </summary>
internal static class CommandLine
{
    public const string ExecutableName = "ChannelService";

    public const int UsageError = 2;

    /// <summary>
    /// No response files: <c>@name</c> is an ordinary value here (a display name, a password-less URL), never a
    /// file to read arguments from.
    /// </summary>
    private static readonly ParserConfiguration ParserConfiguration = new() { ResponseFileTokenReplacer = null };

    /// <summary>
    /// True when the arguments are for the command line rather than the web host: a command, <c>--help</c>, or
    /// anything the host would not understand (an unknown command or option is a usage error, not a service start).
    /// See <see cref="HostArguments"/> for the rule.
    /// </summary>
    public static bool IsCommand(IReadOnlyList<string> args)
    {
        var split = HostArguments.Split(args);
        return split.Problem is not null || split.Rest.Count > 0;
    }

    public static async Task<int> RunAsync(IReadOnlyList<string> args, IConfiguration configuration, TextReader stdin, TextWriter stdout, TextWriter stderr)
    {
        var split = HostArguments.Split(args);
        if (split.Problem is not null)
        {
            await stderr.WriteLineAsync($"error: {split.Problem}");
            return UsageError;
        }

        // Host options before the command (--environment, Section:Key=value) configure the command as they would the service.
        if (split.Host.Count > 0)
        {
            configuration = new ConfigurationBuilder().AddConfiguration(configuration).AddCommandLine([.. split.Host]).Build();
        }

        var context = new CliContext(configuration, stdin, stdout, stderr);
        var root = BuildRoot(context);

        // An option before any command is the top level's: --help, --version, or a mistake (--verbose keys list).
        if (split.Rest.Count > 0 && split.Rest[0].StartsWith('-') && !root.Options.Any(o => o.Name == split.Rest[0] || o.Aliases.Contains(split.Rest[0])))
        {
            await stderr.WriteLineAsync($"error: unknown option {Quote(split.Rest[0])}");
            await CliHelp.WriteCommandListAsync(root, stderr);
            return UsageError;
        }

        var result = root.Parse(split.Rest, ParserConfiguration);

        // --help wins over missing options (help for `metadata new --help`), but not over a word nothing takes: help
        // for `calendars connectt --help` would print the group's help and exit 0 for a subcommand that does not exist.
        if (result.Action is ParseErrorAction || result.UnmatchedTokens.Count > 0)
        {
            return await ReportParseErrorAsync(root, result, context);
        }

        try
        {
            return await result.InvokeAsync(new InvocationConfiguration
            {
                Output = stdout,
                Error = stderr,
                // Exceptions other than usage errors are bugs: let them surface with their stack trace.
                EnableDefaultExceptionHandler = false,
                // No Ctrl+C handler of our own: an interrupted command simply ends, as before.
                ProcessTerminationTimeout = null,
            });
        }
        catch (CliUsageException ex)
        {
            await stderr.WriteLineAsync($"error: {OneLine(ex.Message)}");
            return UsageError;
        }
        catch (Microsoft.Extensions.Options.OptionsValidationException ex)
        {
            // A setting the command reads is invalid (a wrong type included): as the service says it at start, exit 1.
            foreach (var failure in ex.Failures)
            {
                await stderr.WriteLineAsync($"error: invalid setting: {OneLine(failure)}");
            }

            return 1;
        }
        catch (ChannelService.Data.DatabaseUnavailableException ex)
        {
            // The database the settings name cannot be used (unreachable, newer than this build): the work failed.
            await stderr.WriteLineAsync($"error: {OneLine(ex.Message)}");
            return 1;
        }
    }

    /// <summary>Every command the executable knows, built for one run. Add new commands here.</summary>
    internal static RootCommand BuildRoot(CliContext context)
    {
        var root = new RootCommand("Zendesk Channel Framework integration service. Without a command it runs the web service.");
        root.Directives.Clear();
        foreach (var command in new Command[]
                 {
                     MetadataCommand.Create(context),
                     KeysCommand.Create(context),
                     AccountsCommand.Create(context),
                     InstallerAppCommand.Create(context),
                     IcalCommand.Create(context),
                     PreviewCommand.Create(context),
                     DbCommand.Create(context),
                     ZendeskCommand.Create(context),
                     CalendarsCommand.Create(context),
                     CalDavBenchCommand.Create(context),
                     FeedBenchmarkCommand.Create(context),
                     PullBenchmarkCommand.Create(context),
                 })
        {
            root.Subcommands.Add(command);
        }

        CliOptions.RefuseOptionNamesAsValues(root);
        CliHelp.Install(root);
        return root;
    }

    /// <summary>
    /// One line for a bad command line, naming the first problem; at the top level (unknown command or option) the
    /// list of commands follows, since the caller evidently does not know them.
    /// </summary>
    private static async Task<int> ReportParseErrorAsync(RootCommand root, ParseResult result, CliContext context)
    {
        var command = result.CommandResult.Command;
        var unmatched = result.UnmatchedTokens.Count > 0 ? result.UnmatchedTokens[0] : null;

        // `accounts help` reads like a request for help, as it did before.
        if (unmatched == "help" && result.UnmatchedTokens.Count == 1 && command.Subcommands.Count > 0)
        {
            CliHelp.Write(command, context.Stdout);
            return 0;
        }

        if (command == root)
        {
            var what = unmatched is null ? "missing command"
                : unmatched.StartsWith('-') ? $"unknown option {Quote(unmatched)}"
                : $"unknown command {Quote(unmatched)}{Suggestion(root, unmatched)}";
            await context.Stderr.WriteLineAsync($"error: {what}");
            await CliHelp.WriteCommandListAsync(root, context.Stderr);
            return UsageError;
        }

        var path = CliHelp.PathOf(command);
        var see = $"(see '{ExecutableName} {path} --help')";
        string message;
        if (result.Errors.FirstOrDefault(e => e.SymbolResult is OptionResult { IdentifierTokenCount: > 0 }) is { } valueError)
        {
            // A bad value of a typed option first: `--url --name x` leaves "x" unmatched only because --url took no value.
            message = $"{OneLine(valueError.Message)} {see}";
        }
        else if (unmatched is not null && command.Subcommands.Count > 0 && !unmatched.StartsWith('-') && !result.CommandResult.Children.Any(c => c is not OptionResult { Option: System.CommandLine.Help.HelpOption }))
        {
            message = $"unknown {path} subcommand {Quote(unmatched)} (expected {string.Join(", ", command.Subcommands.Where(c => !c.Hidden).Select(c => c.Name))}; see '{ExecutableName} {path} --help')";
        }
        else if (unmatched is not null)
        {
            // A stray option is named; a stray value is not (it may be a password typed where it does not belong).
            message = unmatched.StartsWith('-') ? $"unexpected argument {Quote(unmatched)} {see}" : $"too many arguments {see}";
        }
        else if (command.Options.FirstOrDefault(o => o.Required && result.GetResult(o) is null or OptionResult { Implicit: true }) is { } missing)
        {
            message = $"{missing.Name} is required {see}";
        }
        else
        {
            message = $"{OneLine(result.Errors[0].Message)} {see}";
        }

        await context.Stderr.WriteLineAsync($"error: {message}");
        return UsageError;
    }

    /// <summary>A command that only groups others (<c>metadata</c>): run alone, it says which subcommands it has.</summary>
    internal static void RequireSubcommand(Command command) =>
        command.SetAction(new Func<ParseResult, int>(_ => throw new CliUsageException(
            $"missing subcommand ({string.Join(", ", command.Subcommands.Where(c => !c.Hidden).Select(c => c.Name))}; see '{ExecutableName} {CliHelp.PathOf(command)} --help')")));

    /// <summary>A word the user typed, quoted; a long or odd one may be a pasted secret and is not echoed.</summary>
    internal static string Quote(string token) =>
        token.Length <= 30 && token.All(c => c is > ' ' and <= '~') ? $"'{token}'" : "(not shown)";

    private static string Suggestion(RootCommand root, string typed)
    {
        var near = root.Subcommands.Where(c => !c.Hidden).Select(c => c.Name).FirstOrDefault(n => EditDistance(n, typed) <= 2);
        return near is null ? "" : $" (did you mean '{near}'?)";
    }

    private static int EditDistance(string a, string b)
    {
        var previous = Enumerable.Range(0, b.Length + 1).ToArray();
        for (var i = 1; i <= a.Length; i++)
        {
            var current = new int[b.Length + 1];
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            }

            previous = current;
        }

        return previous[b.Length];
    }

    internal static string OneLine(string text) => text.ReplaceLineEndings(" ");
}
