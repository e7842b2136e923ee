using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using ChannelService.Cli;
using ChannelService.Tests.Deployment;
using ChannelService.Tests.Inbox;
using ChannelService.Tests.Support;
using Microsoft.Extensions.Configuration;

namespace ChannelService.Tests.Scale;

/// <summary>
/// Two real service processes (<c>dotnet ChannelService.dll</c>), each with its own data folder and port, on one
/// PostgreSQL database and one key file (README, "Scale-out"), as a load balancer would use them: pulls alternate,
/// arrive at both at once, and an instance is killed with SIGKILL mid-pull and mid-push.
/// </summary>
[NonParallelizable]
public sealed class TwoInstanceScenarioTests
{
    private readonly List<Process> started = [];
    private string folder = null!;
    private string connectionString = null!;

    private string KeyFile => Path.Combine(folder, "keyring", "keys.json");

    [SetUp]
    public async Task SetUp()
    {
        folder = Directory.CreateTempSubdirectory("channelservice-two-").FullName;
        Directory.CreateDirectory(Path.Combine(folder, "keyring"));
        connectionString = await (await PostgresServer.SharedAsync()).CreateDatabaseAsync();
    }

    [TearDown]
    public void TearDown()
    {
        foreach (var process in started)
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(10_000);
            }

            process.Dispose();
        }

        // NUnit keeps one fixture object for every test of the class.
        started.Clear();
        Directory.Delete(folder, recursive: true);
    }

    [Test]
    public async Task Two_Instances_Started_Together_On_An_Empty_Database_Both_Serve()
    {
        var (a, b) = (Instance("a"), Instance("b"));
        await Task.WhenAll(StartAsync(a), StartAsync(b));

        foreach (var instance in new[] { a, b })
        {
            using var health = await instance.Http.GetAsync("/health");
            var body = JsonNode.Parse(await health.Content.ReadAsStringAsync())!;
            Assert.That((health.StatusCode, (string?)body["database_kind"]), Is.EqualTo((HttpStatusCode.OK, (string?)"postgresql")));
        }
    }

    [Test]
    public async Task The_Dashboard_Of_Either_Instance_Lists_Both_And_The_Pull_Notes_Which_One_Answered()
    {
        await using var feed = await FeedServer.StartAsync();
        feed.Body = Calendar([Todo("t1", "Only task")]);
        var (a, b) = (Instance("a"), Instance("b"));
        await Task.WhenAll(StartAsync(a), StartAsync(b));
        var metadata = await MintAsync("metadata", "new", "--kind", "ics", "--url", feed.Url, "--name", "Team");
        Assert.That((await PullAsync(b, metadata, null)).Status, Is.EqualTo(HttpStatusCode.OK));

        using var request = new HttpRequestMessage(HttpMethod.Get, "/dashboard");
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Basic", Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes("ops:dash-pass")));
        using var response = await a.Http.SendAsync(request);
        var page = new AngleSharp.Html.Parser.HtmlParser().ParseDocument(await response.Content.ReadAsStringAsync());

        var instances = page.QuerySelectorAll("#instances tbody tr").Select(r => r.Children[0].TextContent.Trim()).ToList();
        Assert.That(instances, Is.EqualTo(new[] { "instance-a (this one)", "instance-b" }));

        // A feed account minted on the command line is not registered (the dashboard lists registered ones): the row behind its "Pulled by".
        await using var connection = new Npgsql.NpgsqlConnection(connectionString);
        var pulledBy = await Dapper.SqlMapper.ExecuteScalarAsync<string>(connection, "SELECT last_pull_instance FROM pull_accounts");
        Assert.That(pulledBy, Is.EqualTo("instance-b"));
    }

    [Test]
    public async Task Pulls_Alternating_Between_Instances_With_A_Third_Of_The_Answers_Lost_Deliver_Every_Item_Once()
    {
        await using var feed = await FeedServer.StartAsync();
        const int Tasks = 450;
        feed.Body = Calendar(Enumerable.Range(0, Tasks).Select(i => Todo($"t{i}", $"Task {i}")));
        var (a, b) = (Instance("a"), Instance("b"));
        await Task.WhenAll(StartAsync(a), StartAsync(b));
        var metadata = await MintAsync("metadata", "new", "--kind", "ics", "--url", feed.Url, "--name", "Team");
        var zendesk = new Support.FakeZendesk();
        var random = new Random(20);

        var pulls = 0;
        for (var i = 0; i < 60 && zendesk.Tickets.Count < Tasks; i++)
        {
            var (status, body) = await PullAsync(i % 2 == 0 ? a : b, metadata, zendesk.State);
            Assert.That(status, Is.EqualTo(HttpStatusCode.OK), body?.ToJsonString());
            pulls++;
            if (random.Next(3) == 0)
            {
                continue; // lost on the way back: Zendesk keeps its state and pulls again, maybe through the other instance
            }

            zendesk.Apply(body!);
        }

        // One more answered pull through each: nothing new, nothing again.
        foreach (var instance in new[] { a, b })
        {
            var (_, last) = await PullAsync(instance, metadata, zendesk.State);
            zendesk.Apply(last!);
            Assert.That(last!["external_resources"]!.AsArray(), Is.Empty);
        }

        Assert.Multiple(() =>
        {
            Assert.That(zendesk.Tickets, Has.Count.EqualTo(Tasks), $"after {pulls} pulls");
            Assert.That(zendesk.Duplicates, Is.Zero, "no item Zendesk already had came again");
        });
    }

    [Test]
    public async Task The_Same_Pull_Sent_To_Both_Instances_At_Once_Is_Answered_Without_A_Mixed_State()
    {
        await using var feed = await FeedServer.StartAsync();
        feed.Body = Calendar(Enumerable.Range(0, 150).Select(i => Todo($"t{i}", $"Task {i}")));
        var (a, b) = (Instance("a"), Instance("b"));
        await Task.WhenAll(StartAsync(a), StartAsync(b));
        var metadata = await MintAsync("metadata", "new", "--kind", "ics", "--url", feed.Url, "--name", "Team");
        var zendesk = new Support.FakeZendesk();

        var finished = 0;
        var answers = await Task.WhenAll(new[] { a, b }.Select(async instance =>
        {
            var (status, body) = await PullAsync(instance, metadata, null);
            return (Status: status, Body: body, Order: Interlocked.Increment(ref finished));
        }));

        // Each answer is whole: it carries every task, or (busy) none and the retryable status.
        foreach (var (status, body, _) in answers)
        {
            Assert.That(status, Is.EqualTo(HttpStatusCode.OK).Or.EqualTo(HttpStatusCode.ServiceUnavailable), body?.ToJsonString());
            if (status == HttpStatusCode.OK)
            {
                Assert.That(body!["external_resources"]!.AsArray(), Has.Count.EqualTo(150));
            }
        }

        // Zendesk keeps the state of the answer that came last; the next pulls through either instance complete it, nothing twice.
        zendesk.Apply(answers.Where(x => x.Status == HttpStatusCode.OK).MaxBy(x => x.Order).Body!);
        for (var i = 0; i < 4; i++)
        {
            var (_, body) = await PullAsync(i % 2 == 0 ? b : a, metadata, zendesk.State);
            zendesk.Apply(body!);
        }

        Assert.That((zendesk.Tickets.Count, zendesk.Duplicates), Is.EqualTo((150, 0)));
    }

    [Test]
    public async Task An_Instance_Killed_During_A_Pull_Leaves_The_Account_To_The_Other()
    {
        await using var feed = await FeedServer.StartAsync();
        feed.Body = Calendar(Enumerable.Range(0, 40).Select(i => Todo($"t{i}", $"Task {i}")));
        var (a, b) = (Instance("a"), Instance("b"));
        await Task.WhenAll(StartAsync(a), StartAsync(b));
        var metadata = await MintAsync("metadata", "new", "--kind", "ics", "--url", feed.Url, "--name", "Team");
        var zendesk = new Support.FakeZendesk();

        // A holds the account's pull lock while the source hangs; then it dies without a word.
        var hold = new TaskCompletionSource();
        feed.HoldUntil = hold.Task;
        var dying = PullAsync(a, metadata, null);
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (feed.Requests == 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        a.Process.Kill(entireProcessTree: true);
        await a.Process.WaitForExitAsync();
        hold.SetResult();
        feed.HoldUntil = null;
        Assert.ThrowsAsync<HttpRequestException>(async () => await dying);

        for (var i = 0; i < 3; i++)
        {
            var (status, body) = await PullAsync(b, metadata, zendesk.State);
            Assert.That(status, Is.EqualTo(HttpStatusCode.OK), body?.ToJsonString());
            zendesk.Apply(body!);
        }

        Assert.That((zendesk.Tickets.Count, zendesk.Duplicates), Is.EqualTo((40, 0)));
    }

    [Test]
    public async Task Push_Delivery_Continues_On_The_Other_Instance_After_A_Kill_Every_Message_Once_In_Order()
    {
        await using var zendesk = new ChannelService.Tests.Zendesk.FakeZendesk("two-token") { Delay = TimeSpan.FromMilliseconds(800) };
        var created = await MintWithErrorsAsync(
            "two-token\n",
            "metadata", "new", "--kind", "inbox", "--callback-url", "https://hooks.example.net/replies", "--subdomain", "acme", "--push-id", "push-1", "--push-token-stdin");
        var lines = created.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var accountId = lines[0].Split(' ')[2].TrimEnd(':');
        var secret = lines.Single(l => l.StartsWith("isk_", StringComparison.Ordinal));
        var (a, b) = (Instance("a", zendesk.BaseUrl), Instance("b", zendesk.BaseUrl));
        await StartAsync(a);

        const int Threads = 6;
        const int PerThread = 20;
        var posted = await Task.WhenAll(Enumerable.Range(0, Threads).Select(async t =>
        {
            var ids = new List<string>();
            for (var m = 0; m < PerThread; m++)
            {
                using var response = await a.Http.SendAsync(InboxTestClient.Signed(accountId, secret, InboxTestClient.Message($"t{t}-m{m}", $"thread-{t}").ToJsonString()));
                Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Accepted));
                ids.Add(JsonNode.Parse(await response.Content.ReadAsStringAsync())!["external_id"]!.GetValue<string>());
            }

            return ids;
        }));

        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (zendesk.Calls.Count < 2 && DateTime.UtcNow < deadline)
        {
            zendesk.ThrowIfFaulted();
            await Task.Delay(20);
        }

        // A is delivering (it holds the account's claim) when B starts; then A dies, and B's next pass takes the account over.
        await StartAsync(b);
        var importedBeforeKill = zendesk.ImportOrder.Count;
        a.Process.Kill(entireProcessTree: true);
        await a.Process.WaitForExitAsync();
        Assert.That(importedBeforeKill, Is.LessThan(Threads * PerThread), "the kill came while delivery was under way");
        Assert.That(await zendesk.WaitForImportsAsync(Threads * PerThread, TimeSpan.FromSeconds(60)), Is.True, $"imported {zendesk.ImportOrder.Count}");

        var threads = zendesk.Threads;
        Assert.Multiple(() =>
        {
            Assert.That(zendesk.ImportOrder, Has.Count.EqualTo(Threads * PerThread).And.Unique);
            foreach (var ids in posted)
            {
                Assert.That(threads.Values.Single(v => v.Contains(ids[0])), Is.EqualTo(ids));
            }
        });
    }

    [Test]
    public async Task A_Key_Rotated_Through_One_Instance_Seals_Metadata_The_Other_Decrypts()
    {
        await using var feed = await FeedServer.StartAsync();
        feed.Body = Calendar([Todo("t1", "Only task")]);
        var (a, b) = (Instance("a"), Instance("b"));
        await Task.WhenAll(StartAsync(a), StartAsync(b));
        var before = await MintAsync("metadata", "new", "--kind", "ics", "--url", feed.Url, "--name", "Before");

        // `keys rotate` on the shared key file (as an operator on instance b's machine would), then metadata minted with the new key.
        await MintAsync("keys", "rotate");
        var after = await MintAsync("metadata", "new", "--kind", "ics", "--url", feed.Url, "--name", "After");
        Assert.That(after, Is.Not.EqualTo(before));

        // A running instance reads the key file again when it meets a key id it does not hold, at most every 10 s.
        foreach (var instance in new[] { a, b })
        {
            foreach (var metadata in new[] { before, after })
            {
                var deadline = DateTime.UtcNow.AddSeconds(25);
                var (status, body) = await PullAsync(instance, metadata, null);
                while (status == HttpStatusCode.Unauthorized && DateTime.UtcNow < deadline)
                {
                    await System.Threading.Tasks.Task.Delay(500);
                    (status, body) = await PullAsync(instance, metadata, null);
                }

                Assert.That(status, Is.EqualTo(HttpStatusCode.OK), $"{instance.Name}: {body?.ToJsonString()}");
            }
        }
    }

    private sealed record ServiceInstance(string Name, int Port, HttpClient Http, Dictionary<string, string> Environment)
    {
        public Process Process { get; set; } = null!;
    }

    private ServiceInstance Instance(string name, string? zendeskBaseUrl = null)
    {
        var port = ProcessRunner.FreeLoopbackPort();
        var data = Directory.CreateDirectory(Path.Combine(folder, name)).FullName;
        var environment = new Dictionary<string, string>
        {
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}",
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["Channel__PublicBaseUrl"] = $"http://127.0.0.1:{port}",
            ["Channel__DataDirectory"] = data,
            ["Channel__Database"] = connectionString,
            ["Channel__KeyFile"] = KeyFile,
            ["Channel__AllowPrivateNetworkSources"] = "true",
            ["Channel__InstanceName"] = "instance-" + name,
            ["Channel__DashboardUser"] = "ops",
            ["Channel__DashboardPassword"] = "dash-pass",
        };
        if (zendeskBaseUrl is not null)
        {
            environment["Channel__PushClientId"] = "channelservice-tests";
            environment["Channel__ZendeskBaseUrl"] = zendeskBaseUrl;
            environment["Channel__PushBatchSize"] = "10";
            environment["Channel__PushLinger"] = "00:00:00.100";
        }

        return new ServiceInstance(name, port, new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(60) }, environment);
    }

    private async Task StartAsync(ServiceInstance instance)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = folder,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "ChannelService.dll"));
        foreach (var (key, value) in instance.Environment)
        {
            start.Environment[key] = value;
        }

        var process = Process.Start(start)!;
        lock (started)
        {
            started.Add(process);
        }

        instance.Process = process;
        var errors = new System.Text.StringBuilder();
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, e) =>
        {
            lock (errors)
            {
                errors.AppendLine(e.Data);
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            Assert.That(process.HasExited, Is.False, () => $"{instance.Name} exited during start-up: {errors}");
            try
            {
                using var health = await instance.Http.GetAsync("/health");
                if (health.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(100);
        }

        Assert.Fail($"{instance.Name} did not become healthy within 60 s");
    }

    private static async Task<(HttpStatusCode Status, JsonNode? Body)> PullAsync(ServiceInstance instance, string metadata, string? state)
    {
        var form = new Dictionary<string, string> { ["metadata"] = metadata };
        if (state is not null)
        {
            form["state"] = state;
        }

        using var response = await instance.Http.PostAsync("/pull", new FormUrlEncodedContent(form));
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length > 0 ? JsonNode.Parse(text) : null);
    }

    /// <summary>Runs a command as the operator would, with the instances' database and key file; its standard output.</summary>
    private async Task<string> MintAsync(params string[] args)
    {
        var (exit, stdout, stderr) = await RunCliAsync("", args);
        Assert.That(exit, Is.EqualTo(0), stderr);
        return stdout.Trim();
    }

    private async Task<string> MintWithErrorsAsync(string stdin, params string[] args)
    {
        var (exit, _, stderr) = await RunCliAsync(stdin, args);
        Assert.That(exit, Is.EqualTo(0), stderr);
        return stderr;
    }

    private async Task<(int Exit, string Stdout, string Stderr)> RunCliAsync(string stdin, string[] args)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Channel:DataDirectory"] = Path.Combine(folder, "cli"),
            ["Channel:Database"] = connectionString,
            ["Channel:KeyFile"] = KeyFile,
            ["Channel:AllowPrivateNetworkSources"] = "true",
        }).Build();
        using var input = new StringReader(stdin);
        await using var stdout = new StringWriter();
        await using var stderr = new StringWriter { NewLine = "\n" };
        var exit = await CommandLine.RunAsync(args, configuration, input, stdout, stderr);
        return (exit, stdout.ToString(), stderr.ToString());
    }

    private static string Calendar(IEnumerable<string> components) =>
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n" + string.Concat(components) + "END:VCALENDAR\r\n";

    private static string Todo(string uid, string summary) =>
        $"BEGIN:VTODO\r\nUID:{uid}\r\nDTSTAMP:20261101T000000Z\r\nSUMMARY:{summary}\r\nDUE:20291125T170000Z\r\nSTATUS:NEEDS-ACTION\r\nEND:VTODO\r\n";
}
