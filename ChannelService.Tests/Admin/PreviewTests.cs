using System.Text;
using ChannelService.Accounts;
using ChannelService.Admin;
using ChannelService.Calendars;

namespace ChannelService.Tests.Admin;

public sealed class PreviewTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 22, 4, 0, 0, TimeSpan.Zero);

    private static List<CalendarItem> Items(string body) =>
        CalendarItemReader.ReadAll(IcalReader.Parse(Encoding.UTF8.GetBytes("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\n" + body + "END:VCALENDAR\r\n")).Roots);

    private const string Calendar =
        "BEGIN:VTODO\r\nUID:open-late\r\nDTSTAMP:20261101T000000Z\r\nSUMMARY:Open, due later\r\nDUE:20261130T100000Z\r\nEND:VTODO\r\n"
        + "BEGIN:VTODO\r\nUID:open-soon\r\nDTSTAMP:20261101T000000Z\r\nSUMMARY:Open, due soon\r\nDUE:20261123T100000Z\r\nEND:VTODO\r\n"
        + "BEGIN:VTODO\r\nUID:done\r\nDTSTAMP:20261101T000000Z\r\nSUMMARY:Done\r\nSTATUS:COMPLETED\r\nEND:VTODO\r\n"
        + "BEGIN:VEVENT\r\nUID:past\r\nDTSTAMP:20261101T000000Z\r\nSUMMARY:Long ago\r\nDTSTART:20250101T100000Z\r\nEND:VEVENT\r\n"
        + "BEGIN:VEVENT\r\nUID:weekly\r\nDTSTAMP:20261101T000000Z\r\nSUMMARY:Weekly sync\r\nDTSTART:20250101T090000Z\r\nRRULE:FREQ=WEEKLY\r\nEND:VEVENT\r\n"
        + "BEGIN:VEVENT\r\nUID:far\r\nDTSTAMP:20261101T000000Z\r\nSUMMARY:Next year\r\nDTSTART:20271201T100000Z\r\nEND:VEVENT\r\n";

    [Test]
    public void Open_Tasks_And_Events_In_The_Window_Are_Listed_Soonest_First()
    {
        var result = Preview.Of(Items(Calendar), AccountOptions.Default, Now);

        Assert.That((result.Events, result.Tasks, result.OpenTasks, result.WouldImport), Is.EqualTo((3, 3, 2, 3)));
        Assert.That(result.FirstTitles, Is.EqualTo(new[] { "Weekly sync", "Open, due soon", "Open, due later" }));
    }

    [Test]
    public void Options_Change_What_Would_Be_Imported()
    {
        var options = AccountOptions.Default with { Tasks = TaskScope.All, WindowPastDays = 1000, WindowFutureDays = 3650 };

        var result = Preview.Of(Items(Calendar), options, Now);

        Assert.That(result.WouldImport, Is.EqualTo(6));
        Assert.That(result.FirstTitles, Has.Count.EqualTo(ConnectionTester.PreviewCount));
        Assert.That(result.FirstTitles.Take(2), Is.EqualTo(new[] { "Weekly sync", "Long ago" }));
    }
}
