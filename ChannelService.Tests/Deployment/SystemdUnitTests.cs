using System.Text.RegularExpressions;
using ChannelService.Configuration;

namespace ChannelService.Tests.Deployment;

/// <summary>deploy/channelservice.service: valid for systemd, unprivileged, hardened, and in step with the service and nginx example.</summary>
public sealed partial class SystemdUnitTests
{
    private static string UnitPath => Path.Combine(TestPaths.RepositoryRoot, "deploy", "channelservice.service");

    private static ILookup<string, string> Settings() =>
        File.ReadAllLines(UnitPath)
            .Select(l => l.Trim())
            .Where(l => l.Length > 0 && !l.StartsWith('#') && !l.StartsWith('[') && l.Contains('=', StringComparison.Ordinal))
            .ToLookup(l => l[..l.IndexOf('=', StringComparison.Ordinal)], l => l[(l.IndexOf('=', StringComparison.Ordinal) + 1)..]);

    private static Dictionary<string, string> Environment() =>
        Settings()["Environment"].ToDictionary(e => e[..e.IndexOf('=', StringComparison.Ordinal)], e => e[(e.IndexOf('=', StringComparison.Ordinal) + 1)..]);

    [Test]
    public async Task Unit_Passes_Systemd_Analyze_Verify_Without_Warnings()
    {
        var (exit, stdout, stderr) = await ProcessRunner.RunAsync("systemd-analyze", ["verify", UnitPath], null, TimeSpan.FromMinutes(1));

        Assert.That(exit, Is.EqualTo(0), stderr);
        Assert.That((stdout + stderr).Trim(), Is.Empty);
    }

    [Test]
    public void Unit_Runs_As_An_Unprivileged_User_With_Hardening()
    {
        var unit = Settings();

        Assert.That(unit["User"].Single(), Is.EqualTo("channelservice"));
        Assert.That(unit["NoNewPrivileges"].Single(), Is.EqualTo("yes"));
        Assert.That(unit["ProtectSystem"].Single(), Is.EqualTo("strict"));
        Assert.That(unit["PrivateTmp"].Single(), Is.EqualTo("yes"));
        Assert.That(unit["CapabilityBoundingSet"].Single(), Is.Empty);

        // The JIT needs W+X memory: MemoryDenyWriteExecute=yes would crash .NET at start.
        Assert.That(unit.Contains("MemoryDenyWriteExecute"), Is.False);
    }

    [Test]
    public void Data_Folder_Is_The_State_Directory_And_The_Only_Writable_Path()
    {
        var unit = Settings();
        var dataDirectory = Environment()["Channel__DataDirectory"];

        Assert.That(dataDirectory, Is.EqualTo("/var/lib/" + unit["StateDirectory"].Single()));
        Assert.That(unit["ReadWritePaths"].Single(), Is.EqualTo(dataDirectory));
    }

    [Test]
    public void Environment_Names_Only_Settings_The_Service_Has()
    {
        var known = typeof(ChannelOptions).GetProperties().Select(p => $"{ChannelOptions.SectionName}__{p.Name}").ToHashSet();

        Assert.That(Environment().Keys.Where(k => k.StartsWith("Channel__", StringComparison.Ordinal)), Is.SubsetOf(known).And.Not.Empty);
        var options = new ChannelOptions { PublicBaseUrl = Environment()["Channel__PublicBaseUrl"], DataDirectory = Environment()["Channel__DataDirectory"] };
        Assert.That(options.Validate(isDevelopment: false), Is.Empty);
    }

    [Test]
    public void Service_Listens_On_Loopback_Where_The_Nginx_Example_Forwards()
    {
        var urls = new Uri(Environment()["ASPNETCORE_URLS"]);
        var nginx = File.ReadAllText(Path.Combine(TestPaths.RepositoryRoot, "deploy", "nginx.conf.example"));

        Assert.That(urls.IsLoopback, Is.True);
        Assert.That(ProxyPass().Match(nginx).Groups[1].Value, Is.EqualTo(urls.GetLeftPart(UriPartial.Authority)));
    }

    [Test]
    public void Unit_Starts_The_Published_Dll_From_Its_Working_Directory()
    {
        var unit = Settings();

        Assert.That(unit["ExecStart"].Single(), Is.EqualTo($"/usr/bin/dotnet {unit["WorkingDirectory"].Single()}/ChannelService.dll"));
    }

    [GeneratedRegex(@"proxy_pass (http://[^;/]+);")]
    private static partial Regex ProxyPass();
}
