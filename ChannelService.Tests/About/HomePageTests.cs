using System.Net;
using AngleSharp.Html.Parser;
using ChannelService.Tests.Support;

namespace ChannelService.Tests.About;

/// <summary>Issue 15 §6: <c>GET /</c> is a small page pointing onwards, and the service has a favicon.</summary>
public sealed class HomePageTests
{
    [TestCase(false)]
    [TestCase(true)]
    public async Task The_Root_Is_A_Small_Page_Pointing_To_About_And_To_The_Sandbox_When_It_Is_On(bool sandbox)
    {
        using var factory = new ServiceFactory(new Dictionary<string, string?> { ["Channel:Sandbox"] = sandbox ? "true" : "false" });
        using var client = factory.CreateClient();

        using var response = await client.GetAsync("/");

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("text/html"));
        var document = new HtmlParser().ParseDocument(await response.Content.ReadAsStringAsync());
        var links = document.QuerySelectorAll("main a").Select(a => a.GetAttribute("href")).ToList();
        Assert.That(links, Is.EqualTo(sandbox ? new[] { "/about", "/sandbox" } : ["/about"]));
        foreach (var link in links)
        {
            using var target = await client.GetAsync(link);
            Assert.That(target.StatusCode, Is.EqualTo(HttpStatusCode.OK), link);
        }
    }

    [TestCase("/favicon.ico", "image/x-icon")]
    [TestCase("/favicon.svg", "image/svg+xml")]
    public async Task The_Favicon_Is_Served_With_Its_Content_Type(string path, string mediaType)
    {
        using var factory = new ServiceFactory();
        using var client = factory.CreateClient();

        using var response = await client.GetAsync(path);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo(mediaType));
        var bytes = await response.Content.ReadAsByteArrayAsync();
        if (mediaType == "image/x-icon")
        {
            // ICONDIR: reserved 0, type 1 (icon), one image of 16×16.
            Assert.That(bytes[..6], Is.EqualTo(new byte[] { 0, 0, 1, 0, 1, 0 }));
            Assert.That((bytes[6], bytes[7]), Is.EqualTo(((byte)16, (byte)16)));
        }
        else
        {
            Assert.That(System.Text.Encoding.UTF8.GetString(bytes), Does.StartWith("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        }
    }

    [Test]
    public async Task Pages_Name_The_Favicon()
    {
        using var factory = new ServiceFactory();
        using var client = factory.CreateClient();
        var document = new HtmlParser().ParseDocument(await client.GetStringAsync("/about"));

        Assert.That(document.QuerySelectorAll("link[rel=icon]").Select(l => l.GetAttribute("href")), Is.EquivalentTo(new[] { "/favicon.svg", "/favicon.ico" }));
    }
}
