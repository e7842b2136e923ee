using ChannelService.Accounts;

namespace ChannelService.Tests.Accounts;

/// <summary>A folder under the system temp directory, deleted on dispose.</summary>
internal sealed class TempDirectory : IDisposable
{
    public TempDirectory() => Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "cs-accounts-" + Guid.NewGuid().ToString("N"));

    public static string CreatePath() => Directory.CreateDirectory(System.IO.Path.Combine(System.IO.Path.GetTempPath(), "cs-accounts-" + Guid.NewGuid().ToString("N"))).FullName;

    public static void DeletePath(string path)
    {
        if (Directory.Exists(path))
        {
            Directory.Delete(path, recursive: true);
        }
    }

    public string KeyFile => System.IO.Path.Combine(Path, KeyRing.FileName);

    public void Dispose()
    {
        if (Directory.Exists(Path))
        {
            Directory.Delete(Path, recursive: true);
        }
    }
}

/// <summary>A clock the test moves by hand.</summary>
internal sealed class ManualTime(DateTimeOffset start) : TimeProvider
{
    private DateTimeOffset now = start;

    public override DateTimeOffset GetUtcNow() => now;

    public void Advance(TimeSpan by) => now += by;
}

internal static class Accounts
{
    public static readonly DateTimeOffset Start = new(2026, 3, 1, 9, 30, 0, TimeSpan.Zero);

    public static AccountMetadata Sample(AccountOptions? options = null) => new()
    {
        AccountId = AccountIds.New(),
        Kind = SourceKind.CalDavTasks,
        Url = "https://dav.example.com/remote.php/dav/calendars/anna/tasks/",
        Username = "anna",
        Secret = "app-password-Zx9!",
        DisplayName = "Anna's tasks",
        Options = options ?? AccountOptions.Default,
        CreatedAt = Start,
    };

    public static string RandomText(int length, string alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") =>
        System.Security.Cryptography.RandomNumberGenerator.GetString(alphabet, length);
}
