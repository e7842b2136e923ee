using System.Globalization;
using System.Text;
using System.Text.Json;
using ChannelService.Calendars.Benchmarks;
using ChannelService.Cli;

namespace ChannelService.Calendars;

/// <summary>
/// <c>ical parse &lt;file|-|url&gt; [--json] [--stats]</c>, <c>ical generate --units N --out FILE [--seed S]</c> and
/// <c>ical expand FILE --from DATE --to DATE [--zone TZ]</c> (<see cref="IcalExpandCommand"/>); the hidden
/// <c>ical bench-rrule</c> is the C# side of benchmarks/recurrence.sh (<see cref="RecurrenceBenchmark"/>).
/// </summary>
internal sealed class IcalCommand : ICliCommand
{
    public string Name => "ical";

    public string Summary => "parse an iCalendar file or URL (parse FILE|-|URL [--json] [--stats]), expand its recurrences (expand FILE --from D --to D) or generate a benchmark feed";

    public async Task<int> RunAsync(CliContext context, IReadOnlyList<string> args)
    {
        if (args.Count == 0 || args[0] is "--help" or "-h")
        {
            await context.Stdout.WriteLineAsync("Usage: ical parse <file|-|http(s)/webcal URL> [--json] [--stats]");
            await context.Stdout.WriteLineAsync("       ical generate --units N --out FILE [--seed S]   (one unit: 15,000 VEVENT + 5,000 VTODO, about 17 MB)");
            await context.Stdout.WriteLineAsync("       " + IcalExpandCommand.Usage);
            return 0;
        }

        return args[0] switch
        {
            "parse" => await ParseAsync(context, args.Skip(1).ToList()),
            "generate" => Generate(context, args.Skip(1).ToList()),
            "expand" => await IcalExpandCommand.RunAsync(context, args.Skip(1).ToList()),
            "bench-rrule" => RecurrenceBenchmark.Run(context, args.Skip(1).ToList()),
            _ => throw new CliUsageException($"unknown ical subcommand '{args[0]}' (use parse, expand or generate)"),
        };
    }

    private static int Generate(CliContext context, List<string> args)
    {
        int? units = null;
        string? output = null;
        ulong seed = 42;
        for (var i = 0; i < args.Count; i++)
        {
            switch (args[i])
            {
                case "--units" when i + 1 < args.Count && int.TryParse(args[i + 1], CultureInfo.InvariantCulture, out var u) && u is > 0 and <= 1000:
                    units = u;
                    i++;
                    break;
                case "--out" when i + 1 < args.Count:
                    output = args[++i];
                    break;
                case "--seed" when i + 1 < args.Count && ulong.TryParse(args[i + 1], CultureInfo.InvariantCulture, out var s):
                    seed = s;
                    i++;
                    break;
                default:
                    throw new CliUsageException($"unexpected argument '{args[i]}' (usage: ical generate --units N --out FILE [--seed S])");
            }
        }

        if (units is null || output is null)
        {
            throw new CliUsageException("ical generate needs --units N (1-1000) and --out FILE");
        }

        using (var file = new FileStream(output, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
        {
            FeedGenerator.Write(file, units.Value, seed);
        }

        context.Stdout.WriteLine($"wrote {new FileInfo(output).Length} bytes to {output}");
        return 0;
    }

    private static async Task<int> ParseAsync(CliContext context, List<string> args)
    {
        string? source = null;
        var json = false;
        var stats = false;
        foreach (var a in args)
        {
            switch (a)
            {
                case "--json":
                    json = true;
                    break;
                case "--stats":
                    stats = true;
                    break;
                default:
                    if (source is not null || (a.StartsWith("--", StringComparison.Ordinal) && a != "-"))
                    {
                        throw new CliUsageException($"unexpected argument '{a}' (usage: ical parse <file|-> [--json] [--stats])");
                    }

                    source = a;
                    break;
            }
        }

        if (source is null)
        {
            throw new CliUsageException("ical parse needs a file, a URL, or - for standard input");
        }

        Stream input;
        string? charset = null;
        if (Sources.Feeds.FeedDownload.IsUrl(source))
        {
            // Through the SSRF guard, limits and timeouts of the service (Channel settings apply).
            try
            {
                var response = await Sources.Feeds.FeedDownload.FetchAsync(context.Configuration, source);
                input = new MemoryStream(response.Body, writable: false);
                charset = response.Charset;
            }
            catch (Sources.Http.SourceException e)
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
            throw new CliUsageException($"no such file: {source}");
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
