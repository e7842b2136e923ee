using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using ChannelService.Calendars;
using NodaTime;
using NodaTime.Text;

namespace ChannelService.Cli.Benchmarks;

/// <summary>
/// Hidden <c>ical bench-rrule RULES FROM TO PASSES</c>: our side of benchmarks/recurrence.sh. Each pass parses every
/// rule and expands it through <see cref="RecurrenceExpander"/> (instants included) in [FROM, TO); the mean time per pass
/// (wall clock, process CPU time, and the fastest pass) is printed in the same format as benchmarks/rrule_dateutil.py, after a warm-up (three passes and at least two seconds, as on the Python side), so both sides are measured alike.
/// </summary>
internal static class RecurrenceBenchmark
{
    private static readonly TimeSpan WarmupTime = TimeSpan.FromSeconds(2);

    /// <summary>One output list reused by every expansion, as a bulk caller would (each rule's instances are all materialised).</summary>
    private static readonly List<Occurrence> Output = [];

    public static Command Create(CliContext context)
    {
        var rulesFile = new Argument<string>("rules-file") { Description = "one rule a line: DTSTART RRULE" };
        var fromText = new Argument<string>("from") { Description = "window start, yyyy-MM-dd (UTC)" };
        var toText = new Argument<string>("to") { Description = "window end, yyyy-MM-dd (UTC)" };
        var passesText = new Argument<string>("passes") { Description = "timed passes after the warm-up" };
        var command = new CliCommand("bench-rrule", "Benchmark: expand every rule of a file, pass after pass (benchmarks/recurrence.sh).")
        {
            Hidden = true,
            Usage = ["ical bench-rrule RULES-FILE FROM(yyyy-MM-dd) TO(yyyy-MM-dd) PASSES"],
        };
        foreach (var argument in new[] { rulesFile, fromText, toText, passesText })
        {
            command.Arguments.Add(argument);
        }

        command.SetAction(result =>
        {
            if (!int.TryParse(result.GetValue(passesText), CultureInfo.InvariantCulture, out var passes) || passes < 1)
            {
                throw new CliUsageException("PASSES must be a whole number of at least 1");
            }

            var pattern = LocalDatePattern.Iso;
            var from = pattern.Parse(result.GetValue(fromText)!);
            var to = pattern.Parse(result.GetValue(toText)!);
            return from.Success && to.Success
                ? Run(context, result.GetValue(rulesFile)!, from.Value, to.Value, passes)
                : throw new CliUsageException("FROM and TO must be yyyy-MM-dd");
        });
        return command;
    }

    private static int Run(CliContext context, string rulesFile, LocalDate from, LocalDate to, int passes)
    {
        var rules = new List<(string Start, string Rule)>();
        foreach (var line in File.ReadLines(rulesFile))
        {
            var t = line.Trim();
            if (t.Length == 0 || t[0] == '#')
            {
                continue;
            }

            var space = t.IndexOf(' ', StringComparison.Ordinal);
            rules.Add((t[..space], t[(space + 1)..]));
        }

        var fromInstant = from.AtMidnight().InUtc().ToInstant();
        var toInstant = to.AtMidnight().InUtc().ToInstant();
        // Warm-up as on the Python side: at least three passes and two seconds, which lets the JIT reach its
        // optimised tier (a long-running service expands feeds over and over).
        var count = OnePass(rules, fromInstant, toInstant);
        var warmup = Stopwatch.StartNew();
        for (var i = 1; i < 3 || warmup.Elapsed < WarmupTime; i++)
        {
            OnePass(rules, fromInstant, toInstant);
        }

        var process = Process.GetCurrentProcess();
        var cpuBefore = process.TotalProcessorTime;
        var gcBefore = GC.GetTotalPauseDuration();

        var best = double.MaxValue;
        var sw = Stopwatch.StartNew();
        for (var i = 0; i < passes; i++)
        {
            var passStart = sw.Elapsed;
            if (OnePass(rules, fromInstant, toInstant) != count)
            {
                throw new InvalidOperationException("unstable count");
            }

            best = Math.Min(best, (sw.Elapsed - passStart).TotalMilliseconds);
        }

        sw.Stop();
        process.Refresh();
        var cpu = process.TotalProcessorTime - cpuBefore;
        context.Stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"channelservice passes={passes} occurrences={count} mean_ms={sw.Elapsed.TotalMilliseconds / passes:F3} mean_cpu_ms={cpu.TotalMilliseconds / passes:F3} min_ms={best:F3} gc_pause_ms={(GC.GetTotalPauseDuration() - gcBefore).TotalMilliseconds / passes:F3}"));
        return 0;
    }

    private static int OnePass(List<(string Start, string Rule)> rules, Instant from, Instant to)
    {
        var resolver = new TimeZoneResolver();
        var options = new RecurrenceExpansionOptions { MaxOccurrences = 1_000_000, MaxWorkPerSeries = 50_000_000 };
        var total = 0;
        var diagnostics = new List<string>();
        foreach (var (start, rule) in rules)
        {
            var ev = new CalendarComponent("VEVENT");
            ev.Properties.Add(new CalendarProperty("UID", [], "bench"));
            ev.Properties.Add(new CalendarProperty("DTSTART", [], start));
            ev.Properties.Add(new CalendarProperty("RRULE", [], rule));
            Output.Clear();
            RecurrenceExpander.ExpandSeriesInto(ev, [], resolver, from, to, options, Output, diagnostics);
            total += Output.Count;
        }

        return total;
    }
}
