using System.CommandLine;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using ChannelService.Accounts;
using ChannelService.Configuration;
using ChannelService.Data;
using ChannelService.Pull;
using ChannelService.Sources;
using ChannelService.Sources.Http;
using ChannelService.Web;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging.Abstractions;

namespace ChannelService.Cli;

/// <summary>
/// <c>preview</c>: what a first pull of a source would return, every page, so an admin sees what will happen before
/// connecting Zendesk. It runs the real pull (source read, mirror, generations) against a throw-away database and
/// key, acknowledging each page the way Zendesk would.
/// </summary>
internal static class PreviewCommand
{
    public static Command Create(CliContext context)
    {
        var kind = CliOptions.Text("--kind", string.Join("|", SourceKinds.WireNames), "kind", required: true);
        var url = CliOptions.Text("--url", "the source's URL, or a local .ics file (a path, relative to the current folder)", "url|file", required: true);
        var username = CliOptions.Text("--username", "user name for the source", "u");
        var passwordStdin = CliOptions.Flag("--password-stdin", "read the password or token from the first line of standard input");
        var now = CliOptions.Text("--now", "the clock, which decides the event window (ISO 8601, e.g. 2026-11-22T08:00:00Z)", "instant");
        var options = CliOptions.Pairs("--option", $"repeatable; keys: {string.Join(", ", AccountOptions.Keys)}");
        var command = new CliCommand("preview", "Print the JSON a first pull of a source would return (all pages), using the same code as POST /pull.")
        {
            Usage =
            [
                "preview --kind <kind> --url <url|file> [--username U] [--password-stdin] [--now <instant>] [--option key=value ...]",
            ],
            Notes = """
                It runs the real pull against a throw-away database and key. A local .ics file is served to the pull on a
                loopback port for the duration of the command. Secrets are read from standard input only.
                """,
        };
        foreach (var option in new Option[] { kind, url, username, passwordStdin, now, options })
        {
            command.Options.Add(option);
        }

        command.SetAction(async result => await RunAsync(
            context,
            result.GetValue(kind)!,
            result.GetValue(url)!,
            result.GetValue(username),
            result.GetValue(passwordStdin),
            result.GetValue(now),
            result.GetValue(options) ?? []));
        return command;
    }

    /// <summary>
    /// A source is a URL when it names a scheme (<c>https://</c>, <c>webcal://</c>); anything else is a local file, so
    /// a mistyped path says "file not found" rather than failing as a URL.
    /// </summary>
    internal static bool IsUrl(string value) =>
        value.Contains("://", StringComparison.Ordinal) && Uri.TryCreate(value, UriKind.Absolute, out var uri) && !uri.IsFile;

    private static async Task<int> RunAsync(CliContext context, string kind, string url, string? username, bool passwordStdin, string? nowText, KeyValuePair<string, string>[] options)
    {
        var now = DateTimeOffset.UtcNow;
        if (nowText is not null && !DateTimeOffset.TryParse(nowText, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out now))
        {
            throw new CliUsageException("--now must be an ISO 8601 instant such as 2026-11-22T08:00:00Z");
        }

        string? file = null;
        if (!IsUrl(url))
        {
            // Relative to the folder the command runs in (the caller's; `dotnet run` too, see RunWorkingDirectory).
            file = Path.GetFullPath(url.StartsWith("file://", StringComparison.OrdinalIgnoreCase) ? new Uri(url).LocalPath : url);
            if (!File.Exists(file))
            {
                throw new CliUsageException($"file not found: {url}");
            }
        }

        var secret = passwordStdin ? await context.Stdin.ReadLineAsync() : null;
        var httpOptions = SettingBinding.Get<SourceHttpOptions>(context.Configuration.GetSection(SourceHttpOptions.SectionName));
        WebApplication? fileServer = null;
        if (file is not null)
        {
            (fileServer, url) = await ServeFileAsync(file);
            httpOptions.AllowedSourceNetworks = [.. httpOptions.AllowedSourceNetworks, "127.0.0.1/32"];
        }

        var folder = Directory.CreateTempSubdirectory("channelservice-preview-");
        try
        {
            var account = AccountRequests.Create(new NewAccountRequest(kind, url, username, secret, "Preview", options));

            var database = new Database(Path.Combine(folder.FullName, Database.FileName));
            await database.InitializeAsync();
            var keys = KeyRing.FromConfiguredKeys([new ConfiguredKey("preview", Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)))]);
            var clock = new FixedClock(now);
            var store = new SourceItemStore(database, clock);
            var http = SourceHttpClient.Create(httpOptions, timeProvider: null);
            var states = new PullStateCodec(keys);
            var pulls = new PullService(database, store, new SourceFactory(http, store, new Sources.CalDav.SqliteCalDavEtagStore(database, clock), clock), states, clock, NullLogger<PullService>.Instance);

            var resources = new List<ExternalResource>();
            PullState? state = null;
            var pages = 0;
            while (pages < 1000)
            {
                var outcome = await pulls.PullAsync(account, state, CancellationToken.None);
                switch (outcome)
                {
                    case PullOutcome.Ok ok:
                        pages++;
                        resources.AddRange(ok.Response.ExternalResources);
                        state = states.Decode(ok.Response.State, account.AccountId);
                        if (ok.Response.ExternalResources.Count == 0)
                        {
                            // The tickets the first pull creates: one opening each. Test connection shows the same number,
                            // counted by the same planner (TicketPlanner.FirstSyncTickets).
                            var tickets = resources.Count(r => r.ExternalId == Tickets.ExternalIds.Opening(r.ThreadId));
                            await context.Stdout.WriteLineAsync(JsonSerializer.Serialize(new { pages, tickets, external_resources = resources }, PrettyJson));
                            return 0;
                        }

                        break;
                    case PullOutcome.CredentialsRejected rejected:
                        await context.Stderr.WriteLineAsync($"error: {rejected.Message}");
                        return 1;
                    case PullOutcome.SourceFailed failed:
                        await context.Stderr.WriteLineAsync($"error: {failed.Message}");
                        return 1;
                    default:
                        await context.Stderr.WriteLineAsync("error: the pull did not run");
                        return 1;
                }
            }

            await context.Stderr.WriteLineAsync("error: the backlog did not drain in 1000 pages");
            return 1;
        }
        finally
        {
            if (fileServer is not null)
            {
                await fileServer.DisposeAsync();
            }

            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            folder.Delete(recursive: true);
        }
    }

    private static readonly JsonSerializerOptions PrettyJson = new(JsonDefaults.Options) { WriteIndented = true };

    private static async Task<(WebApplication App, string Url)> ServeFileAsync(string path)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.MapGet("/preview.ics", () => Results.File(path, "text/calendar"));
        await app.StartAsync();
        return (app, app.Urls.First() + "/preview.ics");
    }

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
