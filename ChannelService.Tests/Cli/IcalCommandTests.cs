using System.Security.Cryptography;
using System.Text;
using ChannelService.Calendars;
using ChannelService.Cli;
using ChannelService.Cli.Benchmarks;
using Microsoft.Extensions.Configuration;

namespace ChannelService.Tests.Cli;

public sealed class IcalCommandTests
{
    private string _dir = null!;

    [SetUp]
    public void SetUp()
    {
        _dir = Path.Combine(Path.GetTempPath(), "ical-cmd-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_dir);
    }

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    private static async Task<(int Code, string Out, string Err)> Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = await CommandLine.RunAsync(args, new ConfigurationBuilder().Build(), new StringReader(""), stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    [Test]
    public async Task Stats_Sum_Starts_As_Unix_Seconds_And_Count_Summary_Code_Points()
    {
        // UTC, DATE (00:00 UTC), floating (read as UTC), Europe/Berlin (UTC+1 in January) and a VTODO DUE.
        const string ics = "BEGIN:VCALENDAR\r\nBEGIN:VTIMEZONE\r\nTZID:Europe/Berlin\r\nBEGIN:STANDARD\r\nDTSTART:19701025T030000\r\n"
                           + "TZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nRRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\nEND:STANDARD\r\n"
                           + "BEGIN:DAYLIGHT\r\nDTSTART:19700329T020000\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\n"
                           + "END:DAYLIGHT\r\nEND:VTIMEZONE\r\n"
                           + "BEGIN:VEVENT\r\nDTSTART:20250101T000000Z\r\nSUMMARY:Grüße 🚀\r\nEND:VEVENT\r\n"
                           + "BEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20250102\r\nSUMMARY:a\\,b\r\nEND:VEVENT\r\n"
                           + "BEGIN:VEVENT\r\nDTSTART:20250103T000000\r\nEND:VEVENT\r\n"
                           + "BEGIN:VEVENT\r\nDTSTART;TZID=Europe/Berlin:20250104T010000\r\nEND:VEVENT\r\n"
                           + "BEGIN:VTODO\r\nDTSTART:20240101T000000Z\r\nDUE:20250105T000000Z\r\nEND:VTODO\r\n"
                           + "BEGIN:VJOURNAL\r\nEND:VJOURNAL\r\nbroken line\r\nEND:VCALENDAR\r\n";
        var file = Path.Combine(_dir, "stats.ics");
        await File.WriteAllTextAsync(file, ics);

        var (code, output, _) = await Run("ical", "parse", file, "--stats");

        Assert.That(code, Is.Zero);
        // 1735689600 + 1735776000 + 1735862400 + 1735948800 + 1736035200
        Assert.That(output.Trim(), Is.EqualTo(
            "{\"events\": 4, \"todos\": 1, \"journals\": 1, \"diagnostics\": 1, \"start_sum\": 8679312000, \"summary_chars\": 10}"));
    }

    [Test]
    public async Task Parse_Lists_Components_With_Resolved_Starts()
    {
        var (code, output, _) = await Run("ical", "parse", Path.Combine(TestPaths.IcsCorpus, "ical4j_outlook12_tzid_escaped_comma.ics"));

        Assert.That(code, Is.Zero);
        Assert.That(output, Does.Contain("VEVENT").And.Contain("2008-10-31T01:30:00Z").And.Contain("Scheduled Reboot"));
        Assert.That(output, Does.Contain("1 components, 0 diagnostics, complete: True"));
    }

    [Test]
    public async Task Parse_Json_Reports_Diagnostics()
    {
        var (code, output, _) = await Run("ical", "parse", Path.Combine(TestPaths.IcsCorpus, "pyical_small_bad_calendar.ics"), "--json");

        Assert.That(code, Is.Zero);
        Assert.That(output, Does.Contain("\"diagnostic_count\": 1").And.Contain("\"complete\": false").And.Contain("missing END"));
    }

    [TestCase("/no/such/file.ics")]
    public async Task Parse_Refuses_Missing_Files_As_Usage_Errors(string source)
    {
        var (code, _, error) = await Run("ical", "parse", source);

        Assert.That(code, Is.EqualTo(2));
        Assert.That(error, Does.StartWith("error: "));
    }

    [Test]
    public void Generator_Is_Deterministic_Folded_Crlf_And_Counts_As_Specified()
    {
        byte[] Generate()
        {
            using var ms = new MemoryStream();
            FeedGenerator.Write(ms, units: 1, seed: 7);
            return ms.ToArray();
        }

        var a = Generate();
        var b = Generate();

        Assert.That(SHA256.HashData(a), Is.EqualTo(SHA256.HashData(b)));
        Assert.That(a.Length, Is.InRange(14_000_000, 22_000_000));
        var text = Encoding.UTF8.GetString(a);
        Assert.That(text.Replace("\r\n", "", StringComparison.Ordinal), Does.Not.Contain("\n").And.Not.Contain("\r"), "CRLF only");
        Assert.That(text.Split("\r\n").Max(l => Encoding.UTF8.GetByteCount(l)), Is.LessThanOrEqualTo(75));

        var stats = IcalStatsCollector.Collect(new MemoryStream(a));
        Assert.That((stats.Events, stats.Todos, stats.Diagnostics), Is.EqualTo((15_000L, 5_000L, 0L)));
        var model = IcalReader.Parse(a);
        var events = model.Roots.Single().Components.Where(c => c.Name == "VEVENT").ToList();
        Assert.That(events.Count(e => e.GetProperty("RRULE") is not null), Is.InRange(300, 1200), "about 5% recurring");
        Assert.That(events.Count(e => e.GetProperty("DTSTART")!.GetParameter("VALUE") == "DATE"), Is.GreaterThan(500));
        Assert.That(events.Count(e => e.GetProperty("DESCRIPTION")!.RawValue.Any(c => c > 0x7F)), Is.GreaterThan(10_000));
    }
}
