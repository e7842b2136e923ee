using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using ChannelService.Calendars;
using ChannelService.Cli.Benchmarks;
using ChannelService.Sources.Feeds;
using ChannelService.Sources.Http;

namespace ChannelService.Cli.Ical;

/// <summary>
/// <c>ical parse &lt;file|-|url&gt; [--json] [--stats]</c>, <c>ical generate --units N --out FILE [--seed S]</c> and
/// <c>ical expand FILE --from DATE --to DATE [--zone TZ]</c> (<see cref="IcalExpandCommand"/>); the hidden
/// <c>ical bench-rrule</c> is the C# side of benchmarks/recurrence.sh (<see cref="RecurrenceBenchmark"/>).
/// </summary>
internal static class IcalCommand
{
    public static Command Create(CliContext context)
    {
        var command = new CliCommand("ical", "Parse an iCalendar file or URL, expand its recurrences, or generate a benchmark feed.");
        CommandLine.RequireSubcommand(command);
        command.Subcommands.Add(Parse(context));
        command.Subcommands.Add(IcalExpandCommand.Create(context));
        command.Subcommands.Add(Generate(context));
        command.Subcommands.Add(RecurrenceBenchmark.Create(context));
        return command;
    }

    private static CliCommand Parse(CliContext context)
    {
        var source = new Argument<string>("source") { Description = "a file, - for standard input, or an http(s)/webcal URL (fetched like a feed)" };
        var json = CliOptions.Flag("--json", "print the components and diagnostics as JSON");
        var stats = CliOptions.Flag("--stats", "only counts and checksums, streaming (the parse benchmark's output)");
        var command = new CliCommand("parse", "List the tasks, events and journals of an iCalendar file with their resolved start times and the parse diagnostics.")
        {
            Usage = ["ical parse <file|-|http(s)/webcal URL> [--json] [--stats]"],
            Notes = "A URL is fetched through the service's SSRF guard, limits and timeouts (the Channel settings apply).",
        };
        command.Arguments.Add(source);
        command.Options.Add(json);
        command.Options.Add(stats);
        command.SetAction(async result => await ParseAsync(context, result.GetValue(source)!, result.GetValue(json), result.GetValue(stats)));
        return command;
    }

    private static CliCommand Generate(CliContext context)
    {
        var units = CliOptions.Number("--units", "feed size in units (one unit: 15,000 VEVENT + 5,000 VTODO, about 17 MB)", 1, 1000, 1, required: true);
        var output = CliOptions.Text("--out", "the file to write", "file", required: true);
        var seed = CliOptions.Number("--seed", "the generator's seed: the same seed and units give the same bytes", 0UL, ulong.MaxValue, 42UL);
        var command = new CliCommand("generate", "Write the deterministic benchmark feed (calendar.md section 5).")
        {
            Usage = ["ical generate --units N --out FILE [--seed S]"],
        };
        command.Options.Add(units);
        command.Options.Add(output);
        command.Options.Add(seed);
        command.SetAction(result => WriteFeed(context, result.GetValue(units), result.GetValue(output)!, result.GetValue(seed)));
        return command;
    }

    private static int WriteFeed(CliContext context, int units, string output, ulong seed)
    {
        using (var file = new FileStream(output, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
        {
            FeedGenerator.Write(file, units, seed);
        }

        context.Stdout.WriteLine($"wrote {new FileInfo(output).Length} bytes to {output}");
        return 0;
    }

    private static async Task<int> ParseAsync(CliContext context, string source, bool json, bool stats)
    {
        Stream input;
        string? charset = null;
        if (FeedDownload.IsUrl(source))
        {
            // Through the SSRF guard, limits and timeouts of the service (Channel settings apply).
            try
            {
                var response = await FeedDownload.FetchAsync(context.Configuration, source);
                input = new MemoryStream(response.Body, writable: false);
                charset = response.Charset;
            }
            catch (SourceException e)
            {
                await context.Stderr.WriteLineAsync($"error: {e.Message}");
                return 1;
            }
        }
        else if (source == "-")
        {
            input = context.Stdin is StreamReader sr ? sr.BaseStream : Console.OpenStandardInput();
        }
        else if (!File.Exists(source))
        {
            throw new CliUsageException($"file not found: {source}");
        }
        else
        {
            input = new FileStream(source, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        }

        await using (input)
        {
            if (stats)
            {
                var s = IcalStatsCollector.Collect(input);
                await context.Stdout.WriteLineAsync(
                    $"{{\"events\": {s.Events}, \"todos\": {s.Todos}, \"journals\": {s.Journals}, \"diagnostics\": {s.Diagnostics}, \"start_sum\": {s.StartSum}, \"summary_chars\": {s.SummaryChars}}}");
                return 0;
            }

            var reader = new IcalReader(input, IcalReaderOptions.Default with { KeepRawLines = false, Charset = charset });
            var items = new List<ComponentSummary>();
            var vtimezones = new List<CalendarComponent>();
            var resolver = new TimeZoneResolver();
            CalendarComponent? calendar = null;
            while (reader.TryReadNext(out var item))
            {
                if (!ReferenceEquals(item.Calendar, calendar))
                {
                    // A new VCALENDAR: its own VTIMEZONEs and X-WR-TIMEZONE apply from here on.
                    calendar = item.Calendar;
                    vtimezones.Clear();
                    resolver = new TimeZoneResolver(vtimezones, calendar?.GetProperty("X-WR-TIMEZONE")?.RawValue);
                }

                if (item.Component.Name == IcalNames.VTimeZone)
                {
                    vtimezones.Add(item.Component);
                    resolver = new TimeZoneResolver(vtimezones, calendar?.GetProperty("X-WR-TIMEZONE")?.RawValue);
                }

                Summarise(item.Component, items, resolver);
            }

            if (json)
            {
                await context.Stdout.WriteLineAsync(ToJson(items, reader));
            }
            else
            {
                foreach (var c in items)
                {
                    await context.Stdout.WriteLineAsync($"{c.Kind,-9} {c.Uid ?? "(no UID)"}  {c.When ?? "-"}  {c.Summary ?? ""}");
                }

                foreach (var d in reader.Diagnostics)
                {
                    await context.Stdout.WriteLineAsync($"diagnostic: {d}");
                }

                await context.Stdout.WriteLineAsync($"{items.Count} components, {reader.DiagnosticCount} diagnostics, complete: {reader.Complete}");
            }

            return 0;
        }
    }

    private sealed record ComponentSummary(string Kind, string? Uid, string? Summary, string? When, int Line);

    private static void Summarise(CalendarComponent component, List<ComponentSummary> into, TimeZoneResolver resolver)
    {
        if (component.Name is IcalNames.VEvent or IcalNames.VTodo or IcalNames.VJournal)
        {
            var when = component.GetProperty(component.Name == IcalNames.VTodo ? IcalNames.Due : IcalNames.DtStart)
                       ?? component.GetProperty(IcalNames.DtStart);
            var summary = component.GetProperty(IcalNames.Summary);
            into.Add(new ComponentSummary(
                component.Name,
                component.GetProperty(IcalNames.Uid)?.RawValue,
                summary is null ? null : IcalText.Unescape(summary.RawValue),
                when is null ? null : DescribeTime(when, resolver),
                component.Line));
        }

        foreach (var child in component.Components)
        {
            Summarise(child, into, resolver);
        }
    }

    /// <summary>The instant (ISO 8601, UTC) when the value parses, with the value as written; the raw text otherwise.</summary>
    private static string DescribeTime(CalendarProperty p, TimeZoneResolver resolver)
    {
        var tzid = p.GetParameter("TZID");
        var written = string.IsNullOrEmpty(tzid) ? p.RawValue : $"{p.RawValue} ({tzid})";
        return IcalDateTime.TryParse(p, out var value)
            ? $"{resolver.ToInstant(value).ToString("uuuu-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture)} [{written}]"
            : written;
    }

    private static string ToJson(List<ComponentSummary> items, IcalReader reader)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteStartArray("components");
            foreach (var c in items)
            {
                w.WriteStartObject();
                w.WriteString("kind", c.Kind);
                w.WriteString("uid", c.Uid);
                w.WriteString("summary", c.Summary);
                w.WriteString("start", c.When);
                w.WriteNumber("line", c.Line);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteStartArray("diagnostics");
            foreach (var d in reader.Diagnostics)
            {
                w.WriteStartObject();
                w.WriteNumber("line", d.Line);
                w.WriteString("property", d.Property);
                w.WriteString("reason", d.Reason);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteNumber("diagnostic_count", reader.DiagnosticCount);
            w.WriteBoolean("complete", reader.Complete);
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(ms.ToArray());
    }
}
