using System.Net;
using System.Text.Json.Nodes;
using ChannelService.Accounts;
using ChannelService.Sources;
using ChannelService.Sources.CalDav;
using ChannelService.Tests.Sources.CalDav;
using ChannelService.Tests.Support;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace ChannelService.Tests.Channelback;

/// <summary>
/// Channelback, clickthrough and the source probe end to end: the real service in a test host, a real Radicale on
/// loopback (one per class, one collection per test), and pulls through <c>/pull</c> to put items in the store.
/// </summary>
[TestFixture]
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "NUnit disposes them in TearDown")]
[TestFixtureSource(typeof(TestStore), nameof(TestStore.Both))]
public sealed class ChannelbackRadicaleTests(TestStore testStore)
{
    private RadicaleServer server = null!;
    private ServiceFactory factory = null!;
    private WebApplicationFactory<Program> host = null!;
    private HttpClient client = null!;
    private EditBeforeFirstPutHandler? race;

    [OneTimeSetUp]
    public async Task StartRadicale() => server = await RadicaleServer.StartAsync();

    [OneTimeTearDown]
    public async Task StopRadicale() => await server.DisposeAsync();

    [SetUp]
    public void StartService()
    {
        race = null;
        factory = new ServiceFactory(new Dictionary<string, string?> { ["Channel:AllowPrivateNetworkSources"] = "true" }, store: testStore);
        host = factory.WithWebHostBuilder(b => b.ConfigureTestServices(s => s.AddSingleton<ISourceFactory>(sp => new CalDavRoutingSourceFactory(sp, () => race))));
        client = host.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
    }

    [TearDown]
    public async Task StopService()
    {
        client.Dispose();
        await host.DisposeAsync();
        await factory.DisposeAsync();
    }

    // ------------------------------------------------------------ channelback

    [Test]
    public async Task A_Reply_Becomes_A_Marked_Comment_And_The_Next_Pull_Echoes_It_Under_The_Same_Id()
    {
        var (collection, account) = await TaskAccountAsync("t-1", "Renew certificate");
        var thread = await FirstPullThreadAsync(account);

        var (status, body) = await ChannelbackAsync(account, "Renewed, see the new expiry date.", thread, "req-1");

        Assert.That(status, Is.EqualTo(HttpStatusCode.OK), body?.ToJsonString());
        var externalId = (string)body!["external_id"]!;
        Assert.That((bool)body["allow_channelback"]!, Is.True);
        var ics = Unfold(await GetObjectAsync(collection, "t-1.ics"));
        Assert.That(Values(ics, "COMMENT;X-ZENDESK-COMMENT-ID=req-1"), Is.EqualTo(new[] { "Renewed, see the new expiry date." }));

        var echoes = await PullResourcesAsync(account);
        Assert.That(echoes.Select(r => (string)r["external_id"]!), Does.Contain(externalId), "the pull maps the echo to the channelback's external_id");
    }

    [Test]
    public async Task A_Repeated_Request_Writes_Nothing_And_Returns_The_Same_Id()
    {
        var (collection, account) = await TaskAccountAsync("t-2", "Order parts");
        var thread = await FirstPullThreadAsync(account);
        var (_, first) = await ChannelbackAsync(account, "Ordered.", thread, "req-2");
        var etag = await ETagAsync(collection, "t-2.ics");

        var (status, again) = await ChannelbackAsync(account, "Ordered.", thread, "req-2");

        Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That((string)again!["external_id"]!, Is.EqualTo((string)first!["external_id"]!));
        Assert.That(await ETagAsync(collection, "t-2.ics"), Is.EqualTo(etag), "nothing was written the second time");
        Assert.That(CountOf(Unfold(await GetObjectAsync(collection, "t-2.ics")), "X-ZENDESK-COMMENT-ID=req-2"), Is.EqualTo(1));
    }

    [Test]
    public async Task A_Concurrent_Edit_Between_Read_And_Write_Still_Ends_With_Both_Changes()
    {
        var (collection, account) = await TaskAccountAsync("t-3", "Call back");
        var thread = await FirstPullThreadAsync(account);
        race = new EditBeforeFirstPutHandler(async () =>
        {
            var edited = (await GetObjectAsync(collection, "t-3.ics")).Replace("SUMMARY:Call back", "SUMMARY:Call back before noon", StringComparison.Ordinal);
            using var put = await server.SendAsync(HttpMethod.Put, new Uri(collection, "t-3.ics"), edited);
            Assert.That(put.IsSuccessStatusCode, Is.True);
        });

        var (status, body) = await ChannelbackAsync(account, "Called, no answer.", thread, "req-3");

        Assert.That(status, Is.EqualTo(HttpStatusCode.OK), body?.ToJsonString());
        Assert.That(race.Puts, Is.EqualTo(2), "the first PUT met 412 and the reply was re-applied");
        var ics = Unfold(await GetObjectAsync(collection, "t-3.ics"));
        Assert.That(Values(ics, "SUMMARY"), Is.EqualTo(new[] { "Call back before noon" }));
        Assert.That(Values(ics, "COMMENT;X-ZENDESK-COMMENT-ID=req-3"), Is.EqualTo(new[] { "Called, no answer." }));
    }

    [Test]
    public async Task Done_Reopen_And_Due_Commands_Change_The_Task_And_Keep_The_Rest_As_A_Comment()
    {
        var (collection, account) = await TaskAccountAsync("t-4", "Replace battery");
        var thread = await FirstPullThreadAsync(account);

        var (done, _) = await ChannelbackAsync(account, "#done\nBattery replaced.", thread, "req-4a");
        var afterDone = Unfold(await GetObjectAsync(collection, "t-4.ics"));
        var (reopen, _) = await ChannelbackAsync(account, "#reopen\nIt died again.", thread, "req-4b");
        var afterReopen = Unfold(await GetObjectAsync(collection, "t-4.ics"));
        var (due, _) = await ChannelbackAsync(account, "#due 2026-12-01 17:00\nNew part arrives then.", thread, "req-4c");
        var afterDue = Unfold(await GetObjectAsync(collection, "t-4.ics"));

        Assert.Multiple(() =>
        {
            Assert.That(new[] { done, reopen, due }, Is.All.EqualTo(HttpStatusCode.OK));
            Assert.That(Values(afterDone, "STATUS"), Is.EqualTo(new[] { "COMPLETED" }));
            Assert.That(Values(afterDone, "COMMENT"), Is.EqualTo(new[] { "Battery replaced." }), "the command line is not part of the comment");
            Assert.That(Values(afterReopen, "STATUS"), Is.EqualTo(new[] { "NEEDS-ACTION" }));
            Assert.That(Values(afterReopen, "COMPLETED"), Is.Empty);
            Assert.That(Values(afterReopen, "COMMENT"), Does.Contain("It died again."));
            Assert.That(Values(afterDue, "DUE"), Is.EqualTo(new[] { "20261201T170000Z" }));
            Assert.That(Values(afterDue, "COMMENT"), Does.Contain("New part arrives then."));
        });
    }

    [Test]
    public async Task Reply_Commands_Off_Writes_The_Command_As_Plain_Text()
    {
        var (collection, account) = await TaskAccountAsync("t-5", "Water plants", "reply_commands=off");
        var thread = await FirstPullThreadAsync(account);

        var (status, _) = await ChannelbackAsync(account, "#done\nWatered.", thread, "req-5");

        Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
        var ics = Unfold(await GetObjectAsync(collection, "t-5.ics"));
        Assert.That(Values(ics, "STATUS"), Is.EqualTo(new[] { "NEEDS-ACTION" }));
        Assert.That(Values(ics, "COMMENT"), Is.EqualTo(new[] { "#done\\nWatered." }), "the whole reply is the comment (TEXT escaping, RFC 5545 §3.3.11)");
    }

    [Test]
    public async Task An_Unreadable_Due_Date_Is_Refused_And_Nothing_Is_Written()
    {
        var (collection, account) = await TaskAccountAsync("t-11", "Plan trip");
        var thread = await FirstPullThreadAsync(account);
        var etag = await ETagAsync(collection, "t-11.ics");

        var (status, body) = await ChannelbackAsync(account, "#due next week\nAfter the holidays.", thread, "req-11");

        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That((string)body!["error"]!, Does.Contain("#due"));
        Assert.That(await ETagAsync(collection, "t-11.ics"), Is.EqualTo(etag));
    }

    [Test]
    public async Task A_Reply_Without_A_Request_Id_Or_To_Another_Accounts_Thread_Is_Refused()
    {
        var (_, account) = await TaskAccountAsync("t-12", "Check logs");
        var thread = await FirstPullThreadAsync(account);

        var (noId, _) = await ChannelbackAsync(account, "Done.", thread, string.Empty);
        var (foreign, body) = await ChannelbackAsync(account, "Done.", "someone_else" + thread[thread.IndexOf('-', StringComparison.Ordinal)..], "req-12");

        Assert.That(noId, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(foreign, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That((string)body!["error"]!, Does.Contain("thread_id"));
    }

    [Test]
    public async Task A_Wrong_Password_Answers_A_Credentials_Error_Without_Writing()
    {
        var (collection, account) = await TaskAccountAsync("t-6", "Book room");
        var thread = await FirstPullThreadAsync(account);
        var etag = await ETagAsync(collection, "t-6.ics");

        var (status, body) = await ChannelbackAsync(account with { Secret = "not-the-password" }, "Booked.", thread, "req-6");

        Assert.That(status, Is.EqualTo(HttpStatusCode.BadGateway));
        Assert.That((string)body!["error"]!, Does.Contain("rejected the stored credentials"));
        Assert.That((string)body["detail"]!, Is.EqualTo("credentials_rejected"));
        Assert.That(await ETagAsync(collection, "t-6.ics"), Is.EqualTo(etag));
        var recorded = await host.Services.GetRequiredService<ChannelService.Zendesk.ServiceErrors>().RecentAsync(10);
        Assert.That(recorded.Select(e => (e.AccountId, e.Source)), Does.Contain((account.AccountId, "channelback")), "shown to operators on the dashboard");
        Assert.That(recorded.Select(e => e.Message), Has.None.Contain("not-the-password"));

        var (retry, _) = await ChannelbackAsync(account, "Booked.", thread, "req-6");
        Assert.That(retry, Is.EqualTo(HttpStatusCode.OK), "a failed request is not recorded as answered");
    }

    [Test]
    public async Task Undecryptable_Metadata_Is_Refused_With_401()
    {
        using var response = await client.PostAsync("/channelback", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["metadata"] = "not-our-metadata", ["message"] = "hi", ["thread_id"] = "a-b", ["request_unique_identifier"] = "r",
        }));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(JsonNode.Parse(await response.Content.ReadAsStringAsync())!["error"], Is.Not.Null);
    }

    [Test]
    public async Task A_Reply_To_A_Feed_Account_Is_Refused_With_A_Clear_Error()
    {
        var account = Create("ics", "https://calendar.example.org/team.ics", null, null);

        var (status, body) = await ChannelbackAsync(account, "Hello", account.AccountId + "-" + new string('a', 24), "req-f");

        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That((string)body!["error"]!, Does.Contain("read-only"));
    }

    [Test]
    public async Task Events_With_Attendees_Take_No_Reply_By_Default()
    {
        var (collection, account) = await EventAccountAsync("m-1");
        var resources = await PullResourcesAsync(account);
        var opening = resources.Single();
        Assert.That((bool)opening["allow_channelback"]!, Is.False);
        var before = await GetObjectAsync(collection, "m-1.ics");

        var (status, body) = await ChannelbackAsync(account, "See you there.", (string)opening["thread_id"]!, "req-m1");

        Assert.That((int)status, Is.EqualTo(422), body?.ToJsonString());
        Assert.That(await GetObjectAsync(collection, "m-1.ics"), Is.EqualTo(before));
    }

    [Test]
    public async Task Events_With_Attendees_Take_A_Reply_With_Event_Replies_On_And_Nothing_Else_Changes()
    {
        var (collection, account) = await EventAccountAsync("m-2", "event_replies=on");
        var thread = (string)(await PullResourcesAsync(account)).Single()["thread_id"]!;
        var before = Unfold(await GetObjectAsync(collection, "m-2.ics")).Split("\r\n");

        var (status, body) = await ChannelbackAsync(account, "Agenda attached.", thread, "req-m2", "https://acme.zendesk.com/attachments/token/abc/?name=agenda.pdf");

        Assert.That(status, Is.EqualTo(HttpStatusCode.OK), body?.ToJsonString());
        var after = Unfold(await GetObjectAsync(collection, "m-2.ics")).Split("\r\n");
        // DTSTAMP and LAST-MODIFIED record the change itself (RFC 5545 §3.8.7.2, §3.8.7.3); SEQUENCE stays, so no re-invitation.
        bool Expected(string line) => line.StartsWith("DESCRIPTION", StringComparison.Ordinal) || line.StartsWith("COMMENT", StringComparison.Ordinal)
            || line.StartsWith("DTSTAMP", StringComparison.Ordinal) || line.StartsWith("LAST-MODIFIED", StringComparison.Ordinal);
        var added = after.Except(before).ToList();
        var removed = before.Except(after).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(removed.Where(l => !Expected(l)), Is.Empty, "nothing else is removed");
            Assert.That(added.Where(l => !Expected(l)), Is.Empty, "no SEQUENCE bump, no other change");
            Assert.That(after, Does.Contain("SEQUENCE:3").And.Contain("ATTENDEE;CN=Bo;PARTSTAT=ACCEPTED:mailto:bo@example.org"));
            Assert.That(string.Join("\n", added), Does.Contain("Agenda attached.").And.Contain("https://acme.zendesk.com/attachments/token/abc/?name=agenda.pdf"));
        });
    }

    [Test]
    public async Task A_Reply_To_One_Occurrence_Is_Written_On_The_Series_And_Its_Clickthrough_Shows_The_Series()
    {
        var collection = await server.CreateCollectionAsync(components: ["VEVENT"]);
        var start = DateTimeOffset.UtcNow.AddDays(2).ToString("yyyyMMdd'T'090000'Z'", System.Globalization.CultureInfo.InvariantCulture);
        var end = DateTimeOffset.UtcNow.AddDays(2).ToString("yyyyMMdd'T'093000'Z'", System.Globalization.CultureInfo.InvariantCulture);
        var ics = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//ChannelService//tests//EN\r\nBEGIN:VEVENT\r\n"
            + $"UID:standup\r\nDTSTAMP:20261120T090000Z\r\nDTSTART:{start}\r\nDTEND:{end}\r\nRRULE:FREQ=DAILY;COUNT=3\r\nSUMMARY:Stand-up\r\n"
            + "END:VEVENT\r\nEND:VCALENDAR\r\n";
        using (var put = await server.SendAsync(HttpMethod.Put, new Uri(collection, "standup.ics"), ics))
        {
            Assert.That(put.IsSuccessStatusCode, Is.True);
        }

        var account = Create("caldav-calendar", collection.AbsoluteUri, server.UserName, server.Password);
        var threads = (await PullResourcesAsync(account)).Select(r => (string)r["thread_id"]!).Distinct().ToList();
        Assert.That(threads, Has.Count.EqualTo(3), "one ticket per occurrence");

        var (status, body) = await ChannelbackAsync(account, "Moved to the big room.", threads[1], "req-occ");
        using var page = await client.GetAsync("/clickthrough?external_id=" + Uri.EscapeDataString(threads[1] + "-o"));

        Assert.That(status, Is.EqualTo(HttpStatusCode.OK), body?.ToJsonString());
        Assert.That(Values(Unfold(await GetObjectAsync(collection, "standup.ics")), "COMMENT;X-ZENDESK-COMMENT-ID=req-occ"), Is.EqualTo(new[] { "Moved to the big room." }));
        Assert.That(page.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await page.Content.ReadAsStringAsync(), Does.Contain("Stand-up"));
    }

    // ------------------------------------------------------------ clickthrough

    [Test]
    public async Task Clickthrough_Redirects_To_The_Url_Recorded_For_The_Item()
    {
        var (_, account) = await TaskAccountAsync("t-7", "Check invoice", extraLine: "URL:https://tasks.example.org/t-7");
        var opening = (await PullResourcesAsync(account)).Single();

        using var response = await client.GetAsync("/clickthrough?external_id=" + Uri.EscapeDataString((string)opening["external_id"]!));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Redirect));
        Assert.That(response.Headers.Location, Is.EqualTo(new Uri("https://tasks.example.org/t-7")));
    }

    [Test]
    public async Task Clickthrough_Shows_The_Read_Only_Page_When_The_Source_Has_None()
    {
        var (_, account) = await TaskAccountAsync("t-8", "Sort the mail", extraLine: "DESCRIPTION:Both boxes\r\nPRIORITY:2");
        var thread = await FirstPullThreadAsync(account);
        await ChannelbackAsync(account, "Half done.", thread, "req-8");
        await PullResourcesAsync(account); // the page shows the item as the service last read it

        using var response = await client.GetAsync("/clickthrough?external_id=" + Uri.EscapeDataString(thread + "-o"));
        var html = await response.Content.ReadAsStringAsync();

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("text/html"));
        Assert.That(html, Does.Contain("Sort the mail").And.Contain("Both boxes"));
        Assert.That(html, Does.Contain("<th>Status</th><td>needs action</td>").And.Contain("<th>Priority</th><td>high (2)</td>"), "in words, as tickets say them");
        Assert.That(html, Does.Not.Contain("NEEDS-ACTION").And.Not.Contain("--- Reply from Zendesk").And.Not.Contain("--- End of reply ---"));
        Assert.That(CountOf(html, "Half done."), Is.EqualTo(1), "the reply, written as a comment and in the description, is shown once");
        Assert.That(html, Does.Not.Contain(server.Password), "no secrets on the page");
    }

    [Test]
    public async Task Clickthrough_Shows_A_Reply_Written_Only_To_The_Description_Without_Its_Markers()
    {
        var (_, account) = await TaskAccountAsync("t-13", "Sort the mail", "reply_target=description", extraLine: "DESCRIPTION:Both boxes");
        var thread = await FirstPullThreadAsync(account);
        await ChannelbackAsync(account, "Half done.\nThe blue box is left.", thread, "req-13");
        await PullResourcesAsync(account); // the page shows the item as the service last read it

        using var response = await client.GetAsync("/clickthrough?external_id=" + Uri.EscapeDataString(thread + "-o"));
        var html = await response.Content.ReadAsStringAsync();

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(html, Does.Contain("Both boxes").And.Contain("Reply from Zendesk</h3>").And.Contain("Half done.").And.Contain("The blue box is left."));
        Assert.That(html, Does.Not.Contain("(req-13)").And.Not.Contain("--- End of reply ---"));
    }

    [TestCase("unknown")]
    [TestCase("acct1-aaaaaaaaaaaaaaaaaaaaaaaa-o")]
    [TestCase("https://evil.example.com/")]
    public async Task Clickthrough_Answers_A_Friendly_404_For_An_Unknown_Id(string externalId)
    {
        using var response = await client.GetAsync("/clickthrough?external_id=" + Uri.EscapeDataString(externalId));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("text/html"));
        Assert.That(await response.Content.ReadAsStringAsync(), Does.Contain("Item not found"));
    }

    [Test]
    public async Task Clickthrough_Ignores_A_Url_Crafted_Into_A_Known_Id()
    {
        var (_, account) = await TaskAccountAsync("t-9", "Pay rent", extraLine: "URL:https://tasks.example.org/t-9");
        var thread = await FirstPullThreadAsync(account);

        using var crafted = await client.GetAsync("/clickthrough?external_id=" + Uri.EscapeDataString(thread + "-https://evil.example.com/"));
        using var otherAccount = await client.GetAsync("/clickthrough?external_id=" + Uri.EscapeDataString("other_acct" + thread[thread.IndexOf('-', StringComparison.Ordinal)..] + "-o"));

        Assert.That(crafted.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That(crafted.Headers.Location, Is.Null);
        Assert.That(otherAccount.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
    }

    // ------------------------------------------------------------ health

    [Test]
    public async Task Posting_Metadata_To_Health_Probes_That_Accounts_Source()
    {
        var (_, account) = await TaskAccountAsync("t-10", "Probe me");

        using var ok = await client.PostAsync("/health", Form(account));
        using var bad = await client.PostAsync("/health", Form(account with { Secret = "wrong" }));
        var okBody = JsonNode.Parse(await ok.Content.ReadAsStringAsync())!;
        var badBody = JsonNode.Parse(await bad.Content.ReadAsStringAsync())!;

        Assert.Multiple(() =>
        {
            Assert.That((string)okBody["status"]!, Is.EqualTo("ok"), okBody.ToJsonString());
            Assert.That((int)okBody["open_tasks"]!, Is.EqualTo(1));
            Assert.That((string)badBody["status"]!, Is.EqualTo("failing"));
            Assert.That((bool)badBody["reachable"]!, Is.True);
            Assert.That((bool)badBody["authenticated"]!, Is.False);
        });
    }

    // ------------------------------------------------------------ helpers

    private AccountMetadata Create(string kind, string url, string? user, string? secret, params string[] options)
    {
        var pairs = options.Select(o => o.Split('=', 2)).Select(p => new KeyValuePair<string, string>(p[0], p[1])).ToList();
        return new NewAccountRequest(kind, url, user, secret, "Team", pairs).Create(TimeProvider.System);
    }

    private string Encode(AccountMetadata account) => host.Services.GetRequiredService<MetadataCodec>().Encode(account);

    private FormUrlEncodedContent Form(AccountMetadata account) => new(new Dictionary<string, string> { ["metadata"] = Encode(account) });

    private async Task<(Uri Collection, AccountMetadata Account)> TaskAccountAsync(string uid, string summary, string? option = null, string? extraLine = null)
    {
        var collection = await server.CreateCollectionAsync(components: ["VTODO"]);
        using var put = await server.SendAsync(HttpMethod.Put, new Uri(collection, uid + ".ics"), Ics.Todo(uid, summary, extraLine));
        Assert.That(put.IsSuccessStatusCode, Is.True);
        return (collection, Create("caldav-tasks", collection.AbsoluteUri, server.UserName, server.Password, option is null ? [] : [option]));
    }

    private async Task<(Uri Collection, AccountMetadata Account)> EventAccountAsync(string uid, string? option = null)
    {
        var collection = await server.CreateCollectionAsync(components: ["VEVENT"]);
        var start = DateTimeOffset.UtcNow.AddDays(2).ToString("yyyyMMdd'T'100000'Z'", System.Globalization.CultureInfo.InvariantCulture);
        var end = DateTimeOffset.UtcNow.AddDays(2).ToString("yyyyMMdd'T'110000'Z'", System.Globalization.CultureInfo.InvariantCulture);
        var ics = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//ChannelService//tests//EN\r\nBEGIN:VEVENT\r\n"
            + $"UID:{uid}\r\nDTSTAMP:20261120T090000Z\r\nDTSTART:{start}\r\nDTEND:{end}\r\nSUMMARY:Design review\r\nSEQUENCE:3\r\n"
            + "ORGANIZER;CN=Alice:mailto:alice@example.org\r\nATTENDEE;CN=Bo;PARTSTAT=ACCEPTED:mailto:bo@example.org\r\n"
            + "END:VEVENT\r\nEND:VCALENDAR\r\n";
        using var put = await server.SendAsync(HttpMethod.Put, new Uri(collection, uid + ".ics"), ics);
        Assert.That(put.IsSuccessStatusCode, Is.True);
        return (collection, Create("caldav-calendar", collection.AbsoluteUri, server.UserName, server.Password, option is null ? [] : [option]));
    }

    /// <summary>Pulls once with this host's Zendesk state for the account and returns the resources (state kept per account).</summary>
    private readonly Dictionary<string, string?> states = new(StringComparer.Ordinal);

    private async Task<List<JsonNode>> PullResourcesAsync(AccountMetadata account)
    {
        var all = new List<JsonNode>();
        for (var i = 0; i < 10; i++)
        {
            var form = new Dictionary<string, string> { ["metadata"] = Encode(account) };
            if (states.GetValueOrDefault(account.AccountId) is { } state)
            {
                form["state"] = state;
            }

            using var response = await client.PostAsync("/pull", new FormUrlEncodedContent(form));
            var text = await response.Content.ReadAsStringAsync();
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), text);
            var body = JsonNode.Parse(text)!;
            states[account.AccountId] = (string?)body["state"] ?? states.GetValueOrDefault(account.AccountId);
            var resources = body["external_resources"]!.AsArray().Select(r => r!).ToList();
            if (resources.Count == 0)
            {
                return all;
            }

            all.AddRange(resources);
        }

        return all;
    }

    private async Task<string> FirstPullThreadAsync(AccountMetadata account) => (string)(await PullResourcesAsync(account)).Single()["thread_id"]!;

    private async Task<(HttpStatusCode Status, JsonNode? Body)> ChannelbackAsync(AccountMetadata account, string message, string threadId, string requestId, params string[] fileUrls)
    {
        var fields = new List<KeyValuePair<string, string>>
        {
            new("message", message),
            new("parent_id", threadId + "-o"),
            new("thread_id", threadId),
            new("metadata", Encode(account)),
            new("request_unique_identifier", requestId),
        };
        fields.AddRange(fileUrls.Select(u => new KeyValuePair<string, string>("file_urls[]", u)));
        using var response = await client.PostAsync("/channelback", new FormUrlEncodedContent(fields));
        var text = await response.Content.ReadAsStringAsync();
        if (response.IsSuccessStatusCode)
        {
            ZendeskSchemas.AssertValid("channelback_payload_v2.json", text);
        }

        return (response.StatusCode, JsonNode.Parse(text));
    }

    private async Task<string> GetObjectAsync(Uri collection, string name)
    {
        using var response = await server.SendAsync(HttpMethod.Get, new Uri(collection, name));
        return await response.Content.ReadAsStringAsync();
    }

    private async Task<string?> ETagAsync(Uri collection, string name)
    {
        using var response = await server.SendAsync(HttpMethod.Get, new Uri(collection, name));
        return response.Headers.ETag?.ToString();
    }

    /// <summary>Undoes RFC 5545 §3.1 line folding so assertions see whole property lines.</summary>
    private static string Unfold(string ics) => ics.Replace("\r\n ", string.Empty, StringComparison.Ordinal).Replace("\r\n\t", string.Empty, StringComparison.Ordinal);

    /// <summary>The values of the property lines that start with <paramref name="nameAndParameters"/> (then ';' or ':'), TEXT-unescaped for , and ;.</summary>
    private static List<string> Values(string unfolded, string nameAndParameters) =>
        [.. unfolded.Split("\r\n")
            .Where(l => l.StartsWith(nameAndParameters + ":", StringComparison.Ordinal) || l.StartsWith(nameAndParameters + ";", StringComparison.Ordinal))
            .Select(l => l[(l.IndexOf(':', StringComparison.Ordinal) + 1)..].Replace("\\,", ",", StringComparison.Ordinal).Replace("\\;", ";", StringComparison.Ordinal))];

    private static int CountOf(string text, string part) => (text.Length - text.Replace(part, string.Empty, StringComparison.Ordinal).Length) / part.Length;
}
