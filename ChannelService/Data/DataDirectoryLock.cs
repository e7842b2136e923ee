namespace ChannelService.Data;

/// <summary>
/// One service process per data folder: an exclusive OS lock on <c>{DataDirectory}/service.lock</c>, held while the
/// service runs. A second service on the same folder would keep its own in-memory caches (parsed items, account
/// state) that silently disagree with the first one's; it stops at start instead. The OS releases the lock when the
/// process ends, however it ends, so a crashed service never blocks the next start.
/// </summary>
/// <remarks>
/// Hosts in the same process share the lock (reference counted): integration tests run several test hosts on one
/// folder in one process, which is not what the lock is for. The command line takes no lock: its commands write
/// through SQLite's WAL beside a running service, as they always have.
/// </remarks>
internal sealed class DataDirectoryLock : IDisposable
{
    public const string FileName = "service.lock";

    private static readonly Dictionary<string, (FileStream Stream, int Holders)> Held = new(StringComparer.Ordinal);

    private readonly string path;
    private bool disposed;

    private DataDirectoryLock(string path) => this.path = path;

    /// <summary>The lock on <paramref name="directory"/> (created if missing), or null when another process holds it.</summary>
    public static DataDirectoryLock? TryAcquire(string directory)
    {
        Directory.CreateDirectory(directory);
        var path = Path.Combine(Path.GetFullPath(directory), FileName);
        lock (Held)
        {
            if (Held.TryGetValue(path, out var held))
            {
                Held[path] = (held.Stream, held.Holders + 1);
                return new DataDirectoryLock(path);
            }

            FileStream stream;
            try
            {
                // FileShare.None is an exclusive flock(2) on Unix and a sharing lock on Windows.
                stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException ex) when (ex is not FileNotFoundException and not DirectoryNotFoundException and not PathTooLongException)
            {
                return null;
            }

            Held[path] = (stream, 1);
            return new DataDirectoryLock(path);
        }
    }

    public void Dispose()
    {
        lock (Held)
        {
            if (disposed)
            {
                return;
            }

            disposed = true;
            var held = Held[path];
            if (held.Holders > 1)
            {
                Held[path] = (held.Stream, held.Holders - 1);
                return;
            }

            Held.Remove(path);
            held.Stream.Dispose();
        }
    }
}
