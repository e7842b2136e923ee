using System.Security.Cryptography;
using System.Text.Json;
using ChannelService.Accounts;
using ChannelService.Cli;
using ChannelService.Data;
using ChannelService.Sources;
using ChannelService.Sources.Http;
using ChannelService.Web;
using FluentValidation;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging.Abstractions;

namespace ChannelService.Pull;

/// <summary>
/// <c>preview</c>: what a first pull of a source would return, every page, so an admin sees what will happen before
/// connecting Zendesk. It runs the real pull (source read, mirror, generations) against a throw-away database and
/// key, acknowledging each page the way Zendesk would.
/// </summary>
internal sealed class PreviewCommand : ICliCommand
{
    private const string Usage = """
        Usage: ChannelService preview --kind <caldav-tasks|caldav-calendar|ics|inbox> --url <url|file>
                                      [--username U] [--password-stdin] [--now <instant>] [--option key=value ...]

        Prints the JSON a first pull of that source would return (all pages), using the same code as POST /pull.
        A local .ics file is served to the pull on a loopback port for the duration of the command.
        --now sets the clock (ISO 8601, e.g. 2026-11-22T08:00:00Z), which decides the event window.
        """;

    public string Name => "preview";

    public string Summary => "print what a first pull of a source would send to Zendesk";

    public async Task<int> RunAsync(CliContext context, IReadOnlyList<string> args)
    {
        if (CliArguments.WantsHelp(args))
        {
            await context.Stdout.WriteLineAsync(Usage);
            return 0;
        }

        var parsed = CliArguments.Parse(args, ["--kind", "--url", "--username", "--now", "--option*"], ["--password-stdin"]);
        var kind = parsed.Value("--kind") ?? throw new CliUsageException("--kind is required");
        var url = parsed.Value("--url") ?? throw new CliUsageException("--url is required");
        var now = DateTimeOffset.UtcNow;
        if (parsed.Value("--now") is { } nowText && !DateTimeOffset.TryParse(nowText, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out now))
        {
            throw new CliUsageException("--now must be an ISO 8601 instant such as 2026-11-22T08:00:00Z");
        }

        var options = new List<KeyValuePair<string, string>>();
        foreach (var option in parsed.Values("--option"))
        {
            var equals = option.IndexOf('=', StringComparison.Ordinal);
            options.Add(equals > 0 ? new(option[..equals], option[(equals + 1)..]) : throw new CliUsageException("--option must be key=value"));
        }

        var secret = parsed.Has("--password-stdin") ? await context.Stdin.ReadLineAsync() : null;
        var httpOptions = context.Configuration.GetSection(SourceHttpOptions.SectionName).Get<SourceHttpOptions>() ?? new SourceHttpOptions();
        WebApplication? fileServer = null;
        if (File.Exists(url))
        {
            (fileServer, url) = await ServeFileAsync(Path.GetFullPath(url));
            httpOptions.AllowedSourceNetworks = [.. httpOptions.AllowedSourceNetworks, "127.0.0.1/32"];
        }

        var folder = Directory.CreateTempSubdirectory("channelservice-preview-");
        try
        {
            AccountMetadata account;
            try
            {
                account = new NewAccountRequest(kind, url, parsed.Value("--username"), secret, "Preview", options).Create(TimeProvider.System);
            }
            catch (ValidationException ex)
            {
                throw new CliUsageException(string.Join(" ", ex.Errors.Select(e => e.ErrorMessage)));
            }

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
                            await context.Stdout.WriteLineAsync(JsonSerializer.Serialize(new { pages, external_resources = resources }, PrettyJson));
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
