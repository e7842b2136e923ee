using System.Net;
using AngleSharp.Html.Parser;
using ChannelService.Tests.Support;

namespace ChannelService.Tests.About;

public sealed class AboutTests
{
    [Test]
    public async Task About_Page_Says_What_The_Channel_Does_Where_Data_Goes_And_How_To_Install_It()
    {
        using var factory = new ServiceFactory();
        using var client = factory.CreateClient();

        using var response = await client.GetAsync("/about");

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("text/html"));
        var document = new HtmlParser().ParseDocument(await response.Content.ReadAsStringAsync());
        var text = document.Body!.TextContent;
        Assert.That(document.QuerySelector("h1")?.TextContent, Is.EqualTo("Calendar & Tasks (ChannelService)"));
        Assert.That(text, Does.Contain("CalDAV tasks").And.Contain("CalDAV calendars").And.Contain("iCalendar feeds").And.Contain("Webhook inbox"));
        Assert.That(text, Does.Contain("encrypted").And.Contain("SQLite").And.Contain("Nowhere else"));
        Assert.That(text, Does.Contain("Apps and integrations → Zendesk Support apps").And.Contain("Upload private app"));
        Assert.That(text, Does.Contain("https://channel.example.com/manifest.json"));
        Assert.That(document.QuerySelectorAll("a").Select(a => a.GetAttribute("href")), Does.Contain("/installer-app.zip").And.Contain("/readme"));
    }

    [Test]
    public async Task Every_Local_Link_And_Stylesheet_On_The_About_Page_Resolves()
    {
        using var factory = new ServiceFactory();
        using var client = factory.CreateClient();
        var document = new HtmlParser().ParseDocument(await client.GetStringAsync("/about"));

        var references = document.QuerySelectorAll("a[href], link[href]")
            .Select(e => e.GetAttribute("href")!)
            .Where(href => href.StartsWith('/'))
            .Distinct()
            .ToList();

        Assert.That(references, Has.Some.StartsWith("/css/site.css"));
        foreach (var href in references)
        {
            using var response = await client.GetAsync(href);
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), href);
        }
    }

    [Test]
    public async Task Stylesheet_Is_Served_As_Css()
    {
        using var factory = new ServiceFactory();
        using var client = factory.CreateClient();

        using var response = await client.GetAsync("/css/site.css");

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("text/css"));
        Assert.That(await response.Content.ReadAsStringAsync(), Does.Contain("--blue-600"));
    }

    [Test]
    public async Task Readme_Linked_From_About_Is_The_Repositorys_Readme_As_Plain_Text()
    {
        using var factory = new ServiceFactory();
        using var client = factory.CreateClient();

        using var response = await client.GetAsync("/readme");

        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("text/plain"));
        Assert.That(await response.Content.ReadAsStringAsync(), Is.EqualTo(await File.ReadAllTextAsync(Path.Combine(TestPaths.RepositoryRoot, "README.md"))));
    }

    [TestCase("/about")]
    [TestCase("/health")]
    [TestCase("/manifest.json")]
    [TestCase("/css/site.css")]
    [TestCase("/nowhere")]
    public async Task Pages_Forbid_Being_Framed(string path)
    {
        using var factory = new ServiceFactory();
        using var client = factory.CreateClient();

        using var response = await client.GetAsync(path);

        Assert.That(response.Headers.GetValues("Content-Security-Policy"), Is.EqualTo(new[] { "frame-ancestors 'none'" }));
        Assert.That(response.Headers.GetValues("X-Frame-Options"), Is.EqualTo(new[] { "DENY" }));
        Assert.That(response.Headers.GetValues("X-Content-Type-Options"), Is.EqualTo(new[] { "nosniff" }));
    }
}
