using System.Net;
using System.Text.Json.Nodes;
using ChannelService.Tests.Support;

namespace ChannelService.Tests.Manifest;

public sealed class ManifestTests
{
    private static readonly string[] UrlKeys =
        ["admin_ui", "pull_url", "channelback_url", "clickthrough_url", "healthcheck_url", "event_callback_url", "about_url", "dashboard_url"];

    private static async Task<(HttpStatusCode Status, string Body, string? ContentType)> GetManifest(Dictionary<string, string?> settings)
    {
        using var factory = new ServiceFactory(settings);
        using var client = factory.CreateClient();
        using var response = await client.GetAsync("/manifest.json");
        return (response.StatusCode, await response.Content.ReadAsStringAsync(), response.Content.Headers.ContentType?.MediaType);
    }

    [Test]
    public async Task Manifest_For_An_Https_Base_Url_Validates_Against_Zendesks_Schema()
    {
        var (status, body, contentType) = await GetManifest(new() { ["Channel:PublicBaseUrl"] = "https://channel.example.com/zd/" });

        Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(contentType, Is.EqualTo("application/json"));
        ZendeskSchemas.AssertValid("manifest.json", body);
        var urls = JsonNode.Parse(body)!["urls"]!.AsObject();
        Assert.That(urls.Select(u => u.Key), Is.EquivalentTo(UrlKeys));
        Assert.That(urls.Select(u => (string)u.Value!), Has.All.StartsWith("https://channel.example.com/zd/"));
        Assert.That((string)urls["pull_url"]!, Is.EqualTo("https://channel.example.com/zd/pull"));
    }

    [Test]
    public async Task Manifest_For_A_Loopback_Http_Base_Url_Validates_With_Loopback_Allowed()
    {
        var (_, body, _) = await GetManifest(new() { ["Channel:PublicBaseUrl"] = "http://127.0.0.1:5080" });

        ZendeskSchemas.AssertValid("manifest.json", body, allowLoopbackHttp: true);
        Assert.That((string)JsonNode.Parse(body)!["urls"]!["admin_ui"]!, Is.EqualTo("http://127.0.0.1:5080/admin"));
    }

    [Test]
    public async Task Manifest_Carries_Identity_Version_And_Deliberate_Flags()
    {
        var (_, body, _) = await GetManifest(new()
        {
            ["Channel:IntegrationName"] = "Acme \"Tasks\" & Events",
            ["Channel:IntegrationId"] = "com.acme.tasks",
            ["Channel:IntegrationAuthor"] = "Acme Ltd",
        });
        var manifest = JsonNode.Parse(body)!;

        Assert.That((string)manifest["name"]!, Is.EqualTo("Acme \"Tasks\" & Events"));
        Assert.That((string)manifest["id"]!, Is.EqualTo("com.acme.tasks"));
        Assert.That((string)manifest["author"]!, Is.EqualTo("Acme Ltd"));
        Assert.That((string)manifest["version"]!, Is.EqualTo(typeof(Program).Assembly.GetName().Version!.ToString(3)));
        Assert.That((bool)manifest["channelback_files"]!, Is.True);
        Assert.That((bool)manifest["create_followup_tickets"]!, Is.True);
    }

    [Test]
    public async Task Push_Client_Id_Appears_Only_When_Configured()
    {
        var (_, without, _) = await GetManifest([]);
        var (_, with, _) = await GetManifest(new() { ["Channel:PushClientId"] = "acme_push" });

        Assert.That(JsonNode.Parse(without)!.AsObject().ContainsKey("push_client_id"), Is.False);
        Assert.That((string)JsonNode.Parse(with)!["push_client_id"]!, Is.EqualTo("acme_push"));
        ZendeskSchemas.AssertValid("manifest.json", with);
    }

    [TestCase("http://channel.example.com")]
    [TestCase("ftp://channel.example.com")]
    [TestCase("not a url")]
    [TestCase("")]
    public void Service_Refuses_To_Start_Without_A_Usable_Public_Base_Url(string baseUrl)
    {
        using var factory = new ServiceFactory(new Dictionary<string, string?> { ["Channel:PublicBaseUrl"] = baseUrl });

        var error = Assert.Catch(() => factory.CreateClient());
        Assert.That(error!.ToString(), Does.Contain("PublicBaseUrl"));
    }
}
