using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using ChannelService.Cli;
using ChannelService.Tests.Deployment;
using ChannelService.Tests.Inbox;
using Microsoft.Extensions.Configuration;

namespace ChannelService.Tests.Zendesk;

/// <summary>
/// The real service as a child process (<c>dotnet ChannelService.dll</c>), killed with SIGKILL while it is pushing
/// and started again: every accepted message reaches Zendesk exactly once, in order per thread.
/// </summary>
public sealed class CrashRecoveryTests
{
    private readonly List<Process> started = [];
    private string dataDirectory = null!;

    [SetUp]
    public void SetUp() => dataDirectory = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "channelservice-crash-" + Guid.NewGuid().ToString("N"))).FullName;

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

        Directory.Delete(dataDirectory, recursive: true);
    }

    [Test]
    public async Task A_Kill_During_Delivery_And_A_Restart_Still_Deliver_Every_Message_Once_In_Order()
    {
        await using var zendesk = new FakeZendesk("crash-token") { Delay = TimeSpan.FromMilliseconds(300) };
        var (accountId, secret) = await CreateAccountAsync();
        var port = ProcessRunner.FreeLoopbackPort();
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };

        var first = await StartServiceAsync(port, zendesk.BaseUrl, http);
        const int Threads = 10;
        const int PerThread = 30;
        var posted = await Task.WhenAll(Enumerable.Range(0, Threads).Select(async t =>
        {
            var ids = new List<string>();
            for (var m = 0; m < PerThread; m++)
            {
                using var response = await http.SendAsync(InboxTestClient.Signed(accountId, secret, InboxTestClient.Message($"t{t}-m{m}", $"thread-{t}").ToJsonString()));
                Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Accepted));
                ids.Add(JsonNode.Parse(await response.Content.ReadAsStringAsync())!["external_id"]!.GetValue<string>());
            }

            return ids;
        }));

        // Mid-delivery: some calls answered, most of the work still queued.
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (zendesk.Calls.Count < 3 && DateTime.UtcNow < deadline)
        {
            zendesk.ThrowIfFaulted();
            await Task.Delay(20);
        }

        first.Kill(entireProcessTree: true); // SIGKILL: no graceful shutdown, no flush.
        await first.WaitForExitAsync();
        var importedBeforeKill = zendesk.ImportOrder.Count;
        Assert.That(importedBeforeKill, Is.LessThan(Threads * PerThread), "the kill happened while delivery was under way");

        await StartServiceAsync(port, zendesk.BaseUrl, http);
        Assert.That(await zendesk.WaitForImportsAsync(Threads * PerThread, TimeSpan.FromSeconds(40)), Is.True, $"imported {zendesk.ImportOrder.Count}");

        var threads = zendesk.Threads;
        Assert.Multiple(() =>
        {
            Assert.That(zendesk.ImportOrder, Has.Count.EqualTo(Threads * PerThread).And.Unique);
            Assert.That(zendesk.SchemaErrors, Is.Empty);
            foreach (var ids in posted)
            {
                Assert.That(threads.Values.Single(v => v.Contains(ids[0])), Is.EqualTo(ids));
            }
        });
    }

    private async Task<(string AccountId, string Secret)> CreateAccountAsync()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Channel:DataDirectory"] = dataDirectory }).Build();
        using var stdin = new StringReader("crash-token\n");
        await using var stdout = new StringWriter();
        await using var stderr = new StringWriter { NewLine = "\n" };
        var exit = await CommandLine.RunAsync(
            ["metadata", "new", "--kind", "inbox", "--callback-url", "https://hooks.example.net/replies", "--subdomain", "acme", "--push-id", "push-1", "--push-token-stdin"],
            configuration,
            stdin,
            stdout,
            stderr);
        Assert.That(exit, Is.EqualTo(0), stderr.ToString());
        var lines = stderr.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var accountId = lines[0].Split(' ')[2].TrimEnd(':');
        return (accountId, lines.Single(l => l.StartsWith("isk_", StringComparison.Ordinal)));
    }

    private async Task<Process> StartServiceAsync(int port, string zendeskBaseUrl, HttpClient http)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = dataDirectory,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "ChannelService.dll"));
        start.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}";
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["Channel__PublicBaseUrl"] = $"http://127.0.0.1:{port}";
        start.Environment["Channel__DataDirectory"] = dataDirectory;
        start.Environment["Channel__PushClientId"] = "channelservice-tests";
        start.Environment["Channel__ZendeskBaseUrl"] = zendeskBaseUrl;
        start.Environment["Channel__PushBatchSize"] = "25";
        start.Environment["Channel__PushLinger"] = "00:00:00.100";
        var process = Process.Start(start)!;
        started.Add(process);

        // Drained so a full pipe never blocks the service.
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            Assert.That(process.HasExited, Is.False, "the service exited during start-up");
            try
            {
                using var health = await http.GetAsync("/health");
                if (health.StatusCode == HttpStatusCode.OK)
                {
                    return process;
                }
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(100);
        }

        Assert.Fail("the service did not become healthy within 30 s");
        return process;
    }
}
