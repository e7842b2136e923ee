using System.Net;
using System.Text.Json.Nodes;
using ChannelService.Accounts;
using ChannelService.Pull;
using ChannelService.Tests.Support;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace ChannelService.Tests.Scale;

/// <summary>
/// The no-change shortcut on a shared PostgreSQL database (<c>Pull/UnchangedPulls.cs</c>): an instance's mark is
/// in its own memory, so a write another instance made for the account must end it. The store's write count
/// (<c>source_writes</c>) is read on every quick answer for that. Two service hosts in this process, each with its
/// own data folder and instance name, on one database and one key file, and one clock.
/// </summary>
[NonParallelizable]
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "NUnit disposes them in TearDown")]
public sealed class QuickPullAcrossInstancesTests
{
    private readonly ManualTimeProvider clock = new(new DateTimeOffset(2026, 11, 22, 8, 0, 0, TimeSpan.Zero));
    private string folder = null!;
    private FeedServer feed = null!;
    private ServiceFactory a = null!;
    private ServiceFactory b = null!;
    private WebApplicationFactory<Program> hostA = null!;
    private WebApplicationFactory<Program> hostB = null!;

    [SetUp]
    public async Task SetUp()
    {
        folder = Directory.CreateTempSubdirectory("channelservice-quick-").FullName;
        feed = await FeedServer.StartAsync();
        var database = await (await PostgresServer.SharedAsync()).CreateDatabaseAsync();
        (a, hostA) = Instance("a", database);
        (b, hostB) = Instance("b", database);
    }

    [TearDown]
    public async Task TearDown()
    {
        await hostA.DisposeAsync();
        await hostB.DisposeAsync();
        await a.DisposeAsync();
        await b.DisposeAsync();
        await feed.DisposeAsync();
        Directory.Delete(folder, recursive: true);
    }

    [Test]
    public async Task A_Write_By_Another_Instance_Ends_The_Shortcut_On_This_One()
    {
        // Arrange: instance a drains the account; its last pull found nothing and left the mark.
        feed.Body = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VTODO\r\nUID:t1\r\nDTSTAMP:20261101T000000Z\r\nSUMMARY:One\r\nSTATUS:NEEDS-ACTION\r\nEND:VTODO\r\nEND:VCALENDAR\r\n";
        var metadata = hostA.Services.GetRequiredService<MetadataCodec>().Encode(new NewAccountRequest("ics", feed.Url, null, null, "Team", []).Create(TimeProvider.System));
        var state = await DrainAsync(hostA, metadata);
        clock.Advance(TimeSpan.FromMinutes(1));
        await PullAsync(hostA, metadata, state);
        Assert.That(await LastPullAsync(metadata), Is.EqualTo((QuickPullActivity.QuickResult, (string?)"instance-a")), "a's mark answers (a quick pull leaves the instance of the last full pull)");

        // Act: the same pull through instance b (a full pull there: it has no mark, and it writes the account's
        // store), then through a again.
        clock.Advance(TimeSpan.FromMinutes(1));
        await PullAsync(hostB, metadata, state);
        Assert.That(await LastPullAsync(metadata), Is.EqualTo(("0 resources; 0 changed and 0 deleted in the source", (string?)"instance-b")));
        clock.Advance(TimeSpan.FromMinutes(1));
        await PullAsync(hostA, metadata, state);

        // Assert: a did not trust its mark; a full pull on a answered, and set the mark again for the next one.
        Assert.That(await LastPullAsync(metadata), Is.EqualTo(("0 resources; 0 changed and 0 deleted in the source", (string?)"instance-a")));
        clock.Advance(TimeSpan.FromMinutes(1));
        await PullAsync(hostA, metadata, state);
        Assert.That((await LastPullAsync(metadata)).Result, Is.EqualTo(QuickPullActivity.QuickResult));
    }

    private (ServiceFactory Factory, WebApplicationFactory<Program> Host) Instance(string name, string database)
    {
        var factory = new ServiceFactory(new Dictionary<string, string?>
        {
            ["Channel:AllowPrivateNetworkSources"] = "true",
            ["Channel:Database"] = database,
            ["Channel:KeyFile"] = Path.Combine(folder, "keys.json"),
            ["Channel:InstanceName"] = "instance-" + name,
        });
        return (factory, factory.WithWebHostBuilder(w => w.ConfigureTestServices(s => s.AddSingleton<TimeProvider>(clock))));
    }

    /// <summary>Pulls until nothing is left; returns the last state.</summary>
    private static async Task<string> DrainAsync(WebApplicationFactory<Program> host, string metadata)
    {
        string? state = null;
        for (var i = 0; i < 10; i++)
        {
            var body = await PullAsync(host, metadata, state, draining: true);
            state = (string)body["state"]!;
            if (body["external_resources"]!.AsArray().Count == 0)
            {
                return state;
            }
        }

        Assert.Fail("the backlog never drained");
        return state!;
    }

    /// <param name="draining">False: a no-change pull, which must answer nothing and the same state.</param>
    private static async Task<JsonNode> PullAsync(WebApplicationFactory<Program> host, string metadata, string? state, bool draining = false)
    {
        using var client = host.CreateClient();
        var form = new Dictionary<string, string> { ["metadata"] = metadata };
        if (state is not null)
        {
            form["state"] = state;
        }

        using var response = await client.PostAsync("/pull", new FormUrlEncodedContent(form));
        var text = await response.Content.ReadAsStringAsync();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), text);
        var body = JsonNode.Parse(text)!;
        if (!draining)
        {
            Assert.That(body["external_resources"]!.AsArray(), Is.Empty, "nothing new");
            Assert.That((string)body["state"]!, Is.EqualTo(state), "the same state back");
        }

        return body;
    }

    /// <summary>The last pull's result and the instance that made the last full pull, quick pulls of both flushed first.</summary>
    private async Task<(string? Result, string? Instance)> LastPullAsync(string metadata)
    {
        await hostA.Services.GetRequiredService<QuickPullActivity>().FlushAsync();
        await hostB.Services.GetRequiredService<QuickPullActivity>().FlushAsync();
        var accountId = hostA.Services.GetRequiredService<MetadataCodec>().Decode(metadata).AccountId;
        var last = (await hostA.Services.GetRequiredService<PullMirrorStore>().LastPullInstancesAsync(CancellationToken.None))[accountId];
        Assert.That(last.At, Is.EqualTo(clock.GetUtcNow()), "the last pull is the one just made");
        return (last.Result, last.Instance);
    }
}
