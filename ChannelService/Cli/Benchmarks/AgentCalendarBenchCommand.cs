using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using ChannelService.AgentCalendars;
using ChannelService.Web;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace ChannelService.Cli.Benchmarks;

/// <summary>
/// <c>calendars bench [--agents N] [--tasks T] [--rounds R] [--concurrency C]</c>: agents' calendar feeds under load,
/// against a reference measured in the same run. One whole service (Kestrel, controllers, a new SQLite database) on
/// loopback holds N agents × T open task tickets; every agent's <c>GET /calendars/{token}.ics</c> is fetched R times
/// (C at a time), and so is a static file of the same size served by the same host (ASP.NET Core's static file
/// middleware from the web root). Prints median and 95th percentile latency, requests per second, bytes allocated
/// per request, and each as a ratio feed / static file.
/// </summary>
internal static class AgentCalendarBenchCommand
{
    public static Command Create(CliContext context)
    {
        var agents = CliOptions.Number("--agents", "agents, each with their own feed", 1, 10_000, 500);
        var tasks = CliOptions.Number("--tasks", "open task tickets per agent", 1, 1_000, 50);
        var rounds = CliOptions.Number("--rounds", "times every feed (and the static file as often) is fetched", 1, 100, 3);
        var concurrency = CliOptions.Number("--concurrency", "requests in flight at once", 1, 64, 4);
        var command = new CliCommand("bench", "Benchmark: agents' feeds (N agents x T tasks) against a static file of the same size on the same host.")
        {
            Usage = ["calendars bench [--agents 500] [--tasks 50] [--rounds 3] [--concurrency 4]"],
        };
        command.Options.Add(agents);
        command.Options.Add(tasks);
        command.Options.Add(rounds);
        command.Options.Add(concurrency);
        command.SetAction(async result => await RunAsync(context, result.GetValue(agents), result.GetValue(tasks), result.GetValue(rounds), result.GetValue(concurrency)));
        return command;
    }

    private static async Task<int> RunAsync(CliContext context, int agentCount, int taskCount, int rounds, int concurrency)
    {
        var folder = Directory.CreateTempSubdirectory("channelservice-agentcal-bench-").FullName;
        var webRoot = Directory.CreateDirectory(Path.Combine(folder, "wwwroot")).FullName;
        try
        {
            var builder = WebApplication.CreateBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory, WebRootPath = webRoot, EnvironmentName = "Production" });
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Channel:DataDirectory"] = Path.Combine(folder, "data"),
                ["Channel:PublicBaseUrl"] = "http://127.0.0.1/",
            });
            builder.Logging.ClearProviders();
            builder.WebHost.ConfigureKestrel(k => k.Listen(System.Net.IPAddress.Loopback, 0));
            builder.AddChannelService();
            await using var app = builder.Build();
            await app.PrepareAsync();
            app.MapChannelService();
            await app.StartAsync();

            var seeding = Stopwatch.StartNew();
            var paths = await SeedAsync(app.Services, agentCount, taskCount);
            await context.Stderr.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"seeded {agentCount} agents x {taskCount} tasks in {seeding.Elapsed.TotalSeconds:0.0} s"));

            using var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = concurrency }) { BaseAddress = new Uri(Address(app)) };
            var sample = await client.GetByteArrayAsync(paths[0]);
            await File.WriteAllBytesAsync(Path.Combine(webRoot, "reference.ics"), sample);
            var staticPaths = Enumerable.Repeat("/reference.ics", paths.Count).ToList();

            // Warm-up (JIT, connection pool, SQLite page cache), not counted.
            await MeasureAsync(client, paths.Take(50).ToList(), concurrency);
            await MeasureAsync(client, staticPaths.Take(50).ToList(), concurrency);

            var feed = new Measurement();
            var reference = new Measurement();
            for (var round = 0; round < rounds; round++)
            {
                feed.Add(await MeasureAsync(client, paths, concurrency));
                reference.Add(await MeasureAsync(client, staticPaths, concurrency));
            }

            var peak = Process.GetCurrentProcess().PeakWorkingSet64;
            await context.Stdout.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"feed size {sample.Length:N0} bytes ({taskCount} VEVENTs); {agentCount} agents; {rounds} round(s) of {paths.Count} requests, {concurrency} in flight"));
            await context.Stdout.WriteLineAsync($"{"",-26} {"feed",14} {"static file",14} {"ratio",8}");
            await Row(context, "median latency (ms)", feed.Median, reference.Median);
            await Row(context, "p95 latency (ms)", feed.P95, reference.P95);
            await Row(context, "requests per second", feed.PerSecond, reference.PerSecond);
            await Row(context, "allocated per request (KB)", feed.AllocatedPerRequest / 1024, reference.AllocatedPerRequest / 1024);
            await context.Stdout.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"process peak working set {peak / 1048576.0:0} MB (service, client and {agentCount * taskCount:N0} stored tasks in one process)"));
            await app.StopAsync();
            return 0;
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>Agents with tokens and open task tickets, stored through the service's own store; returns each feed's path.</summary>
    private static async Task<List<string>> SeedAsync(IServiceProvider services, int agentCount, int taskCount)
    {
        var store = services.GetRequiredService<AgentCalendarStore>();
        var tokens = services.GetRequiredService<AgentCalendarTokens>();
        var now = DateTimeOffset.UtcNow;
        var paths = new List<string>();
        var ticket = 100_000L;
        for (var a = 0; a < agentCount; a++)
        {
            var agentId = 10_000 + a;
            var row = tokens.Issue("bench", agentId, $"agent{a}@bench.example", $"Agent {a}", now);
            await store.EnsureTokenAsync(row);
            paths.Add(new Uri(tokens.FeedUrl(row)!).AbsolutePath);
            for (var t = 0; t < taskCount; t++)
            {
                await store.ApplyAsync(new AgentTask
                {
                    Subdomain = "bench",
                    TicketId = ticket++,
                    AssigneeId = agentId,
                    DueAt = new DateTimeOffset(now.UtcDateTime.Date, TimeSpan.Zero).AddDays(1 + (t % 30)).AddHours(9 + (t % 8)),
                    Subject = $"Follow up with customer about order {ticket} (call back, check shipping)",
                    Status = t % 3 == 0 ? "pending" : "open",
                    Priority = (t % 4) switch { 0 => "low", 1 => "normal", 2 => "high", _ => "urgent" },
                    RequesterId = 900_000 + t,
                    RequesterName = $"Customer {t}",
                    UpdatedAt = now.AddMinutes(-t),
                    InFeed = true,
                });
            }
        }

        return paths;
    }

    private static async Task<Round> MeasureAsync(HttpClient client, List<string> paths, int concurrency)
    {
        var latencies = new double[paths.Count];
        var next = -1;
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var clock = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, concurrency).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < paths.Count)
            {
                var started = Stopwatch.GetTimestamp();
                using var response = await client.GetAsync(paths[i]);
                var body = await response.Content.ReadAsByteArrayAsync();
                if (!response.IsSuccessStatusCode || body.Length == 0)
                {
                    throw new InvalidOperationException($"GET {paths[i]} answered {(int)response.StatusCode}");
                }

                latencies[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            }
        }).ToList();
        await Task.WhenAll(workers);
        var elapsed = clock.Elapsed.TotalSeconds;
        return new Round(latencies, elapsed, GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore);
    }

    private static Task Row(CliContext context, string name, double feed, double reference) =>
        context.Stdout.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"{name,-26} {feed,14:0.00} {reference,14:0.00} {feed / reference,8:0.00}"));

    private static string Address(WebApplication app) =>
        app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

    private sealed record Round(double[] Latencies, double Seconds, long Allocated);

    private sealed class Measurement
    {
        private readonly List<Round> rounds = [];

        public double Median => Percentile(0.5);

        public double P95 => Percentile(0.95);

        public double PerSecond => rounds.Sum(r => r.Latencies.Length) / rounds.Sum(r => r.Seconds);

        /// <summary>Bytes allocated in the whole process (service and client) per request.</summary>
        public double AllocatedPerRequest => (double)rounds.Sum(r => r.Allocated) / rounds.Sum(r => r.Latencies.Length);

        public void Add(Round round) => rounds.Add(round);

        private double Percentile(double p)
        {
            var all = rounds.SelectMany(r => r.Latencies).Order().ToList();
            return all[Math.Min(all.Count - 1, (int)(p * all.Count))];
        }
    }
}
