using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using ChannelService.Calendars.Benchmarks;
using ChannelService.Cli;
using ChannelService.Data;
using ChannelService.Sources.Http;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace ChannelService.Sources.Feeds;

/// <summary>
/// <c>feed bench [--units N] [--runs R]</c>: what a feed sync costs when nothing changed, against a full sync of
/// the same feed, all in one run on loopback (Kestrel serving a generated feed, a temporary SQLite store).
/// </summary>
internal sealed class FeedBenchmarkCommand : ICliCommand
{
    public string Name => "feed";

    public string Summary => "feed bench [--units N] [--runs R]: cost of unchanged feed syncs (304, same body) vs a full sync";

    public async Task<int> RunAsync(CliContext context, IReadOnlyList<string> args)
    {
        var (units, runs) = ParseBenchArguments(args, "feed bench", defaults: (0.25, 20), maxUnits: 10, maxRuns: 1000);
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

    /// <summary>
    /// <c>{command} bench [--units N] [--runs R]</c> for the benchmarks built on <see cref="Generate"/>: feed size in units
    /// (fractions allowed) and repeats. Anything else is a usage error.
    /// </summary>
    internal static (double Units, int Runs) ParseBenchArguments(IReadOnlyList<string> args, string command, (double Units, int Runs) defaults, double maxUnits, int maxRuns)
    {
        var usage = $"usage: {command} [--units N] [--runs R]";
        if (args.Count == 0 || args[0] != "bench")
        {
            throw new CliUsageException(usage);
        }

        var (units, runs) = defaults;
        for (var i = 1; i < args.Count; i++)
        {
            switch (args[i])
            {
                case "--units" when i + 1 < args.Count && double.TryParse(args[i + 1], CultureInfo.InvariantCulture, out var u) && u > 0 && u <= maxUnits:
                    units = u;
                    i++;
                    break;
                case "--runs" when i + 1 < args.Count && int.TryParse(args[i + 1], CultureInfo.InvariantCulture, out var r) && r > 0 && r <= maxRuns:
                    runs = r;
                    i++;
                    break;
                default:
                    throw new CliUsageException($"unexpected argument '{args[i]}' ({usage}; units at most {maxUnits.ToString(CultureInfo.InvariantCulture)}, runs at most {maxRuns})");
            }
        }

        return (units, runs);
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
