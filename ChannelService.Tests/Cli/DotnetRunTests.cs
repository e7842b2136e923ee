using System.Diagnostics;
using System.Text.Json.Nodes;
using ChannelService.Tests.Accounts;
using ChannelService.Tests.Deployment;

namespace ChannelService.Tests.Cli;

/// <summary>
/// The README's commands from a clone, <c>dotnet run -v q --project ChannelService -- …</c>, with their output
/// captured the way a script does (<c>META=$(…)</c>, <c>… | jq</c>), run from a folder of the caller's.
/// </summary>
public sealed class DotnetRunTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromMinutes(3);

    private string caller = null!;

    [SetUp]
    public void SetUp() => caller = TempDirectory.CreatePath();

    [TearDown]
    public void TearDown() => TempDirectory.DeletePath(caller);

    [Test]
    public async Task Output_Is_Only_The_Commands_And_Relative_Paths_Mean_The_Callers_Folder()
    {
        await File.WriteAllTextAsync(Path.Combine(caller, "team.ics"), "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VTODO\r\nUID:t1\r\nSUMMARY:Renew the certificate\r\nEND:VTODO\r\nEND:VCALENDAR\r\n");

        var created = await DotnetRunAsync("metadata", "new", "--kind", "ics", "--url", "https://example.org/team.ics");
        var shown = await DotnetRunAsync("metadata", "show", created.Stdout.TrimEnd('\n'));
        var preview = await DotnetRunAsync("preview", "--kind", "ics", "--url", "./team.ics", "--now", "2026-11-22T08:00:00Z");
        var missing = await DotnetRunAsync("preview", "--kind", "ics", "--url", "./missing.ics");

        Assert.Multiple(() =>
        {
            Assert.That(created.Exit, Is.Zero, created.Stderr);
            Assert.That(created.Stdout, Does.Match(@"^v1\.[\w.-]+\n$"), "the metadata alone, nothing of dotnet's");
            Assert.That(File.Exists(Path.Combine(caller, "data", "keys.json")), Is.True, "./data is the caller's folder");
            Assert.That(shown.Exit, Is.Zero, shown.Stderr);
            Assert.That(JsonNode.Parse(shown.Stdout)!["url"]!.GetValue<string>(), Is.EqualTo("https://example.org/team.ics"));
            Assert.That(preview.Exit, Is.Zero, preview.Stderr);
            Assert.That(JsonNode.Parse(preview.Stdout)!["external_resources"]!.AsArray().Select(r => (string)r!["fields"]![0]!["value"]!), Is.EqualTo(new[] { "Renew the certificate" }));
            Assert.That(missing.Exit, Is.EqualTo(2));
            Assert.That(missing.Stdout, Is.Empty);
            Assert.That(missing.Stderr, Is.EqualTo("error: file not found: ./missing.ics\n"));
        });
    }

    /// <summary><c>dotnet run -v q --no-build</c> of the configuration these tests were built in, from <see cref="caller"/>.</summary>
    private async Task<(int Exit, string Stdout, string Stderr)> DotnetRunAsync(params string[] args)
    {
        var configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = caller, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { "run", "-v", "q", "--no-build", "-c", configuration, "--project", Path.Combine(TestPaths.RepositoryRoot, "ChannelService"), "--" }.Concat(args))
        {
            start.ArgumentList.Add(arg);
        }

        // As from a shell: nothing of the test run's own MSBuild and host settings.
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase) || k == "DOTNET_HOST_PATH" || k.StartsWith("ASPNETCORE_", StringComparison.Ordinal) || k.StartsWith("Channel__", StringComparison.Ordinal)).ToList())
        {
            start.Environment.Remove(key);
        }

        start.Environment["DOTNET_NOLOGO"] = "1";
        var (exit, stdout, stderr) = await ProcessRunner.RunAsync(start, Deadline);
        return (exit, stdout.ReplaceLineEndings("\n"), stderr.ReplaceLineEndings("\n"));
    }
}
