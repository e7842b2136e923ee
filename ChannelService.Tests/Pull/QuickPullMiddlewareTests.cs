using System.Net;
using System.Text.Json.Nodes;
using ChannelService.Accounts;
using ChannelService.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace ChannelService.Tests.Pull;

/// <summary>
/// The no-change pull answered before MVC (<c>Pull/QuickPullMiddleware.cs</c>): the same bytes and headers as the
/// controller's answer, one conditional request per pull whichever path answers, and everything it does not answer
/// left to the controller exactly as before.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "NUnit disposes them in TearDown")]
[TestFixtureSource(typeof(TestStore), nameof(TestStore.Both))]
public sealed class QuickPullMiddlewareTests(TestStore testStore)
{
    private FeedServer feed = null!;
    private ServiceFactory factory = null!;
    private HttpClient client = null!;

    [SetUp]
    public async Task StartAsync()
    {
        feed = await FeedServer.StartAsync();
        factory = new ServiceFactory(new Dictionary<string, string?> { ["Channel:AllowPrivateNetworkSources"] = "true" }, store: testStore);
        client = factory.CreateClient();
    }

    [TearDown]
    public async Task StopAsync()
    {
        client.Dispose();
        await factory.DisposeAsync();
        await feed.DisposeAsync();
    }

    [Test]
    public async Task A_Quick_Answer_Is_The_Controllers_Answer_Byte_For_Byte()
    {
        // Arrange: drained; the last (full) pull found nothing and sets the mark.
        var metadata = Metadata();
        feed.Body = Calendar(Task("t1", "One"));
        var (first, _, _) = await PullAsync(metadata, null);
        var state = (string)JsonNode.Parse(first)!["state"]!;
        var (full, fullType, _) = await PullAsync(metadata, state);
        state = (string)JsonNode.Parse(full)!["state"]!;
        var requestsBefore = feed.Requests;

        // Act: Zendesk sends the state of that answer back, and the quick path answers (the origin's 304).
        var (quick, quickType, status) = await PullAsync(metadata, state);

        // Assert
        Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(quick, Is.EqualTo(full), "the same JSON, byte for byte");
        Assert.That(quickType, Is.EqualTo(fullType));
        Assert.That(quick, Is.EqualTo($"{{\"external_resources\":[],\"state\":\"{state}\"}}"));
        Assert.That((feed.Requests - requestsBefore, feed.NotModified), Is.EqualTo((1, 2)), "one conditional request, answered 304");
        ZendeskSchemas.AssertValid("pull_payload.json", quick);
    }

    [Test]
    public async Task A_Change_Found_By_The_Quick_Check_Is_Read_Once_More_And_Not_Checked_Twice()
    {
        var metadata = Metadata();
        feed.Body = Calendar(Task("t1", "One"));
        var (first, _, _) = await PullAsync(metadata, null);
        var state = (string)JsonNode.Parse(first)!["state"]!;
        var (drained, _, _) = await PullAsync(metadata, state);
        state = (string)JsonNode.Parse(drained)!["state"]!;
        feed.Body = Calendar(Task("t1", "One"), Task("t2", "Two"));
        var requestsBefore = feed.Requests;

        var (answer, _, status) = await PullAsync(metadata, state);

        Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(JsonNode.Parse(answer)!["external_resources"]!.AsArray(), Has.Count.EqualTo(1), "the new task");
        Assert.That(feed.Requests - requestsBefore, Is.EqualTo(2), "the quick check, then the full read; no second check");
    }

    [TestCase("v1.nokey.AAAA")]
    [TestCase("")]
    public async Task Metadata_The_Quick_Path_Cannot_Use_Gets_The_Controllers_Answer(string metadata)
    {
        using var response = await client.PostAsync("/pull", new FormUrlEncodedContent([new("metadata", metadata), new("state", "x")]));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(JsonNode.Parse(await response.Content.ReadAsStringAsync())!["error"], Is.Not.Null);
    }

    [Test]
    public async Task A_Tampered_State_Is_Refused_By_The_Controller_As_Before()
    {
        var metadata = Metadata();
        feed.Body = Calendar(Task("t1", "One"));
        var (first, _, _) = await PullAsync(metadata, null);
        var state = (string)JsonNode.Parse(first)!["state"]!;
        await PullAsync(metadata, state);

        var (answer, _, status) = await PullAsync(metadata, state[..^2] + (state[^2] == 'A' ? "BA" : "AA"));

        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest), answer);
    }

    private string Metadata() =>
        factory.Services.GetRequiredService<MetadataCodec>().Encode(new NewAccountRequest("ics", feed.Url, null, null, "Team calendar", []).Create(TimeProvider.System));

    private async Task<(string Body, string? ContentType, HttpStatusCode Status)> PullAsync(string metadata, string? state)
    {
        var form = new Dictionary<string, string> { ["metadata"] = metadata };
        if (state is not null)
        {
            form["state"] = state;
        }

        using var response = await client.PostAsync("/pull", new FormUrlEncodedContent(form));
        return (await response.Content.ReadAsStringAsync(), response.Content.Headers.ContentType?.ToString(), response.StatusCode);
    }

    private static string Calendar(params string[] components) =>
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n" + string.Concat(components) + "END:VCALENDAR\r\n";

    private static string Task(string uid, string summary) =>
        $"BEGIN:VTODO\r\nUID:{uid}\r\nDTSTAMP:20261101T000000Z\r\nSUMMARY:{summary}\r\nDUE:20261125T170000Z\r\nSTATUS:NEEDS-ACTION\r\nEND:VTODO\r\n";
}
