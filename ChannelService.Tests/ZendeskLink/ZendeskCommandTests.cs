using System.Diagnostics;
using ChannelService.Tests.Accounts;

namespace ChannelService.Tests.ZendeskLink;

/// <summary>
/// <c>zendesk link|status|unlink</c> through the real executable (a separate process, the secret on standard input)
/// against <see cref="FakeZendeskOAuth"/>: exit codes 0/1/2, plain messages, and never a token or secret in the output.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class ZendeskCommandTests
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
    public async Task Link_Status_And_Unlink_Run_As_Commands_And_Never_Print_A_Token()
    {
        await using var zendesk = new FakeZendeskOAuth();

        // A wrong secret: Zendesk refuses, nothing is linked.
        var refused = await RunAsync(zendesk, ["zendesk", "link", "--subdomain", "acme", "--client-id", FakeZendeskOAuth.ConfidentialClientId, "--client-secret-stdin"], "not-the-secret\n");
        Assert.That(refused.Exit, Is.EqualTo(1), refused.Stderr);
        Assert.That(refused.Stderr, Does.Contain("Zendesk refused the OAuth client (HTTP 401").And.Contain("Nothing was linked"));

        var linked = await RunAsync(zendesk, ["zendesk", "link", "--subdomain", "Acme", "--client-id", FakeZendeskOAuth.ConfidentialClientId, "--client-secret-stdin"], FakeZendeskOAuth.ConfidentialSecret + "\n");
        Assert.That(linked.Exit, Is.EqualTo(0), linked.Stderr);
        Assert.That(linked.Stdout, Does.StartWith("Linked acme (client_credentials)"));
        var grant = zendesk.TokenRequests.Last();
        Assert.That(((string?)grant["grant_type"], (string?)grant["client_id"], (string?)grant["scope"]), Is.EqualTo(("client_credentials", FakeZendeskOAuth.ConfidentialClientId, "read tickets:write users:write webhooks:write triggers:write")));

        var status = await RunAsync(zendesk, ["zendesk", "status"]);
        Assert.That(status.Exit, Is.EqualTo(0), status.Stderr);
        var line = status.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Single(l => l.StartsWith("acme", StringComparison.Ordinal));
        Assert.That(line, Does.Contain("linked").And.Contain("client_credentials").And.Contain("UTC"));

        var token = zendesk.IssuedAccessTokens.Single();
        Assert.That(zendesk.IsValid(token), Is.True);
        var unlinked = await RunAsync(zendesk, ["zendesk", "unlink", "--subdomain", "acme"]);
        Assert.That(unlinked.Exit, Is.EqualTo(0), unlinked.Stderr);
        Assert.That(zendesk.IsValid(token), Is.False, "unlink revoked the token at Zendesk");

        var again = await RunAsync(zendesk, ["zendesk", "unlink", "--subdomain", "acme"]);
        var empty = await RunAsync(zendesk, ["zendesk", "status"]);
        Assert.Multiple(() =>
        {
            Assert.That((again.Exit, again.Stderr.Trim()), Is.EqualTo((1, "error: acme is not linked")));
            Assert.That(empty.Stdout.Trim(), Is.EqualTo("No Zendesk links."));
            var everything = string.Concat(new[] { refused, linked, status, unlinked, again, empty }.Select(r => r.Stdout + r.Stderr));
            Assert.That(everything, Does.Not.Contain(token).And.Not.Contain(FakeZendeskOAuth.ConfidentialSecret).And.Not.Contain("not-the-secret"));
        });
    }

    [TestCase(new[] { "zendesk", "link", "--subdomain", "acme", "--client-id", "x" }, "--client-secret-stdin is required")]
    [TestCase(new[] { "zendesk", "link", "--subdomain", "not a subdomain", "--client-id", "x", "--client-secret-stdin" }, "--subdomain must be")]
    [TestCase(new[] { "zendesk", "unlink" }, "--subdomain is required")]
    [TestCase(new[] { "zendesk" }, "missing subcommand")]
    public async Task Bad_Arguments_Exit_With_2_And_One_Plain_Line(string[] args, string message)
    {
        await using var zendesk = new FakeZendeskOAuth();
        var result = await RunAsync(zendesk, args, "secret\n");
        Assert.That(result.Exit, Is.EqualTo(2), result.Stdout + result.Stderr);
        Assert.That(result.Stderr, Does.StartWith("error: ").And.Contain(message));
        Assert.That(zendesk.TokenRequests, Is.Empty);
    }

    [Test]
    public async Task Help_Describes_The_Commands()
    {
        await using var zendesk = new FakeZendeskOAuth();
        var help = await RunAsync(zendesk, ["zendesk", "link", "--help"]);
        Assert.That(help.Exit, Is.EqualTo(0));
        Assert.That(help.Stdout, Does.Contain("Usage: ChannelService zendesk link --subdomain S --client-id ID --client-secret-stdin").And.Contain("standard input"));
    }

    private async Task<(int Exit, string Stdout, string Stderr)> RunAsync(FakeZendeskOAuth zendesk, string[] args, string stdin = "")
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
