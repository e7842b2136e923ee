using System.CommandLine;
using ChannelService.Configuration;
using ChannelService.Installer;

namespace ChannelService.Cli;

/// <summary>
/// <c>installer-app --out app.zip [--base-url URL]</c>: writes the installer app that <c>GET /installer-app.zip</c>
/// serves, for operators who prepare the upload before the service is reachable.
/// </summary>
internal static class InstallerAppCommand
{
    public static Command Create(CliContext context)
    {
        var output = CliOptions.Text("--out", "the zip file to write", "file", required: true);
        var baseUrlOption = CliOptions.Text("--base-url", "the service's public base URL (https, or http on loopback)", "url");
        var command = new CliCommand("installer-app", "Write the Zendesk channel installer app (zip) pointed at this service.")
        {
            Usage = ["installer-app --out FILE [--base-url https://channel.example.com]"],
            Notes = "The base URL defaults to Channel:PublicBaseUrl (environment Channel__PublicBaseUrl).",
        };
        command.Options.Add(output);
        command.Options.Add(baseUrlOption);
        command.SetAction(async result => await RunAsync(context, result.GetValue(output)!, result.GetValue(baseUrlOption)));
        return command;
    }

    private static async Task<int> RunAsync(CliContext context, string output, string? baseUrl)
    {
        if (string.IsNullOrWhiteSpace(output))
        {
            throw new CliUsageException("--out needs a file name");
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
