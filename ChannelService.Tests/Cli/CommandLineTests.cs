using System.CommandLine;
using ChannelService.Accounts;
using ChannelService.Cli;
using ChannelService.Tests.Accounts;
using Microsoft.Extensions.Configuration;

namespace ChannelService.Tests.Cli;

/// <summary>Help, usage errors and the line between host arguments and commands, for every command.</summary>
public sealed class CommandLineTests
{
    private string folder = null!;

    [SetUp]
    public void SetUp() => folder = TempDirectory.CreatePath();

    [TearDown]
    public void TearDown() => TempDirectory.DeletePath(folder);

    /// <summary>Every command and subcommand, hidden ones included, as the words that select it.</summary>
    private static IEnumerable<string> AllCommandPaths()
    {
        var root = CommandLine.BuildRoot(new CliContext(new ConfigurationBuilder().Build(), TextReader.Null, TextWriter.Null, TextWriter.Null));
        var pending = new Stack<Command>(root.Subcommands);
        while (pending.Count > 0)
        {
            var command = pending.Pop();
            yield return CliHelp.PathOf(command);
            foreach (var sub in command.Subcommands)
            {
                pending.Push(sub);
            }
        }
    }

    [Test]
    public void Every_Command_Named_In_The_Readme_And_The_Benchmarks_Exists()
    {
        Assert.That(AllCommandPaths(), Is.SupersetOf(new[]
        {
            "metadata new", "metadata show", "keys list", "keys rotate", "accounts list", "accounts show", "accounts rotate-inbox-secret",
            "accounts retry-parked", "installer-app", "preview", "ical parse", "ical expand", "ical generate", "ical bench-rrule",
            "pull bench", "feed bench", "caldav-bench",
        }));
    }

    [TestCaseSource(nameof(AllCommandPaths))]
    public async Task Every_Command_Has_Help_Starting_With_Its_Usage_And_Listing_Its_Options(string path)
    {
        var words = path.Split(' ');
        var command = Find(words);

        foreach (var flag in new[] { "--help", "-h", "-?" })
        {
            var result = await Run([.. words, flag]);

            Assert.That(result.ExitCode, Is.Zero, $"{path} {flag}");
            Assert.That(result.Stderr, Is.Empty);
            Assert.That(result.Stdout, Does.StartWith($"Usage: ChannelService {path}"));
            Assert.That(result.Stdout, Does.Contain(command.Description));
            foreach (var option in command.Options)
            {
                Assert.That(result.Stdout, Does.Contain(option.Name), $"{path} --help lists {option.Name}");
            }

            foreach (var sub in command.Subcommands.Where(c => !c.Hidden))
            {
                Assert.That(result.Stdout, Does.Contain($"  {sub.Name} "), $"{path} --help lists {sub.Name}");
            }
        }

        Assert.That(File.Exists(Path.Combine(folder, KeyRing.FileName)), Is.False, "help touches no keys");
    }

    [TestCase("--help")]
    [TestCase("-h")]
    [TestCase("help")]
    public async Task Top_Level_Help_Lists_Every_Visible_Command_And_The_Host_Options(string flag)
    {
        var result = await Run([flag]);

        Assert.That(result.ExitCode, Is.Zero);
        Assert.That(result.Stdout, Does.StartWith("Usage: ChannelService [host options]"));
        foreach (var name in new[] { "metadata", "keys", "accounts", "installer-app", "ical", "preview", "caldav-bench", "feed", "pull" })
        {
            Assert.That(result.Stdout, Does.Contain($"\n  {name} "));
        }

        Assert.That(result.Stdout, Does.Contain("--urls URL").And.Contain("--environment NAME").And.Not.Contain("bench-rrule"));
    }

    [Test]
    public async Task Hidden_Commands_Still_Have_Help()
    {
        var result = await Run(["ical", "bench-rrule", "--help"]);

        Assert.That(result.Stdout, Does.StartWith("Usage: ChannelService ical bench-rrule RULES-FILE"));
    }

    [Test]
    public async Task A_Word_Help_After_A_Command_Group_Prints_Its_Help()
    {
        var result = await Run(["accounts", "help"]);

        Assert.That(result.ExitCode, Is.Zero);
        Assert.That(result.Stdout, Does.StartWith("Usage: ChannelService accounts <command>"));
    }

    [TestCase(new[] { "calendars", "frobnicate", "--help" }, "error: unknown calendars subcommand 'frobnicate' (expected list, rotate, revoke, connect, disconnect, bench; see 'ChannelService calendars --help')\n")]
    [TestCase(new[] { "db", "upgrade", "--help" }, "error: unknown db subcommand 'upgrade' (expected migrate, copy; see 'ChannelService db --help')\n")]
    [TestCase(new[] { "keys", "list", "extra", "--help" }, "error: too many arguments (see 'ChannelService keys list --help')\n")]
    public async Task Help_For_A_Subcommand_That_Does_Not_Exist_Is_A_Usage_Error_Not_The_Groups_Help(string[] args, string stderr)
    {
        var result = await Run(args);

        Assert.That((result.ExitCode, result.Stdout, result.Stderr), Is.EqualTo((2, "", stderr)));
    }

    [Test]
    public async Task Each_Db_Subcommands_Help_Has_Its_Own_Notes()
    {
        var migrate = await Run(["db", "migrate", "--help"]);
        var copy = await Run(["db", "copy", "--help"]);

        Assert.That(migrate.Stdout, Does.Contain("Applies the migrations").And.Not.Contain("SQLite service").And.Not.Contain("db copy"));
        Assert.That(copy.Stdout, Does.Contain("Stop the SQLite service first").And.Not.Contain("Applies the migrations"));
        Assert.That((migrate.ExitCode, copy.ExitCode), Is.EqualTo((0, 0)));
    }

    [TestCase(new[] { "freshdesk" }, "error: unknown command 'freshdesk'")]
    [TestCase(new[] { "acounts", "list" }, "error: unknown command 'acounts' (did you mean 'accounts'?)")]
    [TestCase(new[] { "--verbose" }, "error: unknown option '--verbose'")]
    [TestCase(new[] { "-v" }, "error: unknown option '-v'")]
    [TestCase(new[] { "--urls", "http://127.0.0.1:5080", "freshdesk" }, "error: unknown command 'freshdesk'")]
    [TestCase(new[] { "Channel:Sandbox=true", "--verbose", "keys", "list" }, "error: unknown option '--verbose'")]
    public async Task Unknown_Commands_And_Options_Print_The_List_Of_Commands_And_Exit_2(string[] args, string firstLine)
    {
        Assert.That(CommandLine.IsCommand(args), Is.True, "not a service start");

        var result = await Run(args);

        Assert.That(result.ExitCode, Is.EqualTo(2));
        Assert.That(result.Stdout, Is.Empty);
        var lines = result.Stderr.Split('\n');
        Assert.That(lines[0], Is.EqualTo(firstLine));
        Assert.That(result.Stderr, Does.Contain("\nCommands:\n").And.Contain("\n  metadata ").And.Contain("\n  pull "));
        Assert.That(result.Stderr, Does.EndWith("Run 'ChannelService --help' for more.\n"));
    }

    [Test]
    public async Task A_Long_Unknown_Word_Is_Not_Echoed_As_It_May_Be_A_Pasted_Secret()
    {
        var secret = "zd-" + new string('x', 40);

        var top = await Run([secret]);
        var nested = await Run(["keys", "list", secret]);

        Assert.That(top.Stderr.Split('\n')[0], Is.EqualTo("error: unknown command (not shown)"));
        Assert.That(nested.Stderr, Is.EqualTo("error: too many arguments (see 'ChannelService keys list --help')\n"));
    }

    [TestCase(new[] { "metadata" }, "error: missing subcommand (new, show; see 'ChannelService metadata --help')")]
    [TestCase(new[] { "ical" }, "error: missing subcommand (parse, expand, generate; see 'ChannelService ical --help')")]
    [TestCase(new[] { "pull" }, "error: missing subcommand (bench, accounts; see 'ChannelService pull --help')")]
    [TestCase(new[] { "accounts", "frobnicate" }, "error: unknown accounts subcommand 'frobnicate' (expected list, show, rotate-inbox-secret, retry-parked; see 'ChannelService accounts --help')")]
    [TestCase(new[] { "keys", "list", "--all" }, "error: unexpected argument '--all' (see 'ChannelService keys list --help')")]
    [TestCase(new[] { "metadata", "show", "v1.a.b", "hunter2" }, "error: too many arguments (see 'ChannelService metadata show --help')")]
    [TestCase(new[] { "metadata", "new", "--kind", "ics", "--url", "https://example.org/x.ics", "--password-stdin=hunter2" }, "error: too many arguments (see 'ChannelService metadata new --help')")]
    [TestCase(new[] { "metadata", "new", "--url", "https://example.org/x.ics" }, "error: --kind is required (see 'ChannelService metadata new --help')")]
    [TestCase(new[] { "metadata", "new", "--kind", "ics", "--url", "--name", "x" }, "error: --url needs a value (see 'ChannelService metadata new --help')")]
    [TestCase(new[] { "metadata", "new", "--kind", "ics", "--url", "https://example.org/x.ics", "--option", "tasks" }, "error: --option must be key=value (see 'ChannelService metadata new --help')")]
    [TestCase(new[] { "ical", "generate", "--units", "0", "--out", "x.ics" }, "error: --units must be a number from 1 to 1000 (see 'ChannelService ical generate --help')")]
    [TestCase(new[] { "feed", "bench", "--units", "0" }, "error: --units must be a number above 0 and at most 10 (see 'ChannelService feed bench --help')")]
    [TestCase(new[] { "pull", "bench", "--runs", "1,5" }, "error: --runs must be a number from 1 to 100 (see 'ChannelService pull bench --help')")]
    [TestCase(new[] { "caldav-bench", "--repeat", "2" }, "error: --url is required (see 'ChannelService caldav-bench --help')")]
    [TestCase(new[] { "ical", "expand", "x.ics", "--from", "2020-01-01" }, "error: --to is required (see 'ChannelService ical expand --help')")]
    [TestCase(new[] { "ical", "bench-rrule", "rules.txt", "2020-01-01", "2021-01-01", "many" }, "error: PASSES must be a whole number of at least 1")]
    [TestCase(new[] { "accounts", "show", "not-an-id" }, "error: that is not an account id (12 characters a-z, 2-7; see accounts list)")]
    [TestCase(new[] { "--urls" }, "error: --urls needs a value")]
    public async Task Usage_Errors_Are_One_Exact_Line_On_Stderr_With_Exit_Code_2(string[] args, string line)
    {
        var result = await Run(args);

        Assert.That(result.ExitCode, Is.EqualTo(2));
        Assert.That(result.Stdout, Is.Empty);
        Assert.That(result.Stderr, Is.EqualTo(line + "\n"));
    }

    [Test]
    public async Task Pull_Accounts_Mints_One_Metadata_Per_Line_Each_With_Its_Own_Feed_Url()
    {
        var result = await Run(["pull", "accounts", "--count", "3", "--url-template", "http://127.0.0.1:8080/feed-{n}.ics"]);

        Assert.That(result.ExitCode, Is.Zero, result.Stderr);
        var codec = new MetadataCodec(AccountsConfiguration.LoadKeyRing(Configuration(), TimeProvider.System));
        var accounts = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(codec.Decode).ToList();
        Assert.That(accounts.Select(a => a.Url), Is.EqualTo(new[] { "http://127.0.0.1:8080/feed-1.ics", "http://127.0.0.1:8080/feed-2.ics", "http://127.0.0.1:8080/feed-3.ics" }));
        Assert.That(accounts.Select(a => a.AccountId).Distinct().Count(), Is.EqualTo(3));
        Assert.That(accounts.Select(a => a.Kind), Has.All.EqualTo(SourceKind.Ics));
    }

    [Test]
    public async Task An_At_Sign_Is_A_Value_Not_A_Response_File()
    {
        var result = await Run(["metadata", "new", "--kind", "ics", "--url", "https://example.org/x.ics", "--name", "@team"]);

        Assert.That(result.ExitCode, Is.Zero, result.Stderr);
        Assert.That(new MetadataCodec(AccountsConfiguration.LoadKeyRing(Configuration(), TimeProvider.System)).Decode(result.Stdout.Trim()).DisplayName, Is.EqualTo("@team"));
    }

    [Test]
    public async Task Invalid_Account_Input_Is_Reported_By_The_Validator_With_Every_Failed_Rule()
    {
        var result = await Run(["metadata", "new", "--kind", "ics", "--url", "ftp://example.org/x.ics", "--option", "colour=blue"]);

        Assert.That(result.ExitCode, Is.EqualTo(2));
        Assert.That(result.Stderr, Does.StartWith("error: url must use http or https or webcal.").And.Contain("'colour'"));
    }

    [Test]
    public async Task Host_Options_Before_A_Command_Configure_It()
    {
        var other = TempDirectory.CreatePath();
        try
        {
            var created = await Run(["--Channel:DataDirectory", other, "keys", "rotate"]);
            var listed = await Run([$"Channel:DataDirectory={other}", "keys", "list"]);
            var here = await Run(["keys", "list"]);

            Assert.That(created.ExitCode, Is.Zero, created.Stderr);
            Assert.That(File.Exists(Path.Combine(other, KeyRing.FileName)), Is.True);
            Assert.That(listed.Stdout, Does.Contain("current"));
            Assert.That(here.ExitCode, Is.EqualTo(2), "the configured folder has no key file");
        }
        finally
        {
            TempDirectory.DeletePath(other);
        }
    }

    [TestCase]
    [TestCase("--urls", "http://127.0.0.1:5080")]
    [TestCase("--urls=http://127.0.0.1:5080", "--environment", "Production")]
    [TestCase("--ENVIRONMENT", "Development", "--contentRoot", "/opt/x", "--applicationName", "ChannelService")]
    [TestCase("--Channel:DataDirectory", "/var/lib/x", "Channel:Sandbox=true", "--Logging:LogLevel:Default=Warning")]
    [TestCase("/urls", "http://127.0.0.1:5080", "/Channel:PublicBaseUrl=https://x.example.com")]
    [TestCase("--AllowedHosts", "channel.example.com", "--anything=value")]
    public void Host_Arguments_Alone_Start_The_Service(params string[] args)
    {
        Assert.That(CommandLine.IsCommand(args), Is.False);
    }

    [TestCase(new[] { "keys", "list" }, new string[0])]
    [TestCase(new[] { "--environment", "Development", "keys", "list" }, new[] { "--environment", "Development" })]
    [TestCase(new[] { "Channel:X=1", "--Channel:Y", "keys", "list" }, new[] { "Channel:X=1", "--Channel:Y", "keys" })]
    [TestCase(new[] { "--urls", "http://x", "--verbose" }, new[] { "--urls", "http://x" })]
    public void The_Command_Line_Starts_At_The_First_Argument_The_Host_Does_Not_Take(string[] args, string[] host)
    {
        var split = HostArguments.Split(args);

        Assert.That(split.Host, Is.EqualTo(host));
        Assert.That(split.Rest, Is.EqualTo(args.Skip(host.Length).ToArray()));
    }

    private static Command Find(string[] words)
    {
        Command command = CommandLine.BuildRoot(new CliContext(new ConfigurationBuilder().Build(), TextReader.Null, TextWriter.Null, TextWriter.Null));
        foreach (var word in words)
        {
            command = command.Subcommands.Single(c => c.Name == word);
        }

        return command;
    }

    private IConfiguration Configuration() =>
        new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Channel:DataDirectory"] = folder }).Build();

    private async Task<(int ExitCode, string Stdout, string Stderr)> Run(string[] args)
    {
        await using var output = new StringWriter { NewLine = "\n" };
        await using var error = new StringWriter { NewLine = "\n" };
        var exitCode = await CommandLine.RunAsync(args, Configuration(), new StringReader(""), output, error);
        return (exitCode, output.ToString(), error.ToString());
    }
}
