using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using ChannelService.Admin;
using ChannelService.Calendars;
using ChannelService.Sandbox;
using ChannelService.Tests.Support;
using ChannelService.Tickets;
using ChannelService.Zendesk;
using ChannelService.ZendeskLink;
using ChannelService.ZendeskLink.Tickets;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace ChannelService.Tests.ZendeskLink;

/// <summary>
/// The sandbox's Zendesk plays OAuth (its own authorisation page, the token endpoint with PKCE, users/me) and the REST
/// API for its subdomain, so "Connect to Zendesk" works without a Zendesk and the page shows what the link set.
/// </summary>
public sealed partial class SandboxLinkTests
{
    [Test]
    public async Task The_Sandbox_Shows_Type_Due_Date_Priority_Tags_And_Requester_Set_Through_Its_Own_Api_Once_Connected()
    {
        await using var host = LinkTestHost.Start(settings: new Dictionary<string, string?> { ["Channel:Sandbox"] = "true" });
        var unit = LinkTestHost.UnitKey(42);
        var opening = ExternalIds.Opening(LinkTestHost.ThreadId(unit));
        var store = host.Services.GetRequiredService<SandboxStore>();
        var account = store.Save(null, "Tasks", "metadata", null);
        SandboxZendesk.ApplyPull(account, 200, "{\"external_resources\":[{\"external_id\":\"" + opening + "\",\"thread_id\":\"" + LinkTestHost.ThreadId(unit) + "\",\"message\":\"Pay the invoices\",\"author\":{\"external_id\":\"a\",\"name\":\"Ann\"}}]}");
        var ticket = account.Tickets.Single();
        Assert.That(SandboxZendesk.ResourcesCreatedEvent([ticket]), Does.Contain("\"ticket_id\":" + ticket.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)));

        await host.LinkAsync(unit, ticket.Id);
        await host.EnqueueAsync(SandboxZendeskApi.Subdomain, (unit, new TicketIntent
        {
            ThreadId = LinkTestHost.ThreadId(unit),
            Kind = CalendarItemKind.Task,
            DueAt = new DateTimeOffset(2030, 1, 31, 22, 59, 59, TimeSpan.Zero),
            Priority = "urgent",
            Tags = ["billing_run"],
            Requester = new TicketRequester("alice@example.com", "Alice Example"),
        }));

        // Not connected: the sandbox's Zendesk takes no call without a token it issued.
        host.Tokens.Token = "a-token-the-sandbox-never-issued";
        await host.RunWorkerAsync(maxPasses: 1);
        Assert.That(ticket.Type, Is.Null);

        // Connected: a token from the sandbox's own code exchange.
        host.Tokens.Token = await SandboxTokenAsync(host.Services);
        await host.Services.GetRequiredService<ChannelService.ZendeskLink.Work.ApiWorkStore>().BringForwardAsync(LinkTestHost.AccountId, unit, DateTimeOffset.UtcNow);
        await host.RunWorkerAsync();

        Assert.That(host.Api.Calls, Is.Empty, "the sandbox subdomain is served in process");
        Assert.That((ticket.Type, ticket.Priority, ticket.DueAt), Is.EqualTo(("task", "urgent", "2030-01-31T22:59:59Z")));
        Assert.That(ticket.Tags, Is.EqualTo(new[] { "billing_run" }));
        using var client = host.Host.CreateClient();
        var page = await client.GetStringAsync("/sandbox");
        Assert.That(page, Does.Contain("urgent").And.Contain("2030-01-31T22:59:59Z").And.Contain("Alice Example &lt;alice@example.com&gt;"));
    }

    [Test]
    public async Task Connect_In_The_Sandbox_Runs_Against_Its_Own_Authorisation_Page_With_Pkce_And_Links_Without_A_Zendesk()
    {
        // No operator OAuth client, no ZendeskBaseUrl: nothing may leave the process.
        await using var service = new ServiceFactory(new Dictionary<string, string?> { ["Channel:Sandbox"] = "true", ["Channel:ZendeskBaseUrl"] = "http://127.0.0.1:9/" });
        using var client = service.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true, BaseAddress = new Uri("https://channel.example.com/") });

        // The admin UI offers Connect for the sandbox's subdomain only.
        Assert.That(await AdminStateAsync(client, service, "sandbox"), Does.Contain("\"state\":\"not-linked\""));
        var panel = service.Services.GetRequiredService<ZendeskLinkPanel>();
        Assert.That((await panel.DescribeAsync("sandbox"))!.CanConnect, Is.True);
        Assert.That((await panel.DescribeAsync("acme"))!.CanConnect, Is.False, "other subdomains need the operator's client");

        // Denied first: nothing is linked.
        var denied = await DecideAsync(client, service, "deny");
        Assert.That(denied.Query, Does.StartWith("?error=access_denied&state="));
        using (var refused = await client.GetAsync(denied.PathAndQuery))
        {
            Assert.That(refused.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(await refused.Content.ReadAsStringAsync(), Does.Contain("Zendesk did not grant access"));
        }

        // Allowed: the code is exchanged with the PKCE verifier at the sandbox's token endpoint, the grant is an admin's.
        var allowed = await DecideAsync(client, service, "allow");
        Assert.That(allowed.GetLeftPart(UriPartial.Path), Is.EqualTo("https://channel.example.com/zendesk/oauth/callback"));
        using (var callback = await client.GetAsync(allowed.PathAndQuery))
        {
            var page = await callback.Content.ReadAsStringAsync();
            Assert.That(callback.StatusCode, Is.EqualTo(HttpStatusCode.OK), page);
            Assert.That(page, Does.Contain("data-zendesk-linked=\"sandbox\"").And.Contain("You can close this window"));
        }

        // A code is single use.
        using (var replay = await client.GetAsync(allowed.PathAndQuery))
        {
            Assert.That(replay.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        }

        var link = await service.Services.GetRequiredService<ZendeskLinkStore>().GetAsync("sandbox");
        Assert.That(link!.Grant, Is.EqualTo(ZendeskGrantKind.AuthorizationCode));
        Assert.That(link.ClientId, Is.EqualTo(SandboxZendeskOAuth.ClientId));
        var token = await service.Services.GetRequiredService<IZendeskLinkTokens>().AccessTokenAsync("sandbox", CancellationToken.None);
        Assert.That(service.Services.GetRequiredService<SandboxZendeskOAuth>().IsValid(token), Is.True);
        Assert.That(await AdminStateAsync(client, service, "sandbox"), Does.Contain("\"state\":\"linked\""));

        // Unlinking revokes the token at the sandbox's Zendesk.
        await service.Services.GetRequiredService<ZendeskLinkManager>().UnlinkAsync("sandbox", CancellationToken.None);
        Assert.That(service.Services.GetRequiredService<SandboxZendeskOAuth>().IsValid(token), Is.False);
    }

    [Test]
    public async Task After_Connecting_The_Sandbox_Its_Admin_Ui_Opens_Again_And_Says_Up_Front_It_Has_No_Change_Feed()
    {
        // Arrange: README's sandbox steps: open the admin UI from /sandbox, Connect to Zendesk, Allow.
        await using var service = new ServiceFactory(new Dictionary<string, string?> { ["Channel:Sandbox"] = "true", ["Channel:ZendeskBaseUrl"] = "http://127.0.0.1:9/" });
        using var client = service.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true, BaseAddress = new Uri("https://channel.example.com/") });
        var allowed = await DecideAsync(client, service, "allow");
        using (var callback = await client.GetAsync(allowed.PathAndQuery))
        {
            Assert.That(callback.StatusCode, Is.EqualTo(HttpStatusCode.OK), await callback.Content.ReadAsStringAsync());
        }

        // Act: open the admin UI again as the sandbox page posts it, and take one step in it.
        var sandboxPage = new AngleSharp.Html.Parser.HtmlParser().ParseDocument(await client.GetStringAsync("/sandbox"));
        var fields = sandboxPage.QuerySelectorAll("#add-account input[type=hidden]").ToDictionary(i => i.GetAttribute("name")!, i => i.GetAttribute("value") ?? "");
        fields["locale"] = "en-US";
        var admin = new ChannelService.Tests.Admin.AdminDriver(client);
        var opened = await admin.PostAsync("/admin", fields);
        var openedStatus = admin.Last!.StatusCode;
        var stepped = await admin.SubmitAsync(opened, "kind", new() { ["kind"] = "ics" });
        var steppedStatus = admin.Last!.StatusCode;

        // Assert: no 500; no agents' panel (the sandbox plays no webhooks), said in plain words instead of an error.
        Assert.That((openedStatus, steppedStatus), Is.EqualTo((HttpStatusCode.OK, HttpStatusCode.OK)), opened.Body?.TextContent);
        Assert.That(opened.QuerySelector("#agent-calendars"), Is.Null);
        Assert.That(await AdminStateAsync(client, service, "sandbox"), Does.Contain("\"state\":\"linked\"").And.Contain("has no change feed"));
        Assert.That(await service.Services.GetRequiredService<ChannelService.ZendeskLink.Changes.ChangeFeedStore>().LinkForSubdomainAsync("sandbox"), Is.Null, "no change feed attempted");
        await service.Services.GetRequiredService<ZendeskApiCallLog>().FlushAsync(CancellationToken.None);
        Assert.That((await service.Services.GetRequiredService<ZendeskLinkStore>().SummaryAsync("sandbox"))!.LastError, Is.Null, "no webhook 404 left as the link's last error");

        // The agents' listing (role[]=agent&role[]=admin, a repeated query key) is answered, not thrown on.
        var listing = await service.Services.GetRequiredService<ChannelService.AgentCalendars.AgentCalendarService>().AgentsAsync("sandbox", CancellationToken.None);
        Assert.That(listing.Problem, Does.Contain("HTTP 404"));
    }

    [Test]
    public async Task A_Command_Line_Process_Leaves_The_Connected_Sandboxs_Link_Alone_And_Says_Why_It_Cannot_Ask()
    {
        // Arrange: the service runs with the sandbox connected (its token lives in the service's memory only).
        await using var service = new ServiceFactory(new Dictionary<string, string?> { ["Channel:Sandbox"] = "true", ["Channel:ZendeskBaseUrl"] = "http://127.0.0.1:9/" });
        using var client = service.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true, BaseAddress = new Uri("https://channel.example.com/") });
        var allowed = await DecideAsync(client, service, "allow");
        using (var callback = await client.GetAsync(allowed.PathAndQuery))
        {
            Assert.That(callback.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        }

        // Act: the newcomer's commands, in their own process beside the service, on the same data directory.
        var list = await CliAsync(service, "calendars", "list", "--subdomain", "sandbox");
        var rotate = await CliAsync(service, "calendars", "rotate", "--subdomain", "sandbox", "--agent", "7001");
        var status = await CliAsync(service, "zendesk", "status");

        // Assert: plain words, no stray punctuation, and the link still works for the service.
        Assert.That(list.Exit, Is.EqualTo(1), list.Stderr);
        Assert.That(list.Stderr.Split('\n')[0], Is.EqualTo("warning: the agents could not be read from Zendesk: the sandbox's Zendesk runs only inside the running service, so this command cannot ask it; the sandbox's link was left as it is. Listing the agents known here."));
        Assert.That((rotate.Exit, rotate.Stdout), Is.EqualTo((1, "")), "no feed is made up for an agent nobody could check");
        Assert.That(rotate.Stderr.Trim(), Does.StartWith("error: agent 7001 is not known here and Zendesk could not be asked: the sandbox's Zendesk runs only inside").And.EndWith("Nothing was rotated."));
        Assert.That(status.Stdout, Does.Match("\\nsandbox +linked "));
        var link = await service.Services.GetRequiredService<ZendeskLinkStore>().SummaryAsync("sandbox");
        Assert.That((link!.BrokenAt, link.LastError), Is.EqualTo(((DateTimeOffset?)null, (string?)null)));
        var token = await service.Services.GetRequiredService<IZendeskLinkTokens>().AccessTokenAsync("sandbox", CancellationToken.None);
        Assert.That(service.Services.GetRequiredService<SandboxZendeskOAuth>().IsValid(token), Is.True);
    }

    /// <summary>The real executable in its own process, on the service's data directory and settings.</summary>
    private static async Task<(int Exit, string Stdout, string Stderr)> CliAsync(ServiceFactory service, params string[] args)
    {
        var start = new System.Diagnostics.ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, WorkingDirectory = service.DataDirectory };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "ChannelService.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["ASPNETCORE_ENVIRONMENT"] = service.Environment;
        start.Environment["Channel__DataDirectory"] = service.DataDirectory;
        start.Environment["Channel__Sandbox"] = "true";
        start.Environment["Channel__ZendeskBaseUrl"] = "http://127.0.0.1:9/";
        start.Environment["Channel__PublicBaseUrl"] = "https://channel.example.com";
        using var process = System.Diagnostics.Process.Start(start)!;
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail("the command did not finish within 90 s");
        }

        return (process.ExitCode, await stdout, await stderr);
    }

    [Test]
    public async Task The_Sandboxs_Authorisation_Page_Refuses_What_Zendesks_Would_And_Is_Off_Without_The_Sandbox()
    {
        await using var service = new ServiceFactory(new Dictionary<string, string?> { ["Channel:Sandbox"] = "true" });
        using var client = service.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        var good = "response_type=code&client_id=channelservice-sandbox&redirect_uri=" + Uri.EscapeDataString("https://channel.example.com/zendesk/oauth/callback")
            + "&scope=read&state=s1&code_challenge=" + new string('a', 43) + "&code_challenge_method=S256";
        using (var ok = await client.GetAsync("/sandbox/oauth/authorizations/new?" + good))
        {
            Assert.That(ok.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(ok.Headers.GetValues("X-Frame-Options"), Is.EqualTo(new[] { "DENY" }), "Zendesk's sign-in page refuses to be framed; so does this one");
        }

        foreach (var (bad, why) in new[]
        {
            (good.Replace("channel.example.com", "evil.example", StringComparison.Ordinal), "redirect_uri"),
            (good.Replace("S256", "plain", StringComparison.Ordinal), "PKCE"),
            (good.Replace("channelservice-sandbox", "someone-else", StringComparison.Ordinal), "unknown"),
            (good.Replace("&state=s1", "", StringComparison.Ordinal), "state"),
        })
        {
            using var refused = await client.GetAsync("/sandbox/oauth/authorizations/new?" + bad);
            Assert.That(refused.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest), bad);
            Assert.That(await refused.Content.ReadAsStringAsync(), Does.Contain(why));
        }

        await using var off = new ServiceFactory(new Dictionary<string, string?> { ["Channel:Sandbox"] = "false" });
        using var offClient = off.CreateClient();
        using var missing = await offClient.GetAsync("/sandbox/oauth/authorizations/new?" + good);
        Assert.That(missing.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
    }

    /// <summary>A token as the sandbox's Zendesk issues it: a code for a PKCE challenge, exchanged with its verifier.</summary>
    private static async Task<string> SandboxTokenAsync(IServiceProvider services)
    {
        var oauth = services.GetRequiredService<SandboxZendeskOAuth>();
        const string Verifier = "verifier-verifier-verifier-verifier-verifier";
        var code = oauth.IssueCode(new SandboxAuthorizeRequest("code", SandboxZendeskOAuth.ClientId, "https://channel.example/zendesk/oauth/callback", "read", "s", ChannelService.ZendeskLink.OAuth.PendingAuthorizations.Challenge(Verifier), "S256"));
        var result = await services.GetRequiredService<ChannelService.ZendeskLink.OAuth.ZendeskOAuthClient>().ExchangeCodeAsync(
            "sandbox", SandboxZendeskOAuth.ClientId, oauth.ClientSecret, code, Verifier, "https://channel.example/zendesk/oauth/callback", "read", CancellationToken.None);
        return ((ChannelService.ZendeskLink.OAuth.TokenGrantResult.Granted)result).Tokens.AccessToken;
    }

    /// <summary>Connect from an admin page of the sandbox's subdomain to the decision on its authorisation page: where it sends the browser.</summary>
    private static async Task<Uri> DecideAsync(HttpClient client, ServiceFactory service, string decision)
    {
        using var start = await client.PostAsync("/zendesk/oauth/start", new FormUrlEncodedContent([new("flow", Flow(service, "sandbox"))]));
        var opening = await start.Content.ReadAsStringAsync();
        Assert.That(start.StatusCode, Is.EqualTo(HttpStatusCode.OK), opening);
        var authorize = WebUtility.HtmlDecode(ContinueLink().Match(opening).Groups[1].Value);
        Assert.That(authorize, Does.StartWith("https://channel.example.com/sandbox/oauth/authorizations/new?"));

        var page = await client.GetStringAsync(authorize);
        var fields = HiddenField().Matches(page).ToDictionary(m => m.Groups[1].Value, m => WebUtility.HtmlDecode(m.Groups[2].Value));
        Assert.That(fields.Keys, Is.SupersetOf(new[] { "__RequestVerificationToken", "state", "code_challenge", "redirect_uri" }));
        fields["decision"] = decision;
        using var decided = await client.PostAsync("/sandbox/oauth/authorizations", new FormUrlEncodedContent(fields));
        Assert.That(decided.StatusCode, Is.EqualTo(HttpStatusCode.Redirect), await decided.Content.ReadAsStringAsync());
        return decided.Headers.Location!;
    }

    private static async Task<string> AdminStateAsync(HttpClient client, ServiceFactory service, string subdomain)
    {
        using var response = await client.PostAsync("/admin/zendesk-link", new FormUrlEncodedContent([new("flow", Flow(service, subdomain))]));
        return await response.Content.ReadAsStringAsync();
    }

    private static string Flow(ServiceFactory service, string subdomain)
    {
        var flows = service.Services.GetRequiredService<AdminFlowTokenCodec>();
        return flows.Seal(flows.Start("https://channel.example.com/sandbox/return", subdomain, "en", null, null, null, null, null));
    }

    [GeneratedRegex("href=\"([^\"]+)\">Continue to Zendesk")]
    private static partial Regex ContinueLink();

    [GeneratedRegex("<input[^>]*name=\"([^\"]+)\"[^>]*value=\"([^\"]*)\"")]
    private static partial Regex HiddenField();
}
