namespace ChannelService.Cli;

/// <summary>
/// Tells the web host's arguments from a command. The executable runs the service when every argument is one the
/// ASP.NET Core host understands, and a command otherwise:
/// <list type="bullet">
/// <item>Host arguments come first: <c>--urls URL</c>, <c>--environment NAME</c> and the host's other settings
/// (<see cref="HostKeys"/>), a configuration path with a separate value (<c>--Channel:DataDirectory /x</c>), or any
/// assignment (<c>--Key=value</c>, <c>/Key=value</c>, <c>Section:Key=value</c>).</item>
/// <item>The first other argument starts the command line: a command word, <c>--help</c>, or a mistake
/// (<c>zendesk</c>, <c>--verbose</c>), which the command line reports with exit code 2 instead of starting a
/// service that would ignore it.</item>
/// </list>
/// </summary>
internal static class HostArguments
{
    /// <summary>
    /// Settings the generic and web hosts read from the command line (WebHostDefaults, HostDefaults), plus
    /// <c>AllowedHosts</c>. Test hosts (WebApplicationFactory) pass some of them too.
    /// </summary>
    private static readonly HashSet<string> HostKeys = new(StringComparer.OrdinalIgnoreCase)
    {
        "urls", "http_ports", "https_ports", "https_port", "environment", "contentRoot", "applicationName", "webroot",
        "detailedErrors", "shutdownTimeoutSeconds", "captureStartupErrors", "suppressStatusMessages",
        "preventHostingStartup", "hostingStartupAssemblies", "hostingStartupExcludeAssemblies", "AllowedHosts",
    };

    /// <param name="Host">The leading host arguments (configuration for the service or the command).</param>
    /// <param name="Rest">The command line from the first argument the host would not understand on.</param>
    /// <param name="Problem">A host option without its value.</param>
    public sealed record Result(IReadOnlyList<string> Host, IReadOnlyList<string> Rest, string? Problem);

    public static Result Split(IReadOnlyList<string> args)
    {
        var host = new List<string>();
        var i = 0;
        while (i < args.Count)
        {
            var arg = args[i];
            if (arg == "help")
            {
                // The word `help` as a command: the same as --help.
                return new Result(host, ["--help", .. args.Skip(i + 1)], null);
            }

            var key = KeyOf(arg);
            if (key is null)
            {
                break;
            }

            if (arg.Contains('=', StringComparison.Ordinal))
            {
                host.Add(arg);
                i++;
                continue;
            }

            if (!HostKeys.Contains(key) && !key.Contains(':', StringComparison.Ordinal))
            {
                break;
            }

            if (i + 1 >= args.Count)
            {
                return new Result(host, [], $"{arg} needs a value");
            }

            host.Add(arg);
            host.Add(args[i + 1]);
            i += 2;
        }

        return new Result(host, [.. args.Skip(i)], null);
    }

    /// <summary>
    /// The configuration key an argument names the way the host's command-line provider reads it (<c>--key</c>,
    /// <c>/key</c>, <c>key=value</c>), or null when it cannot be a host argument.
    /// </summary>
    private static string? KeyOf(string arg)
    {
        string body;
        if (arg.StartsWith("--", StringComparison.Ordinal))
        {
            body = arg[2..];
        }
        else if (arg.StartsWith('/'))
        {
            body = arg[1..];
        }
        else if (!arg.StartsWith('-') && arg.IndexOf('=', StringComparison.Ordinal) > 0)
        {
            body = arg;
        }
        else
        {
            return null;
        }

        var equals = body.IndexOf('=', StringComparison.Ordinal);
        var key = equals < 0 ? body : body[..equals];
        return key.Length == 0 || key.Any(char.IsWhiteSpace) ? null : key;
    }
}
