using ChannelService.Calendars;
using NodaTime;
using static ChannelService.Tests.Calendars.CalendarBuilder;

namespace ChannelService.Tests.Calendars;

/// <summary>
/// Every example of RFC 5545 §3.8.5.3 ("All examples assume the Eastern United States time zone"), with the dates
/// typed from the RFC text. Rules that end (COUNT/UNTIL) are expanded up to 2100 to prove nothing extra appears;
/// "forever" rules are expanded up to the last date the RFC lists.
/// </summary>
public sealed class RecurrenceRfcExamplesTests
{
    private const string Zone = "America/New_York";

    private static readonly DateTimeZone NewYork = DateTimeZoneProviders.Tzdb[Zone];

    private static IEnumerable<TestCaseData> Examples()
    {
        yield return Case("Daily for 10 occurrences", "19970902T090000", "FREQ=DAILY;COUNT=10", true, Days("1997-09", Range(2, 11)));
        yield return Case("Daily until December 24, 1997", "19970902T090000", "FREQ=DAILY;UNTIL=19971224T000000Z", true,
            Days("1997-09", Range(2, 30)), Days("1997-10", Range(1, 31)), Days("1997-11", Range(1, 30)), Days("1997-12", Range(1, 23)));
        yield return Case("Every other day - forever", "19970902T090000", "FREQ=DAILY;INTERVAL=2", false,
            Days("1997-09", Range(2, 30, 2)), Days("1997-10", Range(2, 24, 2)), Days("1997-10", 26, 28, 30), Days("1997-11", Range(1, 29, 2)), Days("1997-12", 1, 3));
        yield return Case("Every 10 days, 5 occurrences", "19970902T090000", "FREQ=DAILY;INTERVAL=10;COUNT=5", true,
            Days("1997-09", 2, 12, 22), Days("1997-10", 2, 12));
        var januaries = new[] { Days("1998-01", Range(1, 31)), Days("1999-01", Range(1, 31)), Days("2000-01", Range(1, 31)) };
        yield return Case("Every day in January, for 3 years (yearly form)", "19980101T090000", "FREQ=YEARLY;UNTIL=20000131T140000Z;BYMONTH=1;BYDAY=SU,MO,TU,WE,TH,FR,SA", true, januaries);
        yield return Case("Every day in January, for 3 years (daily form)", "19980101T090000", "FREQ=DAILY;UNTIL=20000131T140000Z;BYMONTH=1", true, januaries);
        yield return Case("Weekly for 10 occurrences", "19970902T090000", "FREQ=WEEKLY;COUNT=10", true,
            Days("1997-09", 2, 9, 16, 23, 30), Days("1997-10", 7, 14, 21, 28), Days("1997-11", 4));
        yield return Case("Weekly until December 24, 1997", "19970902T090000", "FREQ=WEEKLY;UNTIL=19971224T000000Z", true,
            Days("1997-09", 2, 9, 16, 23, 30), Days("1997-10", 7, 14, 21, 28), Days("1997-11", 4, 11, 18, 25), Days("1997-12", 2, 9, 16, 23));
        yield return Case("Every other week - forever", "19970902T090000", "FREQ=WEEKLY;INTERVAL=2;WKST=SU", false,
            Days("1997-09", 2, 16, 30), Days("1997-10", 14, 28), Days("1997-11", 11, 25), Days("1997-12", 9, 23), Days("1998-01", 6, 20), Days("1998-02", 3, 17));
        var tuTh = new[] { Days("1997-09", 2, 4, 9, 11, 16, 18, 23, 25, 30), Days("1997-10", 2) };
        yield return Case("Weekly on Tuesday and Thursday for five weeks (UNTIL)", "19970902T090000", "FREQ=WEEKLY;UNTIL=19971007T000000Z;WKST=SU;BYDAY=TU,TH", true, tuTh);
        yield return Case("Weekly on Tuesday and Thursday for five weeks (COUNT)", "19970902T090000", "FREQ=WEEKLY;COUNT=10;WKST=SU;BYDAY=TU,TH", true, tuTh);
        yield return Case("Every other week on Monday, Wednesday, and Friday until December 24, 1997", "19970901T090000", "FREQ=WEEKLY;INTERVAL=2;UNTIL=19971224T000000Z;WKST=SU;BYDAY=MO,WE,FR", true,
            Days("1997-09", 1, 3, 5, 15, 17, 19, 29), Days("1997-10", 1, 3, 13, 15, 17, 27, 29, 31), Days("1997-11", 10, 12, 14, 24, 26, 28), Days("1997-12", 8, 10, 12, 22));
        yield return Case("Every other week on Tuesday and Thursday, for 8 occurrences", "19970902T090000", "FREQ=WEEKLY;INTERVAL=2;COUNT=8;WKST=SU;BYDAY=TU,TH", true,
            Days("1997-09", 2, 4, 16, 18, 30), Days("1997-10", 2, 14, 16));
        yield return Case("Monthly on the first Friday for 10 occurrences", "19970905T090000", "FREQ=MONTHLY;COUNT=10;BYDAY=1FR", true,
            Days("1997-09", 5), Days("1997-10", 3), Days("1997-11", 7), Days("1997-12", 5), Days("1998-01", 2), Days("1998-02", 6), Days("1998-03", 6), Days("1998-04", 3), Days("1998-05", 1), Days("1998-06", 5));
        yield return Case("Monthly on the first Friday until December 24, 1997", "19970905T090000", "FREQ=MONTHLY;UNTIL=19971224T000000Z;BYDAY=1FR", true,
            Days("1997-09", 5), Days("1997-10", 3), Days("1997-11", 7), Days("1997-12", 5));
        yield return Case("Every other month on the first and last Sunday of the month for 10 occurrences", "19970907T090000", "FREQ=MONTHLY;INTERVAL=2;COUNT=10;BYDAY=1SU,-1SU", true,
            Days("1997-09", 7, 28), Days("1997-11", 2, 30), Days("1998-01", 4, 25), Days("1998-03", 1, 29), Days("1998-05", 3, 31));
        yield return Case("Monthly on the second-to-last Monday of the month for 6 months", "19970922T090000", "FREQ=MONTHLY;COUNT=6;BYDAY=-2MO", true,
            Days("1997-09", 22), Days("1997-10", 20), Days("1997-11", 17), Days("1997-12", 22), Days("1998-01", 19), Days("1998-02", 16));
        yield return Case("Monthly on the third-to-the-last day of the month, forever", "19970928T090000", "FREQ=MONTHLY;BYMONTHDAY=-3", false,
            Days("1997-09", 28), Days("1997-10", 29), Days("1997-11", 28), Days("1997-12", 29), Days("1998-01", 29), Days("1998-02", 26));
        yield return Case("Monthly on the 2nd and 15th of the month for 10 occurrences", "19970902T090000", "FREQ=MONTHLY;COUNT=10;BYMONTHDAY=2,15", true,
            Days("1997-09", 2, 15), Days("1997-10", 2, 15), Days("1997-11", 2, 15), Days("1997-12", 2, 15), Days("1998-01", 2, 15));
        yield return Case("Monthly on the first and last day of the month for 10 occurrences", "19970930T090000", "FREQ=MONTHLY;COUNT=10;BYMONTHDAY=1,-1", true,
            Days("1997-09", 30), Days("1997-10", 1, 31), Days("1997-11", 1, 30), Days("1997-12", 1, 31), Days("1998-01", 1, 31), Days("1998-02", 1));
        yield return Case("Every 18 months on the 10th thru 15th of the month for 10 occurrences", "19970910T090000", "FREQ=MONTHLY;INTERVAL=18;COUNT=10;BYMONTHDAY=10,11,12,13,14,15", true,
            Days("1997-09", Range(10, 15)), Days("1999-03", Range(10, 13)));
        yield return Case("Every Tuesday, every other month", "19970902T090000", "FREQ=MONTHLY;INTERVAL=2;BYDAY=TU", false,
            Days("1997-09", 2, 9, 16, 23, 30), Days("1997-11", 4, 11, 18, 25), Days("1998-01", 6, 13, 20, 27), Days("1998-03", 3, 10, 17, 24, 31));
        yield return Case("Yearly in June and July for 10 occurrences", "19970610T090000", "FREQ=YEARLY;COUNT=10;BYMONTH=6,7", true,
            Enumerable.Range(1997, 5).Select(y => Days($"{y}-06", 10).Concat(Days($"{y}-07", 10)).ToArray()).ToArray());
        yield return Case("Every other year on January, February, and March for 10 occurrences", "19970310T090000", "FREQ=YEARLY;INTERVAL=2;COUNT=10;BYMONTH=1,2,3", true,
            Days("1997-03", 10), Days("1999-01", 10), Days("1999-02", 10), Days("1999-03", 10), Days("2001-01", 10), Days("2001-02", 10), Days("2001-03", 10), Days("2003-01", 10), Days("2003-02", 10), Days("2003-03", 10));
        yield return Case("Every third year on the 1st, 100th, and 200th day for 10 occurrences", "19970101T090000", "FREQ=YEARLY;INTERVAL=3;COUNT=10;BYYEARDAY=1,100,200", true,
            Days("1997-01", 1), Days("1997-04", 10), Days("1997-07", 19), Days("2000-01", 1), Days("2000-04", 9), Days("2000-07", 18), Days("2003-01", 1), Days("2003-04", 10), Days("2003-07", 19), Days("2006-01", 1));
        yield return Case("Every 20th Monday of the year, forever", "19970519T090000", "FREQ=YEARLY;BYDAY=20MO", false,
            Days("1997-05", 19), Days("1998-05", 18), Days("1999-05", 17));
        yield return Case("Monday of week number 20, forever", "19970512T090000", "FREQ=YEARLY;BYWEEKNO=20;BYDAY=MO", false,
            Days("1997-05", 12), Days("1998-05", 11), Days("1999-05", 17));
        yield return Case("Every Thursday in March, forever", "19970313T090000", "FREQ=YEARLY;BYMONTH=3;BYDAY=TH", false,
            Days("1997-03", 13, 20, 27), Days("1998-03", 5, 12, 19, 26), Days("1999-03", 4, 11, 18, 25));
        yield return Case("Every Thursday, but only during June, July, and August, forever", "19970605T090000", "FREQ=YEARLY;BYDAY=TH;BYMONTH=6,7,8", false,
            Days("1997-06", 5, 12, 19, 26), Days("1997-07", 3, 10, 17, 24, 31), Days("1997-08", 7, 14, 21, 28),
            Days("1998-06", 4, 11, 18, 25), Days("1998-07", 2, 9, 16, 23, 30), Days("1998-08", 6, 13, 20, 27),
            Days("1999-06", 3, 10, 17, 24), Days("1999-07", 1, 8, 15, 22, 29), Days("1999-08", 5, 12, 19, 26));
        yield return new TestCaseData("19970902T090000", "FREQ=MONTHLY;BYDAY=FR;BYMONTHDAY=13", false, "19970902T090000",
            new[] { Days("1998-02", 13), Days("1998-03", 13), Days("1998-11", 13), Days("1999-08", 13), Days("2000-10", 13) }.SelectMany(d => d).ToArray())
            .SetName(Sanitize("Every Friday the 13th, forever (DTSTART excluded by EXDATE)"));
        yield return Case("The first Saturday that follows the first Sunday of the month, forever", "19970913T090000", "FREQ=MONTHLY;BYDAY=SA;BYMONTHDAY=7,8,9,10,11,12,13", false,
            Days("1997-09", 13), Days("1997-10", 11), Days("1997-11", 8), Days("1997-12", 13), Days("1998-01", 10), Days("1998-02", 7), Days("1998-03", 7), Days("1998-04", 11), Days("1998-05", 9), Days("1998-06", 13));
        yield return Case("Every 4 years, the first Tuesday after a Monday in November (U.S. Presidential Election day)", "19961105T090000", "FREQ=YEARLY;INTERVAL=4;BYMONTH=11;BYDAY=TU;BYMONTHDAY=2,3,4,5,6,7,8", false,
            Days("1996-11", 5), Days("2000-11", 7), Days("2004-11", 2));
        yield return Case("The third instance into the month of one of Tuesday, Wednesday, or Thursday, for the next 3 months", "19970904T090000", "FREQ=MONTHLY;COUNT=3;BYDAY=TU,WE,TH;BYSETPOS=3", true,
            Days("1997-09", 4), Days("1997-10", 7), Days("1997-11", 6));
        yield return Case("The second-to-last weekday of the month", "19970929T090000", "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-2", false,
            Days("1997-09", 29), Days("1997-10", 30), Days("1997-11", 27), Days("1997-12", 30), Days("1998-01", 29), Days("1998-02", 26), Days("1998-03", 30));

        // The RFC's text lists 09:00, 12:00, 15:00, but its UNTIL (17:00Z = 13:00 EDT) ends the rule at 12:00; RFC 5545
        // errata note the example should read 210000Z. Both are checked: the rule as printed and the intended one.
        yield return Case("Every 3 hours from 9:00 AM to 5:00 PM on a specific day (as printed)", "19970902T090000", "FREQ=HOURLY;INTERVAL=3;UNTIL=19970902T170000Z", true,
            Times("1997-09-02", "09:00", "12:00"));
        yield return Case("Every 3 hours from 9:00 AM to 5:00 PM on a specific day (UNTIL 5 PM EDT)", "19970902T090000", "FREQ=HOURLY;INTERVAL=3;UNTIL=19970902T210000Z", true,
            Times("1997-09-02", "09:00", "12:00", "15:00"));
        yield return Case("Every 15 minutes for 6 occurrences", "19970902T090000", "FREQ=MINUTELY;INTERVAL=15;COUNT=6", true,
            Times("1997-09-02", "09:00", "09:15", "09:30", "09:45", "10:00", "10:15"));
        yield return Case("Every hour and a half for 4 occurrences", "19970902T090000", "FREQ=MINUTELY;INTERVAL=90;COUNT=4", true,
            Times("1997-09-02", "09:00", "10:30", "12:00", "13:30"));
        var everyTwenty = new[] { "1997-09-02", "1997-09-03" }
            .Select(d => Times(d, Enumerable.Range(9, 8).SelectMany(h => new[] { 0, 20, 40 }.Select(m => $"{h:00}:{m:00}")).ToArray())).ToArray();
        yield return Case("Every 20 minutes from 9:00 AM to 4:40 PM every day (daily form)", "19970902T090000", "FREQ=DAILY;BYHOUR=9,10,11,12,13,14,15,16;BYMINUTE=0,20,40", false, everyTwenty);
        yield return Case("Every 20 minutes from 9:00 AM to 4:40 PM every day (minutely form)", "19970902T090000", "FREQ=MINUTELY;INTERVAL=20;BYHOUR=9,10,11,12,13,14,15,16", false, everyTwenty);
        yield return Case("WKST=MO makes a difference", "19970805T090000", "FREQ=WEEKLY;INTERVAL=2;COUNT=4;BYDAY=TU,SU;WKST=MO", true,
            Days("1997-08", 5, 10, 19, 24));
        yield return Case("WKST=SU makes a difference", "19970805T090000", "FREQ=WEEKLY;INTERVAL=2;COUNT=4;BYDAY=TU,SU;WKST=SU", true,
            Days("1997-08", 5, 17, 19, 31));
        yield return Case("An invalid date (February 30) is ignored", "20070115T090000", "FREQ=MONTHLY;BYMONTHDAY=15,30;COUNT=5", true,
            Days("2007-01", 15, 30), Days("2007-02", 15), Days("2007-03", 15, 30));
    }

    [TestCaseSource(nameof(Examples))]
    public void Rfc5545_Example_Expands_To_The_Listed_Dates(string dtstart, string rrule, bool bounded, string? exdate, string[] expected)
    {
        var ev = C("VEVENT", P("UID", "rfc"), P("DTSTART", dtstart, "TZID=" + Zone), P("RRULE", rrule));
        if (exdate is not null)
        {
            ev.Properties.Add(P("EXDATE", exdate, "TZID=" + Zone));
        }

        var resolver = new TimeZoneResolver();
        var from = Instant.FromUtc(1990, 1, 1, 0, 0);
        var to = bounded
            ? Instant.FromUtc(2100, 1, 1, 0, 0)
            : LocalDateTimePattern(expected[^1]).PlusMinutes(1).InZoneLeniently(NewYork).ToInstant();

        var result = RecurrenceExpander.Expand([ev], resolver, from, to);

        var actual = result.Occurrences.Select(o => o.Start.InZone(NewYork).LocalDateTime.ToString("yyyy-MM-dd'T'HH:mm", null)).ToArray();
        Assert.That(actual, Is.EqualTo(expected));
        Assert.That(result.Truncated, Is.False);
    }

    [Test]
    public void Rfc5545_Examples_Keep_Nine_Oclock_Local_Across_The_October_Dst_Change()
    {
        var ev = C("VEVENT", P("UID", "dst"), P("DTSTART", "19970902T090000", "TZID=" + Zone), P("RRULE", "FREQ=WEEKLY;COUNT=10"));
        var result = RecurrenceExpander.Expand([ev], new TimeZoneResolver(), Instant.FromUtc(1997, 1, 1, 0, 0), Instant.FromUtc(1998, 1, 1, 0, 0));

        // 9:00 EDT is 13:00Z; after 26 October 1997 9:00 EST is 14:00Z.
        Assert.That(result.Occurrences[0].Start, Is.EqualTo(Instant.FromUtc(1997, 9, 2, 13, 0)));
        Assert.That(result.Occurrences[^1].Start, Is.EqualTo(Instant.FromUtc(1997, 11, 4, 14, 0)));
    }

    private static LocalDateTime LocalDateTimePattern(string text) =>
        NodaTime.Text.LocalDateTimePattern.CreateWithInvariantCulture("yyyy-MM-dd'T'HH:mm").Parse(text).Value;

    private static TestCaseData Case(string name, string dtstart, string rrule, bool bounded, params string[][] expected) =>
        new TestCaseData(dtstart, rrule, bounded, null, expected.SelectMany(e => e).ToArray()).SetName(Sanitize(name));

    private static string Sanitize(string name) => "RFC 5545 " + name.Replace('.', ' ').Replace(',', ' ');

    private static int[] Range(int first, int last, int step = 1)
    {
        var list = new List<int>();
        for (var i = first; i <= last; i += step)
        {
            list.Add(i);
        }

        return [.. list];
    }

    private static string[] Days(string yearMonth, params int[] days) => days.Select(d => $"{yearMonth}-{d:00}T09:00").ToArray();

    private static string[] Times(string date, params string[] times) => times.Select(t => $"{date}T{t}").ToArray();
}
