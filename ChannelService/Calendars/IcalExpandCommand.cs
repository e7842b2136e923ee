using System.Globalization;
using System.Text.Json;
using ChannelService.Cli;
using NodaTime;
using NodaTime.Text;

namespace ChannelService.Calendars;

/// <summary>
/// <c>ical expand FILE --from DATE --to DATE [--zone TZ] [--max N]</c>: one JSON line per occurrence in [from, to)
/// with uid, recurrence_id, start and end as UTC instants (ISO-8601) and status. <c>--zone</c> is the source zone for
/// floating and all-day values and for the window dates (default: the calendar's X-WR-TIMEZONE, else UTC).
/// Diagnostics go to stderr; the exit code is 1 when the output was cut off by a cap.
/// </summary>
internal static class IcalExpandCommand
{
    public const string Usage = "ical expand <file|-> --from yyyy-MM-dd[THH:mm:ss] --to yyyy-MM-dd[THH:mm:ss] [--zone TZ] [--max N]";

    public static async Task<int> RunAsync(CliContext context, IReadOnlyList<string> args)
    {
        string? file = null;
        string? fromText = null;
        string? toText = null;
        string? zoneText = null;
        var max = 10_000;
        for (var i = 0; i < args.Count; i++)
        {
            switch (args[i])
            {
                case "--from" when i + 1 < args.Count: fromText = args[++i]; break;
                case "--to" when i + 1 < args.Count: toText = args[++i]; break;
                case "--zone" when i + 1 < args.Count: zoneText = args[++i]; break;
                case "--max" when i + 1 < args.Count && int.TryParse(args[i + 1], CultureInfo.InvariantCulture, out var m) && m > 0:
                    max = m;
                    i++;
                    break;
                default:
                    if (file is null && (!args[i].StartsWith("--", StringComparison.Ordinal) || args[i] == "-"))
                    {
                        file = args[i];
                        break;
                    }

                    throw new CliUsageException($"unexpected argument '{args[i]}' (usage: {Usage})");
            }
        }

        if (file is null || fromText is null || toText is null)
        {
            throw new CliUsageException("usage: " + Usage);
        }

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
