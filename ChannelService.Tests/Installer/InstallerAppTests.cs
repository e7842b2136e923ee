using System.Net;
using System.Text.Json.Nodes;
using ChannelService.Cli;
using ChannelService.Tests.Support;
using Microsoft.Extensions.Configuration;

namespace ChannelService.Tests.Installer;

public sealed class InstallerAppTests
{
    private static readonly string[] ExpectedFiles =
    [
        "assets/logo-small.png", "assets/logo.png", "manifest.json", "requirements.json",
        "translations/de.json", "translations/en.json", "translations/es.json",
    ];

    internal static async Task<byte[]> Download(string baseUrl)
    {
        using var factory = new ServiceFactory(new Dictionary<string, string?> { ["Channel:PublicBaseUrl"] = baseUrl });
        using var client = factory.CreateClient();
        using var response = await client.GetAsync("/installer-app.zip");
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/zip"));
        Assert.That(response.Content.Headers.ContentDisposition?.FileName, Is.EqualTo("installer-app.zip"));
        return await response.Content.ReadAsByteArrayAsync();
    }

    private static JsonNode Json(IReadOnlyList<AppPackageEntry> entries, string path) =>
        JsonNode.Parse(entries.Single(e => e.Path == path).Content)!;

    private static async Task<(int Exit, string Stdout, string Stderr)> RunCli(Dictionary<string, string?> settings, params string[] args)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var exit = await CommandLine.RunAsync(["installer-app", .. args], configuration, TextReader.Null, stdout, stderr);
        return (exit, stdout.ToString(), stderr.ToString());
    }

    [Test]
    public async Task Downloaded_Installer_App_Passes_Zendesks_App_Validation()
    {
        var zip = await Download("https://channel.example.com");

        Assert.That(ZendeskAppValidator.Validate(zip), Is.Empty);
    }

    [Test]
    public async Task Package_Holds_The_App_Files_At_The_Zip_Root_Without_Ignored_Files()
    {
        var entries = ZendeskAppValidator.ReadZip(await Download("https://channel.example.com"));

        // No folder prefix, no tools/ or README.md (.zcliignore), no dotfiles, no directory entries.
        Assert.That(entries.Select(e => e.Path), Is.EqualTo(ExpectedFiles));
        Assert.That(entries.Select(e => (e.ExternalAttributes >> 16) & 0xF000), Has.All.EqualTo(0x8000), "every entry is a regular file");
    }

    [TestCase("https://channel.example.com", "https://channel.example.com/manifest.json")]
    [TestCase("https://channel.example.com/zd/", "https://channel.example.com/zd/manifest.json")]
    public async Task Requirement_Points_At_The_Services_Own_Manifest(string baseUrl, string manifestUrl)
    {
        var entries = ZendeskAppValidator.ReadZip(await Download(baseUrl));

        var integrations = Json(entries, "requirements.json")["channel_integrations"]!.AsObject();
        Assert.That(integrations, Has.Count.EqualTo(1));
        Assert.That((string)integrations.Single().Value!["manifest_url"]!, Is.EqualTo(manifestUrl));
        Assert.That((string)Json(entries, "manifest.json")["author"]!["url"]!, Is.EqualTo(manifestUrl.Replace("manifest.json", "about", StringComparison.Ordinal)));
        Assert.That((string)Json(entries, "manifest.json")["version"]!, Is.EqualTo(typeof(Program).Assembly.GetName().Version!.ToString(3)));
    }

    [Test]
    public async Task Manifest_Url_In_The_Package_Is_Served_By_The_Service()
    {
        using var factory = new ServiceFactory(new Dictionary<string, string?> { ["Channel:PublicBaseUrl"] = "https://channel.example.com" });
        using var client = factory.CreateClient();
        var entries = ZendeskAppValidator.ReadZip(await client.GetByteArrayAsync("/installer-app.zip"));
        var manifestUrl = new Uri((string)Json(entries, "requirements.json")["channel_integrations"]!.AsObject().Single().Value!["manifest_url"]!);

        using var response = await client.GetAsync(manifestUrl.PathAndQuery);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        ZendeskSchemas.AssertValid("manifest.json", await response.Content.ReadAsStringAsync());
    }

    [Test]
    public async Task Loopback_Http_Manifest_Url_Passes_Only_For_A_Loopback_Service()
    {
        var zip = await Download("http://127.0.0.1:5080");

        Assert.That(ZendeskAppValidator.Validate(zip, allowLoopbackHttp: true), Is.Empty);
        Assert.That(ZendeskAppValidator.Validate(zip, allowLoopbackHttp: false), Has.Some.StartsWith("manifest_url_not_https:"));
    }

    [Test]
    public async Task Package_Bytes_Are_Reproducible()
    {
        var first = await Download("https://channel.example.com");
        var second = await Download("https://channel.example.com");

        Assert.That(second, Is.EqualTo(first));
    }

    [Test]
    public async Task Cli_Writes_The_Same_Bytes_As_The_Http_Download()
    {
        var download = await Download("https://channel.example.com/zd");
        var output = Path.Combine(Path.GetTempPath(), $"installer-app-{Guid.NewGuid():N}.zip");
        try
        {
            var (exit, stdout, _) = await RunCli(new() { ["Channel:PublicBaseUrl"] = "https://channel.example.com/zd" }, "--out", output);

            Assert.That(exit, Is.EqualTo(0));
            Assert.That(stdout, Does.Contain("https://channel.example.com/zd/manifest.json"));
            Assert.That(await File.ReadAllBytesAsync(output), Is.EqualTo(download));
        }
        finally
        {
            File.Delete(output);
        }
    }

    [Test]
    public async Task Cli_Base_Url_Option_Overrides_The_Configured_One()
    {
        var download = await Download("https://other.example.org");
        var output = Path.Combine(Path.GetTempPath(), $"installer-app-{Guid.NewGuid():N}.zip");
        try
        {
            var (exit, _, _) = await RunCli(new() { ["Channel:PublicBaseUrl"] = "https://channel.example.com" }, "--out", output, "--base-url", "https://other.example.org");

            Assert.That(exit, Is.EqualTo(0));
            Assert.That(await File.ReadAllBytesAsync(output), Is.EqualTo(download));
        }
        finally
        {
            File.Delete(output);
        }
    }

    [TestCase(null, new[] { "--out", "app.zip" }, "no base URL")]
    [TestCase("http://channel.example.com", new[] { "--out", "app.zip" }, "must use https")]
    [TestCase("https://channel.example.com", new[] { "--out", "app.zip", "--base-url", "ftp://x.example.com" }, "absolute https URL")]
    [TestCase("https://channel.example.com", new string[0], "--out is required")]
    [TestCase("https://channel.example.com", new[] { "--out", "app.zip", "--verbose" }, "unexpected argument '--verbose'")]
    public async Task Cli_Refuses_Bad_Input_With_A_One_Line_Error_And_Exit_Code_2(string? configured, string[] args, string message)
    {
        var (exit, stdout, stderr) = await RunCli(new() { ["Channel:PublicBaseUrl"] = configured }, args);

        Assert.That(exit, Is.EqualTo(2));
        Assert.That(stderr, Does.StartWith("error: ").And.Contain(message));
        Assert.That(stderr.TrimEnd().Split('\n'), Has.Length.EqualTo(1));
        Assert.That(stdout, Is.Empty);
        Assert.That(File.Exists("app.zip"), Is.False);
    }

    [Test]
    public async Task Logos_Are_Drawn_Pictures_With_A_Transparent_Small_Icon()
    {
        var entries = ZendeskAppValidator.ReadZip(await Download("https://channel.example.com"));
        var logo = Png.Read(entries.Single(e => e.Path == "assets/logo.png").Content)!;
        var small = Png.Read(entries.Single(e => e.Path == "assets/logo-small.png").Content)!;

        // Square corners on logo.png (Zendesk rounds them itself); background, calendar and check mark colours.
        Assert.That(Rgba(logo, 0, 0)[3], Is.EqualTo(255));
        Assert.That(DistinctColours(logo), Is.GreaterThanOrEqualTo(4));

        // The small icon is a rounded square on transparency: corner clear, centre opaque.
        Assert.That(Rgba(small, 0, 0)[3], Is.EqualTo(0));
        Assert.That(Rgba(small, 64, 64)[3], Is.EqualTo(255));
        Assert.That(DistinctColours(small), Is.GreaterThanOrEqualTo(4));
    }

    private static byte[] Rgba(Png png, int x, int y)
    {
        var stride = 1 + (png.Width * 4);
        Assert.That(png.Pixels[y * stride], Is.Zero, "the generator writes unfiltered rows");
        return png.Pixels.AsSpan((y * stride) + 1 + (x * 4), 4).ToArray();
    }

    private static int DistinctColours(Png png) =>
        Enumerable.Range(0, png.Height).SelectMany(y => Enumerable.Range(0, png.Width).Select(x => Convert.ToHexString(Rgba(png, x, y)))).Distinct().Count();
}
