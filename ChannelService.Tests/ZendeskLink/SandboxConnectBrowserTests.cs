using System.Net;
using ChannelService.Sandbox;
using ChannelService.Tests.Deployment;
using ChannelService.Tests.Support;
using ChannelService.ZendeskLink;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace ChannelService.Tests.ZendeskLink;

/// <summary>
/// The sandbox's "Connect to Zendesk" end to end in a real browser (Debian's chromium through Playwright), as a new
/// user tries it: the sandbox page frames the admin UI (German here), Connect opens the sandbox's own authorisation
/// page in a new window, Allow, the window says it is connected and tells the admin page (postMessage from the
/// service's origin), which turns to "linked"; no real Zendesk and no outbound call.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class SandboxConnectBrowserTests
{
    private static readonly string[] ChromiumArgs =
        ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

    [Test]
    public async Task A_New_User_Connects_The_Sandbox_To_Its_Pretend_Zendesk_And_The_Popup_Reports_Back_To_The_Admin_Page()
    {
        // Arrange: the service on a loopback port with the sandbox on and no OAuth client of an operator.
        var port = ProcessRunner.FreeLoopbackPort();
        var serviceUrl = $"http://127.0.0.1:{port}";
        using var service = new ServiceFactory(new Dictionary<string, string?>
        {
            ["Channel:PublicBaseUrl"] = serviceUrl,
            ["Channel:Sandbox"] = "true",

            // Nothing listens here: a call that left the process would fail the link.
            ["Channel:ZendeskBaseUrl"] = "http://127.0.0.1:9/",
        });
        service.UseKestrel(o => o.Listen(IPAddress.Loopback, port));
        service.StartServer();

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = "/usr/bin/chromium", Headless = true, Args = ChromiumArgs });
        await using var context = await browser.NewContextAsync(new() { ViewportSize = new() { Width = 1400, Height = 1000 } });
        var page = await context.NewPageAsync();
        await page.GotoAsync(serviceUrl + "/sandbox");
        await page.GetByLabel("Admin language").SelectOptionAsync("de");
        await page.GetByRole(AriaRole.Button, new() { Name = "Open the admin UI" }).ClickAsync();
        var admin = page.FrameLocator("iframe[name=zendesk-admin]");
        await Assertions.Expect(admin.Locator("#zendesk-link")).ToHaveAttributeAsync("data-state", "not-linked");
        await ScreenshotAsync(page, "not-linked");

        // Record what the window posts back to the admin page (and from which origin).
        var frame = page.Frames.Single(f => f.Name == "zendesk-admin");
        await frame.EvaluateAsync("() => { window.linkMessages = []; window.addEventListener('message', e => window.linkMessages.push(e.origin + ' ' + JSON.stringify(e.data))); }");

        // Act: Connect opens the sandbox's authorisation page in a new window; allow there.
        var popup = await context.RunAndWaitForPageAsync(() => admin.GetByRole(AriaRole.Button, new() { Name = "Mit Zendesk verbinden" }).ClickAsync());
        await Assertions.Expect(popup.Locator("#allow")).ToBeVisibleAsync();
        Assert.That(popup.Url, Does.StartWith(serviceUrl + "/sandbox/oauth/authorizations/new?"));
        await Assertions.Expect(popup.Locator("#oauth-scope")).ToHaveTextAsync("read tickets:write users:write webhooks:write triggers:write");
        await ScreenshotAsync(popup, "sandbox-authorize");
        await popup.Locator("#allow").ClickAsync();
        await Assertions.Expect(popup.Locator("#oauth-title")).ToHaveTextAsync("Mit Zendesk verbunden");
        await Assertions.Expect(popup.Locator("#oauth-message")).ToHaveTextAsync("Dieser Dienst ist jetzt mit Zendesk verknüpft. Sie können dieses Fenster schließen.");
        await ScreenshotAsync(popup, "connected");

        // Assert: the popup told the admin page, which says linked (in German).
        await Assertions.Expect(admin.Locator("#zendesk-link")).ToHaveAttributeAsync("data-state", "linked");
        await Assertions.Expect(admin.Locator("#zendesk-link-state")).ToContainTextAsync("mit Zendesk verbunden");
        await ScreenshotAsync(page, "linked");
        Assert.That(await frame.EvaluateAsync<string[]>("() => window.linkMessages"), Is.EqualTo(new[] { serviceUrl + " {\"type\":\"zendesk-linked\",\"subdomain\":\"sandbox\"}" }), "the window told its opener, from the service's own origin");

        var link = await service.Services.GetRequiredService<ZendeskLinkStore>().GetAsync("sandbox");
        Assert.That(link, Is.Not.Null);
        Assert.That(service.Services.GetRequiredService<SandboxZendeskOAuth>().IsValid(link!.Tokens.AccessToken), Is.True);
        await popup.CloseAsync();
    }

    private static async Task ScreenshotAsync(IPage page, string name)
    {
        var folder = Path.Combine(TestContext.CurrentContext.WorkDirectory, "artifacts");
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, $"{TestContext.CurrentContext.Test.MethodName}-{name}.png");
        await page.ScreenshotAsync(new() { Path = path, FullPage = true });
        TestContext.AddTestAttachment(path, name);
    }
}
