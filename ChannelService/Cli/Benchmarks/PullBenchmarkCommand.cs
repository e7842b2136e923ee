using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using ChannelService.Accounts;
using ChannelService.Calendars;
using ChannelService.Web;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace ChannelService.Cli.Benchmarks;

/// <summary>
/// <c>pull bench [--units N] [--runs R]</c>: how long the first pull of a large feed takes to answer its first 200
/// resources, against a bare parse of the same bytes, both warm and in the same process. Each pull runs the whole
/// service (Kestrel, controllers, a new SQLite database, a new account) over loopback HTTP against a Kestrel feed
/// server, and is timed from sending POST /pull to the last byte of its answer.
/// </summary>
internal static class PullBenchmarkCommand
{
    // At most one unit: the default 20 MB source size limit.
    public static Command Create(CliContext context)
    {
        var command = FeedBenchmarkCommand.Bench(
            "pull",
            "Benchmark: first pull of a generated feed (whole service, POST /pull) vs a bare parse of it.",
            defaults: (1, 5),
            maxUnits: 1,
            maxRuns: 100,
            (units, runs) => RunAsync(context, units, runs));
        command.Subcommands.Add(Accounts(context));
        return command;
    }

    /// <summary>
    /// <c>pull accounts --count N --url-template URL</c>: mints N <c>ics</c> accounts at once for the many-account
    /// no-change benchmark (benchmarks/pull-304.sh, ACCOUNTS=N), each with its own feed URL ({n} = 1..N), with the
    /// data folder's keys as <c>metadata new</c> does; one metadata string per line on standard output.
    /// </summary>
    private static CliCommand Accounts(CliContext context)
    {
        var count = CliOptions.Number("--count", "how many accounts", 1, 100_000, 1);
        var template = CliOptions.Text("--url-template", "the feed URL of account n, with {n} for 1..N", "url", required: true);
        var command = new CliCommand("accounts", "Benchmark helper: mint N ics accounts, one metadata string per line.")
        {
            Usage = ["pull accounts --count N --url-template http://127.0.0.1:8080/feed-{n}.ics"],
        };
        command.Options.Add(count);
        command.Options.Add(template);
        command.SetAction(async result =>
        {
            var url = result.GetValue(template) ?? throw new CliUsageException("--url-template is required.");
            if (!url.Contains("{n}", StringComparison.Ordinal))
            {
                throw new CliUsageException("--url-template must contain {n}.");
            }

            var codec = new MetadataCodec(MetadataCommand.LoadKeys(context, create: true));
            var n = result.GetValue(count);
            for (var i = 1; i <= n; i++)
            {
                var request = new NewAccountRequest("ics", url.Replace("{n}", i.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal), null, null, $"Benchmark {i}", []);
                await context.Stdout.WriteLineAsync(codec.Encode(AccountRequests.Create(request)));
            }

            return 0;
        });
        return command;
    }

    private static async Task<int> RunAsync(CliContext context, double units, int runs)
    {
        var body = FeedBenchmarkCommand.Generate(units);
        await using var feed = await FeedBenchmarkCommand.StartServerAsync(new FeedBenchmarkCommand.Published { Body = body, ETag = "\"v1\"" });
        var feedUrl = Address(feed) + "/feed.ics";

        var parses = new List<double>();
        var pulls = new List<double>();
        var resources = 0;
        var items = 0;

        // Run 0 warms the JIT for both paths and is not counted; parse and pull then alternate, so a noisy
        // neighbour on the machine slows both rather than one.
        for (var run = 0; run <= runs; run++)
        {
            var clock = Stopwatch.StartNew();
            // The cheapest parse there is (no verbatim lines kept), as `ical parse --stats` does: the strictest reference.
            var parse = IcalReader.Parse(body, IcalReaderOptions.Default with { KeepRawLines = false });
            var parseMs = clock.Elapsed.TotalMilliseconds;
            items = parse.Roots.Sum(r => r.Components.Count);
            parse = null;
            GC.KeepAlive(parse);

            var (pullMs, count) = await FirstPullAsync(feedUrl);
            resources = count;
            if (run > 0)
            {
                parses.Add(parseMs);
                pulls.Add(pullMs);
            }
        }

        var parseMedian = Median(parses);
        var pullMedian = Median(pulls);
        var o = context.Stdout;
        await o.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"feed: {body.Length / 1048576.0:0.0} MB, {items} components; {runs} runs each (median), after one warm-up run"));
        await o.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"bare parse (IcalReader, no raw lines kept):    {parseMedian,9:0.0} ms  = 1 (reference)"));
        await o.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"first pull, POST /pull to last byte:          {pullMedian,9:0.0} ms  = {pullMedian / parseMedian:0.00} x parse; {resources} resources"));
        await o.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"all runs: parse {string.Join(" ", parses.Select(p => p.ToString("0", CultureInfo.InvariantCulture)))}; pull {string.Join(" ", pulls.Select(p => p.ToString("0", CultureInfo.InvariantCulture)))}"));
        return 0;
    }

    /// <summary>A whole service on a new data directory; one new account; one timed POST /pull.</summary>
    private static async Task<(double Ms, int Resources)> FirstPullAsync(string feedUrl)
    {
        var folder = Directory.CreateTempSubdirectory("channelservice-pullbench-").FullName;
        try
        {
            var builder = WebApplication.CreateBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory, EnvironmentName = "Production" });
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Channel:DataDirectory"] = folder,
                ["Channel:PublicBaseUrl"] = "http://127.0.0.1/",
                ["Channel:AllowPrivateNetworkSources"] = "true",
            });
            builder.Logging.ClearProviders();
            builder.WebHost.ConfigureKestrel(k => k.Listen(System.Net.IPAddress.Loopback, 0));
            builder.AddChannelService();
            await using var app = builder.Build();
            await app.PrepareAsync();
            app.MapChannelService();
            await app.StartAsync();

            var account = AccountRequests.Create(new NewAccountRequest("ics", feedUrl, null, null, "Bench", []));
            var metadata = app.Services.GetRequiredService<MetadataCodec>().Encode(account);
            using var client = new HttpClient { BaseAddress = new Uri(Address(app)), Timeout = TimeSpan.FromMinutes(5) };
            using var form = new FormUrlEncodedContent(new Dictionary<string, string> { ["metadata"] = metadata });

            var clock = Stopwatch.StartNew();
            using var response = await client.PostAsync("/pull", form);
            var text = await response.Content.ReadAsByteArrayAsync();
            var ms = clock.Elapsed.TotalMilliseconds;
            if (!response.IsSuccessStatusCode)
            {
                throw new InvalidOperationException($"POST /pull answered {(int)response.StatusCode}: {System.Text.Encoding.UTF8.GetString(text)}");
            }

            using var json = JsonDocument.Parse(text);
            var count = json.RootElement.GetProperty("external_resources").GetArrayLength();
            var state = json.RootElement.GetProperty("state").GetString()!;
            if (Environment.GetEnvironmentVariable("PULL_BENCH_NEXT") is { } next && int.TryParse(next, CultureInfo.InvariantCulture, out var n))
            {
                for (var i = 0; i < n; i++)
                {
                    using var nextForm = new FormUrlEncodedContent(new Dictionary<string, string> { ["metadata"] = metadata, ["state"] = state });
                    clock.Restart();
                    using var r = await client.PostAsync("/pull", nextForm);
                    using var j = JsonDocument.Parse(await r.Content.ReadAsByteArrayAsync());
                    state = j.RootElement.GetProperty("state").GetString()!;
                    await Console.Error.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"next pull {i + 1}: {clock.Elapsed.TotalMilliseconds:0} ms, {j.RootElement.GetProperty("external_resources").GetArrayLength()} resources"));
                }
            }

            await app.StopAsync();
            return (ms, count);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(folder, recursive: true);
        }
    }

    private static string Address(WebApplication app) =>
        app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted[sorted.Count / 2];
    }
}
