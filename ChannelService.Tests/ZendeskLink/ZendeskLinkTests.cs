using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using ChannelService.Admin;
using ChannelService.Data;
using ChannelService.Tests.Support;
using ChannelService.Zendesk;
using ChannelService.ZendeskLink;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace ChannelService.Tests.ZendeskLink;

/// <summary>
/// The OAuth link per subdomain against <see cref="FakeZendeskOAuth"/> over real HTTP on loopback: Connect via the
/// authorization-code flow with PKCE, renewal before expiry with rotated refresh tokens, racing renewals, refused and
/// transient renewals, 401s from the API, unlinking, and callbacks that do not belong to a started flow.
/// </summary>
[TestFixtureSource(typeof(TestStore), nameof(TestStore.Both))]
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "Disposed in [TearDown].")]
public sealed partial class ZendeskLinkTests(TestStore testStore)
{
    private ManualTimeProvider clock = null!;
    private FakeZendeskOAuth zendesk = null!;
    private ServiceFactory service = null!;
    private WebApplicationFactory<Program> app = null!;
    private RecordingObserver observer = null!;
    private HttpClient client = null!;

    private IZendeskLinkTokens Tokens => app.Services.GetRequiredService<IZendeskLinkTokens>();

    private ZendeskLinkStore Store => app.Services.GetRequiredService<ZendeskLinkStore>();

    [SetUp]
    public void SetUp()
    {
        clock = new(new DateTimeOffset(2026, 12, 6, 9, 0, 0, TimeSpan.Zero));
        zendesk = new FakeZendeskOAuth(clock);
        observer = new RecordingObserver();
        service = new ServiceFactory(new Dictionary<string, string?>
        {
            ["Channel:ZendeskBaseUrl"] = zendesk.BaseUrl,
            ["Channel:ZendeskOAuthClientId"] = FakeZendeskOAuth.ClientId,
            ["Channel:ZendeskOAuthClientSecret"] = FakeZendeskOAuth.ClientSecret,
            ["Channel:DashboardUser"] = "ops",
            ["Channel:DashboardPassword"] = "dash-pass",
        }, store: testStore);
        app = service.WithWebHostBuilder(b => b.ConfigureTestServices(services =>
        {
            services.AddSingleton<TimeProvider>(clock);
            services.AddSingleton<IZendeskLinkObserver>(observer);
        }));
        client = app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
    }

    /// <summary>Every row of the link's tables as PostgreSQL prints them (its files are not ours to read).</summary>
    private async Task<string> PostgresRowsAsync()
    {
        await using var connection = await app.Services.GetRequiredService<Database>().OpenAsync();
        var rows = await Dapper.SqlMapper.QueryAsync<string>(connection, "SELECT l::text FROM zendesk_links l UNION ALL SELECT p::text FROM zendesk_oauth_pending p");
        return string.Concat(rows);
    }

    [TearDown]
    public async Task TearDownAsync()
    {
        client.Dispose();
        await app.DisposeAsync();
        await service.DisposeAsync();
        await zendesk.DisposeAsync();
    }

    [Test]
    public async Task Connect_Runs_The_Code_Flow_With_Pkce_Stores_The_Link_Sealed_And_Tells_Observers()
    {
        // Act
        var page = await ConnectAsync();

        // Assert
        var authorize = zendesk.AuthorizeRequests.Single();
        var exchange = zendesk.TokenRequests.Single();
        var link = await Store.GetAsync("acme");
        Assert.Multiple(() =>
        {
            Assert.That(page, Does.Contain("You can close this window").And.Contain("data-zendesk-linked=\"acme\""));
            Assert.That(authorize["redirect_uri"], Is.EqualTo("https://channel.example.com/zendesk/oauth/callback"));
            Assert.That(authorize["scope"], Is.EqualTo("read tickets:write users:write webhooks:write triggers:write"));
            Assert.That((string?)exchange["grant_type"], Is.EqualTo("authorization_code"));
            Assert.That(((string?)exchange["code_verifier"])!.Length, Is.EqualTo(43), "RFC 7636: 43-128 characters");
            Assert.That(link!.Grant, Is.EqualTo(ZendeskGrantKind.AuthorizationCode));
            Assert.That(zendesk.IsValid(link.Tokens.AccessToken), Is.True);
            Assert.That(link.Tokens.AccessExpiresAt, Is.EqualTo(clock.GetUtcNow().AddSeconds(600)));
            Assert.That(observer.Events, Is.EqualTo(new[] { "linked acme" }));
        });

        // Sealed: neither token nor the client secret is in the database files.
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        var stored = testStore.Dialect == SqlDialect.Sqlite
            ? string.Concat(Directory.GetFiles(service.DataDirectory, Database.FileName + "*").Select(f => Encoding.UTF8.GetString(File.ReadAllBytes(f))))
            : await PostgresRowsAsync();
        Assert.That(stored, Does.Contain("acme").And.Not.Contain(link!.Tokens.AccessToken).And.Not.Contain(link.Tokens.RefreshToken!).And.Not.Contain(FakeZendeskOAuth.ClientSecret));
    }

    [Test]
    public async Task A_Callback_With_An_Unknown_Replayed_Or_Expired_State_Is_Refused_And_Stores_Nothing()
    {
        var callback = await StartAndAllowAsync();
        var state = Regex.Match(callback, "state=([^&]+)").Groups[1].Value;

        // Unknown state (a forged callback) and no state at all.
        using (var forged = await client.GetAsync("/zendesk/oauth/callback?code=abc&state=forged-state"))
        using (var missing = await client.GetAsync("/zendesk/oauth/callback?code=abc"))
        {
            Assert.That((forged.StatusCode, missing.StatusCode), Is.EqualTo((HttpStatusCode.BadRequest, HttpStatusCode.BadRequest)));
            Assert.That(await forged.Content.ReadAsStringAsync(), Does.Contain("Nothing was stored"));
        }

        // The real one works once; replayed, it is refused.
        using (var first = await client.GetAsync(callback))
        {
            Assert.That(first.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        }

        await Store.DeleteAsync("acme");
        using (var replay = await client.GetAsync(callback))
        {
            Assert.That(replay.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        }

        // A started flow left longer than its lifetime is refused too.
        var late = await StartAndAllowAsync();
        clock.Advance(TimeSpan.FromMinutes(16));
        using (var expired = await client.GetAsync(late))
        {
            Assert.That(expired.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        }

        await Assert.MultipleAsync(async () =>
        {
            Assert.That(await Store.ListAsync(), Is.Empty);
            Assert.That(zendesk.Grants("authorization_code"), Is.EqualTo(1), "only the genuine callback exchanged its code");
            Assert.That(state, Has.Length.GreaterThanOrEqualTo(43));
        });
    }

    [Test]
    public async Task Only_An_Admin_Can_Connect_And_A_Non_Admin_Grant_Is_Revoked()
    {
        zendesk.Role = "agent";

        using var callback = await client.GetAsync(await StartAndAllowAsync());

        Assert.That(callback.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That(await callback.Content.ReadAsStringAsync(), Does.Contain("Only a Zendesk admin can connect"));
        Assert.That(await Store.ListAsync(), Is.Empty);
        Assert.That(zendesk.IssuedAccessTokens.Single(), Is.Not.Null);
        Assert.That(zendesk.IsValid(zendesk.IssuedAccessTokens.Single()), Is.False, "the agent's token was revoked");
        Assert.That(observer.Events, Is.Empty);
    }

    [Test]
    public async Task Connecting_Again_Replaces_The_Link_And_Revokes_The_Previous_Token()
    {
        await ConnectAsync();
        var first = (await Store.GetAsync("acme"))!.Tokens.AccessToken;

        await ConnectAsync();

        var second = (await Store.GetAsync("acme"))!.Tokens.AccessToken;
        Assert.That((zendesk.IsValid(first), zendesk.IsValid(second)), Is.EqualTo((false, true)));
        Assert.That(observer.Events, Is.EqualTo(new[] { "linked acme", "linked acme" }));
    }

    [Test]
    public async Task A_Start_Without_An_Open_Admin_Flow_Is_Refused()
    {
        using var response = await client.PostAsync("/zendesk/oauth/start", Form(("flow", "f1.x.forged")));
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(zendesk.AuthorizeRequests, Is.Empty);
    }

    [Test]
    public async Task The_Token_Is_Renewed_Before_It_Expires_And_The_Old_Pair_Is_Gone()
    {
        await ConnectAsync();
        var first = await Tokens.AccessTokenAsync("acme", CancellationToken.None);
        var refresh = (await Store.GetAsync("acme"))!.Tokens.RefreshToken;

        // Still 5 minutes left: no renewal.
        clock.Advance(TimeSpan.FromMinutes(5));
        Assert.That(await Tokens.AccessTokenAsync("acme", CancellationToken.None), Is.EqualTo(first));

        // Within the renewal margin (two minutes before expiry): renewed with the refresh token, rotated.
        clock.Advance(TimeSpan.FromMinutes(3) + TimeSpan.FromSeconds(30));
        var second = await Tokens.AccessTokenAsync("acme", CancellationToken.None);

        var renewal = zendesk.TokenRequests.Last();
        await Assert.MultipleAsync(async () =>
        {
            Assert.That(second, Is.Not.EqualTo(first).And.Not.Null);
            Assert.That((string?)renewal["grant_type"], Is.EqualTo("refresh_token"));
            Assert.That((string?)renewal["refresh_token"], Is.EqualTo(refresh));
            Assert.That((string?)renewal["client_secret"], Is.EqualTo(FakeZendeskOAuth.ClientSecret));
            Assert.That(zendesk.IsValid(first!), Is.False, "rotation deleted the old access token");
            Assert.That(zendesk.IsValid(second!), Is.True);
            Assert.That((await Store.GetAsync("acme"))!.Tokens.RefreshToken, Is.Not.EqualTo(refresh));
        });
    }

    [Test]
    public async Task An_Access_Token_That_Expires_Between_Two_Calls_Is_Renewed_And_Nothing_Is_Lost()
    {
        await ConnectAsync();
        var http = app.Services.GetRequiredService<ZendeskHttp>();
        var me = new ZendeskRequest(HttpMethod.Get, ["api", "v2", "users", "me.json"]);
        var firstCall = await http.SendAsync("acme", await Tokens.AccessTokenAsync("acme", CancellationToken.None), me, CancellationToken.None);

        // Between two changes the token expires (the service was idle for 20 minutes).
        clock.Advance(TimeSpan.FromMinutes(20));
        var token = await Tokens.AccessTokenAsync("acme", CancellationToken.None);
        var secondCall = await http.SendAsync("acme", token, me, CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(firstCall.Kind, Is.EqualTo(ZendeskOutcomeKind.Accepted));
            Assert.That(secondCall.Kind, Is.EqualTo(ZendeskOutcomeKind.Accepted), secondCall.Message);
            Assert.That(zendesk.Grants("refresh_token"), Is.EqualTo(1));
        });
    }

    [Test]
    public async Task Two_Callers_Racing_At_Expiry_Make_One_Refresh_And_Both_Get_The_New_Token()
    {
        await ConnectAsync();
        var old = (await Store.GetAsync("acme"))!.Tokens.AccessToken;
        clock.Advance(TimeSpan.FromMinutes(9));
        zendesk.TokenDelay = TimeSpan.FromMilliseconds(400);

        // Act: two requests need the token at the same moment.
        var racing = await Task.WhenAll(
            Task.Run(() => Tokens.AccessTokenAsync("acme", CancellationToken.None)),
            Task.Run(() => Tokens.AccessTokenAsync("acme", CancellationToken.None)),
            Task.Run(() => Tokens.AccessTokenAsync("acme", CancellationToken.None)));

        // Assert
        var link = await Store.GetAsync("acme");
        Assert.Multiple(() =>
        {
            Assert.That(zendesk.Grants("refresh_token"), Is.EqualTo(1), "exactly one refresh reached Zendesk");
            Assert.That(racing.Distinct().Single(), Is.Not.EqualTo(old).And.EqualTo(link!.Tokens.AccessToken));
            Assert.That(zendesk.IsValid(link!.Tokens.AccessToken), Is.True);
            Assert.That(link.Broken, Is.False, "the link survives");
        });
    }

    [Test]
    public async Task A_Refused_Refresh_Breaks_The_Link_And_Health_Dashboard_And_Admin_Say_Reconnect()
    {
        await ConnectAsync();
        zendesk.RevokeRefreshTokens();
        clock.Advance(TimeSpan.FromMinutes(9));

        // Act
        var token = await Tokens.AccessTokenAsync("acme", CancellationToken.None);

        // Assert: no token from now on, and no further attempt to refresh.
        Assert.That(token, Is.Null);
        Assert.That(await Tokens.AccessTokenAsync("acme", CancellationToken.None), Is.Null);
        Assert.That(zendesk.Grants("refresh_token"), Is.EqualTo(1));
        var summary = (await Store.ListAsync()).Single();
        Assert.That(summary.Broken, Is.True);
        Assert.That(summary.LastError, Does.Contain("invalid_grant").And.Contain("Reconnect to Zendesk"));

        using var health = await client.GetAsync("/health");
        using var json = JsonDocument.Parse(await health.Content.ReadAsStringAsync());
        Assert.That(health.StatusCode, Is.EqualTo(HttpStatusCode.OK), "the pull keeps working: the service stays healthy");
        Assert.That(json.RootElement.GetProperty("status").GetString(), Is.EqualTo("ok"));
        var broken = json.RootElement.GetProperty("zendesk_links")[0];
        Assert.That((broken.GetProperty("subdomain").GetString(), broken.GetProperty("action").GetString()), Is.EqualTo(("acme", "reconnect to Zendesk")));

        using var dashboardRequest = new HttpRequestMessage(HttpMethod.Get, "/dashboard");
        dashboardRequest.Headers.Authorization = new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("ops:dash-pass")));
        using var dashboard = await client.SendAsync(dashboardRequest);
        var dashboardHtml = await dashboard.Content.ReadAsStringAsync();
        Assert.That(dashboardHtml, Does.Contain("broken: reconnect to Zendesk").And.Contain("acme"));

        var status = await AdminStatusAsync();
        Assert.That(status.GetProperty("state").GetString(), Is.EqualTo("broken"));
        Assert.That(status.GetProperty("text").GetString(), Does.Contain("reconnect to Zendesk"));
        Assert.That(status.GetProperty("connect_label").GetString(), Is.EqualTo("Reconnect to Zendesk"));

        // Connecting again repairs it (and observers hear that it works again).
        await ConnectAsync();
        Assert.That(await Tokens.AccessTokenAsync("acme", CancellationToken.None), Is.Not.Null);
        Assert.That(observer.Events, Is.EqualTo(new[] { "linked acme", "linked acme" }));
        using var healthAfter = await client.GetAsync("/health");
        Assert.That(await healthAfter.Content.ReadAsStringAsync(), Does.Not.Contain("zendesk_links"));
    }

    [Test]
    public async Task A_Removed_Client_401_On_The_Token_Endpoint_Breaks_The_Link()
    {
        await ConnectAsync();
        zendesk.ClientActive = false;
        clock.Advance(TimeSpan.FromMinutes(9));

        Assert.That(await Tokens.AccessTokenAsync("acme", CancellationToken.None), Is.Null);
        var summary = (await Store.ListAsync()).Single();
        Assert.That(summary.Broken, Is.True);
        Assert.That(summary.LastError, Does.Contain("HTTP 401").And.Not.Contain(FakeZendeskOAuth.ClientSecret));
    }

    [Test]
    public async Task Token_Renewals_And_The_Token_Calls_Are_Counted_In_The_Metrics()
    {
        await ConnectAsync();
        zendesk.TokenEndpointStatus = 503;
        clock.Advance(TimeSpan.FromMinutes(9));
        await Tokens.AccessTokenAsync("acme", CancellationToken.None);
        zendesk.TokenEndpointStatus = null;
        var renewed = await Tokens.AccessTokenAsync("acme", CancellationToken.None);

        using var request = Metrics.MetricsEndpointTests.Scrape("ops:dash-pass");
        using var response = await client.SendAsync(request);
        var scrape = Metrics.MetricsEndpointTests.Parse(await response.Content.ReadAsStringAsync());

        Assert.That(renewed, Is.Not.Null);
        Assert.Multiple(() =>
        {
            Assert.That(Metrics.MetricsEndpointTests.Value(scrape, "channelservice_zendesk_token_refreshes_total", ("outcome", "unavailable")), Is.EqualTo(1));
            Assert.That(Metrics.MetricsEndpointTests.Value(scrape, "channelservice_zendesk_token_refreshes_total", ("outcome", "renewed")), Is.EqualTo(1));
            Assert.That(Metrics.MetricsEndpointTests.Value(scrape, "channelservice_zendesk_calls_total", ("method", "POST"), ("endpoint", "oauth/tokens"), ("status", "503")), Is.EqualTo(1));
            Assert.That(Metrics.MetricsEndpointTests.Value(scrape, "channelservice_zendesk_calls_total", ("method", "POST"), ("endpoint", "oauth/tokens"), ("status", "200")), Is.EqualTo(2), "the code exchange and the renewal");
        });
    }

    [Test]
    public async Task A_Transient_5xx_Keeps_The_Link_And_Renewal_Succeeds_Later()
    {
        await ConnectAsync();
        var first = (await Store.GetAsync("acme"))!.Tokens.AccessToken;
        zendesk.TokenEndpointStatus = 503;
        clock.Advance(TimeSpan.FromMinutes(9));

        // Inside the margin but not expired: the current token is still handed out.
        Assert.That(await Tokens.AccessTokenAsync("acme", CancellationToken.None), Is.EqualTo(first));
        var summary = (await Store.ListAsync()).Single();
        Assert.That((summary.Broken, summary.LastCallStatus), Is.EqualTo((false, "renewal failed")));
        Assert.That(summary.LastError, Does.Contain("503"));

        // Expired while Zendesk is still down: no token, but the link stays.
        clock.Advance(TimeSpan.FromMinutes(2));
        Assert.That(await Tokens.AccessTokenAsync("acme", CancellationToken.None), Is.Null);
        Assert.That((await Store.GetAsync("acme"))!.Broken, Is.False);

        // Zendesk is back: the same refresh token still works.
        zendesk.TokenEndpointStatus = null;
        var renewed = await Tokens.AccessTokenAsync("acme", CancellationToken.None);
        Assert.That(renewed, Is.Not.Null.And.Not.EqualTo(first));
        Assert.That(zendesk.IsValid(renewed!), Is.True);
    }

    [Test]
    public async Task An_Api_401_Renews_Once_And_A_Second_401_Breaks_The_Link()
    {
        await ConnectAsync();
        var first = (await Tokens.AccessTokenAsync("acme", CancellationToken.None))!;

        await Tokens.RejectedAsync("acme", first, CancellationToken.None);
        var second = (await Tokens.AccessTokenAsync("acme", CancellationToken.None))!;

        // A late report about the old token changes nothing.
        await Tokens.RejectedAsync("acme", first, CancellationToken.None);
        Assert.That(await Tokens.AccessTokenAsync("acme", CancellationToken.None), Is.EqualTo(second));
        Assert.That(second, Is.Not.EqualTo(first));

        await Tokens.RejectedAsync("acme", second, CancellationToken.None);
        Assert.That(await Tokens.AccessTokenAsync("acme", CancellationToken.None), Is.Null);
        Assert.That((await Store.ListAsync()).Single().Broken, Is.True);
        Assert.That(zendesk.Grants("refresh_token"), Is.EqualTo(1));
    }

    [Test]
    public async Task Unlink_Tells_Observers_Revokes_The_Token_And_Deletes_The_Link()
    {
        await ConnectAsync();
        var token = (await Tokens.AccessTokenAsync("acme", CancellationToken.None))!;

        var result = await app.Services.GetRequiredService<ZendeskLinkManager>().UnlinkAsync("acme", CancellationToken.None);

        await Assert.MultipleAsync(async () =>
        {
            Assert.That(result, Is.EqualTo(new UnlinkResult(true, null)));
            Assert.That(observer.Events, Is.EqualTo(new[] { "linked acme", "unlinking acme" }));
            Assert.That(zendesk.IsValid(token), Is.False, "revoked at Zendesk");
            Assert.That(await Store.ListAsync(), Is.Empty);
            Assert.That(await Tokens.AccessTokenAsync("acme", CancellationToken.None), Is.Null);
            Assert.That((await AdminStatusAsync()).GetProperty("state").GetString(), Is.EqualTo("not-linked"));
        });
    }

    [Test]
    public async Task Destroying_The_Last_Account_Of_The_Subdomain_Removes_Its_Link()
    {
        await ConnectAsync();
        var codec = app.Services.GetRequiredService<ChannelService.Accounts.MetadataCodec>();
        var registry = app.Services.GetRequiredService<ChannelService.Accounts.AccountRegistry>();
        var first = new ChannelService.Accounts.NewAccountRequest("ics", "https://example.org/a.ics", null, null, "A", []).Create(TimeProvider.System) with { Subdomain = "acme" };
        var second = new ChannelService.Accounts.NewAccountRequest("ics", "https://example.org/b.ics", null, null, "B", []).Create(TimeProvider.System) with { Subdomain = "acme" };
        await registry.UpsertAsync(first);
        await registry.UpsertAsync(second);

        await PostEventAsync("destroy_integration_instance", codec.Encode(first));
        Assert.That(await Store.ListAsync(), Has.Count.EqualTo(1), "another account of acme still uses the link");

        await PostEventAsync("destroy_integration_instance", codec.Encode(second));
        Assert.That(await Store.ListAsync(), Is.Empty);
        Assert.That(observer.Events, Is.EqualTo(new[] { "linked acme", "unlinking acme" }));
    }

    [Test]
    public async Task The_Admin_Status_Says_Linked_With_The_Expiry_In_Plain_Words()
    {
        await ConnectAsync();
        var status = await AdminStatusAsync();
        Assert.That(status.GetProperty("state").GetString(), Is.EqualTo("linked"));
        Assert.That(status.GetProperty("text").GetString(), Is.EqualTo("Linked to Zendesk since 2026-12-06 09:00 UTC. The current access token expires in 10 minutes and is renewed automatically."));

        var german = await AdminStatusAsync("de");
        Assert.That(german.GetProperty("text").GetString(), Does.StartWith("Seit 2026-12-06 09:00 UTC mit Zendesk verbunden."));
    }

    [Test]
    public async Task The_Connect_Window_Speaks_The_Admin_Uis_Language_From_Start_To_Callback()
    {
        // The admin page posts its locale with the flow; the opening page is German.
        using var start = await client.PostAsync("/zendesk/oauth/start", Form(("flow", NewFlow(locale: "de")), ("locale", "de")));
        var opening = WebUtility.HtmlDecode(await start.Content.ReadAsStringAsync());
        Assert.That(opening, Does.Contain("<html lang=\"de\">").And.Contain("Zendesk wird geöffnet").And.Contain(">Weiter zu Zendesk</a>"));

        // Zendesk's redirect carries only code and state: the callback finds the language through the state.
        var authorize = Regex.Match(opening, "href=\"([^\"]+)\">Weiter zu Zendesk").Groups[1].Value;
        using var browser = new HttpClient();
        var allow = new Uri(WebUtility.HtmlDecode(AllowLink().Match(await browser.GetStringAsync(authorize)).Groups[1].Value));
        using (var callback = await client.GetAsync(allow.PathAndQuery))
        {
            var page = WebUtility.HtmlDecode(await callback.Content.ReadAsStringAsync());
            Assert.That(callback.StatusCode, Is.EqualTo(HttpStatusCode.OK), page);
            Assert.That(page, Does.Contain("<html lang=\"de\">").And.Contain("Mit Zendesk verbunden").And.Contain("Sie können dieses Fenster schließen").And.Contain("data-zendesk-linked=\"acme\""));
        }

        // Replayed, it is refused in German too.
        using (var replay = await client.GetAsync(allow.PathAndQuery))
        {
            Assert.That(replay.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(WebUtility.HtmlDecode(await replay.Content.ReadAsStringAsync()), Does.Contain("Diese Antwort von Zendesk gehört zu keinem hier gestarteten"));
        }

        // A state nobody issued has no language of its own: the browser's is used (Spanish here), else English.
        using var forged = new HttpRequestMessage(HttpMethod.Get, "/zendesk/oauth/callback?code=abc&state=forged-state");
        forged.Headers.AcceptLanguage.ParseAdd("es-MX,es;q=0.9");
        using var refused = await client.SendAsync(forged);
        Assert.That(WebUtility.HtmlDecode(await refused.Content.ReadAsStringAsync()), Does.Contain("<html lang=\"es\">").And.Contain("Esta página no puede continuar"));
        using var english = await client.GetAsync("/zendesk/oauth/callback?code=abc&state=forged-state");
        Assert.That(await english.Content.ReadAsStringAsync(), Does.Contain("This page cannot continue"));

        // A denied grant in Spanish, from a Spanish admin page.
        using var startEs = await client.PostAsync("/zendesk/oauth/start", Form(("flow", NewFlow(locale: "es")), ("locale", "es-419")));
        var state = Regex.Match(WebUtility.HtmlDecode(await startEs.Content.ReadAsStringAsync()), "[?&]state=([^&\"]+)").Groups[1].Value;
        using var denied = await client.GetAsync("/zendesk/oauth/callback?error=access_denied&state=" + state);
        Assert.That(WebUtility.HtmlDecode(await denied.Content.ReadAsStringAsync()), Does.Contain("No conectado").And.Contain("Zendesk no concedió el acceso"));
    }

    private string NewFlow(string subdomain = "acme", string locale = "en")
    {
        var flows = app.Services.GetRequiredService<AdminFlowTokenCodec>();
        return flows.Seal(flows.Start("https://acme.zendesk.com/admin/return", subdomain, locale, null, null, null, null, null));
    }

    /// <summary>Start in the admin UI, follow to the fake's authorisation page, press Allow: the callback address it sends back.</summary>
    private async Task<string> StartAndAllowAsync()
    {
        using var start = await client.PostAsync("/zendesk/oauth/start", Form(("flow", NewFlow())));
        Assert.That(start.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var html = await start.Content.ReadAsStringAsync();
        var authorize = WebUtility.HtmlDecode(ContinueLink().Match(html).Groups[1].Value);
        Assert.That(authorize, Does.StartWith(zendesk.BaseUrl + "oauth/authorizations/new?"));

        using var browser = new HttpClient();
        var page = await browser.GetStringAsync(authorize);
        var allow = new Uri(WebUtility.HtmlDecode(AllowLink().Match(page).Groups[1].Value));
        Assert.That(allow.GetLeftPart(UriPartial.Path), Is.EqualTo("https://channel.example.com/zendesk/oauth/callback"));
        return allow.PathAndQuery;
    }

    private async Task<string> ConnectAsync()
    {
        using var callback = await client.GetAsync(await StartAndAllowAsync());
        var page = await callback.Content.ReadAsStringAsync();
        Assert.That(callback.StatusCode, Is.EqualTo(HttpStatusCode.OK), page);
        return page;
    }

    private async Task<JsonElement> AdminStatusAsync(string locale = "en")
    {
        using var response = await client.PostAsync("/admin/zendesk-link", Form(("flow", NewFlow()), ("locale", locale)));
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }

    private async Task PostEventAsync(string type, string metadata)
    {
        var body = new System.Text.Json.Nodes.JsonObject
        {
            ["events"] = new System.Text.Json.Nodes.JsonArray(ChannelService.Tests.Events.ZendeskEventJson.Event(type, new System.Text.Json.Nodes.JsonObject { ["metadata"] = metadata })),
        };
        using var response = await client.PostAsync("/events", new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"));
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    private static FormUrlEncodedContent Form(params (string Key, string Value)[] fields) =>
        new(fields.Select(f => new KeyValuePair<string, string>(f.Key, f.Value)));

    [GeneratedRegex("href=\"([^\"]+)\">Continue to Zendesk")]
    private static partial Regex ContinueLink();

    [GeneratedRegex("id=\"allow\" href=\"([^\"]+)\"")]
    private static partial Regex AllowLink();

    private sealed class RecordingObserver : IZendeskLinkObserver
    {
        private readonly ConcurrentQueue<string> events = new();

        public IReadOnlyList<string> Events => [.. events];

        public Task LinkedAsync(string subdomain, CancellationToken cancellationToken)
        {
            events.Enqueue("linked " + subdomain);
            return Task.CompletedTask;
        }

        public Task UnlinkingAsync(string subdomain, CancellationToken cancellationToken)
        {
            events.Enqueue("unlinking " + subdomain);
            return Task.CompletedTask;
        }
    }
}
