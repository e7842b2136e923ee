using System.Reflection;
using ChannelService.Calendars;
using ChannelService.Tests.Calendars.IsolationFixture.Inside;
using ChannelService.Tests.Support;

namespace ChannelService.Tests.Calendars;

/// <summary>
/// The iCalendar engine (<c>ChannelService.Calendars</c>) depends on nothing else in the service: no feed download,
/// no command line, no store. Commands and benchmarks that use it live in <c>Cli/</c>. Checked twice: on the compiled
/// types (signatures and the IL of every method, lambda and state machine) and on the source files.
/// </summary>
public sealed class CalendarsIsolationTests
{
    private const string Engine = "ChannelService.Calendars";

    private static readonly Assembly Service = typeof(IcalReader).Assembly;

    [Test]
    public void No_Type_Of_The_Engine_Uses_Another_Part_Of_The_Service()
    {
        var engineTypes = Service.GetTypes().Count(t => t.Namespace == Engine);

        var violations = TypeReferences.OutsideNamespace(Service, Engine);

        Assert.That(engineTypes, Is.GreaterThan(50), "the engine's types are found (nested closures and state machines included)");
        Assert.That(violations, Is.Empty);
    }

    [Test]
    public void No_Source_File_Of_The_Engine_Names_Another_Part_Of_The_Service()
    {
        var violations = TypeReferences.SourceLinesOutsideNamespace(EngineFolder(), Engine, ServiceNamespaces());

        Assert.That(Directory.GetFiles(EngineFolder(), "*.cs", SearchOption.AllDirectories), Has.Length.GreaterThan(10));
        Assert.That(violations, Is.Empty);
    }

    // ------------------------------------------------------------ the checks can fail

    [Test]
    public void The_Compiled_Check_Finds_The_Command_Lines_Uses_Of_The_Service()
    {
        var violations = TypeReferences.OutsideNamespace(Service, "ChannelService.Cli");

        Assert.That(violations, Has.Some.Contains("-> ChannelService.Sources.Feeds.FeedDownload (IL of"));
        Assert.That(violations, Has.Some.Contains("-> ChannelService.Accounts.NewAccountRequestValidator (IL of"));
    }

    [TestCase(typeof(ViaField), "field")]
    [TestCase(typeof(ViaSignature), "parameter of")]
    [TestCase(typeof(ViaStaticCall), "IL of Run")]
    [TestCase(typeof(ViaLambda), "IL of <Run>")]
    [TestCase(typeof(ViaAsync), "IL of MoveNext")]
    [TestCase(typeof(ViaTypeof), "IL of Run")]
    [TestCase(typeof(ViaGenericArgument), "IL of Run")]
    [TestCase(typeof(ViaCatch), "catch in Run")]
    [TestCase(typeof(ViaAttribute), "attribute")]
    [TestCase(typeof(ViaBaseType), "base type")]
    public void The_Compiled_Check_Finds_Each_Kind_Of_Use(Type user, string how)
    {
        var violations = TypeReferences.OutsideNamespace(typeof(CalendarsIsolationTests).Assembly, "ChannelService.Tests.Calendars.IsolationFixture.Inside");

        var byUser = violations.Where(v => v.StartsWith(user.FullName + " ", StringComparison.Ordinal) || v.StartsWith(user.FullName + "+", StringComparison.Ordinal)).ToList();
        Assert.That(byUser, Has.Some.Contains("-> ChannelService.Tests.Calendars.IsolationFixture.Outside").And.Some.Contains(how));
        Assert.That(violations, Has.None.StartsWith(typeof(Clean).FullName + " "), "a type that uses only the BCL and its own namespace is clean");
    }

    [TestCase("using ChannelService.Sources.Feeds;")]
    [TestCase("var x = ChannelService.Cli.CommandLine.ExecutableName;")]
    [TestCase("var x = global::ChannelService.Pull.PullService.Name;")]
    [TestCase("var ok = Sources.Feeds.FeedDownload.IsUrl(source);")]
    public void The_Source_Check_Finds_A_Line_Naming_Another_Namespace(string line)
    {
        var folder = Directory.CreateTempSubdirectory("calendars-isolation-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(folder, "Clean.cs"), "using NodaTime;\nnamespace ChannelService.Calendars;\n// Sources.Feeds in a comment is fine\ninternal static class Clean { public static int Count => ChannelService.Calendars.IcalNames.VEvent.Length; }\n");
            File.WriteAllText(Path.Combine(folder, "Bad.cs"), $"namespace ChannelService.Calendars;\ninternal static class Bad {{ static void Run(string source) {{ {line} }} }}\n");

            var violations = TypeReferences.SourceLinesOutsideNamespace(folder, Engine, ServiceNamespaces());

            Assert.That(violations, Has.Count.EqualTo(1));
            Assert.That(violations[0], Does.StartWith("Bad.cs:2: "));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static string EngineFolder() => Path.Combine(TestPaths.RepositoryRoot, "ChannelService", "Calendars");

    /// <summary>The service's top-level namespaces other than the engine's (Accounts, Cli, Sources …).</summary>
    private static IEnumerable<string> ServiceNamespaces() =>
        Service.GetTypes()
            .Select(t => t.Namespace)
            .OfType<string>()
            .Where(n => n.StartsWith("ChannelService.", StringComparison.Ordinal))
            .Select(n => n.Split('.')[1])
            .Where(n => n != "Calendars")
            .Distinct()
            .ToList();
}
