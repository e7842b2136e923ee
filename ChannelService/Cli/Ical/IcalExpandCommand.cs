using System.CommandLine;
using System.Text.Json;
using ChannelService.Calendars;
using NodaTime;
using NodaTime.Text;

namespace ChannelService.Cli.Ical;

/// <summary>
/// <c>ical expand FILE --from DATE --to DATE [--zone TZ] [--max N]</c>: one JSON line per occurrence in [from, to)
/// with uid, recurrence_id, start and end as UTC instants (ISO-8601) and status. <c>--zone</c> is the source zone for
/// floating and all-day values and for the window dates (default: the calendar's X-WR-TIMEZONE, else UTC).
/// Diagnostics go to stderr; the exit code is 1 when the output was cut off by a cap.
/// </summary>
internal static class IcalExpandCommand
{
    public static Command Create(CliContext context)
    {
        var file = new Argument<string>("file") { Description = "the iCalendar file, or - for standard input" };
        var from = CliOptions.Text("--from", "window start: yyyy-MM-dd, yyyy-MM-ddTHH:mm:ss (in the zone) or an instant ending in Z", "date", required: true);
        var to = CliOptions.Text("--to", "window end (exclusive), same forms as --from", "date", required: true);
        var zone = CliOptions.Text("--zone", "IANA or Windows zone for floating and all-day values and the window (default: the calendar's X-WR-TIMEZONE, else UTC)", "TZ");
        var max = CliOptions.Number("--max", "at most this many occurrences", 1, int.MaxValue, 10_000);
        var command = new CliCommand("expand", "Print one JSON line per occurrence in [from, to): uid, recurrence_id, start and end as UTC instants, status.")
        {
            Usage = ["ical expand <file|-> --from yyyy-MM-dd[THH:mm:ss] --to yyyy-MM-dd[THH:mm:ss] [--zone TZ] [--max N]"],
            Notes = "Diagnostics go to standard error; the exit code is 1 when a cap cut the output off.",
        };
        command.Arguments.Add(file);
        foreach (var option in new Option[] { from, to, zone, max })
        {
            command.Options.Add(option);
        }

        command.SetAction(async result => await RunAsync(
            context, result.GetValue(file)!, result.GetValue(from)!, result.GetValue(to)!, result.GetValue(zone), result.GetValue(max)));
        return command;
    }

    private static async Task<int> RunAsync(CliContext context, string file, string fromText, string toText, string? zoneText, int max)
    {
        DateTimeZone? zone = null;
        if (zoneText is not null)
        {
            zone = TimeZoneNames.Resolve(zoneText) ?? throw new CliUsageException($"unknown zone '{zoneText}'");
        }

        if (file != "-" && !File.Exists(file))
        {
            throw new CliUsageException($"file not found: {file}");
        }

        IcalParseResult parsed;
        if (file == "-")
        {
            using var buffer = new MemoryStream();
            await (context.Stdin is StreamReader reader ? reader.BaseStream : Console.OpenStandardInput()).CopyToAsync(buffer);
            parsed = IcalReader.Parse(buffer.ToArray());
        }
        else
        {
            parsed = IcalReader.Parse(await File.ReadAllBytesAsync(file));
        }

        var resolver = TimeZoneResolver.ForCalendars(parsed.Roots, new TimeZoneResolverOptions { DefaultZone = zone });
        var from = ParseBound(fromText, resolver.FloatingZone, "--from");
        var to = ParseBound(toText, resolver.FloatingZone, "--to");
        if (to <= from)
        {
            throw new CliUsageException("--to must be after --from");
        }

        var result = RecurrenceExpander.Expand(parsed.Roots, resolver, from, to, new RecurrenceExpansionOptions { MaxOccurrences = max });
        foreach (var o in result.Occurrences)
        {
            await context.Stdout.WriteLineAsync(JsonSerializer.Serialize(new ExpandedOccurrence(
                o.Uid,
                InstantPattern.ExtendedIso.Format(o.RecurrenceId),
                InstantPattern.ExtendedIso.Format(o.Start),
                InstantPattern.ExtendedIso.Format(o.End),
                o.Status ?? (o.IsCancelled ? "CANCELLED" : null),
                o.IsOverridden), JsonOptions));
        }

        foreach (var d in parsed.Diagnostics.Select(d => d.ToString()).Concat(resolver.Diagnostics).Concat(result.Diagnostics))
        {
            await context.Stderr.WriteLineAsync("warning: " + d);
        }

        return result.Truncated ? 1 : 0;
    }

    private static readonly JsonSerializerOptions JsonOptions = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    private static Instant ParseBound(string text, DateTimeZone zone, string name)
    {
        var date = LocalDatePattern.Iso.Parse(text);
        if (date.Success)
        {
            return TimeZoneResolver.ToInstant(date.Value.AtMidnight(), zone);
        }

        var local = LocalDateTimePattern.GeneralIso.Parse(text);
        if (local.Success)
        {
            return TimeZoneResolver.ToInstant(local.Value, zone);
        }

        var instant = InstantPattern.General.Parse(text);
        return instant.Success ? instant.Value : throw new CliUsageException($"{name} must be yyyy-MM-dd, yyyy-MM-ddTHH:mm:ss or …Z");
    }

    private sealed record ExpandedOccurrence(string? Uid, string RecurrenceId, string Start, string End, string? Status, bool Overridden);
}
