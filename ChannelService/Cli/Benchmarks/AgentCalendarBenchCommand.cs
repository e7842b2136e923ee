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
/// loopback holds N agents × T open task tickets. Both variants of every agent's feed (<c>/calendars/{token}.ics</c>,
/// VEVENT, and <c>/calendars/{token}/tasks.ics</c>, VTODO) are fetched: once cold (the first fetch renders and fills
/// the rendered-feed cache), R times cached, and R times with the ETag in <c>If-None-Match</c> (304); C at a time.
/// The reference is a static file of the same size as each variant, served by the same host (ASP.NET Core's static
/// file middleware from the web root), fetched as often, with and without its ETag. Prints median and 95th percentile
/// latency, requests per second, bytes allocated per request and the rendered-feed cache's managed memory per agent,
/// each variant as a ratio to its static file.
/// </summary>
internal static class AgentCalendarBenchCommand
{
    /// <summary>Agents fetched only to warm up (JIT, connections, SQLite's page cache), so every measured agent starts cold.</summary>
    private const int WarmUpAgents = 20;

    public static Command Create(CliContext context)
    {
        var agents = CliOptions.Number("--agents", "agents, each with their own feed", 1, 10_000, 500);
        var tasks = CliOptions.Number("--tasks", "open task tickets per agent", 1, 1_000, 50);
        var rounds = CliOptions.Number("--rounds", "times every feed is fetched cached and with its ETag (the static files as often)", 1, 100, 3);
        var concurrency = CliOptions.Number("--concurrency", "requests in flight at once", 1, 64, 4);
        var command = new CliCommand("bench", "Benchmark: both variants of agents' feeds (N agents x T tasks; cold, cached, 304) against static files of the same size on the same host.")
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
            var allPaths = await SeedAsync(app.Services, WarmUpAgents + agentCount, taskCount);
            await context.Stderr.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"seeded {agentCount} (+{WarmUpAgents} warm-up) agents x {taskCount} tasks in {seeding.Elapsed.TotalSeconds:0.0} s"));
            var warmUp = allPaths.Take(WarmUpAgents).ToList();
            var events = allPaths.Skip(WarmUpAgents).ToList();
            var todos = events.Select(p => AgentCalendarTokens.TasksUrl(p)!).ToList();

            using var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = concurrency }) { BaseAddress = new Uri(Address(app)) };
            var eventSample = await client.GetByteArrayAsync(warmUp[0]);
            var todoSample = await client.GetByteArrayAsync(AgentCalendarTokens.TasksUrl(warmUp[0]));
            await File.WriteAllBytesAsync(Path.Combine(webRoot, "events.ics"), eventSample);
            await File.WriteAllBytesAsync(Path.Combine(webRoot, "tasks.ics"), todoSample);
            var staticEvents = Enumerable.Repeat("/events.ics", events.Count).ToList();
            var staticTodos = Enumerable.Repeat("/tasks.ics", events.Count).ToList();

            // Warm-up on agents that are not measured, not counted.
            await MeasureAsync(client, warmUp, null, concurrency);
            await MeasureAsync(client, warmUp.Select(p => AgentCalendarTokens.TasksUrl(p)!).ToList(), null, concurrency);
            var staticEventTags = (await MeasureAsync(client, staticEvents.Take(WarmUpAgents).ToList(), null, concurrency)).ETags;
            var staticTodoTags = (await MeasureAsync(client, staticTodos.Take(WarmUpAgents).ToList(), null, concurrency)).ETags;

            var eventFeed = await MeasureVariantAsync(client, events, rounds, concurrency);
            var todoFeed = await MeasureVariantAsync(client, todos, rounds, concurrency);
            var eventStatic = await MeasureVariantAsync(client, staticEvents, rounds, concurrency, Enumerable.Repeat(staticEventTags[0], events.Count).ToArray());
            var todoStatic = await MeasureVariantAsync(client, staticTodos, rounds, concurrency, Enumerable.Repeat(staticTodoTags[0], events.Count).ToArray());

            var peak = Process.GetCurrentProcess().PeakWorkingSet64;
            await context.Stdout.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"{agentCount} agents x {taskCount} tasks; VEVENT feed {eventSample.Length:N0} bytes, VTODO feed {todoSample.Length:N0} bytes; per variant: 1 cold pass, {rounds} cached and {rounds} If-None-Match round(s) of {events.Count} requests, {concurrency} in flight"));
            await context.Stdout.WriteLineAsync("ratio = feed / static file of the same size on the same host (GET, or GET with its ETag for the 304 rows)");
            await context.Stdout.WriteLineAsync($"{"",-30} {"VEVENT",9} {"static",9} {"ratio",7} {"VTODO",9} {"static",9} {"ratio",7}");
            await Row(context, "cold render median (ms)", eventFeed.Cold.Median, eventStatic.Cold.Median, todoFeed.Cold.Median, todoStatic.Cold.Median);
            await Row(context, "cold render p95 (ms)", eventFeed.Cold.P95, eventStatic.Cold.P95, todoFeed.Cold.P95, todoStatic.Cold.P95);
            await Row(context, "cached median (ms)", eventFeed.Cached.Median, eventStatic.Cached.Median, todoFeed.Cached.Median, todoStatic.Cached.Median);
            await Row(context, "cached p95 (ms)", eventFeed.Cached.P95, eventStatic.Cached.P95, todoFeed.Cached.P95, todoStatic.Cached.P95);
            await Row(context, "cached requests per second", eventFeed.Cached.PerSecond, eventStatic.Cached.PerSecond, todoFeed.Cached.PerSecond, todoStatic.Cached.PerSecond);
            await Row(context, "304 median (ms)", eventFeed.NotModified.Median, eventStatic.NotModified.Median, todoFeed.NotModified.Median, todoStatic.NotModified.Median);
            await Row(context, "304 p95 (ms)", eventFeed.NotModified.P95, eventStatic.NotModified.P95, todoFeed.NotModified.P95, todoStatic.NotModified.P95);
            await Row(context, "cold allocated/request (KB)", eventFeed.Cold.AllocatedPerRequest / 1024, eventStatic.Cold.AllocatedPerRequest / 1024, todoFeed.Cold.AllocatedPerRequest / 1024, todoStatic.Cold.AllocatedPerRequest / 1024);
            await Row(context, "cached allocated/request (KB)", eventFeed.Cached.AllocatedPerRequest / 1024, eventStatic.Cached.AllocatedPerRequest / 1024, todoFeed.Cached.AllocatedPerRequest / 1024, todoStatic.Cached.AllocatedPerRequest / 1024);
            await Row(context, "304 allocated/request (KB)", eventFeed.NotModified.AllocatedPerRequest / 1024, eventStatic.NotModified.AllocatedPerRequest / 1024, todoFeed.NotModified.AllocatedPerRequest / 1024, todoStatic.NotModified.AllocatedPerRequest / 1024);
            await context.Stdout.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"rendered-feed cache, managed heap growth per agent over the cold pass: VEVENT {eventFeed.HeapGrowth / 1024.0 / events.Count:0.0} KB (body {eventSample.Length / 1024.0:0.0} KB), VTODO {todoFeed.HeapGrowth / 1024.0 / events.Count:0.0} KB (body {todoSample.Length / 1024.0:0.0} KB)"));
            await context.Stdout.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"process peak working set {peak / 1048576.0:0} MB (service, client and {(WarmUpAgents + agentCount) * taskCount:N0} stored tasks in one process)"));
            await app.StopAsync();
            return 0;
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>
    /// One pass over every path (for a feed: each agent's first fetch of this variant, a cold render), then
    /// <paramref name="rounds"/> plain rounds and as many with each path's ETag from the first pass. For the static
    /// file, <paramref name="etags"/> gives its ETag (its first pass is already warm: a reference, not a render).
    /// </summary>
    private static async Task<VariantResult> MeasureVariantAsync(HttpClient client, List<string> paths, int rounds, int concurrency, string?[]? etags = null)
    {
        var heapBefore = GC.GetTotalMemory(forceFullCollection: true);
        var first = await MeasureAsync(client, paths, null, concurrency);
        var heapGrowth = GC.GetTotalMemory(forceFullCollection: true) - heapBefore;
        var cold = new Measurement();
        cold.Add(first);
        var cached = new Measurement();
        var notModified = new Measurement();
        var tags = etags ?? first.ETags;
        for (var round = 0; round < rounds; round++)
        {
            cached.Add(await MeasureAsync(client, paths, null, concurrency));
            notModified.Add(await MeasureAsync(client, paths, tags, concurrency));
        }

        return new VariantResult(cold, cached, notModified, heapGrowth);
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

    /// <summary>Fetches every path once, C at a time; with <paramref name="etags"/> each must answer 304, else 200 with a body.</summary>
    private static async Task<Round> MeasureAsync(HttpClient client, List<string> paths, string?[]? etags, int concurrency)
    {
        var latencies = new double[paths.Count];
        var answered = new string?[paths.Count];
        var next = -1;
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var clock = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, concurrency).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < paths.Count)
            {
                var started = Stopwatch.GetTimestamp();
                using var request = new HttpRequestMessage(HttpMethod.Get, paths[i]);
                if (etags is not null)
                {
                    request.Headers.TryAddWithoutValidation("If-None-Match", etags[i]);
                }

                using var response = await client.SendAsync(request);
                var body = await response.Content.ReadAsByteArrayAsync();
                var expected = etags is null ? response.IsSuccessStatusCode && body.Length > 0 : response.StatusCode == System.Net.HttpStatusCode.NotModified;
                if (!expected)
                {
                    throw new InvalidOperationException($"GET {paths[i]} answered {(int)response.StatusCode}");
                }

                latencies[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                answered[i] = response.Headers.ETag?.ToString();
            }
        }).ToList();
        await Task.WhenAll(workers);
        var elapsed = clock.Elapsed.TotalSeconds;
        return new Round(latencies, elapsed, GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore, answered);
    }

    private static Task Row(CliContext context, string name, double events, double eventsReference, double todos, double todosReference) =>
        context.Stdout.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"{name,-30} {events,9:0.00} {eventsReference,9:0.00} {events / eventsReference,7:0.00} {todos,9:0.00} {todosReference,9:0.00} {todos / todosReference,7:0.00}"));

    private static string Address(WebApplication app) =>
        app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

    private sealed record Round(double[] Latencies, double Seconds, long Allocated, string?[] ETags);

    private sealed record VariantResult(Measurement Cold, Measurement Cached, Measurement NotModified, long HeapGrowth);
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
