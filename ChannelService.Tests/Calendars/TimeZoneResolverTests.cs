using ChannelService.Calendars;
using NodaTime;
using static ChannelService.Tests.Calendars.CalendarBuilder;

namespace ChannelService.Tests.Calendars;

public sealed class TimeZoneResolverTests
{
    [TestCase("Europe/Berlin", "Europe/Berlin")]
    [TestCase("europe/berlin", "Europe/Berlin")]
    [TestCase("/Europe/London", "Europe/London")]
    [TestCase("/softwarestudio.org/Tzfile/Europe/London", "Europe/London")]
    [TestCase("/mozilla.org/20050126_1/America/New_York", "America/New_York")]
    [TestCase("/freeassociation.sourceforge.net/Tzfile/Europe/Paris", "Europe/Paris")]
    [TestCase("/citadel.org/20190914_1/America/Chicago", "America/Chicago")]
    [TestCase("\"America/Denver\"", "America/Denver")]
    [TestCase("US/Pacific", "US/Pacific")]
    [TestCase("Canada/Mountain", "Canada/Mountain")]
    [TestCase("Japan", "Japan")]
    [TestCase("W. Europe Standard Time", "Europe/Berlin")]
    [TestCase("GMT Standard Time", "Europe/London")]
    [TestCase("Eastern Standard Time", "America/New_York")]
    [TestCase("Pacific Standard Time", "America/Los_Angeles")]
    [TestCase("Arabian Standard Time", "Asia/Dubai")]
    [TestCase("Tokyo Standard Time", "Asia/Tokyo")]
    [TestCase("(UTC+01:00) Amsterdam, Berlin, Bern, Rom, Stockholm, Wien", "Europe/Berlin")]
    [TestCase("(UTC+01:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna", "Europe/Berlin")]
    [TestCase("(UTC-05:00) Eastern Time (US & Canada)", "America/New_York")]
    [TestCase("Pacific Time (US & Canada)\\, Tijuana", "America/Los_Angeles")]
    [TestCase("(GMT-08:00) Pacific Time (US & Canada); Tijuana", "America/Los_Angeles")]
    [TestCase("Kuala Lumpur\\, Singapore", "Asia/Singapore")]
    [TestCase("Canberra, Melbourne, Sydney", "Australia/Sydney")]
    [TestCase("(UTC-03:00) Brasília", "America/Sao_Paulo")]
    [TestCase("(GMT) Greenwich Mean Time : Dublin, Edinburgh, Lisbon, London", "Europe/London")]
    [TestCase("(UTC+09:30) Adelaide", "Australia/Adelaide")]
    [TestCase("(UTC+01:00) Madrid, Lisboa", "Europe/Madrid")]
    [TestCase("Eastern", "America/New_York")]
    [TestCase("Pacific Time", "America/Los_Angeles")]
    [TestCase("America/Los_Angeles:", "America/Los_Angeles")]
    public void Known_Names_Resolve_To_The_Right_Iana_Zone(string tzid, string expected)
    {
        var zone = new TimeZoneResolver().Resolve(tzid);
        Assert.That(zone?.Id, Is.EqualTo(expected));
    }

    [TestCase("(GMT-03:00)", -3 * 3600)]
    [TestCase("(UTC+05:30)", (5 * 3600) + 1800)]
    [TestCase("GMT +0100 (Standard) / GMT +0200 (Daylight)", 3600)]
    [TestCase("GMT-0500", -5 * 3600)]
    [TestCase("(UTC)", 0)]
    public void Offset_Only_Names_Become_Fixed_Zones(string tzid, int seconds)
    {
        var zone = new TimeZoneResolver().Resolve(tzid);
        Assert.That(zone, Is.Not.Null);
        Assert.That(zone!.GetUtcOffset(Instant.FromUtc(2025, 1, 15, 0, 0)).Seconds, Is.EqualTo(seconds));
        Assert.That(zone.GetUtcOffset(Instant.FromUtc(2025, 7, 15, 0, 0)).Seconds, Is.EqualTo(seconds));
    }

    [TestCase("Customized Time Zone")]
    [TestCase("")]
    [TestCase("Nowhere Special")]
    public void Unknown_Names_Without_Vtimezone_Do_Not_Resolve(string tzid)
    {
        Assert.That(new TimeZoneResolver().Resolve(tzid), Is.Null);
    }

    [Test]
    public void Unresolved_Tzid_Is_Treated_As_Floating_And_Reported()
    {
        var resolver = new TimeZoneResolver(options: new TimeZoneResolverOptions { DefaultZone = DateTimeZoneProviders.Tzdb["Europe/Berlin"] });
        var value = new IcalDateTime(IcalDateKind.Zoned, new LocalDateTime(2025, 1, 10, 12, 0), "Customized Time Zone");
        Assert.That(resolver.ToInstant(value), Is.EqualTo(Instant.FromUtc(2025, 1, 10, 11, 0)));
        Assert.That(resolver.UnresolvedTzids, Does.Contain("Customized Time Zone"));
    }

    /// <summary>A zone known only from its VTIMEZONE, with RRULE-based DST rules equal to the EU's.</summary>
    private static CalendarComponent CustomEuropean(string tzid) =>
        C("VTIMEZONE", P("TZID", tzid),
            C("STANDARD", P("DTSTART", "19701025T030000"), P("TZOFFSETFROM", "+0200"), P("TZOFFSETTO", "+0100"), P("TZNAME", "CET"), P("RRULE", "FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU")),
            C("DAYLIGHT", P("DTSTART", "19700329T020000"), P("TZOFFSETFROM", "+0100"), P("TZOFFSETTO", "+0200"), P("TZNAME", "CEST"), P("RRULE", "FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU")));

    [TestCase(2025, 3, 30, 0, 59, 59, 1)]
    [TestCase(2025, 3, 30, 1, 0, 0, 2)]
    [TestCase(2025, 7, 1, 12, 0, 0, 2)]
    [TestCase(2025, 10, 26, 0, 59, 59, 2)]
    [TestCase(2025, 10, 26, 1, 0, 0, 1)]
    [TestCase(2026, 1, 1, 0, 0, 0, 1)]
    [TestCase(1999, 3, 28, 1, 0, 0, 2)]
    [TestCase(2040, 3, 25, 0, 59, 59, 1)]
    [TestCase(2040, 3, 25, 1, 0, 0, 2)]
    public void Vtimezone_Only_Zone_Follows_Its_Rrule_Transitions(int y, int mo, int d, int h, int mi, int s, int expectedHours)
    {
        var resolver = new TimeZoneResolver([CustomEuropean("Customized Time Zone")]);
        var zone = resolver.Resolve("Customized Time Zone");
        Assert.That(zone, Is.InstanceOf<VTimeZoneZone>());
        Assert.That(zone!.GetUtcOffset(Instant.FromUtc(y, mo, d, h, mi, s)), Is.EqualTo(Offset.FromHours(expectedHours)));
    }

    [Test]
    public void Vtimezone_Zone_Maps_Local_Times_Like_The_Iana_Zone_All_Year()
    {
        var resolver = new TimeZoneResolver([CustomEuropean("My Berlin")]);
        var berlin = DateTimeZoneProviders.Tzdb["Europe/Berlin"];
        for (var local = new LocalDateTime(2024, 1, 1, 0, 30); local.Year < 2025; local = local.PlusHours(7))
        {
            var value = new IcalDateTime(IcalDateKind.Zoned, local, "My Berlin");
            Assert.That(resolver.ToInstant(value), Is.EqualTo(TimeZoneResolver.ToInstant(local, berlin)), local.ToString());
        }
    }

    [Test]
    public void Vtimezone_Rules_With_Until_Switch_At_The_Right_Year()
    {
        // US Eastern before and after the 2007 change, written the way Outlook and Apple do.
        var vtz = C("VTIMEZONE", P("TZID", "US Eastern Custom"),
            C("STANDARD", P("DTSTART", "19671029T020000"), P("TZOFFSETFROM", "-0400"), P("TZOFFSETTO", "-0500"), P("RRULE", "FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU;UNTIL=20061029T060000Z")),
            C("DAYLIGHT", P("DTSTART", "19870405T020000"), P("TZOFFSETFROM", "-0500"), P("TZOFFSETTO", "-0400"), P("RRULE", "FREQ=YEARLY;BYMONTH=4;BYDAY=1SU;UNTIL=20060402T070000Z")),
            C("DAYLIGHT", P("DTSTART", "20070311T020000"), P("TZOFFSETFROM", "-0500"), P("TZOFFSETTO", "-0400"), P("RRULE", "FREQ=YEARLY;BYMONTH=3;BYDAY=2SU")),
            C("STANDARD", P("DTSTART", "20071104T020000"), P("TZOFFSETFROM", "-0400"), P("TZOFFSETTO", "-0500"), P("RRULE", "FREQ=YEARLY;BYMONTH=11;BYDAY=1SU")));
        var zone = new TimeZoneResolver([vtz]).Resolve("US Eastern Custom")!;
        var ny = DateTimeZoneProviders.Tzdb["America/New_York"];
        foreach (var at in new[]
        {
            Instant.FromUtc(2005, 4, 3, 6, 59), Instant.FromUtc(2005, 4, 3, 7, 0), Instant.FromUtc(2005, 10, 30, 5, 59), Instant.FromUtc(2005, 10, 30, 6, 0),
            Instant.FromUtc(2006, 3, 20, 12, 0), Instant.FromUtc(2007, 3, 11, 6, 59), Instant.FromUtc(2007, 3, 11, 7, 0), Instant.FromUtc(2007, 11, 4, 5, 59),
            Instant.FromUtc(2007, 11, 4, 6, 0), Instant.FromUtc(2030, 6, 1, 0, 0), Instant.FromUtc(2030, 12, 1, 0, 0),
        })
        {
            Assert.That(zone.GetUtcOffset(at), Is.EqualTo(ny.GetUtcOffset(at)), at.ToString());
        }
    }

    [Test]
    public void Vtimezone_With_Rdate_Transitions_Is_Evaluated()
    {
        var vtz = C("VTIMEZONE", P("TZID", "Rdate Zone"),
            C("STANDARD", P("DTSTART", "20201025T030000"), P("RDATE", "20211031T030000,20221030T030000"), P("TZOFFSETFROM", "+0200"), P("TZOFFSETTO", "+0100")),
            C("DAYLIGHT", P("DTSTART", "20210328T020000"), P("RDATE", "20220327T020000"), P("TZOFFSETFROM", "+0100"), P("TZOFFSETTO", "+0200")));
        var zone = new TimeZoneResolver([vtz]).Resolve("Rdate Zone")!;
        Assert.That(zone.GetUtcOffset(Instant.FromUtc(2021, 1, 1, 0, 0)), Is.EqualTo(Offset.FromHours(1)));
        Assert.That(zone.GetUtcOffset(Instant.FromUtc(2021, 6, 1, 0, 0)), Is.EqualTo(Offset.FromHours(2)));
        Assert.That(zone.GetUtcOffset(Instant.FromUtc(2021, 12, 1, 0, 0)), Is.EqualTo(Offset.FromHours(1)));
        Assert.That(zone.GetUtcOffset(Instant.FromUtc(2022, 3, 27, 0, 59)), Is.EqualTo(Offset.FromHours(1)));
        Assert.That(zone.GetUtcOffset(Instant.FromUtc(2022, 3, 27, 1, 0)), Is.EqualTo(Offset.FromHours(2)));
        Assert.That(zone.GetUtcOffset(Instant.FromUtc(2023, 7, 1, 0, 0)), Is.EqualTo(Offset.FromHours(1)));
    }

    [Test]
    public void A_Vtimezone_Met_Again_By_Another_Resolver_Gives_The_Same_Zone_And_The_Same_Diagnostics()
    {
        // The outcome for one rules text is shared by the process; every resolver must still report what it found.
        var offset = "+0" + (3 + TestContext.CurrentContext.Random.Next(5)) + "00"; // a rules text no other test uses
        CalendarComponent Vtz() => C("VTIMEZONE", P("TZID", "Europe/Berlin"),
            C("STANDARD", P("DTSTART", "19700101T000000"), P("TZOFFSETFROM", offset), P("TZOFFSETTO", offset), P("TZNAME", "shared-" + offset)));

        var first = new TimeZoneResolver([Vtz()]);
        var second = new TimeZoneResolver([Vtz()]);
        var at = Instant.FromUtc(2025, 1, 1, 0, 0);

        Assert.That(second.Resolve("Europe/Berlin")!.GetUtcOffset(at), Is.EqualTo(first.Resolve("Europe/Berlin")!.GetUtcOffset(at)));
        Assert.That(second.Resolve("Europe/Berlin")!.GetUtcOffset(at).Seconds, Is.EqualTo(int.Parse(offset[1..3], System.Globalization.CultureInfo.InvariantCulture) * 3600));
        Assert.That(second.Diagnostics, Is.EqualTo(first.Diagnostics));
        Assert.That(second.Diagnostics, Has.Some.Contains("disagrees"));
    }

    [Test]
    public void Rules_Built_Before_Do_Not_Count_Against_The_Limit_Of_Built_Zones()
    {
        var run = Guid.NewGuid().ToString("N");
        CalendarComponent Zone(int i) => C("VTIMEZONE", P("TZID", $"Office {run} {i}"), C("STANDARD", P("DTSTART", "19700101T000000"), P("TZOFFSETFROM", "+0200"), P("TZOFFSETTO", "+0200")));
        var calendar = new TimeZoneResolver(Enumerable.Range(0, 120).Select(Zone));
        Assert.That(Enumerable.Range(0, 100).Count(i => calendar.Resolve($"Office {run} {i}") is not null), Is.EqualTo(100));

        // The same calendar read again (the next pull): the 100 built zones are shared, the other 20 now fit.
        var again = new TimeZoneResolver(Enumerable.Range(0, 120).Select(Zone));
        Assert.That(Enumerable.Range(0, 120).Count(i => again.Resolve($"Office {run} {i}") is not null), Is.EqualTo(120));
    }

    [Test]
    public void Different_Rules_Under_One_Tzid_Are_Not_Confused_By_The_Shared_Cache()
    {
        var plusFive = new TimeZoneResolver([C("VTIMEZONE", P("TZID", "Office"), C("STANDARD", P("DTSTART", "19700101T000000"), P("TZOFFSETFROM", "+0500"), P("TZOFFSETTO", "+0500")))]);
        var minusThree = new TimeZoneResolver([C("VTIMEZONE", P("TZID", "Office"), C("STANDARD", P("DTSTART", "19700101T000000"), P("TZOFFSETFROM", "-0300"), P("TZOFFSETTO", "-0300")))]);
        var at = Instant.FromUtc(2025, 1, 1, 0, 0);

        Assert.That(plusFive.Resolve("Office")!.GetUtcOffset(at), Is.EqualTo(Offset.FromHours(5)));
        Assert.That(minusThree.Resolve("Office")!.GetUtcOffset(at), Is.EqualTo(Offset.FromHours(-3)));
    }

    [Test]
    public void Vtimezone_That_Disagrees_With_Its_Iana_Name_Wins()
    {
        var vtz = C("VTIMEZONE", P("TZID", "Europe/Berlin"),
            C("STANDARD", P("DTSTART", "19700101T000000"), P("TZOFFSETFROM", "+0500"), P("TZOFFSETTO", "+0500")));
        var resolver = new TimeZoneResolver([vtz]);
        Assert.That(resolver.Resolve("Europe/Berlin")!.GetUtcOffset(Instant.FromUtc(2025, 1, 1, 0, 0)), Is.EqualTo(Offset.FromHours(5)));
        Assert.That(resolver.Diagnostics, Has.Some.Contains("disagrees"));
    }

    [Test]
    public void Vtimezone_That_Agrees_With_Its_Iana_Name_Uses_The_Iana_Zone()
    {
        var resolver = new TimeZoneResolver([CustomEuropean("Europe/Berlin")]);
        Assert.That(resolver.Resolve("Europe/Berlin")!.Id, Is.EqualTo("Europe/Berlin"));
    }

    [Test]
    public void Hostile_Vtimezones_Are_Bounded_In_Number_And_Work()
    {
        // Names no other run has used: rules built before (the process-wide cache) cost nothing and do not count.
        var run = Guid.NewGuid().ToString("N");
        var zones = Enumerable.Range(0, 120).Select(i => C("VTIMEZONE", P("TZID", $"Zone {run} {i}"),
            C("STANDARD", P("DTSTART", "16010101T000000"), P("TZOFFSETFROM", "+0100"), P("TZOFFSETTO", "+0100"), P("RRULE", "FREQ=SECONDLY;BYSETPOS=2"))));
        var resolver = new TimeZoneResolver(zones);
        var resolved = Enumerable.Range(0, 120).Count(i => resolver.Resolve($"Zone {run} {i}") is not null);
        Assert.That(resolved, Is.EqualTo(100));
        Assert.That(resolver.Diagnostics, Has.Some.Contains("VTIMEZONEs in use"));
    }

    [Test]
    public void Skipped_Local_Time_Moves_Forward_By_The_Gap()
    {
        var resolver = new TimeZoneResolver();
        // 2025-03-09 02:30 does not exist in New York; RFC 5545 §3.3.5: use the offset before the gap (EST) → 07:30Z = 03:30 EDT.
        var value = new IcalDateTime(IcalDateKind.Zoned, new LocalDateTime(2025, 3, 9, 2, 30), "America/New_York");
        Assert.That(resolver.ToInstant(value), Is.EqualTo(Instant.FromUtc(2025, 3, 9, 7, 30)));
    }

    [Test]
    public void Repeated_Local_Time_Takes_The_First_Occurrence()
    {
        var resolver = new TimeZoneResolver();
        var value = new IcalDateTime(IcalDateKind.Zoned, new LocalDateTime(2025, 11, 2, 1, 30), "America/New_York");
        Assert.That(resolver.ToInstant(value), Is.EqualTo(Instant.FromUtc(2025, 11, 2, 5, 30)));
    }

    [Test]
    public void Gap_And_Overlap_Rules_Also_Hold_In_Vtimezone_Zones()
    {
        var resolver = new TimeZoneResolver([CustomEuropean("Custom")]);
        var gap = new IcalDateTime(IcalDateKind.Zoned, new LocalDateTime(2025, 3, 30, 2, 30), "Custom");
        var overlap = new IcalDateTime(IcalDateKind.Zoned, new LocalDateTime(2025, 10, 26, 2, 30), "Custom");
        Assert.That(resolver.ToInstant(gap), Is.EqualTo(Instant.FromUtc(2025, 3, 30, 1, 30)));
        Assert.That(resolver.ToInstant(overlap), Is.EqualTo(Instant.FromUtc(2025, 10, 26, 0, 30)));
    }

    [Test]
    public void Floating_Times_Use_The_Source_Zone_First()
    {
        var resolver = new TimeZoneResolver(null, "America/New_York", new TimeZoneResolverOptions { DefaultZone = DateTimeZoneProviders.Tzdb["Asia/Tokyo"] });
        var floating = new IcalDateTime(IcalDateKind.Floating, new LocalDateTime(2025, 1, 1, 9, 0), null);
        Assert.That(resolver.FloatingSource, Is.EqualTo(FloatingZoneSource.SourceSetting));
        Assert.That(resolver.ToInstant(floating), Is.EqualTo(Instant.FromUtc(2025, 1, 1, 0, 0)));
    }

    [Test]
    public void Floating_Times_Use_X_Wr_Timezone_When_The_Source_Has_No_Zone()
    {
        var calendar = C("VCALENDAR", P("X-WR-TIMEZONE", "America/New_York"));
        var resolver = TimeZoneResolver.ForCalendar(calendar);
        var floating = new IcalDateTime(IcalDateKind.Floating, new LocalDateTime(2025, 1, 1, 9, 0), null);
        Assert.That(resolver.FloatingSource, Is.EqualTo(FloatingZoneSource.CalendarTimeZone));
        Assert.That(resolver.ToInstant(floating), Is.EqualTo(Instant.FromUtc(2025, 1, 1, 14, 0)));
        Assert.That(resolver.ToInstant(IcalDateTime.ForDate(new LocalDate(2025, 1, 1))), Is.EqualTo(Instant.FromUtc(2025, 1, 1, 5, 0)));
    }

    [Test]
    public void Floating_Times_Fall_Back_To_Utc()
    {
        var resolver = TimeZoneResolver.ForCalendar(C("VCALENDAR"));
        var floating = new IcalDateTime(IcalDateKind.Floating, new LocalDateTime(2025, 1, 1, 9, 0), null);
        Assert.That(resolver.FloatingSource, Is.EqualTo(FloatingZoneSource.Utc));
        Assert.That(resolver.ToInstant(floating), Is.EqualTo(Instant.FromUtc(2025, 1, 1, 9, 0)));
    }

    [Test]
    public void X_Wr_Timezone_Can_Be_Switched_Off_Per_Source()
    {
        var resolver = TimeZoneResolver.ForCalendar(C("VCALENDAR", P("X-WR-TIMEZONE", "America/New_York")), new TimeZoneResolverOptions { UseCalendarTimeZone = false });
        Assert.That(resolver.FloatingSource, Is.EqualTo(FloatingZoneSource.Utc));
    }

    [Test]
    public void Utc_Values_Ignore_Zones()
    {
        var resolver = new TimeZoneResolver(null, "Asia/Tokyo");
        Assert.That(IcalDateTime.TryParse("20250101T090000Z", "Europe/Berlin", null, out var v), Is.True);
        Assert.That(resolver.ToInstant(v), Is.EqualTo(Instant.FromUtc(2025, 1, 1, 9, 0)));
    }
}
