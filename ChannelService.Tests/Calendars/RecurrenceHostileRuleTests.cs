using ChannelService.Calendars;
using NodaTime;
using static ChannelService.Tests.Calendars.CalendarBuilder;

namespace ChannelService.Tests.Calendars;

/// <summary>
/// Rules an attacker (or a broken producer) could send. Each must come back with bounded output; MaxTime is a
/// generous guard against a hang, not a performance measurement.
/// </summary>
public sealed class RecurrenceHostileRuleTests
{
    private static ExpansionResult Run(string dtstart, string rrule, Instant from, Instant to, RecurrenceExpansionOptions? options = null)
    {
        var ev = C("VEVENT", P("UID", "hostile"), P("DTSTART", dtstart), P("RRULE", rrule));
        return RecurrenceExpander.Expand([ev], new TimeZoneResolver(), from, to, options);
    }

    [Test]
    [MaxTime(10_000)]
    public void Secondly_Rule_For_Years_Stops_At_The_Occurrence_Cap()
    {
        var r = Run("20200101T000000Z", "FREQ=SECONDLY", Instant.FromUtc(2020, 1, 1, 0, 0), Instant.FromUtc(2030, 1, 1, 0, 0), new RecurrenceExpansionOptions { MaxOccurrences = 5000 });
        Assert.That(r.Occurrences, Has.Count.EqualTo(5000));
        Assert.That(r.Truncated, Is.True);
        Assert.That(r.Diagnostics, Is.Not.Empty);
    }

    [Test]
    [MaxTime(10_000)]
    public void Secondly_Rule_With_Impossible_Setpos_Stops_At_The_Work_Budget()
    {
        var r = Run("20200101T000000Z", "FREQ=SECONDLY;BYSETPOS=2", Instant.FromUtc(2020, 1, 1, 0, 0), Instant.FromUtc(2030, 1, 1, 0, 0));
        Assert.That(r.Occurrences, Has.Count.EqualTo(1));
        Assert.That(r.Truncated, Is.True);
        Assert.That(r.Diagnostics, Has.Some.Contains("work budget"));
    }

    [Test]
    [MaxTime(10_000)]
    public void February_30_Yields_Only_Dtstart_Until_The_Window_End()
    {
        var r = Run("20200130T090000Z", "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", Instant.FromUtc(2020, 1, 1, 0, 0), Instant.FromUtc(9000, 1, 1, 0, 0));
        Assert.That(r.Occurrences, Has.Count.EqualTo(1));
    }

    [Test]
    [MaxTime(10_000)]
    public void Minutely_Rule_On_Impossible_Days_Skips_Whole_Days()
    {
        var r = Run("20200101T000000Z", "FREQ=MINUTELY;BYMONTH=2;BYMONTHDAY=30,31", Instant.FromUtc(2020, 1, 1, 0, 0), Instant.FromUtc(2120, 1, 1, 0, 0));
        Assert.That(r.Occurrences, Has.Count.EqualTo(1));
    }

    [Test]
    [MaxTime(10_000)]
    public void Huge_Count_Far_From_The_Window_Is_Bounded_By_Work()
    {
        var r = Run("20200101T000000Z", "FREQ=SECONDLY;COUNT=2000000000", Instant.FromUtc(2090, 1, 1, 0, 0), Instant.FromUtc(2091, 1, 1, 0, 0));
        Assert.That(r.Occurrences, Is.Empty);
        Assert.That(r.Truncated, Is.True);
    }

    [Test]
    [MaxTime(10_000)]
    public void Yearly_Rule_With_Every_Day_And_Time_Part_Is_Capped()
    {
        var r = Run("20200101T000000Z", "FREQ=YEARLY;BYMONTH=1,2,3,4,5,6,7,8,9,10,11,12;BYDAY=MO,TU,WE,TH,FR,SA,SU;BYHOUR=0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23;BYMINUTE=0,10,20,30,40,50;BYSECOND=0,30",
            Instant.FromUtc(2020, 1, 1, 0, 0), Instant.FromUtc(2100, 1, 1, 0, 0), new RecurrenceExpansionOptions { MaxOccurrences = 1000 });
        Assert.That(r.Occurrences, Has.Count.EqualTo(1000));
        Assert.That(r.Truncated, Is.True);
    }
}
