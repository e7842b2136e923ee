using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using ChannelService.Accounts;
using ChannelService.Inbox;
using ChannelService.Tests.Inbox;
using ChannelService.Tests.Sources.Http;
using ChannelService.Tests.Support;
using ChannelService.Tests.ZendeskLink;
using ChannelService.Tickets;
using ChannelService.ZendeskLink.Api;
using Microsoft.Extensions.DependencyInjection;

namespace ChannelService.Tests.Metrics;

/// <summary>
/// <c>GET /metrics</c> (Prometheus text, behind the dashboard's credentials) after real traffic: pulls through both paths,
/// channelbacks, a push to a fake Zendesk, REST API calls of the Zendesk link; and the OTLP export to a loopback collector.
/// </summary>
[TestFixtureSource(typeof(TestStore), nameof(TestStore.Both))]
public sealed class MetricsEndpointTests(TestStore testStore)
{
    private const string User = "ops";
    private const string Password = "metrics-pass-1";

    private static readonly Dictionary<string, string?> Dashboard = new()
    {
        ["Channel:DashboardUser"] = User,
        ["Channel:DashboardPassword"] = Password,
        ["Channel:AllowPrivateNetworkSources"] = "true",
    };

    [Test]
    public async Task Metrics_Need_The_Dashboard_Credentials_And_Do_Not_Exist_Without_Them()
    {
        using (var factory = new ServiceFactory(Dashboard, store: testStore))
        using (var client = factory.CreateClient())
        {
            using var anonymous = await client.GetAsync("/metrics");
            using var wrong = await client.SendAsync(Scrape("ops:not-the-password"));
            using var right = await client.SendAsync(Scrape($"{User}:{Password}"));

            Assert.That(anonymous.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
            Assert.That(anonymous.Headers.WwwAuthenticate.ToString(), Does.StartWith("Basic realm="));
            Assert.That(wrong.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
            Assert.That(right.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(right.Content.Headers.ContentType?.MediaType, Is.EqualTo("text/plain"));
            var scrape = Parse(await right.Content.ReadAsStringAsync());
            Assert.That(Value(scrape, "channelservice_outbox_pending"), Is.Zero, "the gauges exist before any traffic");
            Assert.That(Value(scrape, "channelservice_outbox_oldest_age_seconds"), Is.Zero);
        }

        using var off = new ServiceFactory(store: testStore);
        using var offClient = off.CreateClient();
        using var notConfigured = await offClient.SendAsync(Scrape($"{User}:{Password}"));
        Assert.That(notConfigured.StatusCode, Is.EqualTo(HttpStatusCode.NotFound), "no dashboard credentials: no operator pages at all");
    }

    [Test]
    public async Task Pulls_Are_Counted_By_Path_And_Result_With_Source_Fetches_Items_And_Latency()
    {
        await using var feed = await FeedServer.StartAsync();
        using var factory = new ServiceFactory(Dashboard, store: testStore);
        using var client = factory.CreateClient();
        var metadata = factory.Services.GetRequiredService<MetadataCodec>().Encode(new NewAccountRequest("ics", feed.Url, null, null, "Team calendar", []).Create(TimeProvider.System));
        feed.Body = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VTODO\r\nUID:t1\r\nDTSTAMP:20261101T000000Z\r\nSUMMARY:One\r\nDUE:20261125T170000Z\r\nEND:VTODO\r\nEND:VCALENDAR\r\n";

        // First read (one item sent), the acknowledging pull (nothing new: sets the quick mark), then a quick answer.
        var state = await PullAsync(client, metadata, null);
        state = await PullAsync(client, metadata, state);
        await PullAsync(client, metadata, state);
        feed.FailWith = HttpStatusCode.InternalServerError;
        using (var failed = await client.PostAsync("/pull", new FormUrlEncodedContent([new("metadata", metadata)])))
        {
            Assert.That((int)failed.StatusCode, Is.EqualTo(502));
        }

        var scrape = await ScrapeAsync(client);

        Assert.Multiple(() =>
        {
            Assert.That(Value(scrape, "channelservice_pulls_total", ("kind", "ics"), ("result", "ok")), Is.EqualTo(2));
            Assert.That(Value(scrape, "channelservice_pulls_total", ("kind", "ics"), ("result", "unchanged")), Is.EqualTo(1), "the quick path");
            Assert.That(Value(scrape, "channelservice_pulls_total", ("kind", "ics"), ("result", "source_failed")), Is.EqualTo(1));
            Assert.That(Value(scrape, "channelservice_pull_duration_seconds_count", ("kind", "ics"), ("result", "ok")), Is.EqualTo(2), "the full path is timed");
            Assert.That(Value(scrape, "channelservice_pull_duration_seconds_bucket", ("kind", "ics"), ("result", "ok"), ("le", "+Inf")), Is.EqualTo(2));
            Assert.That(Value(scrape, "channelservice_pull_duration_seconds_count", ("kind", "ics"), ("result", "unchanged")), Is.Null, "the quick path is only counted");
            Assert.That(Value(scrape, "channelservice_items_sent_total", ("via", "pull")), Is.EqualTo(1));
            Assert.That(Value(scrape, "channelservice_source_fetches_total", ("kind", "ics"), ("outcome", "changed")), Is.EqualTo(1));
            Assert.That(Value(scrape, "channelservice_source_fetches_total", ("kind", "ics"), ("outcome", "unchanged")), Is.EqualTo(2), "the 304 of the acknowledging pull and of the quick check");
            Assert.That(Value(scrape, "channelservice_source_fetches_total", ("kind", "ics"), ("outcome", "server_error")), Is.EqualTo(1));
        });
    }

    [Test]
    public async Task Channelbacks_Are_Counted_By_Outcome()
    {
        await using var receiver = new LoopbackServer((request, stream, ct) => LoopbackServer.WriteAsync(stream, 200, "{}", ct));
        using var factory = new ServiceFactory(Dashboard, store: testStore);
        using var client = factory.CreateClient();
        var codec = factory.Services.GetRequiredService<MetadataCodec>();
        var inbox = new NewAccountRequest("inbox", receiver.Url("/replies").ToString(), null, null, "Support inbox", []).Create(TimeProvider.System) with { Subdomain = "acme" };
        await factory.Services.GetRequiredService<AccountRegistry>().UpsertAsync(inbox);
        await factory.Services.GetRequiredService<InboxAccountStore>().RegisterAsync(inbox.AccountId, receiver.Url("/replies"));
        var ics = new NewAccountRequest("ics", "https://calendar.example.com/team.ics", null, null, "Team", []).Create(TimeProvider.System);
        var thread = InboxResources.ThreadId(inbox.AccountId, "order-42");

        using (var accepted = await client.PostAsync("/channelback", Form(codec.Encode(inbox), thread, "req-1")))
        using (var repeated = await client.PostAsync("/channelback", Form(codec.Encode(inbox), thread, "req-1")))
        using (var readOnly = await client.PostAsync("/channelback", Form(codec.Encode(ics), ics.AccountId + "-x", "req-2")))
        {
            Assert.That((accepted.StatusCode, repeated.StatusCode, readOnly.StatusCode), Is.EqualTo((HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.BadRequest)));
        }

        var scrape = await ScrapeAsync(client);

        Assert.That(Value(scrape, "channelservice_channelbacks_total", ("kind", "inbox"), ("outcome", "accepted")), Is.EqualTo(2), "the reply and Zendesk's repeat");
        Assert.That(Value(scrape, "channelservice_channelbacks_total", ("kind", "ics"), ("outcome", "rejected")), Is.EqualTo(1));
        Assert.That(receiver.Requests, Has.Count.EqualTo(1));
    }

    [Test]
    public async Task A_Push_Delivery_Counts_Items_And_The_Zendesk_Call_And_The_Outbox_Gauges_Follow_The_Backlog()
    {
        const string Token = "push-token-1";
        await using var zendesk = new ChannelService.Tests.Zendesk.FakeZendesk(Token);
        var settings = new Dictionary<string, string?>(Dashboard)
        {
            ["Channel:PushClientId"] = "channelservice-tests",
            ["Channel:ZendeskBaseUrl"] = zendesk.BaseUrl,
            ["Channel:PushLinger"] = "00:00:00",
        };
        using var factory = new ServiceFactory(settings, store: testStore);
        using var client = factory.CreateClient();

        // An account without push credentials: its messages wait in the outbox for Zendesk's next pull.
        var (waiting, waitingSecret) = await InboxTestAccounts.CreateAsync(factory);
        for (var i = 0; i < 3; i++)
        {
            using var response = await client.SendAsync(InboxTestClient.Signed(waiting, waitingSecret, InboxTestClient.Message($"w{i}", "t").ToJsonString()));
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Accepted));
        }

        await Task.Delay(1100);
        var backlog = await ScrapeAsync(client);
        Assert.That(Value(backlog, "channelservice_outbox_pending"), Is.EqualTo(3));
        Assert.That(Value(backlog, "channelservice_outbox_oldest_age_seconds"), Is.GreaterThanOrEqualTo(1.0).And.LessThan(60));

        // An account that pushes: two messages go to Zendesk at once.
        var (pushing, pushingSecret) = await InboxTestAccounts.CreateAsync(factory, Token);
        for (var i = 0; i < 2; i++)
        {
            using var response = await client.SendAsync(InboxTestClient.Signed(pushing, pushingSecret, InboxTestClient.Message($"p{i}", "t").ToJsonString()));
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Accepted));
        }

        Assert.That(await zendesk.WaitForImportsAsync(2, TimeSpan.FromSeconds(20)), Is.True);
        // The counter moves when Zendesk accepted the items, the outbox rows leave a moment later (marked delivered in
        // their own write): wait for both, as a scrape in between sees the two still pending.
        var scrape = await WaitForAsync(client, s => Value(s, "channelservice_items_sent_total", ("via", "push")) == 2 && Value(s, "channelservice_outbox_pending") == 3);

        Assert.Multiple(() =>
        {
            Assert.That(Value(scrape, "channelservice_items_sent_total", ("via", "push")), Is.EqualTo(2));
            Assert.That(Value(scrape, "channelservice_zendesk_calls_total", ("method", "POST"), ("endpoint", "api/v2/any_channel/push"), ("status", "200")), Is.EqualTo(zendesk.Calls.Count));
            Assert.That(Value(scrape, "channelservice_outbox_pending"), Is.EqualTo(3), "the pushed ones left; the waiting ones did not");
        });
    }

    [Test]
    public async Task Zendesk_Api_Calls_Are_Counted_By_Endpoint_Template_And_Status_Including_429_And_401()
    {
        if (testStore.Dialect != ChannelService.Data.SqlDialect.Sqlite)
        {
            // LinkTestHost runs on SQLite; the counting is in the HTTP client, not the store.
            Assert.Pass("Covered by the SQLite fixture.");
        }

        await using var host = LinkTestHost.Start(settings: Dashboard);
        host.Api.CreateTicket(7, null);
        host.Api.RateLimitNext = 1;
        host.Api.RetryAfterSeconds = 1;
        var tickets = host.Services.GetRequiredService<ZendeskTicketsApi>();

        var (shown, found) = await tickets.ShowManyAsync(LinkTestHost.Subdomain, [7], CancellationToken.None);
        host.Tokens.Token = "revoked-token";
        var refused = await tickets.UpdateAsync(LinkTestHost.Subdomain, 7, new JsonObject { ["status"] = "open" }, CancellationToken.None);

        Assert.That((shown.Status, found.Count, refused.Status), Is.EqualTo((ApiStatus.Ok, 1, ApiStatus.Unauthorized)));
        using var client = host.Host.CreateClient();
        var scrape = await ScrapeAsync(client);
        Assert.Multiple(() =>
        {
            Assert.That(Value(scrape, "channelservice_zendesk_calls_total", ("method", "GET"), ("endpoint", "api/v2/tickets/show_many"), ("status", "429")), Is.EqualTo(1), string.Join("\n", scrape.Where(s => s.Name.StartsWith("channelservice_zendesk", StringComparison.Ordinal)).Select(s => string.Join(",", s.Labels.Select(l => l.Key + "=" + l.Value)))));
            Assert.That(Value(scrape, "channelservice_zendesk_calls_total", ("method", "GET"), ("endpoint", "api/v2/tickets/show_many"), ("status", "200")), Is.EqualTo(1), "repeated after Retry-After");
            Assert.That(Value(scrape, "channelservice_zendesk_calls_total", ("method", "PUT"), ("endpoint", "api/v2/tickets/{id}"), ("status", "401")), Is.EqualTo(2), "once, then once more after the link was told");
            Assert.That(scrape.Any(s => s.Labels.Values.Any(v => v.Contains("revoked", StringComparison.Ordinal) || v == "7")), Is.False, "no token, no id in a label");
        });
    }

    [Test]
    public async Task With_An_Otlp_Endpoint_The_Metrics_Reach_The_Collector_Over_Http()
    {
        await using var collector = new LoopbackServer((request, stream, ct) => LoopbackServer.WriteAsync(stream, 200, [], ct, ("Content-Type", "application/x-protobuf")));
        await using var feed = await FeedServer.StartAsync();
        var settings = new Dictionary<string, string?>(Dashboard)
        {
            ["Channel:OtlpEndpoint"] = collector.Url("/v1/metrics").ToString(),
            ["Channel:OtlpExportInterval"] = "00:00:01",
        };
        using var factory = new ServiceFactory(settings, store: testStore);
        using var client = factory.CreateClient();
        var metadata = factory.Services.GetRequiredService<MetadataCodec>().Encode(new NewAccountRequest("ics", feed.Url, null, null, "Team calendar", []).Create(TimeProvider.System));
        await PullAsync(client, metadata, null);

        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (DateTime.UtcNow < deadline && !collector.Requests.Any(r => Contains(r.Body, "channelservice.pulls")))
        {
            await Task.Delay(200);
        }

        var export = collector.Requests.FirstOrDefault(r => Contains(r.Body, "channelservice.pulls"));
        Assert.That(export, Is.Not.Null, $"{collector.Requests.Count} requests, none with the pull counter");
        Assert.Multiple(() =>
        {
            Assert.That((export!.Method, export.Target), Is.EqualTo(("POST", "/v1/metrics")));
            Assert.That(export.Header("Content-Type"), Is.EqualTo("application/x-protobuf"));
            Assert.That(Contains(export.Body, "ChannelService"), Is.True, "the meter's name as the instrumentation scope");
            Assert.That(Contains(export.Body, "channelservice.outbox.oldest_age"), Is.True);
        });
    }

    internal static HttpRequestMessage Scrape(string credentials)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/metrics");
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(credentials)));
        return request;
    }

    internal static async Task<IReadOnlyList<Sample>> ScrapeAsync(HttpClient client)
    {
        using var response = await client.SendAsync(Scrape($"{User}:{Password}"));
        var text = await response.Content.ReadAsStringAsync();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), text);
        return Parse(text);
    }

    /// <summary>The value of the one sample of <paramref name="name"/> carrying these labels (others may be present); null when none.</summary>
    internal static double? Value(IReadOnlyList<Sample> scrape, string name, params (string Label, string Value)[] labels)
    {
        var matches = scrape.Where(s => s.Name == name && labels.All(l => s.Labels.TryGetValue(l.Label, out var v) && v == l.Value)).ToList();
        Assert.That(matches, Has.Count.LessThanOrEqualTo(1), $"{name}: more than one series matches");
        return matches.Count == 0 ? null : matches[0].Value;
    }

    /// <summary>The Prometheus text format's sample lines (https://prometheus.io/docs/instrumenting/exposition_formats/).</summary>
    internal static IReadOnlyList<Sample> Parse(string text)
    {
        var samples = new List<Sample>();
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (line.StartsWith('#'))
            {
                continue;
            }

            var labels = new Dictionary<string, string>(StringComparer.Ordinal);
            var open = line.IndexOf('{', StringComparison.Ordinal);
            var close = line.LastIndexOf('}');
            var name = open < 0 ? line[..line.IndexOf(' ', StringComparison.Ordinal)] : line[..open];
            if (open >= 0)
            {
                foreach (var pair in SplitLabels(line[(open + 1)..close]))
                {
                    var eq = pair.IndexOf('=', StringComparison.Ordinal);
                    labels[pair[..eq]] = pair[(eq + 2)..^1].Replace("\\\"", "\"", StringComparison.Ordinal).Replace("\\\\", "\\", StringComparison.Ordinal);
                }
            }

            var rest = line[((open < 0 ? name.Length : close + 1))..].Trim().Split(' ');
            samples.Add(new Sample(name, labels, double.Parse(rest[0], CultureInfo.InvariantCulture)));
        }

        return samples;
    }

    private static IEnumerable<string> SplitLabels(string text)
    {
        var start = 0;
        var quoted = false;
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '"' && (i == 0 || text[i - 1] != '\\'))
            {
                quoted = !quoted;
            }
            else if (text[i] == ',' && !quoted)
            {
                yield return text[start..i];
                start = i + 1;
            }
        }

        if (start < text.Length)
        {
            yield return text[start..];
        }
    }

    private static async Task<IReadOnlyList<Sample>> WaitForAsync(HttpClient client, Func<IReadOnlyList<Sample>, bool> done)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            var scrape = await ScrapeAsync(client);
            if (done(scrape) || DateTime.UtcNow > deadline)
            {
                return scrape;
            }

            await Task.Delay(100);
        }
    }

    private static bool Contains(byte[] body, string text) => body.AsSpan().IndexOf(Encoding.UTF8.GetBytes(text)) >= 0;

    private static async Task<string?> PullAsync(HttpClient client, string metadata, string? state)
    {
        var form = new List<KeyValuePair<string, string>> { new("metadata", metadata) };
        if (state is not null)
        {
            form.Add(new("state", state));
        }

        using var response = await client.PostAsync("/pull", new FormUrlEncodedContent(form));
        var body = await response.Content.ReadAsStringAsync();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), body);
        return (string?)JsonNode.Parse(body)!["state"];
    }

    private static FormUrlEncodedContent Form(string metadata, string threadId, string requestId) => new(
    [
        new("message", "It ships today."),
        new("thread_id", threadId),
        new("parent_id", threadId + "-o"),
        new("metadata", metadata),
        new("request_unique_identifier", requestId),
    ]);

    internal sealed record Sample(string Name, IReadOnlyDictionary<string, string> Labels, double Value);
}
