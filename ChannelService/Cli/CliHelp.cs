using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using System.Globalization;

namespace ChannelService.Cli;

/// <summary>
/// A command with its own usage lines and closing notes for <c>--help</c> (what System.CommandLine cannot derive:
/// which options go together, where secrets are read from, what is printed where).
/// </summary>
internal sealed class CliCommand(string name, string description) : Command(name, description)
{
    /// <summary>Usage lines, each after <c>ChannelService </c>; derived from the command's arguments when empty.</summary>
    public IReadOnlyList<string> Usage { get; init; } = [];

    /// <summary>Text after the options: what the command prints and needs.</summary>
    public string? Notes { get; init; }
}

/// <summary>
/// <c>--help</c> (or <c>-h</c>, <c>-?</c>) for every command, in one layout: the usage line first (the help of
/// <c>metadata new</c> starts with <c>Usage: ChannelService metadata new</c>), the description, arguments,
/// subcommands, options, then notes. System.CommandLine 3 keeps its help builder internal, hence this small one.
/// Help goes to standard output and exits 0; it opens no key file and no database.
/// </summary>
internal static class CliHelp
{
    /// <summary>Fixed, so help reads the same in a terminal, a pipe and a test.</summary>
    private const int Width = 100;

    private const string HostUsage = """
        Host options (before the command): --urls URL, --environment NAME, and configuration as --Section:Key VALUE,
        --Key=VALUE or Section:Key=VALUE (e.g. Channel:DataDirectory=/var/lib/channelservice). They configure a
        command as they configure the service. Any other word or option is an error (exit code 2).
        Run 'ChannelService <command> --help' for a command's arguments and options.
        """;

    public static void Install(RootCommand root)
    {
        foreach (var option in root.Options.OfType<HelpOption>())
        {
            option.Action = new Action();
        }
    }

    /// <summary>The words that select <paramref name="command"/>, e.g. <c>metadata new</c>; empty for the root.</summary>
    public static string PathOf(Command command)
    {
        var names = new List<string>();
        for (var c = command; c is not null and not RootCommand; c = Parent(c))
        {
            names.Insert(0, c.Name);
        }

        return string.Join(' ', names);
    }

    public static void Write(Command command, TextWriter output)
    {
        WriteUsage(command, output);
        if (!string.IsNullOrWhiteSpace(command.Description))
        {
            output.WriteLine();
            output.WriteLine(command.Description);
        }

        WriteTable(output, "Arguments:", command.Arguments.Where(a => !a.Hidden).Select(a => ($"<{a.HelpName ?? a.Name}>", a.Description ?? "")));
        WriteTable(output, "Commands:", command.Subcommands.Where(c => !c.Hidden).Select(c => (c.Name, c.Description ?? "")));
        WriteTable(output, "Options:", command.Options.Concat(InheritedOptions(command)).Where(o => !o.Hidden).Select(o => (OptionLabel(o), OptionDescription(o))));
        var notes = command switch
        {
            RootCommand => HostUsage,
            CliCommand { Notes: { } n } => n,
            { Subcommands.Count: > 0 } c => $"Run '{CommandLine.ExecutableName} {PathOf(c)} <command> --help' for a command's arguments and options.",
            _ => null,
        };
        if (notes is not null)
        {
            output.WriteLine();
            output.WriteLine(notes.TrimEnd());
        }
    }

    /// <summary>The "Commands:" list of the top level, for the one who typed an unknown command.</summary>
    public static async Task WriteCommandListAsync(RootCommand root, TextWriter output)
    {
        WriteTable(output, "Commands:", root.Subcommands.Where(c => !c.Hidden).Select(c => (c.Name, c.Description ?? "")));
        await output.WriteLineAsync();
        await output.WriteLineAsync($"Run '{CommandLine.ExecutableName} --help' for more.");
    }

    private static Command? Parent(Command command) => command.Parents.OfType<Command>().FirstOrDefault();

    private static void WriteUsage(Command command, TextWriter output)
    {
        IReadOnlyList<string> lines = command switch
        {
            RootCommand => ["[host options]                         run the web service", "[host options] <command> [options]     run a command"],
            CliCommand { Usage.Count: > 0 } c => c.Usage,
            _ => [DerivedUsage(command)],
        };
        var prefix = "Usage: ";
        foreach (var line in lines)
        {
            // A line starting with blanks continues the one above it.
            var start = line.StartsWith(' ') ? new string(' ', CommandLine.ExecutableName.Length + 1) : CommandLine.ExecutableName + " ";
            output.WriteLine($"{prefix}{start}{line}".TrimEnd());
            prefix = "       ";
        }
    }

    private static string DerivedUsage(Command command)
    {
        var words = new List<string> { PathOf(command) };
        if (command.Subcommands.Count > 0)
        {
            words.Add("<command>");
        }

        words.AddRange(command.Arguments.Where(a => !a.Hidden).Select(a => $"<{a.HelpName ?? a.Name}>"));
        if (command.Options.Any(o => o is not HelpOption && !o.Hidden))
        {
            words.Add("[options]");
        }

        return string.Join(' ', words);
    }

    /// <summary>A heading and two columns, the second wrapped to <see cref="Width"/>.</summary>
    private static void WriteTable(TextWriter output, string heading, IEnumerable<(string Label, string Text)> rows)
    {
        var list = rows.ToList();
        if (list.Count == 0)
        {
            return;
        }

        output.WriteLine();
        output.WriteLine(heading);
        var labelWidth = Math.Min(list.Max(r => r.Label.Length), 28);
        var textWidth = Width - labelWidth - 4;
        foreach (var (label, text) in list)
        {
            var first = true;
            if (label.Length > labelWidth)
            {
                // A long label gets a line of its own; its text starts below it.
                output.WriteLine($"  {label}");
                first = false;
            }

            foreach (var line in Wrap(text, textWidth))
            {
                output.WriteLine($"  {(first ? label : "").PadRight(labelWidth)}  {line}".TrimEnd());
                first = false;
            }
        }
    }

    private static List<string> Wrap(string text, int width)
    {
        var lines = new List<string>();
        var line = "";
        foreach (var word in text.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (line.Length > 0 && line.Length + 1 + word.Length > width)
            {
                lines.Add(line);
                line = "";
            }

            line = line.Length == 0 ? word : $"{line} {word}";
        }

        lines.Add(line);
        return lines;
    }

    /// <summary>Recursive options of the ancestors (--help), listed on every command since they apply there too.</summary>
    private static IEnumerable<Option> InheritedOptions(Command command)
    {
        for (var parent = Parent(command); parent is not null; parent = Parent(parent))
        {
            foreach (var option in parent.Options.Where(o => o.Recursive))
            {
                yield return option;
            }
        }
    }

    private static string OptionLabel(Option option)
    {
        // The Windows spellings (/h, /?) work but are not advertised.
        var label = string.Join(", ", option.Aliases.Where(a => a != option.Name && !a.StartsWith('/')).OrderBy(a => a.Length).Append(option.Name));
        return option.Arity.MaximumNumberOfValues == 0 || option.ValueType == typeof(bool) ? label : $"{label} <{option.HelpName ?? option.Name.TrimStart('-')}>";
    }

    private static string OptionDescription(Option option)
    {
        var text = option.Description ?? "";
        if (option.Required)
        {
            return $"{text} (required)";
        }

        return option.HasDefaultValue && option.ValueType != typeof(bool) && option.GetDefaultValue() is IFormattable value
            ? $"{text} (default {value.ToString(null, CultureInfo.InvariantCulture)})"
            : text;
    }

    /// <summary>Replaces System.CommandLine's help action: same trigger (-h, -?, --help on any command), our layout.</summary>
    private sealed class Action : SynchronousCommandLineAction
    {
        /// <summary>Help for <c>metadata new --help</c> even though its required options are missing.</summary>
        public override bool ClearsParseErrors => true;

        public override int Invoke(ParseResult parseResult)
        {
            Write(parseResult.CommandResult.Command, parseResult.InvocationConfiguration.Output);
            return 0;
        }
    }
}
