using System.Diagnostics;
using System.Text.Json.Nodes;
using ChannelService.Tests.Accounts;
using ChannelService.Tests.Support;
using ChannelService.Tests.ZendeskLink;

namespace ChannelService.Tests.AgentCalendars;

/// <summary><c>calendars list|rotate|revoke</c> through the real executable against a linked fake Zendesk.</summary>
[TestFixture]
[NonParallelizable]
public sealed class CalendarsCommandTests
{
    private string folder = null!;

    [SetUp]
    public void SetUp() => folder = TempDirectory.CreatePath();

    [TearDown]
    public void TearDown()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        TempDirectory.DeletePath(folder);
    }

    [Test]
    public async Task List_Shows_Each_Agents_Feed_Url_And_Rotate_Replaces_It_And_Revoke_Stops_It()
    {
        // Arrange: a linked subdomain with two agents and an end user
        await using var zendesk = new FakeZendeskOAuth();
        zendesk.Users.Add(new JsonObject { ["id"] = 7001, ["email"] = "anna@acme.test", ["name"] = "Anna", ["role"] = "agent" });
        zendesk.Users.Add(new JsonObject { ["id"] = 7002, ["email"] = "bert@acme.test", ["name"] = "Bert", ["role"] = "admin" });
        zendesk.Users.Add(new JsonObject { ["id"] = 9001, ["email"] = "jane@example.com", ["name"] = "Jane", ["role"] = "end-user" });
        var linked = await RunAsync(zendesk, ["zendesk", "link", "--subdomain", "acme", "--client-id", FakeZendeskOAuth.ConfidentialClientId, "--client-secret-stdin"], FakeZendeskOAuth.ConfidentialSecret + "\n");
        Assert.That(linked.Exit, Is.EqualTo(0), linked.Stderr);

        // Act
        var first = await RunAsync(zendesk, ["calendars", "list", "--subdomain", "Acme"]);
        var again = await RunAsync(zendesk, ["calendars", "list", "--subdomain", "acme"]);
        var rotated = await RunAsync(zendesk, ["calendars", "rotate", "--subdomain", "acme", "--agent", "7001"]);
        var afterRotation = await RunAsync(zendesk, ["calendars", "list", "--subdomain", "acme"]);
        var revoked = await RunAsync(zendesk, ["calendars", "revoke", "--subdomain", "acme", "--agent", "7002"]);
        var afterRevocation = await RunAsync(zendesk, ["calendars", "list", "--subdomain", "acme"]);
        var unknown = await RunAsync(zendesk, ["calendars", "revoke", "--subdomain", "acme", "--agent", "5"]);

        // Assert
        Assert.That(first.Exit, Is.EqualTo(0), first.Stderr);
        var lines = first.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('\t')).ToList();
        Assert.That(lines.Select(l => (l[0], l[1])), Is.EqualTo(new[] { ("7001", "anna@acme.test"), ("7002", "bert@acme.test") }));
        Assert.That(lines.Select(l => l[2]), Has.All.Match("^https://channel\\.example\\.com/calendars/[A-Za-z0-9_-]{43}\\.ics$"));
        Assert.That(lines.Select(l => l[3]), Is.EqualTo(lines.Select(l => l[2][..^".ics".Length] + "/tasks.ics")), "the task list's URL beside the feed's");
        Assert.That(again.Stdout, Is.EqualTo(first.Stdout), "the URLs stay the same until rotated");
        Assert.That(rotated.Exit, Is.EqualTo(0), rotated.Stderr);
        var newUrl = rotated.Stdout.Trim();
        Assert.That(newUrl, Does.Match("^https://channel\\.example\\.com/calendars/[A-Za-z0-9_-]{43}\\.ics$").And.Not.EqualTo(lines[0][2]));
        Assert.That(afterRotation.Stdout, Does.Contain("7001\tanna@acme.test\t" + newUrl).And.Contain(lines[1][2]));
        Assert.That((revoked.Exit, revoked.Stdout.Trim()), Is.EqualTo((0, "Revoked the feed of agent 7002 of acme.")));
        Assert.That(afterRevocation.Stdout, Does.Contain("7002\tbert@acme.test\trevoked"));
        Assert.That((unknown.Exit, unknown.Stderr.Trim()), Is.EqualTo((1, "error: agent 5 of acme has no feed")));
    }

    [Test]
    public async Task Connect_Checks_The_Calendar_List_Shows_It_And_Disconnect_Stops_It_Without_Ever_Printing_The_Password()
    {
        // Arrange: a linked subdomain with one agent, and Radicale as the agent's calendar
        await using var zendesk = new FakeZendeskOAuth();
        await using var radicale = await RadicaleServer.StartAsync(new Dictionary<string, string> { ["anna"] = "pw-Z9-never-shown" });
        var calendar = await radicale.CreateCollectionAsync("anna", "Anna's work");
        var tasksOnly = await radicale.CreateCollectionAsync("anna", "Tasks", "VTODO");
        zendesk.Users.Add(new JsonObject { ["id"] = 7001, ["email"] = "anna@acme.test", ["name"] = "Anna", ["role"] = "agent" });
        var linked = await RunAsync(zendesk, ["zendesk", "link", "--subdomain", "acme", "--client-id", FakeZendeskOAuth.ConfidentialClientId, "--client-secret-stdin"], FakeZendeskOAuth.ConfidentialSecret + "\n");
        Assert.That(linked.Exit, Is.EqualTo(0), linked.Stderr);
        const string Password = "pw-Z9-never-shown\n";
        string[] Connect(string url) => ["calendars", "connect", "--subdomain", "acme", "--agent", "7001", "--url", url, "--username", "anna", "--password-stdin"];

        // Act
        var badUrl = await RunAsync(zendesk, Connect("calendar.example.com/anna"), Password);
        var notCalendar = await RunAsync(zendesk, Connect(new Uri(radicale.BaseUrl, "anna/").AbsoluteUri), Password);
        var noEvents = await RunAsync(zendesk, Connect(tasksOnly.AbsoluteUri), Password);
        var loopbackNotAllowed = await RunAsync(zendesk, Connect(calendar.AbsoluteUri), Password, allowLoopback: false);
        var wrongPassword = await RunAsync(zendesk, Connect(calendar.AbsoluteUri), "not-it\n");
        var connected = await RunAsync(zendesk, Connect(calendar.AbsoluteUri), Password);
        var listed = await RunAsync(zendesk, ["calendars", "list", "--subdomain", "acme"]);
        var disconnected = await RunAsync(zendesk, ["calendars", "disconnect", "--subdomain", "acme", "--agent", "7001", "--remove-events"]);
        var again = await RunAsync(zendesk, ["calendars", "disconnect", "--subdomain", "acme", "--agent", "7001"]);
        var afterwards = await RunAsync(zendesk, ["calendars", "list", "--subdomain", "acme"]);

        // Assert: each failure exits 1 with one plain line
        Assert.That((badUrl.Exit, badUrl.Stderr), Is.EqualTo((1, "error: The address is not a valid http, https or webcal URL.\n")));
        Assert.That((notCalendar.Exit, notCalendar.Stderr), Is.EqualTo((1, "error: This URL is not a calendar collection: pick a calendar or task list URL.\n")));
        Assert.That((noEvents.Exit, noEvents.Stderr), Is.EqualTo((1, "error: This calendar takes only VTODO, not events (VEVENT): pick a calendar that holds events.\n")));
        Assert.That((loopbackNotAllowed.Exit, loopbackNotAllowed.Stderr.Count(c => c == '\n')), Is.EqualTo((1, 1)));
        Assert.That(loopbackNotAllowed.Stderr, Does.StartWith("error: That address points back at this server (loopback)"));
        Assert.That((wrongPassword.Exit, wrongPassword.Stderr), Is.EqualTo((1, "error: The server rejected the username or password.\n")));
        Assert.That((connected.Exit, connected.Stdout.Trim()), Is.EqualTo((0, $"Connected agent 7001 of acme to {calendar.AbsoluteUri} (Anna's work).")), connected.Stderr);
        var line = listed.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Single().Split('\t');
        Assert.That((line[0], line[^2], line[^1]), Is.EqualTo(("7001", calendar.AbsoluteUri, "ok, 0 event(s), last write none yet")), "the CalDAV calendar and its state are the last two columns");
        Assert.That((disconnected.Exit, disconnected.Stdout.Trim()), Is.EqualTo((0, "Disconnected agent 7001 of acme; removed 0 event(s) written there.")));
        Assert.That((again.Exit, again.Stderr.Trim()), Is.EqualTo((1, "error: Agent 7001 of acme has no CalDAV calendar connected.")));
        Assert.That(afterwards.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Single(), Does.EndWith("\t-\t-"));
        foreach (var run in new[] { badUrl, notCalendar, noEvents, loopbackNotAllowed, wrongPassword, connected, listed, disconnected, again, afterwards })
        {
            Assert.That(run.Stdout + run.Stderr, Does.Not.Contain("pw-Z9-never-shown"));
        }
    }

    [TestCase(new[] { "calendars", "list" }, "--subdomain is required")]
    [TestCase(new[] { "calendars", "rotate", "--subdomain", "acme" }, "--agent is required")]
    [TestCase(new[] { "calendars", "rotate", "--subdomain", "acme", "--agent", "x" }, "--agent must be a number")]
    [TestCase(new[] { "calendars", "list", "--subdomain", "not a subdomain" }, "--subdomain must be")]
    [TestCase(new[] { "calendars" }, "missing subcommand")]
    [TestCase(new[] { "calendars", "connect", "--subdomain", "acme", "--agent", "1", "--url", "https://dav.example.com/c/", "--username", "u" }, "--password-stdin is required")]
    [TestCase(new[] { "calendars", "connect", "--subdomain", "acme", "--agent", "1", "--url", "https://dav.example.com/c/", "--username", "u", "--password-stdin" }, "standard input holds no password")]
    [TestCase(new[] { "calendars", "connect", "--subdomain", "acme", "--agent", "1", "--username", "u", "--password-stdin" }, "--url is required")]
    [TestCase(new[] { "calendars", "disconnect", "--subdomain", "acme" }, "--agent is required")]
    public async Task Bad_Arguments_Exit_With_2_And_One_Plain_Line(string[] args, string message)
    {
        await using var zendesk = new FakeZendeskOAuth();
        var result = await RunAsync(zendesk, args);
        Assert.That(result.Exit, Is.EqualTo(2), result.Stdout + result.Stderr);
        Assert.That(result.Stderr, Does.StartWith("error: ").And.Contain(message));
    }

    private async Task<(int Exit, string Stdout, string Stderr)> RunAsync(FakeZendeskOAuth zendesk, string[] args, string stdin = "", bool allowLoopback = true)
    {
        var start = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = folder };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "ChannelService.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["Channel__PublicBaseUrl"] = "https://channel.example.com";
        start.Environment["Channel__DataDirectory"] = folder;
        start.Environment["Channel__ZendeskBaseUrl"] = zendesk.BaseUrl;
        if (allowLoopback)
        {
            start.Environment["Channel__AllowedSourceNetworks__0"] = "127.0.0.1/32";
        }
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.StandardInput.WriteAsync(stdin);
        process.StandardInput.Close();
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail("the command did not finish within 90 s");
        }

        return (process.ExitCode, await stdout, await stderr);
    }
}
