using System.Text.Json;
using ChannelService.Cli;
using Microsoft.Extensions.Configuration;

namespace ChannelService.Tests.Cli;

public sealed class IcalExpandCommandTests
{
    private static async Task<(int Code, string Out, string Err)> Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = await CommandLine.RunAsync(args, new ConfigurationBuilder().Build(), new StringReader(""), stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    private static string Corpus(string name) => Path.Combine(TestPaths.IcsCorpus, name);

    [Test]
    public async Task Expand_Prints_One_Json_Line_Per_Occurrence_With_Utc_Instants_And_Status()
    {
        var (code, output, _) = await Run("ical", "expand", Corpus("rie_mozilla_cancelled_occurrence.ics"), "--from", "2020-01-01", "--to", "2020-03-01");

        Assert.That(code, Is.Zero);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.That(lines, Has.Count.EqualTo(3));
        Assert.That(lines.Select(l => l.GetProperty("uid").GetString()), Is.All.EqualTo("b65c2b5b-b785-4edc-9560-e0379036d1f2"));
        Assert.That(lines.Select(l => l.GetProperty("start").GetString()), Is.EqualTo(new[] { "2020-01-28T21:00:00Z", "2020-01-29T21:00:00Z", "2020-01-30T21:00:00Z" }));
        Assert.That(lines.Select(l => l.GetProperty("end").GetString()), Is.EqualTo(new[] { "2020-01-28T22:00:00Z", "2020-01-29T22:00:00Z", "2020-01-30T22:00:00Z" }));
        Assert.That(lines[1].GetProperty("recurrence_id").GetString(), Is.EqualTo("2020-01-29T21:00:00Z"));
        Assert.That(lines[1].GetProperty("status").GetString(), Is.EqualTo("CANCELLED"));
    }

    [Test]
    public async Task Expand_Reads_Window_Dates_And_Floating_Times_In_The_Given_Zone()
    {
        // ical4j_zidestore.ics has an all-day DTSTART written without VALUE=DATE (20060611); --zone decides its instant.
        var (utcCode, utc, _) = await Run("ical", "expand", Corpus("ical4j_zidestore.ics"), "--from", "1990-01-01", "--to", "2030-01-01");
        var (zonedCode, zoned, _) = await Run("ical", "expand", Corpus("ical4j_zidestore.ics"), "--from", "1990-01-01", "--to", "2030-01-01", "--zone", "America/New_York");

        Assert.That(utcCode, Is.Zero);
        Assert.That(zonedCode, Is.Zero);
        var utcStart = JsonDocument.Parse(utc.Split('\n')[0]).RootElement.GetProperty("start").GetString();
        var zonedStart = JsonDocument.Parse(zoned.Split('\n')[0]).RootElement.GetProperty("start").GetString();
        Assert.That(utcStart, Is.EqualTo("2006-06-11T00:00:00Z"));
        Assert.That(zonedStart, Is.EqualTo("2006-06-11T04:00:00Z"));
    }

    [TestCase("--from", "2020-01-01")]
    [TestCase("--to", "2020-01-01")]
    public async Task Expand_Without_Both_Bounds_Is_A_Usage_Error(string option, string value)
    {
        var (code, _, err) = await Run("ical", "expand", Corpus("rie_mozilla_cancelled_occurrence.ics"), option, value);
        Assert.That(code, Is.EqualTo(2));
        Assert.That(err, Does.StartWith("error:"));
    }

    [Test]
    public async Task Expand_Rejects_An_Unknown_Zone()
    {
        var (code, _, err) = await Run("ical", "expand", Corpus("rie_mozilla_cancelled_occurrence.ics"), "--from", "2020-01-01", "--to", "2020-02-01", "--zone", "Mars/Olympus");
        Assert.That(code, Is.EqualTo(2));
        Assert.That(err, Does.Contain("unknown zone"));
    }

    [Test]
    public async Task Expand_Exits_With_1_When_A_Cap_Cut_The_Output()
    {
        var (code, output, err) = await Run("ical", "expand", Corpus("rie_cyrus_duplicated_rrule.ics"), "--from", "2023-01-01", "--to", "2024-01-01", "--max", "5");
        Assert.That(code, Is.EqualTo(1));
        Assert.That(output.Split('\n', StringSplitOptions.RemoveEmptyEntries), Has.Length.EqualTo(5));
        Assert.That(err, Does.Contain("cut off"));
    }
}
