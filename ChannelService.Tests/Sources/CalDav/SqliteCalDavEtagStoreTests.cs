using ChannelService.Data;
using ChannelService.Sources.CalDav;

namespace ChannelService.Tests.Sources.CalDav;

[TestFixtureSource(typeof(TestStore), nameof(TestStore.Both))]
public sealed class SqliteCalDavEtagStoreTests(TestStore kind)
{
    private static readonly Uri Collection = new("https://dav.example.org/alice/tasks/");
    private string folder = null!;
    private Database database = null!;

    [SetUp]
    public async Task CreateDatabase()
    {
        folder = Directory.CreateTempSubdirectory("channelservice-etags-").FullName;
        database = await kind.CreateAsync(folder);
        await database.InitializeAsync();
    }

    [TearDown]
    public void DeleteFolder()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        database.Dispose();
        Directory.Delete(folder, recursive: true);
    }

    [Test]
    public async Task A_Saved_Map_Reads_Back_Exactly_And_Survives_A_New_Store_Instance()
    {
        var map = new Dictionary<string, string> { ["/alice/tasks/a.ics"] = "\"e1\"", ["/alice/tasks/ü b.ics"] = "W/\"e2\"" };
        await new SqliteCalDavEtagStore(database).SaveAsync(Collection, "s1", map, CancellationToken.None);

        var loaded = await new SqliteCalDavEtagStore(database).LoadAsync(Collection, "s1", CancellationToken.None);
        var otherCollection = await new SqliteCalDavEtagStore(database).LoadAsync(new Uri("https://dav.example.org/bob/tasks/"), "s1", CancellationToken.None);

        Assert.That(loaded, Is.EquivalentTo(map));
        Assert.That(otherCollection, Is.Null);
    }

    [Test]
    public async Task Only_The_Newest_Snapshots_Of_A_Collection_Are_Kept_And_Resaving_Refreshes_One()
    {
        var t = new FakeTime(new DateTimeOffset(2026, 11, 22, 0, 0, 0, TimeSpan.Zero));
        var store = new SqliteCalDavEtagStore(database, t, keepPerCollection: 2);
        await store.SaveAsync(Collection, "old", new Dictionary<string, string> { ["/a"] = "1" }, CancellationToken.None);
        t.Advance();
        await store.SaveAsync(Collection, "mid", new Dictionary<string, string> { ["/a"] = "2" }, CancellationToken.None);
        t.Advance();
        await store.SaveAsync(Collection, "old", new Dictionary<string, string> { ["/a"] = "1" }, CancellationToken.None);
        t.Advance();
        await store.SaveAsync(Collection, "new", new Dictionary<string, string> { ["/a"] = "3" }, CancellationToken.None);

        Assert.That(await store.CountAsync(Collection), Is.EqualTo(2));
        Assert.That(await store.LoadAsync(Collection, "old", CancellationToken.None), Is.Not.Null, "saved again, so in use");
        Assert.That(await store.LoadAsync(Collection, "mid", CancellationToken.None), Is.Null);
        Assert.That(await store.LoadAsync(Collection, "new", CancellationToken.None), Is.Not.Null);
    }

    private sealed class FakeTime(DateTimeOffset start) : TimeProvider
    {
        private DateTimeOffset now = start;

        public void Advance() => now = now.AddSeconds(1);

        public override DateTimeOffset GetUtcNow() => now;
    }
}
