using System.Text;
using ChannelService.Sources.Feeds;

namespace ChannelService.Tests.Sources;

public sealed class FeedPrescanTests
{
    private static FeedPrescan Scan(string text) => FeedPrescan.Scan(Encoding.UTF8.GetBytes(text));

    [Test]
    public void Counts_Each_Uid_Across_The_File()
    {
        var scan = Scan("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:a\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:b\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:a\r\nRECURRENCE-ID:20261124T090000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n");

        Assert.That(scan.Count("a"), Is.EqualTo(2));
        Assert.That(scan.Count("b"), Is.EqualTo(1));
        Assert.That(scan.Count("c"), Is.Zero);
    }

    [Test]
    public void Unfolds_Long_Uids_And_Reads_Past_Quoted_Colons_In_Parameters()
    {
        var scan = Scan("\uFEFFBEGIN:VCALENDAR\r\nBEGIN:VTODO\r\nuid;X-NOTE=\"a:b\":040000008200E00074C5B7101A82E0080000000\r\n 0A1B2C3D4E5F\r\nEND:VTODO\r\nEND:VCALENDAR\r\n");

        Assert.That(scan.UidCounts.Keys, Is.EqualTo(new[] { "040000008200E00074C5B7101A82E00800000000A1B2C3D4E5F" }));
    }

    [Test]
    public void Reads_Files_With_Bare_Line_Feeds_And_Ignores_Properties_That_Only_Start_With_Uid()
    {
        var scan = Scan("BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID: spaced \nUIDX:not-a-uid\nEND:VEVENT\nEND:VCALENDAR\n");

        Assert.That(scan.UidCounts.Keys, Is.EqualTo(new[] { "spaced" }));
    }

    [TestCase("BEGIN:VCALENDAR\r\nX-WR-TIMEZONE:Europe/Berlin\r\nBEGIN:VTIMEZONE\r\nTZID:X\r\nEND:VTIMEZONE\r\nBEGIN:VEVENT\r\nUID:a\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n", false)]
    [TestCase("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:a\r\nEND:VEVENT\r\nBEGIN:VTIMEZONE\r\nTZID:X\r\nEND:VTIMEZONE\r\nEND:VCALENDAR\r\n", true)]
    [TestCase("BEGIN:VCALENDAR\r\nBEGIN:VTODO\r\nUID:a\r\nEND:VTODO\r\nx-wr-timezone:Europe/Berlin\r\nEND:VCALENDAR\r\n", true)]
    [TestCase("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:a\r\nEND:VEVENT\r\nX-WR-TIMEZONES-NOTE:x\r\nEND:VCALENDAR\r\n", false)]
    public void Notices_Zone_Information_That_Comes_After_The_First_Item(string text, bool after)
    {
        Assert.That(Scan(text).ZoneInfoAfterItems, Is.EqualTo(after));
    }
}
