using ChannelService.AgentCalendars;
using ChannelService.Data;

namespace ChannelService.Tests.AgentCalendars;

/// <summary>The agents' CalDAV store on SQLite and PostgreSQL: targets, the events written, counts, failures and back-off.</summary>
[TestFixtureSource(typeof(TestStore), nameof(TestStore.Both))]
public sealed class AgentCalDavStoreTests(TestStore testStore)
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 1, 9, 0, 0, TimeSpan.Zero);

    private string folder = "";
    private Database database = null!;
    private AgentCalDavStore store = null!;

    [SetUp]
    public async Task SetUpAsync()
    {
        folder = Path.Combine(Path.GetTempPath(), "agentcaldav-store-" + Guid.NewGuid().ToString("N"));
        database = await testStore.CreateAsync(folder);
        await database.InitializeAsync();
        store = new AgentCalDavStore(database);
    }

    [TearDown]
    public async Task TearDownAsync()
    {
        await database.DisposeAsync();
        if (Directory.Exists(folder))
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Test]
    public async Task Writes_Are_Counted_Failures_Back_Off_And_A_New_Calendar_Forgets_The_Old_Events()
    {
        // Arrange
        await store.ConnectAsync(Target("https://dav.example.com/anna/work/"));
        await store.ConnectAsync(Target("https://dav.example.com/bert/work/") with { AgentId = 7002 });

        // Act: two events written, one deleted by us, one found gone
        await store.RecordWrittenAsync(Written(1, "\"e1\""));
        await store.RecordWrittenAsync(Written(2, "\"e2\""));
        await store.RecordWrittenAsync(Written(2, "\"e2b\"") with { Sequence = 1 });
        await store.RecordGoneAsync("acme", 7001, 1, T0.AddMinutes(5));
        await store.RecordFailureAsync("acme", 7001, "The server rejected the username or password.", T0.AddMinutes(6), T0.AddMinutes(7));
        var failing = await store.TargetAsync("acme", 7001);
        await store.RecordHealthyAsync("acme", 7001);
        var healthy = await store.TargetAsync("acme", 7001);

        // Assert
        Assert.That((failing!.Writes, failing.Events, failing.Failures, failing.NextAttemptAt, failing.LastWriteAt), Is.EqualTo((4L, 1L, 1L, (DateTimeOffset?)T0.AddMinutes(7), (DateTimeOffset?)T0.AddMinutes(5))));
        Assert.That((healthy!.Failures, healthy.NextAttemptAt, healthy.LastError, healthy.LastErrorAt), Is.EqualTo((0L, (DateTimeOffset?)null, (string?)"The server rejected the username or password.", (DateTimeOffset?)T0.AddMinutes(6))));
        var events = await store.EventsAsync("acme", 7001);
        Assert.That(events.Select(e => (e.TicketId, e.ETag, e.Sequence)), Is.EqualTo(new[] { (2L, (string?)"\"e2b\"", 1L) }));
        Assert.That((await store.TargetsAsync()).Select(t => t.AgentId), Is.EqualTo(new[] { 7001L, 7002L }));

        // Act: connected again to the same calendar keeps what was written; to another forgets it (it stays there)
        await store.ConnectAsync(Target("https://dav.example.com/anna/work/"));
        var same = await store.EventsAsync("acme", 7001);
        await store.ConnectAsync(Target("https://dav.example.com/anna/other/"));
        var other = await store.EventsAsync("acme", 7001);
        var disconnected = await store.DisconnectAsync("acme", 7001);
        var again = await store.DisconnectAsync("acme", 7001);

        // Assert
        Assert.That((same.Count, other.Count), Is.EqualTo((1, 0)));
        Assert.That((disconnected, again), Is.EqualTo((true, false)));
        Assert.That((await store.TargetsAsync()).Select(t => t.AgentId), Is.EqualTo(new[] { 7002L }));
    }

    private static AgentCalDavTarget Target(string url) => new()
    {
        Subdomain = "acme",
        AgentId = 7001,
        CollectionUrl = url,
        Username = "anna",
        SealedPassword = "k1.sealed",
        ConnectedAt = T0,
    };

    private static AgentCalDavEvent Written(long ticketId, string etag) => new()
    {
        Subdomain = "acme",
        AgentId = 7001,
        TicketId = ticketId,
        Href = $"/anna/work/zendesk-acme-ticket-{ticketId}-channelservice.ics",
        ETag = etag,
        Sequence = 0,
        WrittenAt = T0.AddMinutes(ticketId),
    };
}
