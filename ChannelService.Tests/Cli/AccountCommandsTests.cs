using System.Text.Json;
using ChannelService.Accounts;
using ChannelService.Cli;
using ChannelService.Tests.Accounts;
using Microsoft.Extensions.Configuration;

namespace ChannelService.Tests.Cli;

public sealed class AccountCommandsTests
{
    private const string Password = "correct-horse-battery-staple";

    private string folder = null!;

    [SetUp]
    public void SetUp() => folder = TempDirectory.CreatePath();

    [TearDown]
    public void TearDown() => TempDirectory.DeletePath(folder);

    [Test]
    public async Task Metadata_New_Then_Show_Round_Trips_With_The_Secret_Masked()
    {
        var created = await Run(
            ["metadata", "new", "--kind", "caldav-tasks", "--url", "https://dav.example.com/cal/anna/tasks/", "--username", "anna", "--password-stdin", "--name", "Anna's tasks", "--option", "tasks=all", "--option", "time_zone=Europe/Berlin"],
            stdin: Password + "\n");

        Assert.That(created.ExitCode, Is.EqualTo(0), created.Stderr);
        var metadata = created.Stdout.Trim();
        Assert.That(metadata, Does.StartWith("v1.").And.Not.Contain(Password));
        Assert.That(metadata.Length, Is.LessThanOrEqualTo(5000));

        var shown = await Run(["metadata", "show", metadata]);

        Assert.That(shown.ExitCode, Is.EqualTo(0), shown.Stderr);
        Assert.That(shown.Stdout, Does.Not.Contain(Password));
        using var json = JsonDocument.Parse(shown.Stdout);
        var root = json.RootElement;
        Assert.Multiple(() =>
        {
            Assert.That(AccountIds.IsValid(root.GetProperty("account_id").GetString()), Is.True);
            Assert.That(root.GetProperty("kind").GetString(), Is.EqualTo("caldav-tasks"));
            Assert.That(root.GetProperty("url").GetString(), Is.EqualTo("https://dav.example.com/cal/anna/tasks/"));
            Assert.That(root.GetProperty("username").GetString(), Is.EqualTo("anna"));
            Assert.That(root.GetProperty("password").GetString(), Is.EqualTo("********"));
            Assert.That(root.GetProperty("display_name").GetString(), Is.EqualTo("Anna's tasks"));
            Assert.That(root.GetProperty("key_id").GetString(), Is.EqualTo(KeyRing.LoadOrCreate(Path.Combine(folder, KeyRing.FileName), TimeProvider.System).Current.Id));
            Assert.That(root.GetProperty("options").GetProperty("tasks").GetString(), Is.EqualTo("all"));
            Assert.That(root.GetProperty("options").GetProperty("time_zone").GetString(), Is.EqualTo("Europe/Berlin"));
            Assert.That(root.GetProperty("options").GetProperty("window_future_days").GetString(), Is.EqualTo("30"));
        });

        var decoded = new MetadataCodec(AccountsConfiguration.LoadKeyRing(Configuration(), TimeProvider.System)).Decode(metadata);
        Assert.That(decoded.Secret, Is.EqualTo(Password), "the password is read from the first line of stdin, newline trimmed");
    }

    [Test]
    public async Task Metadata_Show_Reads_The_Metadata_From_Stdin_With_A_Dash()
    {
        var metadata = (await Run(["metadata", "new", "--kind", "ics", "--url", "webcal://example.org/feed.ics"])).Stdout.Trim();

        var shown = await Run(["metadata", "show", "-"], stdin: metadata + "\n");

        Assert.That(shown.ExitCode, Is.EqualTo(0), shown.Stderr);
        Assert.That(JsonDocument.Parse(shown.Stdout).RootElement.GetProperty("password").ValueKind, Is.EqualTo(JsonValueKind.Null));
    }

    [Test]
    public async Task Metadata_New_Ignores_Stdin_Without_The_Password_Flag()
    {
        var metadata = (await Run(["metadata", "new", "--kind", "ics", "--url", "https://example.org/feed.ics"], stdin: "not-a-password\n")).Stdout.Trim();

        var decoded = new MetadataCodec(AccountsConfiguration.LoadKeyRing(Configuration(), TimeProvider.System)).Decode(metadata);

        Assert.That(decoded.Secret, Is.Null);
    }

    [Test]
    public async Task Keys_Rotate_Keeps_Old_Metadata_Readable_And_New_Metadata_Uses_The_New_Key()
    {
        var old = (await Run(["metadata", "new", "--kind", "inbox", "--url", "https://hooks.example.net/replies"])).Stdout.Trim();

        var rotated = await Run(["keys", "rotate"]);
        var fresh = (await Run(["metadata", "new", "--kind", "inbox", "--url", "https://hooks.example.net/replies"])).Stdout.Trim();
        var listed = await Run(["keys", "list"]);

        Assert.That(rotated.ExitCode, Is.EqualTo(0), rotated.Stderr);
        var lines = listed.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines, Has.Length.EqualTo(2));
        Assert.That(lines[1], Does.StartWith(MetadataCodec.KeyIdOf(fresh)!).And.EndWith("current"));
        Assert.That(lines[0], Does.StartWith(MetadataCodec.KeyIdOf(old)!).And.Not.Contain("current"));
        Assert.That(rotated.Stdout, Does.Contain(MetadataCodec.KeyIdOf(fresh)!));
        Assert.That((await Run(["metadata", "show", old])).ExitCode, Is.EqualTo(0));
        Assert.That((await Run(["metadata", "show", fresh])).ExitCode, Is.EqualTo(0));
    }

    [Test]
    public async Task Keys_List_Shows_Ids_And_Dates_But_Never_Key_Material()
    {
        await Run(["keys", "rotate"]);
        using var file = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(folder, KeyRing.FileName)));
        var secrets = file.RootElement.GetProperty("keys").EnumerateArray().Select(k => k.GetProperty("secret").GetString()!).ToArray();

        var listed = await Run(["keys", "list"]);

        Assert.That(listed.ExitCode, Is.EqualTo(0));
        Assert.That(listed.Stdout, Does.Match(@"^\w{8}\s+\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"));
        foreach (var secret in secrets)
        {
            Assert.That(listed.Stdout, Does.Not.Contain(secret).And.Not.Contain(secret[..12]));
        }
    }

    [Test]
    public async Task Keys_List_Does_Not_Create_A_Key_In_A_Mistyped_Folder()
    {
        var result = await Run(["keys", "list"]);

        Assert.That(result.ExitCode, Is.EqualTo(2));
        Assert.That(result.Stderr, Does.Contain("No key file"));
        Assert.That(File.Exists(Path.Combine(folder, KeyRing.FileName)), Is.False);
    }

    [Test]
    public async Task Keys_Rotate_Refuses_When_Keys_Come_From_Configuration()
    {
        var configuration = Configuration(new() { ["Channel:Keys:0:Id"] = "k1", ["Channel:Keys:0:Secret"] = Convert.ToBase64String(new byte[32]) });

        var result = await Run(["keys", "rotate"], configuration: configuration);

        Assert.That(result.ExitCode, Is.EqualTo(1));
        Assert.That(result.Stderr, Does.Contain("Channel:Keys"));
    }

    [TestCase("metadata")]
    [TestCase("metadata", "frobnicate")]
    [TestCase("metadata", "new", "--url", "https://example.org/x")]
    [TestCase("metadata", "new", "--kind", "caldav-tasks")]
    [TestCase("metadata", "new", "--kind", "caldav", "--url", "https://example.org/x")]
    [TestCase("metadata", "new", "--kind", "ics", "--url", "not a url")]
    [TestCase("metadata", "new", "--kind", "ics", "--url", "ftp://example.org/x.ics")]
    [TestCase("metadata", "new", "--kind", "ics", "--url", "https://example.org/x.ics", "--option", "colour=blue")]
    [TestCase("metadata", "new", "--kind", "ics", "--url", "https://example.org/x.ics", "--option", "novalue")]
    [TestCase("metadata", "new", "--kind", "ics", "--url", "https://example.org/x.ics", "--option", "window_past_days=9999")]
    [TestCase("metadata", "new", "--kind", "ics", "--url", "https://example.org/x.ics", "--frobnicate")]
    [TestCase("metadata", "new", "--kind", "ics", "--url")]
    [TestCase("metadata", "new", "--kind", "ics", "--kind", "ics", "--url", "https://example.org/x.ics")]
    [TestCase("metadata", "new", "--kind", "ics", "--url", "https://example.org/x.ics", "--password-stdin")]
    [TestCase("metadata", "show")]
    [TestCase("metadata", "show", "v1.abc.garbage")]
    [TestCase("metadata", "show", "a", "b")]
    [TestCase("keys")]
    [TestCase("keys", "shred")]
    [TestCase("keys", "list", "--all")]
    public async Task Bad_Arguments_Exit_With_2_And_One_Line_On_Stderr(params string[] args)
    {
        // A key file exists, so "show" fails on the argument and not on a missing key file.
        KeyRing.LoadOrCreate(Path.Combine(folder, KeyRing.FileName), TimeProvider.System);

        var result = await Run(args);

        Assert.That(result.ExitCode, Is.EqualTo(2));
        Assert.That(result.Stdout, Is.Empty);
        Assert.That(result.Stderr, Does.StartWith("error: ").And.EndWith("\n"));
        Assert.That(result.Stderr.TrimEnd('\n'), Does.Not.Contain("\n"));
    }

    [Test]
    public async Task Unknown_Option_Error_Names_The_Key()
    {
        var result = await Run(["metadata", "new", "--kind", "ics", "--url", "https://example.org/x.ics", "--option", "colour=blue"]);

        Assert.That(result.Stderr, Does.Contain("'colour'"));
    }

    [Test]
    public async Task Tampered_Metadata_Is_Refused_Without_Echoing_It()
    {
        var metadata = (await Run(["metadata", "new", "--kind", "ics", "--url", "https://example.org/x.ics"])).Stdout.Trim();
        var tampered = metadata[..^3] + (metadata[^3] == 'A' ? "BAA" : "AAA");

        var result = await Run(["metadata", "show", tampered]);

        Assert.That(result.ExitCode, Is.EqualTo(2));
        Assert.That(result.Stderr, Does.Contain("rejected").And.Not.Contain(tampered[^20..]));
    }

    [TestCase("metadata", "--help")]
    [TestCase("metadata", "new", "--help")]
    [TestCase("metadata", "show", "--help")]
    [TestCase("keys", "--help")]
    [TestCase("keys", "rotate", "--help")]
    public async Task Help_Is_Printed_With_Exit_Code_0(params string[] args)
    {
        var result = await Run(args);

        Assert.That(result.ExitCode, Is.EqualTo(0));
        Assert.That(result.Stdout, Does.StartWith("Usage: ChannelService " + args[0]));
        Assert.That(result.Stderr, Is.Empty);
        Assert.That(File.Exists(Path.Combine(folder, KeyRing.FileName)), Is.False, "help touches no keys");
    }

    [Test]
    public async Task Top_Level_Help_Lists_Both_Commands()
    {
        var result = await Run(["--help"]);

        Assert.That(result.Stdout, Does.Contain("metadata").And.Contain("keys"));
    }

    private IConfiguration Configuration(Dictionary<string, string?>? extra = null)
    {
        var values = new Dictionary<string, string?> { ["Channel:DataDirectory"] = folder };
        foreach (var (key, value) in extra ?? [])
        {
            values[key] = value;
        }

        return new ConfigurationBuilder().AddInMemoryCollection(values).Build();
    }

    private async Task<(int ExitCode, string Stdout, string Stderr)> Run(string[] args, string stdin = "", IConfiguration? configuration = null)
    {
        using var input = new StringReader(stdin);
        await using var output = new StringWriter { NewLine = "\n" };
        await using var error = new StringWriter { NewLine = "\n" };
        Assert.That(CommandLine.IsCommand(args), Is.True);

        var exitCode = await CommandLine.RunAsync(args, configuration ?? Configuration(), input, output, error);

        return (exitCode, output.ToString(), error.ToString());
    }
}
