using System.Text;
using System.Net;
using ChannelService.Accounts;
using ChannelService.Tests.Sources.Http;
using ChannelService.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace ChannelService.Tests.Admin;

[TestFixture]
[NonParallelizable]
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "Disposed in [TearDown] and [OneTimeTearDown].")]
public sealed class AdminHttpTests
{
    private ServiceFactory factory = null!;
    private LoopbackServer feed = null!;
    private HttpClient client = null!;
    private AdminDriver admin = null!;

    [OneTimeSetUp]
    public void StartFeed() => feed = TestFeeds.Start();

    [OneTimeTearDown]
    public async Task StopFeed() => await feed.DisposeAsync();

    [SetUp]
    public void StartService()
    {
        factory = new ServiceFactory(new Dictionary<string, string?>
        {
            ["Channel:AllowPrivateNetworkSources"] = "true",
            ["Channel:ReturnUrlHosts:0"] = "support.example.org",
        });
        client = factory.CreateClient(new() { AllowAutoRedirect = false, HandleCookies = false });
        admin = new AdminDriver(client);
    }

    [TearDown]
    public void StopService()
    {
        client.Dispose();
        factory.Dispose();
    }

    private MetadataCodec Codec => factory.Services.GetRequiredService<MetadataCodec>();

    [Test]
    public async Task Admin_Page_May_Be_Framed_Only_By_Zendesk_And_Sets_No_Cookie()
    {
        var page = await admin.StartAsync();

        Assert.That(admin.Last!.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var csp = admin.Last.Headers.GetValues("Content-Security-Policy").Single();
        Assert.That(csp, Does.StartWith("frame-ancestors https://*.zendesk.com https://support.example.org;"));
        Assert.That(csp.Split(';')[0], Does.Not.Contain("'self'"), "the sandbox is off in Production");
        Assert.That(admin.Last.Headers.Contains("X-Frame-Options"), Is.False);
        Assert.That(admin.Last.Headers.Contains("Set-Cookie"), Is.False, "cookies are third-party inside the iframe");
        Assert.That(page.QuerySelectorAll("input[name=kind]").Select(i => i.GetAttribute("value")), Is.EqualTo(new[] { "caldav-tasks", "caldav-calendar", "ics", "inbox" }));
        Assert.That(page.QuerySelector("input[name=__RequestVerificationToken]"), Is.Null);
    }

    [Test]
    public async Task Other_Pages_Forbid_Framing()
    {
        using var response = await client.GetAsync("/about");
        Assert.That(response.Headers.GetValues("Content-Security-Policy").Single(), Is.EqualTo("frame-ancestors 'none'"));
        Assert.That(response.Headers.GetValues("X-Frame-Options").Single(), Is.EqualTo("DENY"));
    }

    [Test]
    public async Task Sandbox_Is_Off_In_Production_And_Adds_Self_To_Framing_Only_When_On()
    {
        using (var off = await client.GetAsync("/sandbox"))
        {
            Assert.That(off.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        }

        using var on = new ServiceFactory(new Dictionary<string, string?> { ["Channel:Sandbox"] = "true" });
        using var onClient = on.CreateClient();
        using (var page = await onClient.GetAsync("/sandbox"))
        {
            Assert.That(page.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(await page.Content.ReadAsStringAsync(), Does.Contain("name=\"return_url\" value=\"http://localhost/sandbox/return\""));
        }

        var onAdmin = new AdminDriver(onClient);
        await onAdmin.StartAsync();
        Assert.That(onAdmin.Last!.Headers.GetValues("Content-Security-Policy").Single(), Does.StartWith("frame-ancestors https://*.zendesk.com 'self';"));
    }

    [TestCase("https://evil.example.com/return")]
    [TestCase("http://acme.zendesk.com/return")]
    [TestCase("https://acme.zendesk.com.evil.example/return")]
    [TestCase("https://other.zendesk.com/return")]
    [TestCase("https://acme.zendesk.com:8443/return")]
    [TestCase("https://user@acme.zendesk.com/return")]
    [TestCase("javascript:alert(1)")]
    [TestCase("")]
    public async Task Foreign_Return_Url_Gets_An_Error_Page_And_No_Form(string returnUrl)
    {
        var fields = AdminDriver.ZendeskFields();
        fields["return_url"] = returnUrl;

        var page = await admin.StartAsync(fields);

        Assert.That(admin.Last!.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(AdminDriver.Text(page), Does.Contain("not on a Zendesk domain"));
        Assert.That(page.QuerySelector("form"), Is.Null);
        Assert.That(page.QuerySelector("input[name=flow]"), Is.Null);
    }

    [Test]
    public async Task Host_Mapped_Domain_From_Settings_Is_Accepted()
    {
        var fields = AdminDriver.ZendeskFields();
        fields["return_url"] = "https://support.example.org/zendesk/channels/return";

        await admin.StartAsync(fields);

        Assert.That(admin.Last!.StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async Task Follow_Up_Post_Without_A_Valid_Flow_Token_Is_Refused()
    {
        var page = await admin.StartAsync();
        var fields = AdminDriver.FormFields(page);
        fields["do"] = "kind";
        fields["kind"] = "ics";

        var missing = new Dictionary<string, string>(fields);
        missing.Remove("flow");
        var forged = await admin.PostAsync("/admin/step", missing);
        Assert.That(admin.Last!.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(AdminDriver.Text(forged), Does.Contain("not issued by this service"));

        var token = fields["flow"];
        var tampered = new Dictionary<string, string>(fields) { ["flow"] = token[..^4] + (token[^4] == 'A' ? "BBBB" : "AAAA") };
        await admin.PostAsync("/admin/step", tampered);
        Assert.That(admin.Last!.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));

        await admin.PostAsync("/admin/step", fields);
        Assert.That(admin.Last!.StatusCode, Is.EqualTo(HttpStatusCode.OK), "the genuine token works");
    }

    [Test]
    public async Task A_Saved_Flow_Cannot_Be_Replayed()
    {
        var details = await admin.SubmitAsync(await admin.StartAsync(), "kind", new() { ["kind"] = "ics" });
        var fields = AdminDriver.FormFields(details);
        fields["url"] = feed.Url("/public.ics").ToString();
        fields["do"] = "save";

        var saved = await admin.PostAsync("/admin/step", fields);
        Assert.That(saved.QuerySelector("form#return-form"), Is.Not.Null, AdminDriver.Text(saved));

        var replay = await admin.PostAsync("/admin/step", fields);
        Assert.That(admin.Last!.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(AdminDriver.Text(replay), Does.Contain("already saved"));
    }

    [Test]
    public async Task Oversized_And_Garbage_Fields_Get_400_With_A_Message()
    {
        var tooLong = AdminDriver.ZendeskFields(metadata: new string('a', 5001));
        var page = await admin.StartAsync(tooLong);
        Assert.That(admin.Last!.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(AdminDriver.Text(page), Does.Contain("'metadata'"));

        using (var huge = await client.PostAsync("/admin", new FormUrlEncodedContent(AdminDriver.ZendeskFields(metadata: new string('a', 5_000_000)))))
        {
            Assert.That(huge.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(await huge.Content.ReadAsStringAsync(), Does.Contain("too large"));
        }

        page = await admin.StartAsync(AdminDriver.ZendeskFields(metadata: "garbage"));
        Assert.That(admin.Last!.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(AdminDriver.Text(page), Does.Contain("could not be read"));

        var bad = AdminDriver.ZendeskFields();
        bad["subdomain"] = "acme/../evil";
        await admin.StartAsync(bad);
        Assert.That(admin.Last!.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));

        var details = await admin.SubmitAsync(await admin.StartAsync(), "kind", new() { ["kind"] = "ics" });
        page = await admin.SubmitAsync(details, "test", new() { ["url"] = "https://example.com/" + new string('x', 5000) });
        Assert.That(admin.Last!.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(AdminDriver.Text(page), Does.Contain("'url' is too long"));

        page = await admin.SubmitAsync(details, "explode");
        Assert.That(admin.Last!.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
    }

    [Test]
    public async Task Validation_Messages_Sit_Next_To_Their_Fields()
    {
        var details = await admin.SubmitAsync(await admin.StartAsync(), "kind", new() { ["kind"] = "ics" });

        var page = await admin.SubmitAsync(details, "test", new() { ["url"] = "ftp://example.com/x.ics", ["window_past_days"] = "-3", ["time_zone"] = "Mars/Base" });

        Assert.That(page.QuerySelector("#url-error")?.TextContent, Does.Contain("https://"));
        Assert.That(page.QuerySelector("#url")?.GetAttribute("aria-invalid"), Is.EqualTo("true"));
        Assert.That(page.QuerySelector("#url")?.GetAttribute("aria-describedby"), Does.Contain("url-error"));
        Assert.That(page.QuerySelector("#window_past_days-error")?.TextContent, Does.Contain("0 to 3650"));
        Assert.That(page.QuerySelector("#time_zone-error")?.TextContent, Does.Contain("Europe/Berlin"));
        Assert.That(page.QuerySelector("#test-result"), Is.Null, "nothing is tested while fields are invalid");
    }

    [Test]
    public async Task Test_Connection_Shows_What_The_Account_Would_Do()
    {
        var details = await admin.SubmitAsync(await admin.StartAsync(), "kind", new() { ["kind"] = "ics" });

        var page = await admin.SubmitAsync(details, "test", new() { ["url"] = feed.Url("/feed.ics").ToString(), ["username"] = TestFeeds.User, ["password"] = TestFeeds.Password });

        var result = page.QuerySelector("#test-result")!;
        Assert.That(result.TextContent, Does.Contain("Found 1 events and 7 tasks."));
        Assert.That(result.QuerySelectorAll(".preview li").Select(li => li.TextContent), Is.EqualTo(new[] { "Task number 1", "Task number 2", "Planning meeting", "Task number 3", "Task number 4" }));
        Assert.That(result.TextContent, Does.Contain("7 would become tickets"));
        Assert.That(page.DocumentElement.OuterHtml, Does.Not.Contain(TestFeeds.Password), "a typed password is never written back into the page");
    }

    [TestCase("/feed.ics", "wrong", "The server rejected the username or password")]
    [TestCase("/login", "", "This URL returned a web page, not a calendar.")]
    [TestCase("/missing.ics", "", "Nothing was found at this address")]
    public async Task Failed_Tests_Say_Why_In_Plain_Words(string path, string password, string message)
    {
        var details = await admin.SubmitAsync(await admin.StartAsync(), "kind", new() { ["kind"] = "ics" });

        var page = await admin.SubmitAsync(details, "save", new() { ["url"] = feed.Url(path).ToString(), ["username"] = password.Length > 0 ? TestFeeds.User : "", ["password"] = password });

        Assert.That(page.QuerySelector("#test-result.failed")?.TextContent, Does.Contain(message));
        Assert.That(page.QuerySelector("form#return-form"), Is.Null, "nothing is saved while the test fails");
        Assert.That(page.QuerySelector("#save_anyway"), Is.Not.Null);
    }

    [Test]
    public async Task Private_Address_Is_Refused_When_Private_Sources_Are_Not_Allowed()
    {
        using var strict = new ServiceFactory();
        using var strictClient = strict.CreateClient();
        var strictAdmin = new AdminDriver(strictClient);
        var details = await strictAdmin.SubmitAsync(await strictAdmin.StartAsync(), "kind", new() { ["kind"] = "ics" });

        var page = await strictAdmin.SubmitAsync(details, "test", new() { ["url"] = "https://10.20.30.40/calendar.ics" });

        Assert.That(page.QuerySelector("#test-result.failed")?.TextContent, Does.Contain("That address is on a private network"));
    }

    [Test]
    public async Task Save_Anyway_Saves_A_Source_That_Is_Down()
    {
        var details = await admin.SubmitAsync(await admin.StartAsync(), "kind", new() { ["kind"] = "ics" });
        var failed = await admin.SubmitAsync(details, "save", new() { ["url"] = feed.Url("/missing.ics").ToString() });

        var saved = await admin.SubmitAsync(failed, "save", new() { ["save_anyway"] = "on" });

        var metadata = saved.QuerySelector("form#return-form input[name=metadata]")?.GetAttribute("value");
        Assert.That(Codec.Decode(metadata).Url, Is.EqualTo(feed.Url("/missing.ics").ToString()));
    }

    [Test]
    public async Task Save_Posts_Metadata_That_Decodes_To_What_Was_Entered_And_Edit_Keeps_Password_And_State()
    {
        var details = await admin.SubmitAsync(await admin.StartAsync(), "kind", new() { ["kind"] = "ics" });
        var url = feed.Url("/feed.ics").ToString();
        var tested = await admin.SubmitAsync(details, "test", new() { ["url"] = url, ["username"] = TestFeeds.User, ["password"] = TestFeeds.Password });
        var saved = await admin.SubmitAsync(tested, "save", new()
        {
            ["display_name"] = "Team tasks",
            ["tasks"] = "all",
            ["window_future_days"] = "60",
            ["time_zone"] = "Europe/Berlin",
            ["author_name"] = "Calendar bot",
            ["custom_fields"] = "360001234567=X-PRIORITY-CLASS",
        });

        var form = saved.QuerySelector("form#return-form")!;
        Assert.That(form.GetAttribute("action"), Is.EqualTo(AdminDriver.ReturnUrl));
        Assert.That(form.QuerySelector("input[name=name]")!.GetAttribute("value"), Is.EqualTo("Team tasks"));
        Assert.That(form.QuerySelector("input[name=state]"), Is.Null, "a new account sends no state");
        var metadata = form.QuerySelector("input[name=metadata]")!.GetAttribute("value")!;
        var account = Codec.Decode(metadata);
        Assert.That((account.Kind, account.Url, account.Username, account.Secret, account.DisplayName, account.Subdomain), Is.EqualTo((SourceKind.Ics, url, TestFeeds.User, TestFeeds.Password, "Team tasks", "acme")));
        Assert.That(account.Options.ToDictionary(), Is.EquivalentTo(new Dictionary<string, string>
        {
            ["tasks"] = "all",
            ["window_future_days"] = "60",
            ["time_zone"] = "Europe/Berlin",
            ["author_name"] = "Calendar bot",
            ["custom_fields"] = "{\"360001234567\":\"X-PRIORITY-CLASS\"}",
        }));

        // Edit: Zendesk posts the stored metadata and state back; the password field is empty and the hint says so.
        var edit = await admin.StartAsync(AdminDriver.ZendeskFields(metadata, "pull-state-cursor", "Team tasks"));
        Assert.That(edit.DocumentElement.OuterHtml, Does.Not.Contain(TestFeeds.Password));
        Assert.That(edit.QuerySelector("#password")!.GetAttribute("value"), Is.Empty);
        Assert.That(edit.QuerySelector("#password-help")!.TextContent, Is.EqualTo("Leave blank to keep the saved password."));
        Assert.That(edit.QuerySelector("#url")!.GetAttribute("value"), Is.EqualTo(url));

        var resaved = await admin.SubmitAsync(edit, "save", new() { ["window_future_days"] = "14" });
        var again = resaved.QuerySelector("form#return-form")!;
        Assert.That(again.QuerySelector("input[name=state]")!.GetAttribute("value"), Is.EqualTo("pull-state-cursor"));
        var edited = Codec.Decode(again.QuerySelector("input[name=metadata]")!.GetAttribute("value"));
        Assert.That((edited.AccountId, edited.Secret, edited.Options.WindowFutureDays, edited.CreatedAt), Is.EqualTo((account.AccountId, TestFeeds.Password, 14, account.CreatedAt)));
    }

    [Test]
    public async Task An_Edit_Through_The_Pages_Keeps_Every_Option_The_Form_Does_Not_Show()
    {
        // Arrange: an account made elsewhere (the command line) with every option away from its default.
        var url = feed.Url("/feed.ics").ToString();
        var account = new NewAccountRequest("ics", url, TestFeeds.User, TestFeeds.Password, "Team", [.. AccountSetupTests.EveryOptionChanged]).Create(TimeProvider.System);
        var edit = await admin.StartAsync(AdminDriver.ZendeskFields(Codec.Encode(account), "state-1", "Team"));

        // Act: opened, one option changed, saved.
        var saved = await admin.SubmitAsync(edit, "save", new() { ["window_past_days"] = "3" });

        // Assert
        var metadata = saved.QuerySelector("form#return-form input[name=metadata]")?.GetAttribute("value");
        Assert.That(metadata, Is.Not.Null, () => AdminDriver.Text(saved));
        var edited = Codec.Decode(metadata);
        Assert.That(edited.Options.ToDictionary(), Is.EquivalentTo(new Dictionary<string, string>(AccountSetupTests.EveryOptionChanged) { ["window_past_days"] = "3" }));
        Assert.That((edited.AccountId, edited.Secret), Is.EqualTo((account.AccountId, TestFeeds.Password)));
    }

    [Test]
    public async Task Save_Registers_The_Account_And_Keeps_Push_Credentials_Encrypted_In_The_Database()
    {
        var fields = AdminDriver.ZendeskFields();
        fields["instance_push_id"] = "push-id-123";
        fields["zendesk_access_token"] = "secret-push-token-xyz";
        var details = await admin.SubmitAsync(await admin.StartAsync(fields), "kind", new() { ["kind"] = "ics" });
        var tested = await admin.SubmitAsync(details, "test", new() { ["url"] = feed.Url("/feed.ics").ToString(), ["username"] = TestFeeds.User, ["password"] = TestFeeds.Password });
        var saved = await admin.SubmitAsync(tested, "save", new() { ["display_name"] = "Pushed" });

        var account = Codec.Decode(saved.QuerySelector("form#return-form input[name=metadata]")!.GetAttribute("value"));
        var credentials = await factory.Services.GetRequiredService<ChannelService.Zendesk.PushCredentialsStore>().GetAsync(account.AccountId);
        Assert.That((credentials?.Subdomain, credentials?.InstancePushId, credentials?.Token), Is.EqualTo(("acme", "push-id-123", "secret-push-token-xyz")));
        Assert.That(credentials!.ToString(), Does.Not.Contain("secret-push-token-xyz"), "credentials never print their token");
        Assert.That(await factory.Services.GetRequiredService<AccountRegistry>().GetAsync(account.AccountId), Is.Not.Null);
        Assert.That(saved.DocumentElement.OuterHtml, Does.Not.Contain("secret-push-token-xyz"));
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        var database = string.Concat(Directory.GetFiles(factory.DataDirectory, "channel.db*").Select(f => Encoding.Latin1.GetString(File.ReadAllBytes(f))));
        Assert.That(database, Does.Not.Contain("secret-push-token-xyz"), "the token is stored encrypted");
    }

    [Test]
    public async Task A_New_Webhook_Inbox_Shows_Its_Address_And_Secret_Once_And_The_Secret_Signs_Messages()
    {
        var details = await admin.SubmitAsync(await admin.StartAsync(), "kind", new() { ["kind"] = "inbox" });
        var tested = await admin.SubmitAsync(details, "test", new() { ["url"] = "https://hooks.example.net/replies" });
        var saved = await admin.SubmitAsync(tested, "save", new() { ["display_name"] = "Shop inbox", ["save_anyway"] = "on" });

        Assert.That(saved.QuerySelector("form#return-form"), Is.Not.Null, AdminDriver.Text(saved));
        var form = saved.QuerySelector("form#return-form")!;
        Assert.That(form.GetAttribute("data-autosubmit"), Is.EqualTo("wait"), "the page waits so the secret can be copied");
        var account = Codec.Decode(form.QuerySelector("input[name=metadata]")!.GetAttribute("value"));
        var secret = saved.QuerySelector("#inbox-secret")!.GetAttribute("value")!;
        Assert.That(saved.QuerySelector("#inbox-url")!.GetAttribute("value"), Does.EndWith("/inbox/" + account.AccountId));
        using (var accepted = await client.SendAsync(ChannelService.Tests.Inbox.InboxTestClient.Signed(account.AccountId, secret, ChannelService.Tests.Inbox.InboxTestClient.Message("m1", "t1").ToJsonString())))
        {
            Assert.That(accepted.StatusCode, Is.EqualTo(HttpStatusCode.Accepted));
        }

        // Editing the account keeps the secret (it is not shown again).
        var edit = await admin.StartAsync(AdminDriver.ZendeskFields(form.QuerySelector("input[name=metadata]")!.GetAttribute("value")!, "", "Shop inbox"));
        var resaved = await admin.SubmitAsync(edit, "save", new() { ["save_anyway"] = "on" });
        Assert.That(resaved.QuerySelector("#inbox-secret"), Is.Null);
        Assert.That(resaved.QuerySelector("form#return-form")!.GetAttribute("data-autosubmit"), Is.EqualTo("on"));
        using var stillAccepted = await client.SendAsync(ChannelService.Tests.Inbox.InboxTestClient.Signed(account.AccountId, secret, ChannelService.Tests.Inbox.InboxTestClient.Message("m2", "t1").ToJsonString()));
        Assert.That(stillAccepted.StatusCode, Is.EqualTo(HttpStatusCode.Accepted));
    }

    [Test]
    public async Task Saved_Password_Is_Not_Sent_To_Another_Server()
    {
        var details = await admin.SubmitAsync(await admin.StartAsync(), "kind", new() { ["kind"] = "ics" });
        var saved = await admin.SubmitAsync(details, "save", new() { ["url"] = feed.Url("/feed.ics").ToString(), ["username"] = TestFeeds.User, ["password"] = TestFeeds.Password });
        var metadata = saved.QuerySelector("form#return-form input[name=metadata]")!.GetAttribute("value")!;

        var edit = await admin.StartAsync(AdminDriver.ZendeskFields(metadata));
        var moved = await admin.SubmitAsync(edit, "save", new() { ["url"] = "http://localhost:" + feed.Port + "/feed.ics" });

        Assert.That(moved.QuerySelector("#test-result.failed")?.TextContent, Does.Contain("The server rejected the username or password"));
        var withPassword = "Basic " + Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(TestFeeds.User + ":" + TestFeeds.Password));
        Assert.That(feed.Requests[^1].Header("Authorization"), Is.Not.EqualTo(withPassword), "the saved password stays with the server it was saved for");
    }

    [TestCase("ics", "en-US", "Enter a full address such as https://calendar.example.com/team.ics.")]
    [TestCase("ics", "de", "Geben Sie eine vollständige Adresse ein, z. B. https://calendar.example.com/team.ics.")]
    [TestCase("ics", "es", "Introduzca una dirección completa, p. ej. https://calendar.example.com/team.ics.")]
    [TestCase("caldav-tasks", "en-US", "Enter a full address such as https://dav.example.com/calendars/me/tasks/.")]
    [TestCase("inbox", "en-US", "Enter a full address such as https://hooks.example.com/replies.")]
    [TestCase("inbox", "de", "Geben Sie eine vollständige Adresse ein, z. B. https://hooks.example.com/replies.")]
    public async Task A_Bad_Address_Hint_Gives_An_Example_Of_The_Kind_Being_Set_Up(string kind, string locale, string hint)
    {
        var details = await admin.SubmitAsync(await admin.StartAsync(AdminDriver.ZendeskFields(locale: locale)), "kind", new() { ["kind"] = kind });

        var page = await admin.SubmitAsync(details, "test", new() { ["url"] = "calendar" });

        Assert.That(page.QuerySelector("#url-error")?.TextContent, Is.EqualTo(hint));
    }

    [TestCase("ics", "en-US", "Password, app password or token; leave empty for a public feed.")]
    [TestCase("caldav-tasks", "en-US", "Password, app password or token of this account.")]
    [TestCase("caldav-calendar", "en-US", "Password, app password or token of this account.")]
    [TestCase("caldav-tasks", "de", "Passwort, App-Passwort oder Token dieses Kontos.")]
    [TestCase("caldav-calendar", "es", "Contraseña, contraseña de aplicación o token de esta cuenta.")]
    [TestCase("ics", "de", "Passwort, App-Passwort oder Token; bei einem öffentlichen Feed leer lassen.")]
    public async Task The_Password_Hint_Speaks_Of_Public_Feeds_Only_For_Feeds(string kind, string locale, string hint)
    {
        var details = await admin.SubmitAsync(await admin.StartAsync(AdminDriver.ZendeskFields(locale: locale)), "kind", new() { ["kind"] = kind });

        Assert.That(details.QuerySelector("#password-help")?.TextContent, Is.EqualTo(hint));
    }

    [TestCase("ics", "en-US", "That address belongs to a cloud metadata service, which this service never contacts.")]
    [TestCase("caldav-tasks", "en-US", "That address belongs to a cloud metadata service, which this service never contacts.")]
    [TestCase("ics", "de", "Diese Adresse gehört zu einem Cloud-Metadatendienst, den dieser Dienst nie kontaktiert.")]
    [TestCase("caldav-calendar", "es", "Esa dirección pertenece a un servicio de metadatos de la nube, que este servicio nunca contacta.")]
    public async Task A_Cloud_Metadata_Address_Is_Refused_Without_Suggesting_A_Setting(string kind, string locale, string message)
    {
        // Private networks allowed: the metadata service stays blocked all the same, so no setting is worth naming.
        var details = await admin.SubmitAsync(await admin.StartAsync(AdminDriver.ZendeskFields(locale: locale)), "kind", new() { ["kind"] = kind });

        var page = await admin.SubmitAsync(details, "test", new() { ["url"] = "http://169.254.169.254/latest/meta-data/" });

        var failed = page.QuerySelector("#test-result.failed .message")?.TextContent;
        Assert.That(failed, Is.EqualTo(message), AdminDriver.Text(page));
        Assert.That(AdminDriver.Text(page), Does.Not.Contain("AllowedSourceNetworks"));
    }

    [TestCase("de", "Was möchten Sie verbinden?", "Verbindung testen")]
    [TestCase("es-419", "¿Qué desea conectar?", "Probar conexión")]
    [TestCase("en-GB", "What do you want to connect?", "Test connection")]
    [TestCase("fr", "What do you want to connect?", "Test connection")]
    public async Task Pages_Follow_The_Posted_Locale(string locale, string question, string testButton)
    {
        var kind = await admin.StartAsync(AdminDriver.ZendeskFields(locale: locale));
        Assert.That(kind.QuerySelector("legend")!.TextContent, Is.EqualTo(question));

        var details = await admin.SubmitAsync(kind, "kind", new() { ["kind"] = "ics" });
        Assert.That(details.QuerySelector("button[value=test]")!.TextContent, Is.EqualTo(testButton));
    }
}
