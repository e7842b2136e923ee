using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using ChannelService.Sources.CalDav;

namespace ChannelService.Cli.Benchmarks;

/// <summary>
/// <c>caldav-bench</c>: measures what an incremental sync saves against a full resync on a real collection
/// (run by <c>benchmarks/caldav-sync.sh</c>, which fills a Radicale collection first). It changes one item in the
/// collection, so point it only at a throwaway collection. The password comes from <c>CALDAV_PASSWORD</c> so it
/// stays out of the process list.
/// </summary>
internal static class CalDavBenchCommand
{
    public static Command Create(CliContext context)
    {
        var url = CliOptions.Text("--url", "the throwaway collection (one of its items is changed)", "collection-url", required: true);
        var user = CliOptions.Text("--user", "user name; the password comes from CALDAV_PASSWORD", "name");
        var repeat = CliOptions.Number("--repeat", "runs per measurement (median)", 1, 1000, 5);
        var command = new CliCommand("caldav-bench", "Benchmark: incremental CalDAV sync vs full resync on a throwaway collection.")
        {
            Usage = ["caldav-bench --url COLLECTION_URL [--user NAME] [--repeat N]   (password in CALDAV_PASSWORD)"],
            Notes = "Changes one item of the collection: point it only at a throwaway collection (benchmarks/caldav-sync.sh fills one).",
        };
        command.Options.Add(url);
        command.Options.Add(user);
        command.Options.Add(repeat);
        command.SetAction(async result => await RunAsync(context, result.GetValue(url)!, result.GetValue(user), result.GetValue(repeat)));
        return command;
    }

    private static async Task<int> RunAsync(CliContext context, string url, string? user, int repeat)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var collection))
        {
            throw new CliUsageException("--url must be an absolute URL");
        }

        var credentials = user is null ? null : new CalDavCredentials(user, Environment.GetEnvironmentVariable("CALDAV_PASSWORD") ?? string.Empty);
        using var counter = new HttpTrafficCounter(new SocketsHttpHandler { AllowAutoRedirect = false });
        using var http = new HttpClient(counter) { Timeout = TimeSpan.FromMinutes(5) };
        var client = new CalDavClient(http, credentials);
        var fallback = new CalDavClient(http, credentials, new InMemoryCalDavEtagStore(), new CalDavClientOptions { UseSyncCollection = false });
        var o = context.Stdout;

        try
        {
            // The first listing makes Radicale build its item cache; it is reported apart, not mixed into the runs.
            var warm = Stopwatch.StartNew();
            var first = await client.SyncAsync(collection, null);
            await o.WriteLineAsync(FormattableString.Invariant($"collection {CalDavException.Describe(collection)}: {first.Changed.Count} items; first listing (server cache warm-up) {warm.Elapsed.TotalMilliseconds:F0} ms"));
            if (first.Changed.Count == 0)
            {
                await context.Stderr.WriteLineAsync("error: the collection is empty");
                return 1;
            }

            var full = await MeasureAsync(counter, Math.Min(repeat, 3), async () =>
            {
                var r = await client.SyncAsync(collection, null);
                return (await client.MultigetAsync(collection, r.Changed.Select(c => c.Href))).Objects.Count;
            });
            var fallbackFirst = await fallback.SyncAsync(collection, null);
            var tokenCursor = (await client.SyncAsync(collection, null)).Cursor;

            // Change one item the way write-back does.
            var target = CalDavClient.ObjectUrl(collection, first.Changed[first.Changed.Count / 2].Href);
            var update = await client.UpdateWithRetryAsync(target, body => body.Replace("END:VTODO", "COMMENT:benchmark edit " + Guid.NewGuid().ToString("N") + "\r\nEND:VTODO", StringComparison.Ordinal));
            if (update.Status != CalDavWriteStatus.Written)
            {
                await context.Stderr.WriteLineAsync($"error: changing one item failed: {update.Status}");
                return 1;
            }

            // Repeating a sync from the same cursor is idempotent, so each run sees the same one change.
            var incremental = await MeasureAsync(counter, repeat, async () =>
            {
                var r = await client.SyncAsync(collection, tokenCursor);
                return (await client.MultigetAsync(collection, r.Changed.Select(c => c.Href))).Objects.Count;
            });
            var viaCTag = await MeasureAsync(counter, repeat, async () =>
            {
                var r = await fallback.SyncAsync(collection, fallbackFirst.Cursor);
                return (await fallback.MultigetAsync(collection, r.Changed.Select(c => c.Href))).Objects.Count;
            });

            await o.WriteLineAsync();
            await o.WriteLineAsync($"{"mode",-44} {"items",7} {"requests",9} {"bytes sent",12} {"bytes received",15} {"ms (median)",12}");
            await Row(o, "full resync (sync-collection + multiget)", full);
            await Row(o, "incremental (sync-collection + multiget)", incremental);
            await Row(o, "incremental fallback (ctag + etag PROPFIND)", viaCTag);
            await o.WriteLineAsync();
            await o.WriteLineAsync(FormattableString.Invariant(
                $"full / incremental: {Ratio(full.Requests, incremental.Requests)}x requests, {Ratio(full.Received + full.Sent, incremental.Received + incremental.Sent)}x bytes, {Ratio(full.Millis, incremental.Millis)}x time"));
            await o.WriteLineAsync(FormattableString.Invariant(
                $"full / fallback:    {Ratio(full.Requests, viaCTag.Requests)}x requests, {Ratio(full.Received + full.Sent, viaCTag.Received + viaCTag.Sent)}x bytes, {Ratio(full.Millis, viaCTag.Millis)}x time"));
            return 0;
        }
        catch (CalDavException ex)
        {
            await context.Stderr.WriteLineAsync($"error: {ex.Message}");
            return 1;
        }
    }

    private sealed record Measurement(int Items, int Requests, long Sent, long Received, double Millis);

    private static async Task<Measurement> MeasureAsync(HttpTrafficCounter counter, int runs, Func<Task<int>> run)
    {
        var times = new List<double>();
        int items = 0, requests = 0;
        long sent = 0, received = 0;
        for (var i = 0; i < runs; i++)
        {
            counter.Reset();
            var sw = Stopwatch.StartNew();
            items = await run();
            times.Add(sw.Elapsed.TotalMilliseconds);
            (requests, sent, received) = (counter.Requests, counter.RequestBytes, counter.ResponseBytes);
        }

        times.Sort();
        return new Measurement(items, requests, sent, received, times[times.Count / 2]);
    }

    private static Task Row(TextWriter o, string name, Measurement m) =>
        o.WriteLineAsync(FormattableString.Invariant($"{name,-44} {m.Items,7} {m.Requests,9} {m.Sent,12:N0} {m.Received,15:N0} {m.Millis,12:F1}"));

    private static string Ratio(double a, double b) => b <= 0 ? "n/a" : (a / b).ToString("F1", CultureInfo.InvariantCulture);
}
