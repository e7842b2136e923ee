using ChannelService.AgentCalendars;
using ChannelService.Data;

namespace ChannelService.Tests.AgentCalendars;

/// <summary>The agents' calendar store on SQLite and PostgreSQL: tokens by hash only, tasks by the delete rule and version order.</summary>
[TestFixtureSource(typeof(TestStore), nameof(TestStore.Both))]
public sealed class AgentCalendarStoreTests(TestStore testStore)
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 1, 9, 0, 0, TimeSpan.Zero);

    private string folder = "";
    private Database database = null!;
    private AgentCalendarStore store = null!;

    [SetUp]
    public async Task SetUpAsync()
    {
        folder = Path.Combine(Path.GetTempPath(), "agentcal-store-" + Guid.NewGuid().ToString("N"));
        database = await testStore.CreateAsync(folder);
        await database.InitializeAsync();
        store = new AgentCalendarStore(database);
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
    public async Task A_Task_Is_Stored_Moved_And_Removed_With_Its_Sequence_Growing_And_Older_Snapshots_Ignored()
    {
        // Arrange
        var open = Task(updatedAt: T0, due: T0.AddDays(2), assignee: 7001);
        foreach (var agent in new long[] { 7001, 7002, 7003 })
        {
            await store.EnsureTokenAsync(new AgentCalendarToken { Subdomain = "acme", AgentId = agent, TokenHash = "h" + agent, Generation = "g", KeyId = "k", CreatedAt = T0 });
        }

        async System.Threading.Tasks.Task<long[]> VersionsAsync() => [.. await System.Threading.Tasks.Task.WhenAll(new long[] { 7001, 7002, 7003 }.Select(async a => (await store.TokenAsync("acme", a))!.FeedVersion))];

        // Act + Assert: first sight
        var first = await store.ApplyAsync(open);
        Assert.That(first, Is.Not.Null);
        Assert.That(first!.Sequence, Is.Zero);
        Assert.That(first.ChangedAt, Is.EqualTo(T0));
        Assert.That((await store.FeedAsync("acme", 7001)).Select(t => t.TicketId), Is.EqualTo(new[] { 1234L }));

        // The same version again, and a newer one that changes nothing visible: no new sequence
        await store.ApplyAsync(open);
        var touched = await store.ApplyAsync(open with { UpdatedAt = T0.AddMinutes(1) });
        Assert.That(touched!.Sequence, Is.Zero);
        Assert.That(touched.ChangedAt, Is.EqualTo(T0));
        Assert.That(await VersionsAsync(), Is.EqualTo(new long[] { 1, 0, 0 }), "the feed version moves with visible changes only");

        // Due date moved: sequence 1, LAST-MODIFIED the version that moved it
        var moved = await store.ApplyAsync(open with { UpdatedAt = T0.AddMinutes(2), DueAt = T0.AddDays(3) });
        Assert.That(moved!.Sequence, Is.EqualTo(1));
        Assert.That(moved.ChangedAt, Is.EqualTo(T0.AddMinutes(2)));

        // An older snapshot (a first sync racing the feed) changes nothing
        var stale = await store.ApplyAsync(open with { UpdatedAt = T0.AddMinutes(1), DueAt = T0.AddDays(9) });
        Assert.That(stale!.DueAt, Is.EqualTo(T0.AddDays(3)));

        // Reassigned: gone from 7001, in 7002's feed
        await store.ApplyAsync(open with { UpdatedAt = T0.AddMinutes(3), DueAt = T0.AddDays(3), AssigneeId = 7002 });
        Assert.That(await store.FeedAsync("acme", 7001), Is.Empty);
        Assert.That((await store.FeedAsync("acme", 7002)).Single().Sequence, Is.EqualTo(2));
        Assert.That(await VersionsAsync(), Is.EqualTo(new long[] { 3, 1, 0 }), "both feeds of a reassignment change");

        // Removed by the delete rule: kept out of every feed, its row remembered, and an older open snapshot cannot bring it back
        var removed = await store.ApplyAsync(open with { UpdatedAt = T0.AddMinutes(4), Status = "solved", AssigneeId = 7002, InFeed = false });
        Assert.That(removed!.InFeed, Is.False);
        Assert.That(await store.FeedAsync("acme", 7002), Is.Empty);
        await store.ApplyAsync(open with { UpdatedAt = T0.AddMinutes(3), AssigneeId = 7002 });
        Assert.That(await store.FeedAsync("acme", 7002), Is.Empty);

        // Reopened: back with a higher sequence than it ever had
        var reopened = await store.ApplyAsync(open with { UpdatedAt = T0.AddMinutes(5), AssigneeId = 7002 });
        Assert.That(reopened!.Sequence, Is.EqualTo(4));
        Assert.That((await store.FeedAsync("acme", 7002)).Single().Status, Is.EqualTo("open"));
    }

    [Test]
    public async Task A_Ticket_Never_In_A_Feed_Is_Not_Stored_And_Removed_Rows_Are_Pruned_After_Their_Time()
    {
        // Act
        var none = await store.ApplyAsync(Task(updatedAt: T0, due: null, assignee: 7001) with { InFeed = false });
        await store.ApplyAsync(Task(updatedAt: T0, due: T0.AddDays(1), assignee: 7001, ticketId: 2));
        await store.ApplyAsync(Task(updatedAt: T0.AddMinutes(1), due: T0.AddDays(1), assignee: 7001, ticketId: 2) with { Status = "closed", InFeed = false });

        // Assert
        Assert.That(none, Is.Null);
        Assert.That(await store.TaskAsync("acme", 1234), Is.Null);
        Assert.That(await store.TaskAsync("acme", 2), Is.Not.Null);
        Assert.That(await store.PruneAsync(T0), Is.Zero);
        Assert.That(await store.PruneAsync(T0.AddMinutes(2)), Is.EqualTo(1));
        Assert.That(await store.TaskAsync("acme", 2), Is.Null);
    }

    [Test]
    public async Task Tokens_Are_Found_By_Hash_Only_While_Not_Revoked_And_Rotation_Replaces_The_Hash()
    {
        // Arrange
        var row = new AgentCalendarToken { Subdomain = "acme", AgentId = 7001, TokenHash = "aa", Generation = "g1", KeyId = "k1", Email = "a@acme.test", CreatedAt = T0 };

        // Act: created twice (the second only refreshes the name), then rotated, then revoked
        await store.EnsureTokenAsync(row);
        await store.EnsureTokenAsync(row with { TokenHash = "bb", Generation = "g2", Email = null, Name = "Agent A" });
        var created = await store.TokenAsync("acme", 7001);
        var foundFirst = await store.ByHashAsync("aa");
        await store.RotateAsync(row with { TokenHash = "cc", Generation = "g3" }, T0.AddHours(1));
        var oldAfterRotation = await store.ByHashAsync("aa");
        var newAfterRotation = await store.ByHashAsync("cc");
        var revoked = await store.RevokeAsync("acme", 7001, T0.AddHours(2));

        // Assert
        Assert.That(created!.TokenHash, Is.EqualTo("aa"));
        Assert.That(created.Generation, Is.EqualTo("g1"));
        Assert.That(created.Email, Is.EqualTo("a@acme.test"));
        Assert.That(created.Name, Is.EqualTo("Agent A"));
        Assert.That(foundFirst?.AgentId, Is.EqualTo(7001));
        Assert.That(oldAfterRotation, Is.Null);
        Assert.That(newAfterRotation?.RotatedAt, Is.EqualTo(T0.AddHours(1)));
        Assert.That(revoked, Is.True);
        Assert.That(await store.ByHashAsync("cc"), Is.Null);
        Assert.That(await store.RevokeAsync("acme", 9999, T0), Is.False);

        // A fetch is recorded, but not again within a minute
        await store.RotateAsync(row with { TokenHash = "dd", Generation = "g4" }, T0.AddHours(3));
        await store.RecordFetchAsync("dd", T0.AddHours(3));
        await store.RecordFetchAsync("dd", T0.AddHours(3).AddSeconds(30));
        Assert.That((await store.TokenAsync("acme", 7001))!.LastFetchAt, Is.EqualTo(T0.AddHours(3)));
        await store.RecordFetchAsync("dd", T0.AddHours(3).AddMinutes(2));
        Assert.That((await store.TokenAsync("acme", 7001))!.LastFetchAt, Is.EqualTo(T0.AddHours(3).AddMinutes(2)));
    }

    [Test]
    public async Task Summaries_Count_Each_Agents_Tasks_And_Unlinking_Forgets_The_Subdomain()
    {
        // Arrange
        await store.EnsureTokenAsync(new AgentCalendarToken { Subdomain = "acme", AgentId = 7001, TokenHash = "aa", Generation = "g", KeyId = "k", CreatedAt = T0 });
        await store.ApplyAsync(Task(updatedAt: T0, due: T0.AddDays(1), assignee: 7001, ticketId: 1));
        await store.ApplyAsync(Task(updatedAt: T0, due: T0.AddDays(1), assignee: 7001, ticketId: 2));
        await store.ApplyAsync(Task(updatedAt: T0, due: T0.AddDays(1), assignee: 7003, ticketId: 3));
        await store.ApplyAsync(Task(updatedAt: T0, due: T0.AddDays(1), assignee: 7001, ticketId: 4) with { Subdomain = "other" });
        await store.RecordSyncAsync("acme", T0, done: true, 3, null);

        // Act
        var summaries = await store.SummariesAsync();
        await store.ForgetSubdomainAsync("acme");

        // Assert
        Assert.That(summaries.Select(s => (s.Subdomain, s.AgentId, s.Tasks)), Is.EqualTo(new[] { ("acme", 7001L, 2L), ("acme", 7003L, 1L), ("other", 7001L, 1L) }));
        Assert.That(await store.FeedAsync("acme", 7001), Is.Empty);
        Assert.That(await store.SyncAsync("acme"), Is.Null);
        Assert.That(await store.FeedAsync("other", 7001), Has.Count.EqualTo(1));
    }

    private static AgentTask Task(DateTimeOffset updatedAt, DateTimeOffset? due, long? assignee, long ticketId = 1234) => new()
    {
        Subdomain = "acme",
        TicketId = ticketId,
        AssigneeId = assignee,
        DueAt = due,
        Subject = "Call back",
        Status = "open",
        Priority = "high",
        RequesterId = 9001,
        RequesterName = "Jane Requester",
        UpdatedAt = updatedAt,
        InFeed = true,
    };
}
