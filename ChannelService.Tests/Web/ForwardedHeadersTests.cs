using System.Net;
using System.Text.Json.Nodes;
using ChannelService.Tests.Support;
using Microsoft.AspNetCore.Http;

namespace ChannelService.Tests.Web;

/// <summary>
/// Behind a TLS reverse proxy the service sees plain http from the proxy. In Development without PublicBaseUrl the
/// manifest is built from the request's own scheme and host, which makes the effect of X-Forwarded-* visible.
/// </summary>
public sealed class ForwardedHeadersTests
{
    private static async Task<string> ManifestAdminUrl(string remoteAddress, Dictionary<string, string?>? settings = null)
    {
        var all = new Dictionary<string, string?> { ["Channel:PublicBaseUrl"] = string.Empty };
        foreach (var (key, value) in settings ?? [])
        {
            all[key] = value;
        }

        using var factory = new ServiceFactory(all, environment: "Development");
        var context = await factory.Server.SendAsync(c =>
        {
            c.Request.Method = HttpMethods.Get;
            c.Request.Path = "/manifest.json";
            c.Connection.RemoteIpAddress = IPAddress.Parse(remoteAddress);
            c.Request.Headers["X-Forwarded-For"] = "198.51.100.7";
            c.Request.Headers["X-Forwarded-Proto"] = "https";
            c.Request.Headers["X-Forwarded-Host"] = "channel.example.com";
        });
        Assert.That(context.Response.StatusCode, Is.EqualTo(200));
        using var reader = new StreamReader(context.Response.Body);
        return (string)JsonNode.Parse(await reader.ReadToEndAsync())!["urls"]!["admin_ui"]!;
    }

    [TestCase("127.0.0.1")]
    [TestCase("::1")]
    public async Task Forwarded_Scheme_And_Host_From_A_Loopback_Proxy_Are_Believed(string proxy) =>
        Assert.That(await ManifestAdminUrl(proxy), Is.EqualTo("https://channel.example.com/admin"));

    [Test]
    public async Task Forwarded_Headers_From_Anyone_Else_Are_Ignored() =>
        Assert.That(await ManifestAdminUrl("203.0.113.9"), Does.StartWith("http://localhost"));

    [Test]
    public async Task Configured_Trusted_Proxies_Replace_The_Loopback_Default()
    {
        var settings = new Dictionary<string, string?> { ["Channel:TrustedProxies:0"] = "10.1.2.0/24" };

        Assert.That(await ManifestAdminUrl("10.1.2.7", settings), Is.EqualTo("https://channel.example.com/admin"));
        Assert.That(await ManifestAdminUrl("127.0.0.1", settings), Does.StartWith("http://localhost"));
    }

    [Test]
    public void A_Trusted_Proxy_That_Is_Not_An_Address_Stops_The_Service_From_Starting()
    {
        using var factory = new ServiceFactory(new Dictionary<string, string?> { ["Channel:TrustedProxies:0"] = "proxy.internal" });

        var error = Assert.Catch(() => factory.CreateClient());
        Assert.That(error!.ToString(), Does.Contain("TrustedProxies").And.Contain("proxy.internal"));
    }
}
