using ChannelService.Data;
using ChannelService.Tests.Accounts;

namespace ChannelService.Tests.Data;

public sealed class DataDirectoryLockTests
{
    [Test]
    public void Hosts_In_One_Process_Share_The_Lock_Which_Is_Released_When_The_Last_One_Ends()
    {
        var folder = Path.Combine(TempDirectory.CreatePath(), "not-yet-there");
        try
        {
            var first = DataDirectoryLock.TryAcquire(folder);
            var second = DataDirectoryLock.TryAcquire(folder);
            Assert.That(first, Is.Not.Null);
            Assert.That(second, Is.Not.Null);
            var file = Path.Combine(folder, DataDirectoryLock.FileName);

            first!.Dispose();
            first.Dispose();
            Assert.That(() => new FileStream(file, FileMode.Open, FileAccess.ReadWrite, FileShare.None).Dispose(), Throws.InstanceOf<IOException>(), "still held by the second host");

            second!.Dispose();
            Assert.That(() => new FileStream(file, FileMode.Open, FileAccess.ReadWrite, FileShare.None).Dispose(), Throws.Nothing, "released by the last one");
        }
        finally
        {
            TempDirectory.DeletePath(Path.GetDirectoryName(folder)!);
        }
    }
}
