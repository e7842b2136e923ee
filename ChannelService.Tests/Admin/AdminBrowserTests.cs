using System.Collections.Concurrent;
using System.Net;
using System.Text;
using ChannelService.Accounts;
using ChannelService.Tests.Sources.CalDav;
using ChannelService.Tests.Sources.Http;
using ChannelService.Tests.Support;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace ChannelService.Tests.Admin;

/// <summary>
/// The admin UI in a real browser (Debian's chromium, driven by Playwright), framed by a loopback page that posts
/// exactly as Zendesk does and receives the return_url post. One browser for the fixture; a screenshot per step.
/// </summary>
[TestFixture]
[NonParallelizable]
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "Disposed in [OneTimeTearDown].")]
public sealed class AdminBrowserTests
{
    private static readonly string[] ChromiumArgs =
        ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

    private readonly ConcurrentQueue<Dictionary<string, string>> received = new();
    private ServiceFactory service = null!;
    private LoopbackServer feed = null!;
    private LoopbackServer zendesk = null!;
    private IPlaywright playwright = null!;
    private IBrowser browser = null!;
    private IPage page = null!;
    private IBrowserContext context = null!;
    private string serviceUrl = "";
    private Dictionary<string, string> zendeskFields = [];
    private int step;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        feed = TestFeeds.Start();
        zendesk = new LoopbackServer(ServeZendeskAsync);

        // Loopback sources are allowed by range, so the private-network refusal for 10.0.0.0/8 stays real.
        service = new ServiceFactory(new Dictionary<string, string?>
        {
            ["Channel:AllowedSourceNetworks:0"] = "127.0.0.0/8",
            ["Channel:ReturnUrlHosts:0"] = $"127.0.0.1:{zendesk.Port}",
        });
        service.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        service.StartServer();
        serviceUrl = service.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/');

        playwright = await Playwright.CreateAsync();
        browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = "/usr/bin/chromium", Headless = true, Args = ChromiumArgs });
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        await browser.DisposeAsync();
        playwright.Dispose();
        service.Dispose();
        await zendesk.DisposeAsync();
        await feed.DisposeAsync();
    }

    [SetUp]
    public async Task NewPageAsync()
    {
        received.Clear();
        step = 0;
        context = await browser.NewContextAsync(new() { ViewportSize = new() { Width = 900, Height = 1100 } });
        page = await context.NewPageAsync();
    }

    [TearDown]
    public async Task ClosePageAsync() => await context.DisposeAsync();

    private MetadataCodec Codec => service.Services.GetRequiredService<MetadataCodec>();

    private IFrameLocator Admin => page.FrameLocator("iframe[name=admin]");

    [Test]
    public async Task Admin_Adds_An_ICalendar_Feed_And_Zendesk_Receives_Its_Metadata_Then_Edits_It()
    {
        var url = feed.Url("/feed.ics").ToString();
        await OpenAdminAsync(name: "", metadata: "", state: "");
        await Admin.GetByLabel("iCalendar feed").CheckAsync();
        await ScreenshotAsync("choose-kind");
        await Admin.GetByRole(AriaRole.Button, new() { Name = "Continue" }).ClickAsync();

        await Admin.GetByLabel("Feed address").FillAsync(url);
        await Admin.GetByLabel("User name").FillAsync(TestFeeds.User);
        await Admin.GetByLabel("Password or token").FillAsync(TestFeeds.Password);
        await ScreenshotAsync("enter-feed");
        await Admin.GetByRole(AriaRole.Button, new() { Name = "Test connection" }).ClickAsync();
        await Assertions.Expect(Admin.Locator("#test-result")).ToContainTextAsync("Found 1 events and 7 tasks.");
        await Assertions.Expect(Admin.Locator("#test-result li").First).ToHaveTextAsync("Task number 1");
        await Assertions.Expect(Admin.Locator("#test-result")).ToBeFocusedAsync();
        await ScreenshotAsync("test-passed");

        await Admin.GetByText("Options", new() { Exact = true }).ClickAsync();
        await Admin.GetByLabel("Days ahead").FillAsync("45");
        await Admin.GetByLabel("Time zone").FillAsync("Europe/Berlin");
        await Admin.GetByLabel("Account name in Zendesk").FillAsync("Team feed");
        await ScreenshotAsync("options");
        await Admin.GetByRole(AriaRole.Button, new() { Name = "Save", Exact = true }).ClickAsync();

        var first = await ReturnPostAsync();
        await ScreenshotAsync("returned-to-zendesk");
        Assert.That(first["name"], Is.EqualTo("Team feed"));
        Assert.That(first.ContainsKey("state"), Is.False);
        var account = Codec.Decode(first["metadata"]);
        Assert.That((account.Kind, account.Url, account.Username, account.Secret, account.Options.WindowFutureDays, account.Options.TimeZone),
            Is.EqualTo((SourceKind.Ics, url, TestFeeds.User, TestFeeds.Password, 45, "Europe/Berlin")));

        // Edit as Zendesk does: stored name, metadata and state are posted back.
        await OpenAdminAsync(name: "Team feed", metadata: first["metadata"], state: "cursor-after-pulls");
        await Assertions.Expect(Admin.GetByLabel("Password or token")).ToHaveValueAsync("");
        await Assertions.Expect(Admin.Locator("#password-help")).ToHaveTextAsync("Leave blank to keep the saved password.");
        Assert.That(await Admin.Locator("html").InnerHTMLAsync(), Does.Not.Contain(TestFeeds.Password));
        await ScreenshotAsync("edit");
        await Admin.GetByText("Options", new() { Exact = true }).ClickAsync();
        await Admin.GetByLabel("Completed and cancelled tasks too").CheckAsync();
        await Admin.GetByRole(AriaRole.Button, new() { Name = "Save", Exact = true }).ClickAsync();

        var second = await ReturnPostAsync();
        Assert.That(second["state"], Is.EqualTo("cursor-after-pulls"));
        var edited = Codec.Decode(second["metadata"]);
        Assert.That((edited.AccountId, edited.Secret, edited.Options.Tasks, edited.Options.WindowFutureDays), Is.EqualTo((account.AccountId, TestFeeds.Password, TaskScope.All, 45)));
    }

    [Test]
    public async Task Bad_Password_And_Private_Address_Show_Plain_Words()
    {
        await OpenAdminAsync(name: "", metadata: "", state: "");
        await Admin.GetByLabel("iCalendar feed").CheckAsync();
        await Admin.GetByRole(AriaRole.Button, new() { Name = "Continue" }).ClickAsync();

        await Admin.GetByLabel("Feed address").FillAsync(feed.Url("/feed.ics").ToString());
        await Admin.GetByLabel("User name").FillAsync(TestFeeds.User);
        await Admin.GetByLabel("Password or token").FillAsync("wrong-password");
        await Admin.GetByRole(AriaRole.Button, new() { Name = "Test connection" }).ClickAsync();
        await Assertions.Expect(Admin.Locator("#test-result")).ToContainTextAsync("The server rejected the username or password");
        await ScreenshotAsync("bad-password");

        await Admin.GetByLabel("Feed address").FillAsync("https://10.1.2.3/team.ics");
        await Admin.GetByRole(AriaRole.Button, new() { Name = "Save", Exact = true }).ClickAsync();
        await Assertions.Expect(Admin.Locator("#test-result")).ToContainTextAsync("That address is on a private network");
        await Assertions.Expect(Admin.GetByLabel("Save anyway: the source is only down for now")).ToBeVisibleAsync();
        await ScreenshotAsync("private-address");
        Assert.That(received, Is.Empty, "nothing is saved while the test fails");

        await Admin.GetByLabel("Feed address").FillAsync("not a url");
        await Admin.GetByRole(AriaRole.Button, new() { Name = "Test connection" }).ClickAsync();
        await Assertions.Expect(Admin.Locator("#url-error")).ToContainTextAsync("Enter a full address");
        await Assertions.Expect(Admin.GetByLabel("Feed address")).ToHaveAttributeAsync("aria-invalid", "true");
        await ScreenshotAsync("invalid-url");
    }

    [Test]
    public async Task Admin_Ui_Speaks_The_Posted_Locale()
    {
        await OpenAdminAsync(name: "", metadata: "", state: "", locale: "de");
        await Admin.GetByLabel("iCalendar-Feed").CheckAsync();
        await Admin.GetByRole(AriaRole.Button, new() { Name = "Weiter" }).ClickAsync();
        await Assertions.Expect(Admin.GetByRole(AriaRole.Button, new() { Name = "Verbindung testen" })).ToBeVisibleAsync();
        await ScreenshotAsync("german");
    }

    [Test]
    public async Task Admin_Picks_A_CalDav_Task_List_From_A_Server_Url_On_Radicale()
    {
        await using var radicale = await RadicaleServer.StartAsync();
        var tasks = await radicale.CreateCollectionAsync(displayName: "Team tasks", components: "VTODO");
        await radicale.CreateCollectionAsync(displayName: "Meetings", components: "VEVENT");
        foreach (var (uid, summary, extra) in new[] { ("a", "Renew certificate", (string?)null), ("b", "Order toner", null), ("c", "Old chore", "COMPLETED:20261101T090000Z") })
        {
            using var put = await radicale.SendAsync(HttpMethod.Put, new Uri(tasks, uid + ".ics"), Ics.Todo(uid, summary, extra));
            Assert.That(put.IsSuccessStatusCode, Is.True);
        }

        await OpenAdminAsync(name: "", metadata: "", state: "");
        await Admin.GetByLabel("CalDAV task list").CheckAsync();
        await Admin.GetByRole(AriaRole.Button, new() { Name = "Continue" }).ClickAsync();
        await Admin.GetByLabel("Server or collection address").FillAsync(radicale.BaseUrl.ToString());
        await Admin.GetByLabel("User name").FillAsync(radicale.UserName);
        await Admin.GetByLabel("Password or token").FillAsync(radicale.Password);
        await Admin.GetByRole(AriaRole.Button, new() { Name = "Find collections" }).ClickAsync();
        await Assertions.Expect(Admin.GetByLabel("Team tasks")).ToBeCheckedAsync();
        await Assertions.Expect(Admin.GetByLabel("Meetings")).Not.ToBeCheckedAsync();
        await ScreenshotAsync("collections");

        await Admin.GetByLabel("Password or token").FillAsync("wrong-password");
        await Admin.GetByRole(AriaRole.Button, new() { Name = "Test connection" }).ClickAsync();
        await Assertions.Expect(Admin.Locator("#test-result")).ToContainTextAsync("The server rejected the username or password");
        await ScreenshotAsync("caldav-bad-password");

        // Test on the server address itself lists the collections instead of failing.
        await Admin.GetByLabel("Server or collection address").FillAsync(radicale.BaseUrl.ToString());
        await Admin.GetByLabel("Password or token").FillAsync(radicale.Password);
        await Admin.GetByRole(AriaRole.Button, new() { Name = "Test connection" }).ClickAsync();
        await Assertions.Expect(Admin.GetByText("Pick one of the collections found at this address")).ToBeVisibleAsync();
        await Assertions.Expect(Admin.GetByLabel("Team tasks")).ToBeCheckedAsync();
        await Admin.GetByRole(AriaRole.Button, new() { Name = "Test connection" }).ClickAsync();
        await Assertions.Expect(Admin.Locator("#test-result")).ToContainTextAsync("Found 2 open tasks (3 tasks in all).");
        Assert.That((await Admin.Locator("#test-result li").AllInnerTextsAsync()).Order(), Is.EqualTo(new[] { "Order toner", "Renew certificate" }));
        await ScreenshotAsync("caldav-test-passed");
        await Admin.GetByRole(AriaRole.Button, new() { Name = "Save", Exact = true }).ClickAsync();

        var saved = await ReturnPostAsync();
        var account = Codec.Decode(saved["metadata"]);
        Assert.That((account.Kind, account.Url, account.Username, account.Secret), Is.EqualTo((SourceKind.CalDavTasks, tasks.AbsoluteUri, radicale.UserName, radicale.Password)));
    }

    [Test]
    public async Task Sandbox_Frames_The_Admin_Ui_Stores_The_Account_And_Pulls_Over_Http()
    {
        using var sandbox = new ServiceFactory(new Dictionary<string, string?>
        {
            ["Channel:Sandbox"] = "true",
            ["Channel:AllowedSourceNetworks:0"] = "127.0.0.0/8",
        });
        sandbox.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        sandbox.StartServer();
        var sandboxUrl = sandbox.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/');

        await page.GotoAsync(sandboxUrl + "/sandbox");
        await page.GetByRole(AriaRole.Button, new() { Name = "Open the admin UI" }).ClickAsync();
        var frame = page.FrameLocator("iframe[name=zendesk-admin]");
        await frame.GetByLabel("iCalendar feed").CheckAsync();
        await frame.GetByRole(AriaRole.Button, new() { Name = "Continue" }).ClickAsync();
        await frame.GetByLabel("Feed address").FillAsync(feed.Url("/public.ics").ToString());
        await frame.GetByLabel("Account name in Zendesk").FillAsync("Sandbox feed");
        await ScreenshotAsync("sandbox-admin");
        await frame.GetByRole(AriaRole.Button, new() { Name = "Save", Exact = true }).ClickAsync();

        // The return page sends the top window back to the sandbox, which now lists the account.
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Sandbox feed" })).ToBeVisibleAsync();
        await ScreenshotAsync("sandbox-account");
        await page.GetByRole(AriaRole.Button, new() { Name = "Pull now" }).ClickAsync();

        // The sandbox drove the real /pull over HTTP and applied the answer as Zendesk would: tickets as threads.
        await Assertions.Expect(page.Locator(".log li").First).ToContainTextAsync("Pull");
        await ScreenshotAsync("sandbox-pulled");
        Assert.That(await page.Locator(".log li").First.TextContentAsync(), Does.Match("Pull: [1-9]\\d* imported"));
        await Assertions.Expect(page.Locator("article.ticket").First).ToBeVisibleAsync();
        Assert.That(await page.Locator("article.ticket h3").AllTextContentsAsync(), Has.Some.Contain("Task number"));

        // A second pull opens no new ticket: the state was kept from the successful answer (this feed moves its due
        // dates with the clock, so changes may arrive as comments on the same tickets).
        await page.GetByRole(AriaRole.Button, new() { Name = "Pull now" }).ClickAsync();
        await Assertions.Expect(page.Locator(".log li").First).ToContainTextAsync("(0 new tickets), 0 duplicate");
        var tickets = await page.Locator("article.ticket").CountAsync();
        Assert.That(tickets, Is.GreaterThan(0));

        // The clickthrough link opens the item (the feed items have no URL of their own: the service's read-only page).
        var link = await page.Locator("article.ticket a", new() { HasTextString = "view in source" }).First.GetAttributeAsync("href");
        await page.GotoAsync(sandboxUrl + link);
        await Assertions.Expect(page.Locator("h1")).ToContainTextAsync("Task number");
        await ScreenshotAsync("sandbox-clickthrough");
    }

    [Test]
    public async Task Sandbox_Shows_Accounts_Beside_The_Frame_Keeps_Save_In_View_And_Lists_Tickets_In_Date_Order()
    {
        using var sandbox = new ServiceFactory(new Dictionary<string, string?>
        {
            ["Channel:Sandbox"] = "true",
            ["Channel:AllowedSourceNetworks:0"] = "127.0.0.0/8",
        });
        sandbox.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        sandbox.StartServer();
        var sandboxUrl = sandbox.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/');
        const int Width = 1400, Height = 900;
        await using var wide = await browser.NewContextAsync(new() { ViewportSize = new() { Width = Width, Height = Height } });
        page = await wide.NewPageAsync();
        var iframe = page.Locator("iframe[name=zendesk-admin]");
        var frame = page.FrameLocator("iframe[name=zendesk-admin]");

        // The frame fits the window: its bottom, and the admin UI's Save bar inside it, are in view.
        await page.GotoAsync(sandboxUrl + "/sandbox");
        var frameBox = (await iframe.BoundingBoxAsync())!;
        Assert.That(frameBox.Y + frameBox.Height, Is.LessThanOrEqualTo(Height), "the empty frame ends inside the window");
        await page.GetByRole(AriaRole.Button, new() { Name = "Open the admin UI" }).ClickAsync();

        // The step list is on every step of the admin flow.
        await Assertions.Expect(frame.Locator(".steps li[aria-current=step]")).ToHaveTextAsync("Source");
        await frame.GetByLabel("iCalendar feed").CheckAsync();
        await frame.GetByRole(AriaRole.Button, new() { Name = "Continue" }).ClickAsync();
        await Assertions.Expect(frame.Locator(".steps li[aria-current=step]")).ToHaveTextAsync("Connection");
        await frame.GetByLabel("Feed address").FillAsync(feed.Url("/public.ics").ToString());
        await frame.GetByText("Options", new() { Exact = true }).ClickAsync();
        await AssertInViewAsync(frame.GetByRole(AriaRole.Button, new() { Name = "Save", Exact = true }), frameBox, "Save, with the options open");
        await frame.GetByRole(AriaRole.Button, new() { Name = "Test connection" }).ClickAsync();
        await Assertions.Expect(frame.Locator("#test-result")).ToContainTextAsync("would become tickets");
        await Assertions.Expect(frame.Locator(".steps li[aria-current=step]")).ToHaveTextAsync("Options and save");
        await AssertInViewAsync(frame.GetByRole(AriaRole.Button, new() { Name = "Save", Exact = true }), frameBox, "Save, after the test");
        await frame.GetByLabel("Account name in Zendesk").FillAsync("Sandbox feed");
        await ScreenshotAsync("sandbox-wide-admin");
        await frame.GetByRole(AriaRole.Button, new() { Name = "Save", Exact = true }).ClickAsync();

        // The account is beside the frame, in view without scrolling the page (opened afresh, without the anchor
        // the save goes back to).
        var heading = page.GetByRole(AriaRole.Heading, new() { Name = "Sandbox feed" });
        await Assertions.Expect(heading).ToBeVisibleAsync();
        await page.GotoAsync(sandboxUrl + "/sandbox");
        Assert.That(await page.EvaluateAsync<int>("() => window.scrollY"), Is.Zero);
        var headingBox = (await heading.BoundingBoxAsync())!;
        frameBox = (await iframe.BoundingBoxAsync())!;
        Assert.That(headingBox.X, Is.GreaterThanOrEqualTo(frameBox.X + frameBox.Width), "beside the frame");
        Assert.That(headingBox.Y + headingBox.Height, Is.LessThanOrEqualTo(Height), "above the fold");

        // Tickets in date order (due dates and start times), not in the order the pull happened to send them.
        await page.GetByRole(AriaRole.Button, new() { Name = "Pull now" }).ClickAsync();
        await Assertions.Expect(page.Locator(".log li").First).ToContainTextAsync("Pull");
        await ScreenshotAsync("sandbox-wide-pulled");
        var tickets = await page.Locator("article.ticket").CountAsync();
        var dates = (await page.Locator("article.ticket time").EvaluateAllAsync<string[]>("els => els.map(e => e.getAttribute('datetime'))")).ToList();
        Assert.That(tickets, Is.EqualTo(7), "six open tasks and the event");
        Assert.That(dates, Has.Count.EqualTo(tickets));
        Assert.That(dates, Is.Ordered.Using<string>(StringComparer.Ordinal));
        var subjects = await page.Locator("article.ticket h3").AllTextContentsAsync();
        Assert.That(subjects[0], Does.EndWith("Task number 1"), "the soonest due first");
        Assert.That(subjects[^1], Does.EndWith("Task number 6"));

        // A narrow window puts the accounts and tickets above the frame.
        await page.SetViewportSizeAsync(800, Height);
        await page.GotoAsync(sandboxUrl + "/sandbox");
        headingBox = (await page.GetByRole(AriaRole.Heading, new() { Name = "Sandbox feed" }).BoundingBoxAsync())!;
        frameBox = (await iframe.BoundingBoxAsync())!;
        Assert.That(headingBox.Y + headingBox.Height, Is.LessThanOrEqualTo(Height).And.LessThan(frameBox.Y));
        await ScreenshotAsync("sandbox-narrow");
    }

    /// <summary>The element is inside the frame's box and the window, with neither the page nor the frame scrolled.</summary>
    private async Task AssertInViewAsync(ILocator element, LocatorBoundingBoxResult frameBox, string what)
    {
        var box = await element.BoundingBoxAsync();
        Assert.That(box, Is.Not.Null, what);
        Assert.That(await page.EvaluateAsync<int>("() => window.scrollY"), Is.Zero, what + ": the page is not scrolled");
        Assert.That(box!.Y, Is.GreaterThanOrEqualTo(frameBox.Y), what);
        Assert.That(box.Y + box.Height, Is.LessThanOrEqualTo(frameBox.Y + frameBox.Height), what + " is within the frame");
        Assert.That(box.Y + box.Height, Is.LessThanOrEqualTo(page.ViewportSize!.Height), what + " is within the window");
    }

    private async Task OpenAdminAsync(string name, string metadata, string state, string locale = "en-US")
    {
        zendeskFields = new()
        {
            ["name"] = name,
            ["metadata"] = metadata,
            ["state"] = state,
            ["return_url"] = zendesk.Url("/return").ToString(),
            ["subdomain"] = "acme",
            ["locale"] = locale,
        };
        await page.GotoAsync(zendesk.Url("/zendesk").ToString());
        await page.GetByRole(AriaRole.Button, new() { Name = "Open admin UI" }).ClickAsync();
        await Assertions.Expect(Admin.Locator("h1")).ToBeVisibleAsync();
    }

    private async Task<Dictionary<string, string>> ReturnPostAsync()
    {
        await Assertions.Expect(page.FrameLocator("iframe[name=admin]").Locator("#received")).ToBeVisibleAsync();
        Assert.That(received.TryDequeue(out var fields), Is.True);
        return fields!;
    }

    private async Task ScreenshotAsync(string name)
    {
        var folder = Path.Combine(TestContext.CurrentContext.WorkDirectory, "artifacts");
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, $"{TestContext.CurrentContext.Test.MethodName}-{++step:00}-{name}.png");
        await page.ScreenshotAsync(new() { Path = path, FullPage = true });
        TestContext.AddTestAttachment(path, name);
    }

    /// <summary>Plays Zendesk: a page that posts the fields into an iframe, and the return_url that receives the result.</summary>
    private async Task ServeZendeskAsync(ReceivedRequest request, Stream stream, CancellationToken ct)
    {
        var path = request.Target.Split('?')[0];
        if (request.Method == "GET" && path == "/zendesk")
        {
            var inputs = new StringBuilder();
            foreach (var (key, value) in zendeskFields)
            {
                inputs.Append("<input type=\"hidden\" name=\"").Append(key).Append("\" value=\"").Append(WebUtility.HtmlEncode(value)).Append("\">");
            }

            var html = "<!DOCTYPE html><html><head><meta charset=utf-8><title>Zendesk (test)</title></head><body><h1>Channels</h1>"
                + $"<form method=\"post\" action=\"{serviceUrl}/admin\" target=\"admin\">{inputs}<button type=\"submit\">Open admin UI</button></form>"
                + "<iframe name=\"admin\" title=\"Admin UI\" style=\"width:860px;height:1000px;border:1px solid #ccc\"></iframe></body></html>";
            await LoopbackServer.WriteAsync(stream, 200, html, ct, ("Content-Type", "text/html; charset=utf-8"));
        }
        else if (request.Method == "POST" && path == "/return")
        {
            var form = QueryHelpers.ParseQuery(Encoding.UTF8.GetString(request.Body));
            received.Enqueue(form.ToDictionary(f => f.Key, f => f.Value.ToString()));
            await LoopbackServer.WriteAsync(stream, 200, "<!DOCTYPE html><html><body><h1 id=\"received\">Zendesk received the account</h1></body></html>", ct, ("Content-Type", "text/html; charset=utf-8"));
        }
        else
        {
            await LoopbackServer.WriteAsync(stream, 404, "not found", ct);
        }
    }
}
