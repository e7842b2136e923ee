using ChannelService.Cli;
using ChannelService.Tests.Sources.Http;
using Microsoft.Extensions.Configuration;

namespace ChannelService.Tests.Sources;

/// <summary><c>ical parse URL</c> goes through the safe client and its Channel settings.</summary>
public sealed class IcalParseUrlTests
{
    private const string Feed = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:test\r\nBEGIN:VEVENT\r\nUID:e1\r\nDTSTART:20260105T090000Z\r\nSUMMARY:Caf\u00e9\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";

    [Test]
    public async Task Parse_Reads_A_Feed_From_A_Url_With_Its_Charset()
    {
        await using var server = new LoopbackServer((_, stream, ct) =>
            LoopbackServer.WriteAsync(stream, 200, System.Text.Encoding.Latin1.GetBytes(Feed), ct, ("Content-Type", "text/calendar; charset=iso-8859-1")));

        var (code, stdout, _) = await RunAsync(true, "ical", "parse", server.Url("/feed.ics").AbsoluteUri);

        Assert.That(code, Is.EqualTo(0));
        Assert.That(stdout, Does.Contain("VEVENT    e1").And.Contain("Caf\u00e9"));
        Assert.That(stdout, Does.Contain("1 components, 0 diagnostics, complete: True"));
    }

    [Test]
    public async Task Parse_Of_A_Loopback_Url_Is_Refused_Unless_Private_Networks_Are_Allowed()
    {
        await using var server = new LoopbackServer((_, stream, ct) => LoopbackServer.WriteAsync(stream, 200, Feed, ct));

        var (code, _, stderr) = await RunAsync(false, "ical", "parse", server.Url("/feed.ics").AbsoluteUri);

        Assert.That(code, Is.EqualTo(1));
        Assert.That(stderr, Does.StartWith("error: "));
        Assert.That(server.Connections, Is.Zero);
    }

    [Test]
    public async Task Parse_Of_A_Web_Page_Says_It_Is_Not_A_Calendar()
    {
        await using var server = new LoopbackServer((_, stream, ct) => LoopbackServer.WriteAsync(stream, 200, "<html></html>", ct, ("Content-Type", "text/html")));

        var (code, _, stderr) = await RunAsync(true, "ical", "parse", server.Url("/").AbsoluteUri);

        Assert.That(code, Is.EqualTo(1));
        Assert.That(stderr.Trim(), Is.EqualTo("error: This URL returned a web page, not a calendar."));
    }

    private static async Task<(int Code, string Stdout, string Stderr)> RunAsync(bool allowPrivate, params string[] args)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Channel:AllowPrivateNetworkSources"] = allowPrivate ? "true" : "false" })
            .Build();
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = await CommandLine.RunAsync(args, configuration, TextReader.Null, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }
}
