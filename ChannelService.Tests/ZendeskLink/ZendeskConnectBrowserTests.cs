using System.Net;
using System.Text;
using ChannelService.Tests.Deployment;
using ChannelService.Tests.Sources.Http;
using ChannelService.Tests.Support;
using ChannelService.ZendeskLink;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace ChannelService.Tests.ZendeskLink;

/// <summary>
/// "Connect to Zendesk" in a real browser (Debian's chromium through Playwright): the admin UI inside a cross-site
/// iframe (the parent page on 127.0.0.2, the service on 127.0.0.1) with third-party cookies blocked, the fake
/// Zendesk's authorisation page in the new window, and the admin UI updating to "linked" without a cookie.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class ZendeskConnectBrowserTests
{
    private static readonly string[] ChromiumArgs =
    [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync",

        // Third-party cookies off, as Safari and Chrome's phase-out do.
        "--test-third-party-cookie-phaseout", "--block-third-party-cookies",
    ];

    [Test]
    public async Task Connect_From_A_Cross_Site_Iframe_Without_Third_Party_Cookies_Links_And_The_Admin_Ui_Says_So()
    {
        // Arrange
        await using var zendesk = new FakeZendeskOAuth();
        var serviceUrl = "";
        await using var parent = new LoopbackServer(
            async (request, stream, ct) =>
            {
                var html = "<!DOCTYPE html><html><head><meta charset=utf-8><title>Zendesk (test)</title></head><body><h1>Channels</h1>"
                    + $"<form method=\"post\" action=\"{serviceUrl}/admin\" target=\"admin\">"
                    + "<input type=hidden name=name value=\"\"><input type=hidden name=metadata value=\"\"><input type=hidden name=state value=\"\">"
                    + "<input type=hidden name=subdomain value=\"acme\"><input type=hidden name=locale value=\"en-US\">"
                    + $"<input type=hidden name=return_url value=\"http://127.0.0.2:{PortOf(request)}/return\">"
                    + "<button type=submit>Open admin UI</button></form>"
                    + "<iframe name=\"admin\" title=\"Admin UI\" style=\"width:860px;height:1000px\"></iframe></body></html>";
                await LoopbackServer.WriteAsync(stream, 200, html, ct, ("Content-Type", "text/html; charset=utf-8"));
            },
            IPAddress.Parse("127.0.0.2"));
        var port = ProcessRunner.FreeLoopbackPort();
        serviceUrl = $"http://127.0.0.1:{port}";
        using var service = new ServiceFactory(new Dictionary<string, string?>
        {
            ["Channel:PublicBaseUrl"] = serviceUrl,
            ["Channel:ReturnUrlHosts:0"] = $"127.0.0.2:{parent.Port}",
            ["Channel:ZendeskBaseUrl"] = zendesk.BaseUrl,
            ["Channel:ZendeskOAuthClientId"] = FakeZendeskOAuth.ClientId,
            ["Channel:ZendeskOAuthClientSecret"] = FakeZendeskOAuth.ClientSecret,
        });
        service.UseKestrel(o => o.Listen(IPAddress.Loopback, port));
        service.StartServer();

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = "/usr/bin/chromium", Headless = true, Args = ChromiumArgs });
        await using var context = await browser.NewContextAsync(new() { ViewportSize = new() { Width = 900, Height = 1100 } });
        var page = await context.NewPageAsync();
        await page.GotoAsync(parent.Url("/zendesk").ToString());
        await page.GetByRole(AriaRole.Button, new() { Name = "Open admin UI" }).ClickAsync();
        var admin = page.FrameLocator("iframe[name=admin]");
        await Assertions.Expect(admin.Locator("#zendesk-link")).ToHaveAttributeAsync("data-state", "not-linked");
        await ScreenshotAsync(page, "not-linked");

        // The admin UI is third-party here and cannot keep a cookie: the flow must not need one.
        var frame = page.Frames.Single(f => f.Url.StartsWith(serviceUrl, StringComparison.Ordinal));
        Assert.That(await frame.EvaluateAsync<string>("() => { document.cookie = 'probe=1; SameSite=None; Secure'; document.cookie = 'probe2=1'; return document.cookie; }"), Is.Empty);

        // Record what the window posts back to the admin page (and from which origin).
        await frame.EvaluateAsync("() => { window.linkMessages = []; window.addEventListener('message', e => window.linkMessages.push(e.origin + ' ' + JSON.stringify(e.data))); }");

        // Act: Connect opens Zendesk's authorisation page in a new window; allow there.
        var popup = await context.RunAndWaitForPageAsync(() => admin.GetByRole(AriaRole.Button, new() { Name = "Connect to Zendesk" }).ClickAsync());
        await Assertions.Expect(popup.Locator("#allow")).ToBeVisibleAsync();
        await ScreenshotAsync(popup, "zendesk-authorize");
        await popup.Locator("#allow").ClickAsync();
        await Assertions.Expect(popup.Locator("#oauth-message")).ToHaveTextAsync("This service is now linked to Zendesk. You can close this window.");
        await ScreenshotAsync(popup, "connected");

        // Assert: the admin UI in the iframe says linked (told by postMessage or its own check), with no cookie set.
        await Assertions.Expect(admin.Locator("#zendesk-link")).ToHaveAttributeAsync("data-state", "linked");
        await Assertions.Expect(admin.Locator("#zendesk-link-state")).ToContainTextAsync("Linked to Zendesk since");
        await ScreenshotAsync(page, "linked");
        Assert.That(await frame.EvaluateAsync<string[]>("() => window.linkMessages"), Is.EqualTo(new[] { serviceUrl + " {\"type\":\"zendesk-linked\",\"subdomain\":\"acme\"}" }), "the window told its opener, from the service's own origin");
        Assert.That(await context.CookiesAsync(), Is.Empty);
        var link = await service.Services.GetRequiredService<ZendeskLinkStore>().GetAsync("acme");
        Assert.That(link, Is.Not.Null);
        Assert.That(zendesk.IsValid(link!.Tokens.AccessToken), Is.True);
        await popup.CloseAsync();
    }

    private static string PortOf(ReceivedRequest request) => request.Header("Host") is { } host ? host[(host.LastIndexOf(':') + 1)..] : "";

    private static async Task ScreenshotAsync(IPage page, string name)
    {
        var folder = Path.Combine(TestContext.CurrentContext.WorkDirectory, "artifacts");
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, $"{TestContext.CurrentContext.Test.MethodName}-{name}.png");
        await page.ScreenshotAsync(new() { Path = path, FullPage = true });
        TestContext.AddTestAttachment(path, name);
    }
}
