using ChannelService.Calendars;
using NodaTime;

namespace ChannelService.Tests.Calendars;

/// <summary>Recurrence and zone handling on real exports from Fixtures/corpus/ics (read with <see cref="IcalReader"/>).</summary>
public sealed class RecurrenceCorpusTests
{
    private static IReadOnlyList<CalendarComponent> Read(string name) =>
        IcalReader.Parse(File.ReadAllBytes(Path.Combine(TestPaths.IcsCorpus, name))).Roots;

    private static ExpansionResult Expand(string name, Instant from, Instant to, TimeZoneResolverOptions? options = null)
    {
        var roots = Read(name);
        return RecurrenceExpander.Expand(roots, TimeZoneResolver.ForCalendars(roots, options), from, to);
    }

    [Test]
    public void Every_Tzid_In_The_Corpus_Resolves_And_Every_File_Expands()
    {
        var unresolved = new List<string>();
        foreach (var file in Directory.GetFiles(TestPaths.IcsCorpus, "*.ics"))
        {
            var roots = IcalReader.Parse(File.ReadAllBytes(file)).Roots;
            var resolver = TimeZoneResolver.ForCalendars(roots);
            var result = RecurrenceExpander.Expand(roots, resolver, Instant.FromUtc(1990, 1, 1, 0, 0), Instant.FromUtc(2030, 1, 1, 0, 0));
            Assert.That(result.Occurrences, Has.Count.LessThanOrEqualTo(10_000), file);
            unresolved.AddRange(resolver.UnresolvedTzids.Select(t => Path.GetFileName(file) + ": " + t));
        }

        Assert.That(unresolved, Is.Empty);
    }

    [Test]
    public void Mozilla_Cancelled_Occurrence_Is_Reported_As_Cancelled()
    {
        var r = Expand("rie_mozilla_cancelled_occurrence.ics", Instant.FromUtc(2020, 1, 1, 0, 0), Instant.FromUtc(2021, 1, 1, 0, 0));
        Assert.That(r.Occurrences.Select(o => o.Start.ToString()), Is.EqualTo(new[] { "2020-01-28T21:00:00Z", "2020-01-29T21:00:00Z", "2020-01-30T21:00:00Z" }));
        Assert.That(r.Occurrences.Select(o => o.IsCancelled), Is.EqualTo(new[] { false, true, false }));
    }

    [Test]
    public void Exchange_All_Day_Series_Takes_Its_Zoned_Midnight_Overrides()
    {
        var r = Expand("rie_exchange2010_gmt_standard_time_overrides.ics", Instant.FromUtc(2020, 1, 1, 0, 0), Instant.FromUtc(2021, 1, 1, 0, 0));
        var black = r.Occurrences.Where(o => o.Component.GetProperty("SUMMARY")!.RawValue == "Refuse black bin").ToList();
        Assert.That(black.Select(o => o.Start.InUtc().Date.ToString("MM-dd", null)), Is.EqualTo(new[]
        {
            "04-02", "04-17", "04-30", "05-14", "05-29", "06-11", "06-25", "07-09", "07-23", "08-06", "08-20", "09-04",
        }));
        Assert.That(black.Count(o => o.IsOverridden), Is.EqualTo(3));
        Assert.That(black.All(o => o.End - o.Start == Duration.FromDays(1)), Is.True);
    }

    [Test]
    public void Cyrus_Duplicated_Rrule_Does_Not_Double_Count()
    {
        var r = Expand("rie_cyrus_duplicated_rrule.ics", Instant.FromUtc(2023, 1, 1, 0, 0), Instant.FromUtc(2024, 1, 1, 0, 0));
        Assert.That(r.Occurrences, Has.Count.EqualTo(20));
        Assert.That(r.Occurrences.Select(o => o.Start).Distinct().Count(), Is.EqualTo(20));
    }

    [Test]
    public void Davx5_Utc_Exdates_Remove_Berlin_Instances_Across_Dst()
    {
        var r = Expand("rie_davx5_exdate_tzid.ics", Instant.FromUtc(2019, 1, 1, 0, 0), Instant.FromUtc(2021, 1, 1, 0, 0));
        var berlin = DateTimeZoneProviders.Tzdb["Europe/Berlin"];
        Assert.That(r.Occurrences.Select(o => o.Start.InZone(berlin).LocalDateTime.ToString("yyyy-MM-dd HH:mm", null)), Is.EqualTo(new[]
        {
            "2019-10-29 16:15", "2019-11-12 16:15", "2019-12-10 16:15", "2020-01-07 16:15", "2020-01-14 16:15", "2020-01-21 16:15", "2020-01-28 16:15",
        }));
        Assert.That(r.Occurrences.All(o => o.End - o.Start == Duration.FromMinutes(90)), Is.True);
    }

    [Test]
    public void Range_This_And_Future_Shifts_Later_Instances_And_Exact_Overrides_Win()
    {
        var r = Expand("rie_range_thisandfuture.ics", Instant.FromUtc(2024, 9, 1, 0, 0), Instant.FromUtc(2024, 9, 26, 0, 0));
        var rdate = Instant.FromUtc(2024, 9, 14, 9, 0);
        var seen = r.Occurrences.Where(o => o.RecurrenceId != rdate)
            .Select(o => $"{o.Start:uuuu-MM-dd'T'HH:mm} {o.End:HH:mm} {o.Component.GetProperty("SUMMARY")!.RawValue}");
        Assert.That(seen, Is.EqualTo(new[]
        {
            "2024-09-01T12:00 14:00 ORIGINAL EVENT", "2024-09-03T12:00 14:00 ORIGINAL EVENT", "2024-09-05T12:00 14:00 ORIGINAL EVENT",
            "2024-09-07T12:00 14:00 ORIGINAL EVENT", "2024-09-09T12:00 14:00 ORIGINAL EVENT", "2024-09-11T12:00 14:00 ORIGINAL EVENT",
            "2024-09-13T09:00 16:00 MODIFIED EVENT", "2024-09-15T17:00 19:00 MODIFIED EVENT", "2024-09-17T09:00 16:00 MODIFIED EVENT",
            "2024-09-19T09:00 16:00 MODIFIED EVENT", "2024-09-22T14:22 16:13 EDITED EVENT", "2024-09-24T14:22 16:13 EDITED EVENT",
        }));
        Assert.That(r.Occurrences.Any(o => o.RecurrenceId == rdate), Is.True);
    }

    [Test]
    public void Google_Floating_Times_Follow_X_Wr_Timezone_Unless_The_Source_Sets_A_Zone()
    {
        var roots = Read("rie_google_x_wr_timezone.ics");
        var fromCalendar = TimeZoneResolver.ForCalendars(roots);
        var fromSource = TimeZoneResolver.ForCalendars(roots, new TimeZoneResolverOptions { DefaultZone = DateTimeZone.Utc });
        Assert.That(fromCalendar.FloatingSource, Is.EqualTo(FloatingZoneSource.CalendarTimeZone));
        Assert.That(fromSource.FloatingSource, Is.EqualTo(FloatingZoneSource.SourceSetting));
        Assert.That(fromCalendar.FloatingZone, Is.Not.EqualTo(DateTimeZone.Utc));
    }
}
