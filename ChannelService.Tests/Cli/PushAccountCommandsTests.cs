using System.Text;
using System.Text.Json;
using ChannelService.Accounts;
using ChannelService.Cli;
using ChannelService.Data;
using ChannelService.Inbox;
using ChannelService.Tests.Accounts;
using Microsoft.Extensions.Configuration;

namespace ChannelService.Tests.Cli;

/// <summary>metadata new for inbox and pushing accounts, and the accounts command.</summary>
public sealed class PushAccountCommandsTests
{
    private const string Token = "zd-push-token-Very-Secret-123";

    private string folder = null!;

    [SetUp]
    public void SetUp() => folder = TempDirectory.CreatePath();

    [TearDown]
    public void TearDown()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        TempDirectory.DeletePath(folder);
    }

    [Test]
    public async Task An_Inbox_Account_With_Push_Is_Scripted_Without_The_Browser_And_Shown_Without_Secrets()
    {
        var created = await Run(
            ["metadata", "new", "--kind", "inbox", "--callback-url", "https://hooks.example.net/replies", "--name", "Shop inbox", "--subdomain", "acme", "--push-id", "push-id-77", "--push-token-stdin"],
            stdin: Token + "\n");

        Assert.That(created.ExitCode, Is.EqualTo(0), created.Stderr);
        var secret = created.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Single(l => l.StartsWith("isk_", StringComparison.Ordinal));
        var shown = await Run(["metadata", "show", created.Stdout.Trim()]);
        var accountId = JsonDocument.Parse(shown.Stdout).RootElement.GetProperty("account_id").GetString()!;
        Assert.That(JsonDocument.Parse(shown.Stdout).RootElement.GetProperty("instance_push_id").GetString(), Is.EqualTo("push-id-77"));

        var list = await Run(["accounts", "list"]);
        var show = await Run(["accounts", "show", accountId]);
        using var json = JsonDocument.Parse(show.Stdout);
        Assert.Multiple(() =>
        {
            Assert.That(list.Stdout, Does.Contain(accountId).And.Contain("inbox").And.Contain("acme").And.Contain("Shop inbox"));
            Assert.That(json.RootElement.GetProperty("push").GetProperty("instance_push_id").GetString(), Is.EqualTo("push-id-77"));
            Assert.That(json.RootElement.GetProperty("push").GetProperty("token").GetString(), Is.EqualTo("********"));
            Assert.That(json.RootElement.GetProperty("inbox_callback_url").GetString(), Is.EqualTo("https://hooks.example.net/replies"));
            Assert.That(list.Stdout + show.Stdout + shown.Stdout + created.Stdout, Does.Not.Contain(Token).And.Not.Contain(secret));
        });

        // Stored sealed: neither the token nor the inbox secret is anywhere in the database files.
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        var stored = string.Concat(Directory.GetFiles(folder, Database.FileName + "*").Select(f => Encoding.UTF8.GetString(File.ReadAllBytes(f))));
        Assert.That(stored, Does.Contain(accountId).And.Not.Contain(Token).And.Not.Contain(secret));

        var store = await InboxStore();
        Assert.That((await store.GetAsync(accountId))!.Secret, Is.EqualTo(secret));
        var rotated = await Run(["accounts", "rotate-inbox-secret", accountId]);
        Assert.That(rotated.ExitCode, Is.EqualTo(0), rotated.Stderr);
        Assert.That(rotated.Stdout.Trim(), Does.StartWith("isk_").And.Not.EqualTo(secret));
        Assert.That((await store.GetAsync(accountId))!.Secret, Is.EqualTo(rotated.Stdout.Trim()));
    }

    [TestCase("--push-id", "p1")]
    [TestCase("--push-token-stdin")]
    public async Task Incomplete_Push_Credentials_Are_A_Usage_Error(params string[] extra)
    {
        var result = await Run(["metadata", "new", "--kind", "ics", "--url", "https://example.org/feed.ics", .. extra], stdin: Token + "\n");

        Assert.That(result.ExitCode, Is.EqualTo(2));
        Assert.That(result.Stderr, Does.Contain("--subdomain, --push-id and --push-token-stdin together"));
    }

    [Test]
    public async Task Accounts_Commands_Refuse_Unknown_Ids_And_Rotation_Of_Non_Inbox_Accounts()
    {
        // Creates the key file (and registers the ics account: every minted account is registered).
        Assert.That((await Run(["metadata", "new", "--kind", "ics", "--url", "https://example.org/feed.ics"])).ExitCode, Is.EqualTo(0));

        var show = await Run(["accounts", "show", "aaaaaaaaaaaa"]);
        var rotate = await Run(["accounts", "rotate-inbox-secret", "aaaaaaaaaaaa"]);
        var bad = await Run(["accounts", "show", "not-an-id"]);

        Assert.Multiple(() =>
        {
            Assert.That(show.ExitCode, Is.EqualTo(1));
            Assert.That(rotate.ExitCode, Is.EqualTo(1));
            Assert.That(bad.ExitCode, Is.EqualTo(2));
        });
    }

    [TestCase("ics", "https://example.org/feed.ics")]
    [TestCase("caldav-tasks", "https://dav.example.org/calendars/team/")]
    public async Task Every_Minted_Account_Is_Registered_As_The_Admin_Uis_Save_Does(string kind, string url)
    {
        // Act: a feed account without push, minted on the command line
        var created = await Run(["metadata", "new", "--kind", kind, "--url", url, "--name", "Team " + kind, "--subdomain", "acme"]);
        var shown = await Run(["metadata", "show", created.Stdout.Trim()]);
        var accountId = JsonDocument.Parse(shown.Stdout).RootElement.GetProperty("account_id").GetString()!;
        var list = await Run(["accounts", "list"]);
        var show = await Run(["accounts", "show", accountId]);

        // Assert: listed and shown like an account saved in the admin UI, and no rotation for a non-inbox account
        Assert.That(created.ExitCode, Is.EqualTo(0), created.Stderr);
        Assert.That(list.Stdout, Does.Contain(accountId).And.Contain(kind).And.Contain("acme").And.Contain("Team " + kind));
        Assert.That(show.ExitCode, Is.EqualTo(0), show.Stderr);
        Assert.That((await Run(["accounts", "rotate-inbox-secret", accountId])).ExitCode, Is.EqualTo(1));
    }

    private async Task<InboxAccountStore> InboxStore()
    {
        var database = new Database(Path.Combine(folder, Database.FileName));
        await database.InitializeAsync();
        return new InboxAccountStore(database, new SecretSealer(AccountsConfiguration.LoadKeyRing(Configuration(), TimeProvider.System)), TimeProvider.System);
    }

    private IConfiguration Configuration() =>
        new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Channel:DataDirectory"] = folder }).Build();

    private async Task<(int ExitCode, string Stdout, string Stderr)> Run(string[] args, string stdin = "")
    {
        using var input = new StringReader(stdin);
        await using var output = new StringWriter { NewLine = "\n" };
        await using var error = new StringWriter { NewLine = "\n" };
        var exitCode = await CommandLine.RunAsync(args, Configuration(), input, output, error);
        return (exitCode, output.ToString(), error.ToString());
    }
}
