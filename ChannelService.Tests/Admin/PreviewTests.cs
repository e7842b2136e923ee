using System.Text;
using ChannelService.Accounts;
using ChannelService.Admin;
using ChannelService.Calendars;
using ChannelService.Sources;

namespace ChannelService.Tests.Admin;

public sealed class PreviewTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 22, 4, 0, 0, TimeSpan.Zero);

    private static List<SourceItem> Items(string body) =>
        SourceListingBuilder.Build(IcalReader.Parse(Encoding.UTF8.GetBytes("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\n" + body + "END:VCALENDAR\r\n")), "https://example.com/feed.ics")
            .Items.Select(i => i.ToPlanningItem()).ToList();

    private const string Calendar =
        "BEGIN:VTODO\r\nUID:open-late\r\nDTSTAMP:20261101T000000Z\r\nSUMMARY:Open, due later\r\nDUE:20261130T100000Z\r\nEND:VTODO\r\n"
        + "BEGIN:VTODO\r\nUID:open-soon\r\nDTSTAMP:20261101T000000Z\r\nSUMMARY:Open, due soon\r\nDUE:20261123T100000Z\r\nEND:VTODO\r\n"
        + "BEGIN:VTODO\r\nUID:done\r\nDTSTAMP:20261101T000000Z\r\nSUMMARY:Done\r\nSTATUS:COMPLETED\r\nEND:VTODO\r\n"
        + "BEGIN:VEVENT\r\nUID:past\r\nDTSTAMP:20261101T000000Z\r\nSUMMARY:Long ago\r\nDTSTART:20250101T100000Z\r\nEND:VEVENT\r\n"
        + "BEGIN:VEVENT\r\nUID:weekly\r\nDTSTAMP:20261101T000000Z\r\nSUMMARY:Weekly sync\r\nDTSTART:20250101T090000Z\r\nRRULE:FREQ=WEEKLY\r\nEND:VEVENT\r\n"
        + "BEGIN:VEVENT\r\nUID:far\r\nDTSTAMP:20261101T000000Z\r\nSUMMARY:Next year\r\nDTSTART:20271201T100000Z\r\nEND:VEVENT\r\n";

    [Test]
    public void Open_Tasks_And_Each_Occurrence_In_The_Window_Count_And_Are_Listed_Soonest_First()
    {
        var result = Preview.Of(Items(Calendar), AccountOptions.Default, Now);

        // The weekly series (Wednesdays) has four occurrences between 21 Nov and 22 Dec: four tickets, not one.
        Assert.That((result.Events, result.Tasks, result.OpenTasks, result.WouldImport), Is.EqualTo((3, 3, 2, 6)));
        Assert.That(result.FirstTitles, Is.EqualTo(new[]
        {
            "Open, due soon", "Weekly sync – Wed 25 Nov 2026", "Open, due later", "Weekly sync – Wed 2 Dec 2026", "Weekly sync – Wed 9 Dec 2026",
        }));
    }

    [Test]
    public void Options_Change_What_Would_Be_Imported()
    {
        var options = AccountOptions.Default with { Tasks = TaskScope.All, Recurring = RecurrenceMode.Series, WindowPastDays = 1000, WindowFutureDays = 3650 };

        var result = Preview.Of(Items(Calendar), options, Now);

        Assert.That(result.WouldImport, Is.EqualTo(6), "three tasks, the series once, the past and the far event");
        Assert.That(result.FirstTitles, Has.Count.EqualTo(ConnectionTester.PreviewCount));
        Assert.That(result.FirstTitles.Take(2), Is.EqualTo(new[] { "Weekly sync", "Long ago" }));
    }

    [Test]
    public void Occurrence_Subjects_Follow_The_Accounts_Zone_And_Locale()
    {
        var options = AccountOptions.Default with { TimeZone = "Pacific/Auckland", Locale = "de-DE" };

        var result = Preview.Of(Items(Calendar), options, Now);

        // 09:00 UTC on Wednesday is 22:00 the same day in Auckland (UTC+13 in summer).
        Assert.That(result.FirstTitles, Does.Contain("Weekly sync – Mi 25.11.2026"));
    }
}
