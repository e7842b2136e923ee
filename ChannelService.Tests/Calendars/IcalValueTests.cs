using ChannelService.Calendars;
using NodaTime;

namespace ChannelService.Tests.Calendars;

public sealed class IcalValueTests
{
    [TestCase("20240131", null, null, IcalDateKind.Date, "2024-01-31T00:00:00")]
    [TestCase("20240131", null, "DATE", IcalDateKind.Date, "2024-01-31T00:00:00")]
    [TestCase("20041225", "America/Los_Angeles", null, IcalDateKind.Date, "2004-12-25T00:00:00")]
    [TestCase("20240131", null, "DATE-TIME", IcalDateKind.Date, "2024-01-31T00:00:00")]
    [TestCase("20240131T101500", null, null, IcalDateKind.Floating, "2024-01-31T10:15:00")]
    [TestCase("20240131T101500", null, "DATE", IcalDateKind.Floating, "2024-01-31T10:15:00")]
    [TestCase("20240131T101500Z", null, null, IcalDateKind.Utc, "2024-01-31T10:15:00")]
    [TestCase("20240131T101500Z", "Europe/Berlin", null, IcalDateKind.Utc, "2024-01-31T10:15:00")]
    [TestCase("20240131T101500", "Europe/Berlin", null, IcalDateKind.Zoned, "2024-01-31T10:15:00")]
    [TestCase(" 20240229T235960 ", null, null, IcalDateKind.Floating, "2024-02-29T23:59:59")]
    public void Date_Values_Keep_Their_Kind_From_Shape_First(string value, string? tzid, string? valueType, IcalDateKind kind, string local)
    {
        Assert.That(IcalDateTime.TryParse(value, tzid, valueType, out var result), Is.True);
        Assert.That(result.Kind, Is.EqualTo(kind));
        Assert.That(result.Local.ToString("yyyy-MM-dd'T'HH:mm:ss", null), Is.EqualTo(local));
        Assert.That(result.TzId, kind == IcalDateKind.Zoned ? Is.EqualTo(tzid) : Is.Null);
    }

    [TestCase("2006717T080000Z")]
    [TestCase("-0011130T100000")]
    [TestCase("20230229")]
    [TestCase("20240230T100000")]
    [TestCase("20241301")]
    [TestCase("20240101T246000")]
    [TestCase("20240101T1000")]
    [TestCase("2024-01-01")]
    [TestCase("")]
    [TestCase("00000101")]
    [TestCase("20240101T100000ZZ")]
    public void Malformed_Dates_Are_Rejected_Without_Exception(string value)
    {
        Assert.That(IcalDateTime.TryParse(value, null, null, out _), Is.False);
    }

    [TestCase("-P1W6DT15H", true, 1, 6, 15, 0, 0)]
    [TestCase("-PT00H15M00S", true, 0, 0, 0, 15, 0)]
    [TestCase("PT86400S", false, 0, 0, 0, 0, 86400)]
    [TestCase("P0DT0H10M0S", false, 0, 0, 0, 10, 0)]
    [TestCase("-P0DT0H10M0S", true, 0, 0, 0, 10, 0)]
    [TestCase("+P2W", false, 2, 0, 0, 0, 0)]
    [TestCase("p1dt2h", false, 0, 1, 2, 0, 0)]
    [TestCase("PT1H30M", false, 0, 0, 1, 30, 0)]
    public void Durations_Are_Parsed_Leniently(string value, bool negative, int weeks, int days, int hours, int minutes, int seconds)
    {
        Assert.That(IcalDuration.TryParse(value, out var d), Is.True);
        Assert.That(d, Is.EqualTo(new IcalDuration(negative, weeks, days, hours, minutes, seconds)));
    }

    [TestCase("")]
    [TestCase("P")]
    [TestCase("PT")]
    [TestCase("P1M")]
    [TestCase("1D")]
    [TestCase("PTH")]
    [TestCase("P1Y")]
    public void Bad_Durations_Fail(string value)
    {
        Assert.That(IcalDuration.TryParse(value, out _), Is.False);
    }

    [Test]
    public void Duration_Keeps_Days_Nominal_And_Time_Exact()
    {
        IcalDuration.TryParse("-P1W6DT15H", out var d);
        Assert.That(d.NominalPart, Is.EqualTo(Period.FromDays(-13)));
        Assert.That(d.ExactPart, Is.EqualTo(Duration.FromHours(-15)));
        Assert.That(d.ToDuration(), Is.EqualTo(Duration.FromHours(-((13 * 24) + 15))));
    }

    [TestCase("+0100", 3600)]
    [TestCase("-0500", -18000)]
    [TestCase("+005328", 3208)]
    [TestCase("0200", 7200)]
    [TestCase("-03:30", -12600)]
    [TestCase("+0000", 0)]
    public void Utc_Offsets_Accept_Seconds_And_A_Missing_Sign(string value, int seconds)
    {
        Assert.That(UtcOffset.TryParse(value, out var offset), Is.True);
        Assert.That(offset.Seconds, Is.EqualTo(seconds));
    }

    [TestCase("")]
    [TestCase("+1")]
    [TestCase("+2500")]
    [TestCase("+01a0")]
    public void Bad_Utc_Offsets_Fail(string value)
    {
        Assert.That(UtcOffset.TryParse(value, out _), Is.False);
    }

    [Test]
    public void Periods_Take_An_End_Or_A_Duration()
    {
        Assert.That(IcalPeriod.TryParse("19960403T020000Z/19960403T040000Z", null, out var a), Is.True);
        Assert.That(a.End!.Value.Local, Is.EqualTo(new LocalDateTime(1996, 4, 3, 4, 0)));
        Assert.That(IcalPeriod.TryParse("19960404T010000Z/PT3H", null, out var b), Is.True);
        Assert.That(b.Duration!.Value.ExactPart, Is.EqualTo(Duration.FromHours(3)));
        Assert.That(IcalPeriod.TryParse("19960404T010000Z", null, out _), Is.False);
        Assert.That(IcalPeriod.TryParse("19960404T010000Z/", null, out _), Is.False);
    }

    [Test]
    public void Rrule_Parsing_Tolerates_Spaces_Lower_Case_And_Unknown_Parts()
    {
        Assert.That(RecurrenceRule.TryParse("freq=weekly; byday=MO, TU, WE ;interval=2;X-FOO=1", out var rule, out _), Is.True);
        Assert.That(rule.Frequency, Is.EqualTo(RecurrenceFrequency.Weekly));
        Assert.That(rule.Interval, Is.EqualTo(2));
        Assert.That(rule.ByDay, Is.EqualTo(new[] { new WeekdayNum(0, IsoDayOfWeek.Monday), new WeekdayNum(0, IsoDayOfWeek.Tuesday), new WeekdayNum(0, IsoDayOfWeek.Wednesday) }));
    }

    [TestCase("BYDAY=MO")]
    [TestCase("FREQ=FORTNIGHTLY")]
    [TestCase("FREQ=MONTHLY;BYMONTHDAY=32")]
    [TestCase("FREQ=MONTHLY;BYMONTHDAY=0")]
    [TestCase("FREQ=YEARLY;BYMONTH=13")]
    [TestCase("FREQ=MONTHLY;BYDAY=0MO")]
    [TestCase("FREQ=MONTHLY;BYDAY=XX")]
    [TestCase("FREQ=DAILY;COUNT=-1")]
    [TestCase("FREQ=DAILY;UNTIL=2024")]
    public void Invalid_Rrules_Fail_With_A_Reason(string text)
    {
        Assert.That(RecurrenceRule.TryParse(text, out _, out var error), Is.False);
        Assert.That(error, Is.Not.Null.And.Not.Empty);
    }

    [Test]
    public void Equal_Rules_Written_Differently_Print_The_Same()
    {
        var a = RecurrenceRule.Parse("FREQ=WEEKLY;BYDAY=TU,MO;INTERVAL=1");
        var b = RecurrenceRule.Parse("freq=weekly;byday=MO, TU");
        Assert.That(a.ToString(), Is.EqualTo(b.ToString()));
    }
}
