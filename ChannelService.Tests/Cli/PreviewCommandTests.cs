using System.Text.Json.Nodes;
using ChannelService.Cli;
using Microsoft.Extensions.Configuration;

namespace ChannelService.Tests.Cli;

public sealed class PreviewCommandTests
{
    private static async Task<(int Code, string Out, string Err)> RunAsync(params string[] args)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>()).Build();
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = await CommandLine.RunAsync(args, configuration, new StringReader(string.Empty), stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    [Test]
    public async Task Preview_Of_A_Local_File_Prints_Every_Page_Of_A_First_Pull()
    {
        var file = Path.Combine(Path.GetTempPath(), $"preview-{Guid.NewGuid():N}.ics");
        var tasks = string.Concat(Enumerable.Range(0, 250).Select(i => $"BEGIN:VTODO\r\nUID:t{i}\r\nSUMMARY:Task {i}\r\nEND:VTODO\r\n"));
        var events = "BEGIN:VEVENT\r\nUID:e1\r\nSUMMARY:Soon\r\nDTSTART:20261124T090000Z\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:e2\r\nSUMMARY:Much later\r\nDTSTART:20270601T090000Z\r\nEND:VEVENT\r\n";
        await File.WriteAllTextAsync(file, $"BEGIN:VCALENDAR\r\nVERSION:2.0\r\n{tasks}{events}END:VCALENDAR\r\n");
        try
        {
            var (code, output, error) = await RunAsync("preview", "--kind", "ics", "--url", file, "--now", "2026-11-22T08:00:00Z");

            Assert.That(code, Is.Zero, error);
            var json = JsonNode.Parse(output)!;
            var subjects = json["external_resources"]!.AsArray().Select(r => (string)r!["fields"]![0]!["value"]!).ToList();
            Assert.That((int)json["pages"]!, Is.EqualTo(3), "250 tasks + 1 event: two full pages and an empty one");
            Assert.That(subjects, Has.Count.EqualTo(251));
            Assert.That(subjects, Does.Contain("Soon").And.Not.Contain("Much later"));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Test]
    public async Task Preview_Refuses_Bad_Arguments_With_Exit_Code_2()
    {
        var (code, _, error) = await RunAsync("preview", "--kind", "ics");

        Assert.That(code, Is.EqualTo(2));
        Assert.That(error.Trim().Split('\n'), Has.Length.EqualTo(1));
    }

    [Test]
    public async Task Preview_Of_An_Unreachable_Source_Says_Why_And_Fails()
    {
        var (code, _, error) = await RunAsync("preview", "--kind", "ics", "--url", "https://127.0.0.1:1/feed.ics");

        Assert.That(code, Is.EqualTo(1));
        Assert.That(error, Does.StartWith("error: "));
    }
}

public sealed class SampleFeedTests
{
    [Test]
    public async Task The_Sample_Feed_Is_Served_And_Its_First_Pull_Has_The_Open_Tasks_And_This_Months_Stand_Ups()
    {
        using var factory = new ChannelService.Tests.Support.ServiceFactory();
        using var client = factory.CreateClient();
        using var served = await client.GetAsync("/samples/team-calendar.ics");
        Assert.That(served.IsSuccessStatusCode, Is.True);
        Assert.That(served.Content.Headers.ContentType?.MediaType, Is.EqualTo("text/calendar"));

        var file = Path.Combine(TestPaths.RepositoryRoot, "ChannelService", "wwwroot", "samples", "team-calendar.ics");
        var configuration = new ConfigurationBuilder().Build();
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = await CommandLine.RunAsync(["preview", "--kind", "ics", "--url", file, "--now", "2026-11-22T08:00:00Z"], configuration, new StringReader(string.Empty), stdout, stderr);

        Assert.That(code, Is.Zero, stderr.ToString());
        var subjects = JsonNode.Parse(stdout.ToString())!["external_resources"]!.AsArray().Select(r => (string)r!["fields"]![0]!["value"]!).ToList();
        var standUps = subjects.Where(s => s.StartsWith("Support stand-up – ", StringComparison.Ordinal)).ToList();
        Assert.That(standUps, Has.Count.EqualTo(13), "Mon/Wed/Fri from 21 Nov to 22 Dec");
        Assert.That(standUps, Is.Unique, "each occurrence's subject carries its date");
        Assert.That(standUps, Does.Contain("Support stand-up – Mon 23 Nov 2026").And.Contain("Support stand-up – Mon 21 Dec 2026"));
        Assert.That(subjects, Does.Contain("Renew the TLS certificate of the help centre").And.Contain("Update the refund macro"));
        Assert.That(subjects, Has.Some.StartsWith("Monthly customer review – "));
        Assert.That(subjects, Does.Not.Contain("Archive last year's escalations"), "completed tasks are not imported on the first sync");
    }
}
