using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Numerics;

namespace ChannelService.Cli;

/// <summary>The few kinds of option the commands use, built alike: invariant numbers with ranges, key=value pairs.</summary>
internal static class CliOptions
{
    public static Option<string> Text(string name, string description, string helpName, bool required = false) =>
        new(name) { Description = description, HelpName = helpName, Required = required };

    public static Option<bool> Flag(string name, string description) => new(name) { Description = description };

    /// <summary>
    /// A number in [<paramref name="min"/>, <paramref name="max"/>] (above <paramref name="min"/> when
    /// <paramref name="aboveMin"/>), read with the invariant culture (0.25, not 0,25); <paramref name="defaultValue"/>
    /// when not given, unless <paramref name="required"/>.
    /// </summary>
    public static Option<T> Number<T>(string name, string description, T min, T max, T defaultValue, bool required = false, bool aboveMin = false)
        where T : INumber<T>
    {
        var range = aboveMin
            ? string.Create(CultureInfo.InvariantCulture, $"above {min} and at most {max}")
            : string.Create(CultureInfo.InvariantCulture, $"from {min} to {max}");
        var option = new Option<T>(name)
        {
            Description = description,
            HelpName = "n",
            Required = required,
            CustomParser = result =>
            {
                var text = result.Tokens.Count == 1 ? result.Tokens[0].Value : "";
                if (T.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && (aboveMin ? value > min : value >= min) && value <= max)
                {
                    return value;
                }

                result.AddError($"{name} must be a number {range}");
                return defaultValue;
            },
        };
        if (!required)
        {
            option.DefaultValueFactory = _ => defaultValue;
        }

        return option;
    }

    /// <summary>Repeatable <c>--option key=value</c>; a value without <c>=</c> is a usage error.</summary>
    public static Option<KeyValuePair<string, string>[]> Pairs(string name, string description)
    {
        return new Option<KeyValuePair<string, string>[]>(name)
        {
            Description = description,
            HelpName = "key=value",
            Arity = ArgumentArity.OneOrMore,
            CustomParser = result =>
            {
                var pairs = new List<KeyValuePair<string, string>>();
                foreach (var token in result.Tokens)
                {
                    var equals = token.Value.IndexOf('=', StringComparison.Ordinal);
                    if (equals <= 0)
                    {
                        result.AddError($"{name} must be key=value");
                        return [];
                    }

                    pairs.Add(new(token.Value[..equals], token.Value[(equals + 1)..]));
                }

                return [.. pairs];
            },
        };
    }

    /// <summary>
    /// <c>--url --kind ics</c> must not take "--kind" as the URL: a value that is another option of the same
    /// command means the value was forgotten.
    /// </summary>
    public static void RefuseOptionNamesAsValues(Command command)
    {
        var names = command.Options.SelectMany(o => o.Aliases.Append(o.Name)).ToHashSet(StringComparer.Ordinal);
        foreach (var option in command.Options.Where(o => o.Arity.MaximumNumberOfValues > 0 && o.ValueType != typeof(bool)))
        {
            option.Validators.Add(result =>
            {
                if (result.Tokens.Any(t => names.Contains(t.Value)))
                {
                    result.AddError($"{option.Name} needs a value");
                }
            });
        }

        foreach (var sub in command.Subcommands)
        {
            RefuseOptionNamesAsValues(sub);
        }
    }
}
