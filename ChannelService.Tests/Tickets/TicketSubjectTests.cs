using System.Globalization;
using ChannelService.Tickets;
using NodaTime;

namespace ChannelService.Tests.Tickets;

/// <summary>Ticket subjects: the summary, and for an occurrence its date in the account's zone and locale.</summary>
public sealed class TicketSubjectTests
{
    private static readonly DateTimeZone NewYork = DateTimeZoneProviders.Tzdb["America/New_York"];

    [Test]
    public void A_Whole_Item_Keeps_Its_Summary()
    {
        Assert.That(TicketText.Subject("Renew certificate", null, NewYork), Is.EqualTo("Renew certificate"));
        Assert.That(TicketText.Subject(null, null, NewYork), Is.EqualTo("(no title)"));
    }

    [Test]
    public void An_Occurrence_Carries_Its_Date_In_The_Accounts_Zone()
    {
        // 01:00 UTC on Tuesday is still Monday evening in New York.
        var start = new SnapshotTime(Instant.FromUtc(2026, 11, 24, 1, 0), false);

        Assert.That(TicketText.Subject("Support stand-up", start, NewYork), Is.EqualTo("Support stand-up – Mon 23 Nov 2026"));
        Assert.That(TicketText.Subject("Support stand-up", start, DateTimeZone.Utc), Is.EqualTo("Support stand-up – Tue 24 Nov 2026"));
    }

    [Test]
    public void An_All_Day_Occurrence_Carries_Its_Own_Date_In_Every_Zone()
    {
        var day = new SnapshotTime(Instant.FromUtc(2026, 11, 24, 0, 0), true);

        Assert.That(TicketText.Subject("Inventory", day, NewYork), Is.EqualTo("Inventory – Tue 24 Nov 2026"));
    }

    [TestCase("de", "Support stand-up – Mo 23.11.2026")]
    [TestCase("en-US", "Support stand-up – Mon 11/23/2026")]
    [TestCase("en-GB", "Support stand-up – Mon 23/11/2026")]
    public void The_Date_Follows_The_Accounts_Locale(string locale, string expected) =>
        Assert.That(
            TicketText.Subject("Support stand-up", new SnapshotTime(Instant.FromUtc(2026, 11, 23, 15, 0), false), NewYork, CultureInfo.GetCultureInfo(locale)),
            Is.EqualTo(expected));

    [Test]
    public void A_Long_Summary_Is_Cut_And_The_Date_Is_Kept()
    {
        var subject = TicketText.Subject(new string('x', 300), new SnapshotTime(Instant.FromUtc(2026, 11, 23, 15, 0), false), NewYork);

        Assert.That(subject, Has.Length.EqualTo(TicketText.MaxSubjectLength));
        Assert.That(subject, Does.EndWith("x – Mon 23 Nov 2026"));
    }
}
