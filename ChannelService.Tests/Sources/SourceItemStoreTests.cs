using ChannelService.Calendars;
using ChannelService.Data;
using ChannelService.Sources;

namespace ChannelService.Tests.Sources;

[TestFixtureSource(typeof(TestStore), nameof(TestStore.Both))]
public sealed class SourceItemStoreTests(TestStore kind)
{
    private string folder = null!;
    private Database database = null!;
    private SourceItemStore store = null!;

    [SetUp]
    public async Task CreateDatabase()
    {
        folder = Directory.CreateTempSubdirectory("channelservice-store-").FullName;
        database = await kind.CreateAsync(folder);
        await database.InitializeAsync();
        store = new SourceItemStore(database);
    }

    [TearDown]
    public void DeleteFolder()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        database.Dispose();
        Directory.Delete(folder, recursive: true);
    }

    [Test]
    public async Task Changes_Applied_In_A_Transaction_That_Rolls_Back_Leave_Items_And_Cursor_As_They_Were()
    {
        await store.ApplyAsync("a1", Changes("c1", Item("k1", "v1")));

        await using (var connection = await database.OpenAsync())
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            await store.ApplyAsync("a1", Changes("c2", Item("k1", "v2"), Item("k2", "v1")), connection, transaction);
            await transaction.RollbackAsync();
        }

        Assert.That(await store.GetCursorAsync("a1"), Is.EqualTo("c1"));
        var known = await store.GetKnownVersionsAsync("a1");
        Assert.That(known.Keys, Is.EquivalentTo(new[] { "k1" }));
        Assert.That(known["k1"].ContentVersion, Is.EqualTo("v1"));
    }

    [Test]
    public async Task Only_A_Read_That_Stored_Something_Counts_As_A_Write_Of_The_Account()
    {
        await store.ApplyAsync("a1", Changes("c1", Item("k1", "v1")));
        var afterFirst = await store.WritesOfAsync("a1");

        // Nothing changed and the same cursor (a feed's 304): another instance's quick-path mark stays good.
        await store.ApplyAsync("a1", Changes("c1"));
        var afterUnchanged = await store.WritesOfAsync("a1");

        // Only the cursor moved, then an item changed, then the pull counted a response with resources.
        await store.ApplyAsync("a1", Changes("c2"));
        var afterCursor = await store.WritesOfAsync("a1");
        await store.ApplyAsync("a1", Changes("c2", Item("k1", "v2")));
        var afterItem = await store.WritesOfAsync("a1");
        await using (var connection = await database.OpenAsync())
        {
            await store.CountWriteAsync(connection, null, "a1");
        }

        Assert.That(afterFirst, Is.GreaterThan(0));
        Assert.That(afterUnchanged, Is.EqualTo(afterFirst), "a read that stored nothing");
        Assert.That(afterCursor, Is.EqualTo(afterUnchanged + 1));
        Assert.That(afterItem, Is.EqualTo(afterCursor + 1));
        Assert.That(await store.WritesOfAsync("a1"), Is.EqualTo(afterItem + 1));
        Assert.That(await store.GetCursorAsync("a1"), Is.EqualTo("c2"));
    }

    [Test]
    public async Task Accounts_Are_Separate_And_Deletion_Keeps_A_Tombstone_With_First_Seen()
    {
        var t0 = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var clock = new SteppingClock(t0);
        store = new SourceItemStore(database, clock);
        await store.ApplyAsync("a1", Changes("c1", Item("k1", "v1")));
        await store.ApplyAsync("a2", Changes("x1", Item("k1", "other")));
        clock.Now = t0.AddHours(1);

        await store.ApplyAsync("a1", Changes("c2") with { Deletions = [new SourceDeletion("k1", "uid-k1", null, "v1")] });

        var stored = (await store.GetAsync("a1", "k1"))!;
        Assert.That(stored.Deleted, Is.True);
        Assert.That(stored.FirstSeen, Is.EqualTo(t0));
        Assert.That(stored.DeletedAt, Is.EqualTo(t0.AddHours(1)));
        Assert.That(await store.ListAsync("a1"), Is.Empty);
        Assert.That((await store.ListAsync("a2")).Single().Item.ContentVersion, Is.EqualTo("other"));

        await store.ForgetAsync("a1");
        Assert.That(await store.GetAsync("a1", "k1"), Is.Null);
        Assert.That(await store.GetCursorAsync("a1"), Is.Null);
        Assert.That(await store.GetCursorAsync("a2"), Is.EqualTo("x1"));
    }

    private static SourceChanges Changes(string cursor, params SourceItem[] upserts) =>
        new() { Cursor = cursor, Upserts = upserts, Deletions = [], CompleteListing = true };

    private static SourceItem Item(string key, string version) => new()
    {
        Key = key,
        Kind = CalendarItemKind.Task,
        Uid = "uid-" + key,
        ContentVersion = version,
        RawIcs = "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n",
    };

    private sealed class SteppingClock(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;

        public override DateTimeOffset GetUtcNow() => Now;
    }
}
