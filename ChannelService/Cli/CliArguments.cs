namespace ChannelService.Cli;

/// <summary>
/// A small parser for <c>--flag value</c>, repeated flags and switches. Anything unexpected is a
/// <see cref="CliUsageException"/>, so a typo never silently becomes a default.
/// </summary>
internal sealed class CliArguments
{
    private readonly Dictionary<string, List<string>> values = new(StringComparer.Ordinal);
    private readonly HashSet<string> switches = new(StringComparer.Ordinal);
    private readonly List<string> positionals = [];

    private CliArguments()
    {
    }

    public IReadOnlyList<string> Positionals => positionals;

    /// <param name="args">The arguments after the command and subcommand.</param>
    /// <param name="valueFlags">Flags that take a value; those ending in <c>*</c> may repeat (e.g. <c>--option*</c>).</param>
    /// <param name="switchFlags">Flags without a value.</param>
    /// <param name="maxPositionals">How many bare arguments are allowed.</param>
    public static CliArguments Parse(IReadOnlyList<string> args, IReadOnlyCollection<string> valueFlags, IReadOnlyCollection<string> switchFlags, int maxPositionals = 0)
    {
        var repeatable = valueFlags.Where(f => f.EndsWith('*')).Select(f => f.TrimEnd('*')).ToHashSet(StringComparer.Ordinal);
        var single = valueFlags.Where(f => !f.EndsWith('*')).ToHashSet(StringComparer.Ordinal);
        var parsed = new CliArguments();
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (arg.StartsWith("--", StringComparison.Ordinal) || (arg.StartsWith('-') && arg.Length > 1))
            {
                if (switchFlags.Contains(arg))
                {
                    parsed.switches.Add(arg);
                    continue;
                }

                if (!single.Contains(arg) && !repeatable.Contains(arg))
                {
                    throw new CliUsageException($"unknown option {Printable(arg)}");
                }

                if (i + 1 >= args.Count || (args[i + 1].StartsWith("--", StringComparison.Ordinal) && args[i + 1].Length > 2))
                {
                    throw new CliUsageException($"{arg} needs a value");
                }

                if (!parsed.values.TryGetValue(arg, out var list))
                {
                    parsed.values[arg] = list = [];
                }
                else if (single.Contains(arg))
                {
                    throw new CliUsageException($"{arg} is given more than once");
                }

                list.Add(args[++i]);
                continue;
            }

            if (parsed.positionals.Count >= maxPositionals)
            {
                throw new CliUsageException(maxPositionals == 0 ? "unexpected argument" : $"too many arguments (expected {maxPositionals})");
            }

            parsed.positionals.Add(arg);
        }

        return parsed;
    }

    public string? Value(string flag) => values.TryGetValue(flag, out var list) ? list[0] : null;

    public IReadOnlyList<string> Values(string flag) => values.TryGetValue(flag, out var list) ? list : [];

    public bool Has(string flag) => switches.Contains(flag);

    /// <summary>True when the arguments ask for help anywhere.</summary>
    public static bool WantsHelp(IReadOnlyList<string> args) => args.Any(a => a is "--help" or "-h");

    /// <summary>An unknown flag may be a pasted secret: echo only short, plain ones.</summary>
    private static string Printable(string arg) =>
        arg.Length <= 30 && arg.All(c => c is > ' ' and <= '~') ? arg : "(not shown)";
}
