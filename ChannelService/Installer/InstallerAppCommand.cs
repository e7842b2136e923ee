using ChannelService.Cli;
using ChannelService.Configuration;

namespace ChannelService.Installer;

/// <summary>
/// <c>installer-app --out app.zip [--base-url URL]</c>: writes the installer app that <c>GET /installer-app.zip</c>
/// serves, for operators who prepare the upload before the service is reachable.
/// </summary>
internal sealed class InstallerAppCommand : ICliCommand
{
    private const string Usage = "usage: installer-app --out FILE [--base-url https://channel.example.com]";

    public string Name => "installer-app";

    public string Summary => "write the Zendesk channel installer app (zip) pointed at this service";

    public async Task<int> RunAsync(CliContext context, IReadOnlyList<string> args)
    {
        string? output = null;
        string? baseUrl = null;
        for (var i = 0; i < args.Count; i++)
        {
            switch (args[i])
            {
                case "--help" or "-h":
                    await context.Stdout.WriteLineAsync(Usage);
                    await context.Stdout.WriteLineAsync("The base URL defaults to Channel:PublicBaseUrl (environment Channel__PublicBaseUrl).");
                    return 0;
                case "--out" when i + 1 < args.Count:
                    output = args[++i];
                    break;
                case "--base-url" when i + 1 < args.Count:
                    baseUrl = args[++i];
                    break;
                default:
                    throw new CliUsageException($"unexpected argument '{args[i]}'; {Usage}");
            }
        }

        if (string.IsNullOrWhiteSpace(output))
        {
            throw new CliUsageException($"--out is required; {Usage}");
        }

        baseUrl ??= context.Configuration[$"{ChannelOptions.SectionName}:{nameof(ChannelOptions.PublicBaseUrl)}"];
        if (string.IsNullOrWhiteSpace(baseUrl))
        {
            throw new CliUsageException("no base URL: set Channel:PublicBaseUrl (environment Channel__PublicBaseUrl) or pass --base-url https://channel.example.com");
        }

        // The same rules the service applies at start: https, or http on loopback only.
        var options = new ChannelOptions { PublicBaseUrl = baseUrl };
        var problems = options.Validate(isDevelopment: false);
        if (problems.Count > 0)
        {
            throw new CliUsageException(problems[0]);
        }

        var package = InstallerAppPackage.Build(InstallerAppPackage.DefaultSource, options.BaseUri!.ToString());
        await File.WriteAllBytesAsync(output, package);
        await context.Stdout.WriteLineAsync($"wrote {output} ({package.Length} bytes); manifest_url {InstallerAppPackage.ManifestUrl(options.BaseUri.ToString())}");
        await context.Stdout.WriteLineAsync("Upload it in Zendesk Admin Center: Apps and integrations > Zendesk Support apps > Upload private app.");
        return 0;
    }
}
