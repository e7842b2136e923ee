using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using ChannelService.Data;
using ChannelService.Tests.Accounts;
using ChannelService.Tests.Deployment;

namespace ChannelService.Tests.Web;

/// <summary>
/// The built service as an operator starts it (<c>dotnet ChannelService.dll …</c>), in real processes: what a start
/// that cannot work prints, and one service per data folder.
/// </summary>
public sealed class ServiceProcessTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    private readonly List<Process> started = [];
    private string folder = null!;

    [SetUp]
    public void SetUp() => folder = TempDirectory.CreatePath();

    [TearDown]
    public void TearDown()
    {
        // Each started service is ended by its id, even when an earlier one fails to end.
        foreach (var process in started)
        {
            try
            {
                if (!process.HasExited)
                {
                    process.Kill(entireProcessTree: true);
                    process.WaitForExit(10_000);
                }
            }
            catch (InvalidOperationException)
            {
            }
            finally
            {
                process.Dispose();
            }
        }

        started.Clear();
        TempDirectory.DeletePath(folder);
    }

    [Test]
    public async Task A_Busy_Port_Is_One_Line_Naming_The_Address_And_Exit_Code_1()
    {
        using var occupant = new TcpListener(IPAddress.Loopback, 0);
        occupant.Start();
        var port = ((IPEndPoint)occupant.LocalEndpoint).Port;

        var (exit, stdout, stderr) = await RunAsync(["--urls", $"http://127.0.0.1:{port}"], port);

        Assert.That(exit, Is.EqualTo(1));
        Assert.That(stderr, Is.EqualTo($"error: cannot listen on http://127.0.0.1:{port}: the address is already in use (is another program or service on that port?)\n"));
        Assert.That(stdout, Does.Not.Contain("Exception").And.Not.Contain("   at "), "no stack trace in the log either");
    }

    [TestCase("Channel__PublicBaseUrl", "ftp://x", "error: invalid setting: Channel:PublicBaseUrl must be an absolute https URL; got 'ftp://x'.")]
    [TestCase("Channel__AllowedSourceNetworks__0", "10.0.0.0/99", "error: invalid setting: Channel:AllowedSourceNetworks:0 '10.0.0.0/99' is not a CIDR range")]
    [TestCase("Channel__PushBatchSize", "500", "error: invalid setting: Channel:PushBatchSize must be 1 to 200")]
    [TestCase("Channel__Sandbox", "maybe", "error: invalid setting: Channel:Sandbox: 'maybe' is not true or false.")]
    [TestCase("Channel__SourceConnectTimeout", "abc", "error: invalid setting: Channel:SourceConnectTimeout: 'abc' is not a duration; write [d.]hh:mm:ss")]
    [TestCase("Channel__PushLinger", "soon", "error: invalid setting: Channel:PushLinger: 'soon' is not a duration")]
    [TestCase("Channel__PushBatchSize", "lots", "error: invalid setting: Channel:PushBatchSize: 'lots' is not a whole number")]
    public async Task An_Invalid_Setting_Is_One_Line_Naming_It_And_Exit_Code_1(string variable, string value, string line)
    {
        var port = ProcessRunner.FreeLoopbackPort();
        var environment = Environment(port);
        environment[variable] = value;

        var (exit, stdout, stderr) = await ProcessRunner.RunAsync("dotnet", [ServiceDll], environment, Deadline);

        Assert.That(exit, Is.EqualTo(1), stderr);
        Assert.That(stderr, Does.StartWith(line).And.EndWith("\n"));
        Assert.That(stderr.TrimEnd('\n'), Does.Not.Contain("\n"), "one line");
        Assert.That(stderr + stdout, Does.Not.Contain("Exception").And.Not.Contain("   at "), "no stack trace");
    }

    [TestCase("Channel__Sandbox", "maybe", "error: invalid setting: Channel:Sandbox: 'maybe' is not true or false.", "zendesk", "status")]
    [TestCase("Channel__ZendeskTimeout", "abc", "error: invalid setting: Channel:ZendeskTimeout: 'abc' is not a duration", "calendars", "list", "--subdomain", "acme")]
    [TestCase("Channel__SourceRequestTimeout", "abc", "error: invalid setting: Channel:SourceRequestTimeout: 'abc' is not a duration", "zendesk", "status")]
    public async Task A_Setting_Of_The_Wrong_Type_Stops_A_Command_That_Reads_Settings_With_One_Line_And_Exit_Code_1(string variable, string value, string line, params string[] args)
    {
        var port = ProcessRunner.FreeLoopbackPort();
        var environment = Environment(port);
        environment[variable] = value;

        var (exit, stdout, stderr) = await ProcessRunner.RunAsync("dotnet", [ServiceDll, .. args], environment, Deadline);

        Assert.That(exit, Is.EqualTo(1), stderr);
        Assert.That(stdout, Is.Empty);
        Assert.That(stderr, Does.StartWith(line).And.EndWith("\n"));
        Assert.That(stderr.TrimEnd('\n'), Does.Not.Contain("\n"), "one line");
        Assert.That(stderr, Does.Not.Contain("Exception").And.Not.Contain("   at "), "no stack trace");
    }

    [TestCase("freshdesk")]
    [TestCase("acounts", "list")]
    [TestCase("--verbose")]
    public async Task An_Unknown_Command_Beside_A_Running_Service_Lists_The_Commands_And_Exits_2(params string[] args)
    {
        // The running service holds the port: a mistaken command that started a second host would fail to bind (exit 1).
        var port = ProcessRunner.FreeLoopbackPort();
        await StartServiceAsync(port);

        var (exit, stdout, stderr) = await RunAsync(args, port);

        Assert.That(exit, Is.EqualTo(2));
        Assert.That(stdout, Is.Empty);
        Assert.That(stderr, Does.StartWith("error: unknown ").And.Contain("\nCommands:\n  metadata ").And.EndWith("Run 'ChannelService --help' for more.\n"));
        Assert.That(stderr, Does.Not.Contain("   at "));
    }

    [Test]
    public async Task Host_Options_Alone_Start_The_Service()
    {
        var port = ProcessRunner.FreeLoopbackPort();

        await StartServiceAsync(port, ["--urls", $"http://127.0.0.1:{port}", "--environment", "Production", $"Channel:DataDirectory={folder}"], urlsFromEnvironment: false);

        Assert.That(File.Exists(Path.Combine(folder, DataDirectoryLock.FileName)), Is.True);
    }

    [Test]
    public async Task A_Second_Service_On_The_Same_Data_Folder_Says_So_And_Exits_1_Until_The_First_Ends()
    {
        var first = await StartServiceAsync(ProcessRunner.FreeLoopbackPort());
        var secondPort = ProcessRunner.FreeLoopbackPort();

        var (exit, _, stderr) = await RunAsync([], secondPort);
        var keys = await RunAsync(["keys", "list"], secondPort);

        Assert.That(exit, Is.EqualTo(1));
        Assert.That(stderr, Is.EqualTo($"error: another ChannelService is already running on the data folder {folder} (one service per data folder)\n"));
        Assert.That(keys.Exit, Is.Zero, "commands run beside the service: " + keys.Stderr);
        Assert.That(keys.Stdout, Does.Contain("current"));

        // SIGKILL: the OS drops the lock with the process, so a crash never blocks the next start.
        first.Kill(entireProcessTree: true);
        await first.WaitForExitAsync();
        await StartServiceAsync(secondPort);
    }

    private Dictionary<string, string> Environment(int port, bool urlsFromEnvironment = true)
    {
        var environment = new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["DOTNET_ENVIRONMENT"] = "Production",
            ["Channel__PublicBaseUrl"] = $"http://127.0.0.1:{port}",
            ["Channel__DataDirectory"] = folder,
            ["DOTNET_NOLOGO"] = "1",
        };
        if (urlsFromEnvironment)
        {
            environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}";
        }

        return environment;
    }

    private Task<(int Exit, string Stdout, string Stderr)> RunAsync(string[] args, int port) =>
        ProcessRunner.RunAsync("dotnet", [ServiceDll, .. args], Environment(port), Deadline);

    private static string ServiceDll => Path.Combine(AppContext.BaseDirectory, "ChannelService.dll");

    /// <summary>Starts the service and waits until /health answers; it is ended by id at tear-down.</summary>
    private async Task<Process> StartServiceAsync(int port, string[]? args = null, bool urlsFromEnvironment = true)
    {
        var start = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = folder };
        start.ArgumentList.Add(ServiceDll);
        foreach (var arg in args ?? [])
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (key, value) in Environment(port, urlsFromEnvironment))
        {
            start.Environment[key] = value;
        }

        if (!urlsFromEnvironment)
        {
            start.Environment.Remove("Channel__DataDirectory");
            start.Environment.Remove("ASPNETCORE_URLS");
        }

        var process = Process.Start(start)!;
        started.Add(process);
        var output = new System.Collections.Concurrent.ConcurrentQueue<string>();
        process.OutputDataReceived += (_, e) => output.Enqueue(e.Data ?? "");
        process.ErrorDataReceived += (_, e) => output.Enqueue(e.Data ?? "");
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow + Deadline;
        while (DateTime.UtcNow < deadline)
        {
            Assert.That(process.HasExited, Is.False, () => "the service exited during start-up:\n" + string.Join('\n', output));
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
            catch (TaskCanceledException)
            {
            }

            await Task.Delay(100);
        }

        Assert.Fail("the service did not become healthy in time:\n" + string.Join('\n', output));
        return process;
    }
}
