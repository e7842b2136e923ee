using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using ChannelService.Data;
using ChannelService.Sources;
using ChannelService.Sources.Feeds;
using ChannelService.Sources.Http;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace ChannelService.Cli.Benchmarks;

/// <summary>
/// <c>feed bench [--units N] [--runs R]</c>: what a feed sync costs when nothing changed, against a full sync of
/// the same feed, all in one run on loopback (Kestrel serving a generated feed, a temporary SQLite store).
/// </summary>
internal static class FeedBenchmarkCommand
{
    public static Command Create(CliContext context) =>
        Bench(
            "feed",
            "Benchmark: cost of unchanged feed syncs (304, same body) vs a full sync.",
            defaults: (0.25, 20),
            maxUnits: 10,
            maxRuns: 1000,
            (units, runs) => RunAsync(context, units, runs));

    /// <summary>
    /// <c>{name} bench [--units N] [--runs R]</c> for the benchmarks built on <see cref="Generate"/>: feed size in units
    /// (fractions allowed) and repeats.
    /// </summary>
    internal static Command Bench(string name, string description, (double Units, int Runs) defaults, double maxUnits, int maxRuns, Func<double, int, Task<int>> run)
    {
        var units = CliOptions.Number("--units", "feed size in units of the generated feed (one unit: 20,000 items, about 17 MB)", 0, maxUnits, defaults.Units, aboveMin: true);
        var runs = CliOptions.Number("--runs", "measured runs (median)", 1, maxRuns, defaults.Runs);
        var bench = new CliCommand("bench", description) { Usage = [$"{name} bench [--units N] [--runs R]"] };
        bench.Options.Add(units);
        bench.Options.Add(runs);
        bench.SetAction(async result => await run(result.GetValue(units), result.GetValue(runs)));

        var command = new CliCommand(name, description);
        CommandLine.RequireSubcommand(command);
        command.Subcommands.Add(bench);
        return command;
    }

    private static async Task<int> RunAsync(CliContext context, double units, int runs)
    {
        var body = Generate(units);
        var published = new Published { Body = body, ETag = "\"v1\"" };
        await using var app = await StartServerAsync(published);
        var url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/feed.ics";

        var folder = Directory.CreateTempSubdirectory("channelservice-feedbench-").FullName;
        try
        {
            var database = new Database(Path.Combine(folder, "bench.db"));
            await database.InitializeAsync();
            var store = new SourceItemStore(database);
            using var http = SourceHttpClient.Create(new SourceHttpOptions { AllowPrivateNetworkSources = true, MaxSourceResponseBytes = 1L << 30, SourceRequestTimeout = TimeSpan.FromMinutes(5) });
            var source = new IcsFeedSource(new IcsFeedSettings("bench", url), http, store);

            async Task<(double Ms, SourceChanges Changes)> SyncAsync()
            {
                var clock = Stopwatch.StartNew();
                var changes = await source.ReadChangesAsync(await store.GetCursorAsync("bench"));
                await store.ApplyAsync("bench", changes);
                return (clock.Elapsed.TotalMilliseconds, changes);
            }

            var (full, first) = await SyncAsync();
            var notModified = await MedianAsync(runs, SyncAsync);
            published.ETag = null;
            var sameBody = await MedianAsync(runs, SyncAsync);

            // Every DTSTAMP rewritten (as Google does on each export): a full download and parse, yet no changes.
            published.Body = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(body).Replace("DTSTAMP:2025", "DTSTAMP:2026", StringComparison.Ordinal));
            var (restamped, restampChanges) = await SyncAsync();

            var o = context.Stdout;
            await o.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"feed: {body.Length / 1048576.0:0.0} MB, {first.Upserts.Count} items; {runs} runs for each unchanged case (median)"));
            await o.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"full first sync (download, parse, diff, store):  {full,10:0.0} ms  = 1 (reference)"));
            await o.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"unchanged, server answers 304:                  {notModified.Ms,10:0.00} ms  = 1/{full / notModified.Ms:0} of full; changes: {notModified.Changes}"));
            await o.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"unchanged, no validators, identical body hash:  {sameBody.Ms,10:0.00} ms  = 1/{full / sameBody.Ms:0} of full; changes: {sameBody.Changes}"));
            await o.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"only DTSTAMP rewritten (full parse, no change): {restamped,10:0.0} ms  = {restamped / full:0.00} of full; changes: {restampChanges.Upserts.Count + restampChanges.Deletions.Count}"));
            return 0;
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(folder, recursive: true);
        }
    }

    internal static byte[] Generate(double units)
    {
        using var output = new MemoryStream();
        FeedGenerator.Write(output, Math.Max(1, (int)units));
        if (units >= 1)
        {
            return output.ToArray();
        }

        // A fraction of one unit: cut before the first component past that share, then close the calendar.
        var text = Encoding.UTF8.GetString(output.ToArray());
        var cut = text.IndexOf("\r\nBEGIN:V", (int)(text.Length * units), StringComparison.Ordinal);
        return cut < 0 ? output.ToArray() : Encoding.UTF8.GetBytes(text[..(cut + 2)] + "END:VCALENDAR\r\n");
    }

    private static async Task<(double Ms, int Changes)> MedianAsync(int runs, Func<Task<(double Ms, SourceChanges Changes)>> sync)
    {
        var times = new List<double>(runs);
        var changes = 0;
        for (var i = 0; i < runs; i++)
        {
            var (ms, c) = await sync();
            times.Add(ms);
            changes += c.Upserts.Count + c.Deletions.Count + (c.Unchanged ? 0 : 1_000_000);
        }

        times.Sort();
        return (times[times.Count / 2], changes);
    }

    /// <summary>Kestrel on 127.0.0.1 (free port) serving <paramref name="published"/> at /feed.ics, answering 304 to its ETag.</summary>
    internal static async Task<WebApplication> StartServerAsync(Published published)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        app.MapGet("/feed.ics", async (HttpContext http) =>
        {
            var etag = published.ETag;
            if (etag is not null)
            {
                http.Response.Headers.ETag = etag;
                if (http.Request.Headers.IfNoneMatch.ToString() == etag)
                {
                    http.Response.StatusCode = 304;
                    return;
                }
            }

            http.Response.ContentType = "text/calendar; charset=utf-8";
            await http.Response.Body.WriteAsync(published.Body);
        });
        await app.StartAsync();
        return app;
    }

    internal sealed class Published
    {
        public required byte[] Body { get; set; }

        public string? ETag { get; set; }
    }
}
