using ChannelService.Calendars;
using NodaTime;
using static ChannelService.Tests.Calendars.CalendarBuilder;

namespace ChannelService.Tests.Calendars;

public sealed class RecurrenceExpanderTests
{
    private const string NewYork = "TZID=America/New_York";
    private static readonly Instant From = Instant.FromUtc(2024, 1, 1, 0, 0);
    private static readonly Instant To = Instant.FromUtc(2027, 1, 1, 0, 0);

    private static ExpansionResult Expand(TimeZoneResolver? resolver, params CalendarComponent[] components) =>
        RecurrenceExpander.Expand(components, resolver ?? new TimeZoneResolver(), From, To);

    private static string[] Starts(ExpansionResult r) => r.Occurrences.Select(o => o.Start.ToString()).ToArray();

    [Test]
    public void Exdate_Is_Compared_As_An_Instant_Honouring_Its_Own_Tzid()
    {
        var ev = C("VEVENT", P("UID", "x"), P("DTSTART", "20250106T090000", NewYork), P("DTEND", "20250106T100000", NewYork), P("RRULE", "FREQ=DAILY;COUNT=5"),
            P("EXDATE", "20250108T150000", "TZID=Europe/Berlin"),
            P("EXDATE", "20250109T140000Z"),
            P("EXDATE", "20250110T090000", "TZID=Europe/Berlin"));
        var r = Expand(null, ev);
        Assert.That(Starts(r), Is.EqualTo(new[] { "2025-01-06T14:00:00Z", "2025-01-07T14:00:00Z", "2025-01-10T14:00:00Z" }));
        Assert.That(r.Occurrences[0].End, Is.EqualTo(Instant.FromUtc(2025, 1, 6, 15, 0)));
    }

    [Test]
    public void Exdate_Lists_And_Date_Exdates_On_A_Timed_Series_Remove_Those_Days()
    {
        var ev = C("VEVENT", P("UID", "x"), P("DTSTART", "20250106T090000", NewYork), P("RRULE", "FREQ=DAILY;COUNT=6"),
            P("EXDATE", "20250107T090000,20250108T090000", NewYork),
            P("EXDATE", "20250110", "VALUE=DATE"));
        Assert.That(Starts(Expand(null, ev)), Is.EqualTo(new[] { "2025-01-06T14:00:00Z", "2025-01-09T14:00:00Z", "2025-01-11T14:00:00Z" }));
    }

    [Test]
    public void Rdate_Adds_Date_Time_And_Period_Values()
    {
        var ev = C("VEVENT", P("UID", "x"), P("DTSTART", "20250106T090000", NewYork), P("DURATION", "PT1H"), P("RRULE", "FREQ=WEEKLY;COUNT=2"),
            P("RDATE", "20250108T120000", NewYork),
            P("RDATE", "20250109T010000Z/PT3H,20250110T100000Z/20250110T103000Z", "VALUE=PERIOD"),
            P("RDATE", "20250113T090000", NewYork));
        var r = Expand(null, ev);
        Assert.That(Starts(r), Is.EqualTo(new[] { "2025-01-06T14:00:00Z", "2025-01-08T17:00:00Z", "2025-01-09T01:00:00Z", "2025-01-10T10:00:00Z", "2025-01-13T14:00:00Z" }));
        Assert.That(r.Occurrences[2].End, Is.EqualTo(Instant.FromUtc(2025, 1, 9, 4, 0)));
        Assert.That(r.Occurrences[3].End, Is.EqualTo(Instant.FromUtc(2025, 1, 10, 10, 30)));
        Assert.That(r.Occurrences[1].End, Is.EqualTo(Instant.FromUtc(2025, 1, 8, 18, 0)));
    }

    [Test]
    public void Rdate_Dates_Extend_An_All_Day_Series()
    {
        var ev = C("VEVENT", P("UID", "x"), P("DTSTART", "20250101", "VALUE=DATE"), P("RDATE", "20250704,20251225", "VALUE=DATE"));
        var r = Expand(null, ev);
        Assert.That(Starts(r), Is.EqualTo(new[] { "2025-01-01T00:00:00Z", "2025-07-04T00:00:00Z", "2025-12-25T00:00:00Z" }));
        Assert.That(r.Occurrences.All(o => o.End - o.Start == Duration.FromDays(1)), Is.True);
    }

    [Test]
    public void Several_Rrules_Are_Joined_And_Identical_Rules_Count_Once()
    {
        var ev = C("VEVENT", P("UID", "x"), P("DTSTART", "20250106T090000", NewYork),
            P("RRULE", "FREQ=WEEKLY;BYDAY=MO;COUNT=3"),
            P("RRULE", "FREQ=WEEKLY;BYDAY=WE;COUNT=2"),
            P("RRULE", "freq=weekly;count=3;byday=MO"));
        Assert.That(Starts(Expand(null, ev)), Is.EqualTo(new[]
        {
            "2025-01-06T14:00:00Z", "2025-01-08T14:00:00Z", "2025-01-13T14:00:00Z", "2025-01-20T14:00:00Z",
        }));
    }

    [Test]
    public void Date_Time_Until_On_An_All_Day_Series_Keeps_Its_Last_Day()
    {
        var ev = C("VEVENT", P("UID", "x"), P("DTSTART", "20250101", "VALUE=DATE"), P("RRULE", "FREQ=DAILY;UNTIL=20250105T235959Z"));
        Assert.That(Expand(null, ev).Occurrences.Select(o => o.OriginalStart.Local.Day), Is.EqualTo(new[] { 1, 2, 3, 4, 5 }));
    }

    [Test]
    public void Date_Until_On_A_Timed_Series_Covers_Its_Whole_Day()
    {
        var ev = C("VEVENT", P("UID", "x"), P("DTSTART", "20250101T230000", NewYork), P("RRULE", "FREQ=DAILY;UNTIL=20250105"));
        Assert.That(Expand(null, ev).Occurrences.Select(o => o.OriginalStart.Local.Day), Is.EqualTo(new[] { 1, 2, 3, 4, 5 }));
    }

    [Test]
    public void Floating_Until_On_A_Zoned_Series_Is_Read_In_The_Series_Zone()
    {
        var ev = C("VEVENT", P("UID", "x"), P("DTSTART", "20250101T090000", "TZID=Europe/Berlin"), P("RRULE", "FREQ=DAILY;UNTIL=20250105T090000"));
        var resolver = new TimeZoneResolver(options: new TimeZoneResolverOptions { DefaultZone = DateTimeZoneProviders.Tzdb["Pacific/Auckland"] });
        Assert.That(Expand(resolver, ev).Occurrences.Select(o => o.OriginalStart.Local.Day), Is.EqualTo(new[] { 1, 2, 3, 4, 5 }));
    }

    [Test]
    public void Utc_Until_On_A_Zoned_Series_Is_Compared_As_An_Instant()
    {
        // 09:00 New York is 14:00Z in January; an UNTIL of 13:59Z on the 5th stops at the 4th.
        var ev = C("VEVENT", P("UID", "x"), P("DTSTART", "20250101T090000", NewYork), P("RRULE", "FREQ=DAILY;UNTIL=20250105T135900Z"));
        Assert.That(Expand(null, ev).Occurrences.Select(o => o.OriginalStart.Local.Day), Is.EqualTo(new[] { 1, 2, 3, 4 }));
    }

    [Test]
    public void Override_With_Recurrence_Id_In_Another_Zone_Replaces_The_Instance()
    {
        var master = C("VEVENT", P("UID", "x"), P("DTSTART", "20250101T090000", NewYork), P("DTEND", "20250101T100000", NewYork), P("RRULE", "FREQ=DAILY;COUNT=4"), P("SUMMARY", "master"));
        var moved = C("VEVENT", P("UID", "x"), P("RECURRENCE-ID", "20250103T150000", "TZID=Europe/Berlin"), P("DTSTART", "20250103T110000", NewYork), P("DTEND", "20250103T113000", NewYork), P("SUMMARY", "moved"));
        var r = Expand(null, master, moved);
        Assert.That(Starts(r), Is.EqualTo(new[] { "2025-01-01T14:00:00Z", "2025-01-02T14:00:00Z", "2025-01-03T16:00:00Z", "2025-01-04T14:00:00Z" }));
        var o = r.Occurrences[2];
        Assert.That(o.IsOverridden, Is.True);
        Assert.That(o.RecurrenceId, Is.EqualTo(Instant.FromUtc(2025, 1, 3, 14, 0)));
        Assert.That(o.End, Is.EqualTo(Instant.FromUtc(2025, 1, 3, 16, 30)));
        Assert.That(o.Component.GetProperty("SUMMARY")!.RawValue, Is.EqualTo("moved"));
    }

    [Test]
    public void All_Day_Master_Overridden_With_A_Zoned_Midnight_Matches_By_Date()
    {
        var resolver = new TimeZoneResolver(options: new TimeZoneResolverOptions { DefaultZone = DateTimeZoneProviders.Tzdb["America/New_York"] });
        var master = C("VEVENT", P("UID", "x"), P("DTSTART", "20250101", "VALUE=DATE"), P("RRULE", "FREQ=DAILY;COUNT=4"));
        var moved = C("VEVENT", P("UID", "x"), P("RECURRENCE-ID", "20250103T000000", "TZID=GMT Standard Time"), P("DTSTART", "20250110", "VALUE=DATE"), P("SEQUENCE", "0"));
        master.Properties.Add(P("SEQUENCE", "3"));
        var r = Expand(resolver, master, moved);
        Assert.That(r.Occurrences.Select(o => o.Start.InZone(resolver.FloatingZone).Date.Day), Is.EqualTo(new[] { 1, 2, 4, 10 }));
        Assert.That(r.Occurrences[^1].IsOverridden, Is.True);
    }

    [Test]
    public void Overrides_Without_A_Master_Are_Instances_Of_Their_Own()
    {
        var a = C("VEVENT", P("UID", "orphan"), P("RECURRENCE-ID", "20250105T090000", NewYork), P("DTSTART", "20250105T100000", NewYork), P("DURATION", "PT30M"));
        var b = C("VEVENT", P("UID", "orphan"), P("RECURRENCE-ID", "20250112T090000", NewYork), P("DTSTART", "20250112T090000", NewYork));
        var r = Expand(null, b, a);
        Assert.That(Starts(r), Is.EqualTo(new[] { "2025-01-05T15:00:00Z", "2025-01-12T14:00:00Z" }));
        Assert.That(r.Occurrences[0].End - r.Occurrences[0].Start, Is.EqualTo(Duration.FromMinutes(30)));
        Assert.That(r.Occurrences.All(o => o.IsOverridden && o.Uid == "orphan"), Is.True);
    }

    [Test]
    public void Master_After_Its_Overrides_Is_Still_The_Master()
    {
        var moved = C("VEVENT", P("UID", "x"), P("RECURRENCE-ID", "20250102T090000", NewYork), P("DTSTART", "20250102T120000", NewYork));
        var master = C("VEVENT", P("UID", "x"), P("DTSTART", "20250101T090000", NewYork), P("RRULE", "FREQ=DAILY;COUNT=3"));
        Assert.That(Starts(Expand(null, moved, master)), Is.EqualTo(new[] { "2025-01-01T14:00:00Z", "2025-01-02T17:00:00Z", "2025-01-03T14:00:00Z" }));
    }

    [Test]
    public void This_And_Future_Override_Shifts_The_Following_Instances()
    {
        var master = C("VEVENT", P("UID", "x"), P("DTSTART", "20250101T090000", NewYork), P("DTEND", "20250101T100000", NewYork), P("RRULE", "FREQ=DAILY;COUNT=5"), P("SUMMARY", "old"));
        var future = C("VEVENT", P("UID", "x"), P("RECURRENCE-ID", "20250103T090000", NewYork, "RANGE=THISANDFUTURE"),
            P("DTSTART", "20250103T100000", NewYork), P("DTEND", "20250103T113000", NewYork), P("SUMMARY", "new"));
        var r = Expand(null, master, future);
        Assert.That(Starts(r), Is.EqualTo(new[] { "2025-01-01T14:00:00Z", "2025-01-02T14:00:00Z", "2025-01-03T15:00:00Z", "2025-01-04T15:00:00Z", "2025-01-05T15:00:00Z" }));
        Assert.That(r.Occurrences.Select(o => o.Component.GetProperty("SUMMARY")!.RawValue), Is.EqualTo(new[] { "old", "old", "new", "new", "new" }));
        Assert.That(r.Occurrences[4].End - r.Occurrences[4].Start, Is.EqualTo(Duration.FromMinutes(90)));
        Assert.That(r.Occurrences[4].RecurrenceId, Is.EqualTo(Instant.FromUtc(2025, 1, 5, 14, 0)));
    }

    [Test]
    public void Cancelled_Override_Is_Reported_As_Cancelled()
    {
        var master = C("VEVENT", P("UID", "x"), P("DTSTART", "20250101T090000", NewYork), P("RRULE", "FREQ=DAILY;COUNT=3"), P("STATUS", "CONFIRMED"));
        var cancelled = C("VEVENT", P("UID", "x"), P("RECURRENCE-ID", "20250102T090000", NewYork), P("DTSTART", "20250102T090000", NewYork), P("STATUS", "CANCELLED"));
        var r = Expand(null, master, cancelled);
        Assert.That(r.Occurrences.Select(o => o.IsCancelled), Is.EqualTo(new[] { false, true, false }));
        Assert.That(r.Occurrences.Select(o => o.Status), Is.EqualTo(new[] { "CONFIRMED", "CANCELLED", "CONFIRMED" }));
    }

    [Test]
    public void Instances_Overlapping_The_Window_Start_Are_Included()
    {
        var ev = C("VEVENT", P("UID", "x"), P("DTSTART", "20250101T220000Z"), P("DTEND", "20250102T020000Z"), P("RRULE", "FREQ=DAILY;COUNT=3"));
        var r = RecurrenceExpander.Expand([ev], new TimeZoneResolver(), Instant.FromUtc(2025, 1, 2, 1, 0), Instant.FromUtc(2025, 1, 3, 0, 0));
        Assert.That(Starts(r), Is.EqualTo(new[] { "2025-01-01T22:00:00Z", "2025-01-02T22:00:00Z" }));
    }

    [Test]
    public void All_Day_Events_Last_One_Day_Or_Until_Their_Exclusive_End()
    {
        var oneDay = C("VEVENT", P("UID", "a"), P("DTSTART", "20250101", "VALUE=DATE"));
        var threeDays = C("VEVENT", P("UID", "b"), P("DTSTART", "20250101"), P("DTEND", "20250104"));
        var r = Expand(null, oneDay, threeDays);
        Assert.That(r.Occurrences.Single(o => o.Uid == "a").End, Is.EqualTo(Instant.FromUtc(2025, 1, 2, 0, 0)));
        Assert.That(r.Occurrences.Single(o => o.Uid == "b").End, Is.EqualTo(Instant.FromUtc(2025, 1, 4, 0, 0)));
        Assert.That(r.Occurrences.All(o => !o.IsRecurring), Is.True);
    }

    [Test]
    public void Nominal_Day_Duration_Follows_The_Wall_Clock_Across_Dst()
    {
        var ev = C("VEVENT", P("UID", "x"), P("DTSTART", "20250308T120000", NewYork), P("DURATION", "P1D"));
        var o = Expand(null, ev).Occurrences.Single();
        Assert.That(o.End - o.Start, Is.EqualTo(Duration.FromHours(23)));
    }

    [Test]
    public void Dtend_Gives_The_Same_Exact_Duration_To_Every_Instance()
    {
        var ev = C("VEVENT", P("UID", "x"), P("DTSTART", "20250308T120000", NewYork), P("DTEND", "20250309T120000", NewYork), P("RRULE", "FREQ=WEEKLY;COUNT=2"));
        var r = Expand(null, ev);
        Assert.That(r.Occurrences.Select(o => o.End - o.Start), Is.All.EqualTo(Duration.FromHours(23)));
    }

    [Test]
    public void Expansion_Only_Returns_Instances_In_The_Window()
    {
        var ev = C("VEVENT", P("UID", "x"), P("DTSTART", "20000103T090000", NewYork), P("RRULE", "FREQ=WEEKLY"));
        var r = RecurrenceExpander.Expand([ev], new TimeZoneResolver(), Instant.FromUtc(2025, 1, 1, 0, 0), Instant.FromUtc(2025, 2, 1, 0, 0));
        Assert.That(r.Occurrences.Select(o => o.OriginalStart.Local.Day), Is.EqualTo(new[] { 6, 13, 20, 27 }));
    }

    [Test]
    public void Count_Is_Counted_From_Dtstart_Even_When_The_Window_Starts_Later()
    {
        var ev = C("VEVENT", P("UID", "x"), P("DTSTART", "20250101T090000", NewYork), P("RRULE", "FREQ=DAILY;COUNT=10"));
        var r = RecurrenceExpander.Expand([ev], new TimeZoneResolver(), Instant.FromUtc(2025, 1, 8, 0, 0), To);
        Assert.That(r.Occurrences.Select(o => o.OriginalStart.Local.Day), Is.EqualTo(new[] { 8, 9, 10 }));
    }

    [TestCase(false)]
    [TestCase(true)]
    public void Wall_Times_In_A_Dst_Gap_Move_Forward_And_Count_Once(bool withExdate)
    {
        // 02:00 and 02:30 do not exist on 2025-03-09 in New York: they move to 03:00 and 03:30 EDT (RFC 5545 §3.3.5),
        // which the rule also produces, so each instant appears once.
        var ev = C("VEVENT", P("UID", "x"), P("DTSTART", "20250309T010000", NewYork), P("RRULE", "FREQ=MINUTELY;INTERVAL=30;COUNT=6"));
        if (withExdate)
        {
            ev.Properties.Add(P("EXDATE", "20250101T000000Z"));
        }

        Assert.That(Starts(Expand(null, ev)), Is.EqualTo(new[] { "2025-03-09T06:00:00Z", "2025-03-09T06:30:00Z", "2025-03-09T07:00:00Z", "2025-03-09T07:30:00Z" }));
    }

    [Test]
    public void Events_Without_A_Readable_Dtstart_Are_Reported_Not_Thrown()
    {
        var ev = C("VEVENT", P("UID", "x"), P("DTSTART", "2006717T080000Z"));
        var r = Expand(null, ev);
        Assert.That(r.Occurrences, Is.Empty);
        Assert.That(r.Diagnostics, Has.Some.Contains("DTSTART"));
    }
}
