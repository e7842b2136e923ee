using ChannelService.Data;
using ChannelService.Tests.Accounts;
using ChannelService.Zendesk;

namespace ChannelService.Tests.Zendesk;

[TestFixtureSource(typeof(TestStore), nameof(TestStore.Both))]
public sealed class OutboxTests(TestStore kind)
{
    [Test]
    public async Task Delivered_Items_Are_Deleted_After_The_Retention_While_Pending_Ones_Stay()
    {
        using var folder = new TempDirectory();
        using var database = await kind.CreateAsync(folder.Path);
        await database.InitializeAsync();
        var time = new ManualTime(new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero));
        var outbox = new Outbox(database, time);
        await using (var connection = await database.OpenAsync())
        {
            await using var transaction = await connection.BeginTransactionAsync();
            foreach (var id in new[] { "a", "b", "c" })
            {
                Assert.That(await outbox.EnqueueAsync(connection, transaction, "acct", id, "t", "author", "{}"), Is.True);
            }

            Assert.That(await outbox.EnqueueAsync(connection, transaction, "acct", "a", "t", "author", "{}"), Is.False, "a repeat is not queued twice");
            await transaction.CommitAsync();
        }

        var items = await outbox.TakePendingAsync("acct", 10);
        var retention = new ChannelService.Configuration.ChannelOptions().OutboxDeliveredRetention;
        await outbox.AcknowledgeAsync("acct", [items[0].Seq]);
        time.Advance(retention + TimeSpan.FromDays(1));
        await outbox.AcknowledgeAsync("acct", [items[1].Seq]);
        Assert.That(await outbox.PruneAsync(time.GetUtcNow() - retention, time.GetUtcNow() - TimeSpan.FromDays(90), 100), Is.EqualTo(1));

        var counts = (await outbox.CountsAsync()).Single();
        Assert.That((counts.Pending, counts.Delivered), Is.EqualTo((1L, 1L)), "the first delivered item is gone, the second kept, the pending one untouched");
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
    }
}
