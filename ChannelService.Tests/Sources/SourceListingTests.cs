using ChannelService.Calendars;
using ChannelService.Sources;

namespace ChannelService.Tests.Sources;

/// <summary>Listing real feeds: keys unique, stored raw text faithful to the component it came from.</summary>
public sealed class SourceListingTests
{
    private static IEnumerable<string> CorpusFiles() =>
        Directory.EnumerateFiles(TestPaths.IcsCorpus, "*.ics").Order(StringComparer.Ordinal).Select(Path.GetFileName)!;

    [TestCaseSource(nameof(CorpusFiles))]
    public void Every_Corpus_Item_Gets_A_Unique_Key_And_A_Raw_Text_That_Reads_Back_To_The_Same_Version(string file)
    {
        var parse = IcalReader.Parse(File.ReadAllBytes(Path.Combine(TestPaths.IcsCorpus, file)));

        var listing = SourceListingBuilder.Build(parse, "https://feeds.example/" + file);

        Assert.That(listing.Items.Select(i => i.Key), Is.Unique);
        foreach (var item in listing.Items)
        {
            var back = ParsedSourceItem.Parse(item.ToSourceItem());
            Assert.That(back, Is.Not.Null, item.Key);
            Assert.That(back!.Item.ContentVersion, Is.EqualTo(item.Item.ContentVersion), $"{file}: {item.Uid}");
            Assert.That(
                ContentVersion.WithZones(back.Item.ContentVersion, SourceListingBuilder.ReferencedVTimezones(back.Item.Component, back.VTimezones)),
                Is.EqualTo(item.ContentVersion),
                $"{file}: {item.Uid}: the stored text carries the zones its version counts");
            Assert.That(back.Item.Uid, Is.EqualTo(item.Uid));
        }
    }

    [Test]
    public void The_Same_Feed_Listed_Twice_Gives_The_Same_Keys_And_Versions()
    {
        var bytes = File.ReadAllBytes(Path.Combine(TestPaths.IcsCorpus, CorpusFiles().First(f => f.Contains("google", StringComparison.Ordinal))));

        var a = SourceListingBuilder.Build(IcalReader.Parse(bytes), "https://feeds.example/x.ics");
        var b = SourceListingBuilder.Build(IcalReader.Parse(bytes), "https://feeds.example/x.ics");

        Assert.That(a.Items, Is.Not.Empty);
        Assert.That(b.Items.Select(i => (i.Key, i.ContentVersion)), Is.EqualTo(a.Items.Select(i => (i.Key, i.ContentVersion))));
    }

    private const string OfficeZone =
        "BEGIN:VTIMEZONE\r\nTZID:Office Time\r\nLAST-MODIFIED:20260101T000000Z\r\n"
        + "BEGIN:STANDARD\r\nDTSTART:19701025T030000\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nRRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\nEND:STANDARD\r\n"
        + "BEGIN:DAYLIGHT\r\nDTSTART:19700329T020000\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\nEND:DAYLIGHT\r\n"
        + "END:VTIMEZONE\r\n";

    private static Dictionary<string, string> Versions(string vtimezone) =>
        SourceListingBuilder.Build(
            IcalReader.Parse(System.Text.Encoding.UTF8.GetBytes(
                "BEGIN:VCALENDAR\r\n" + vtimezone
                + "BEGIN:VEVENT\r\nUID:zoned\r\nDTSTART;TZID=Office Time:20261124T100000\r\nSUMMARY:Zoned\r\nEND:VEVENT\r\n"
                + "BEGIN:VEVENT\r\nUID:utc\r\nDTSTART:20261124T100000Z\r\nSUMMARY:In UTC\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")),
            "https://feeds.example/x.ics").Items.ToDictionary(i => i.Uid!, i => i.ContentVersion);

    [Test]
    public void An_Items_Version_Follows_The_Rules_Of_The_Vtimezone_It_Uses_But_Not_Its_Serialisation()
    {
        var before = Versions(OfficeZone);
        var corrected = Versions(OfficeZone.Replace("TZOFFSETTO:+0100", "TZOFFSETTO:+0000", StringComparison.Ordinal));
        var rewritten = Versions(OfficeZone
            .Replace("LAST-MODIFIED:20260101T000000Z", "LAST-MODIFIED:20261120T000000Z", StringComparison.Ordinal)
            .Replace("TZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100", "TZOFFSETTO:+0100\r\nTZOFFSETFROM:+0200", StringComparison.Ordinal));

        Assert.Multiple(() =>
        {
            Assert.That(corrected["zoned"], Is.Not.EqualTo(before["zoned"]), "new rules: a new version");
            Assert.That(rewritten["zoned"], Is.EqualTo(before["zoned"]), "the same rules written again: the same version");
            Assert.That(corrected["utc"], Is.EqualTo(before["utc"]), "an item that uses no zone is not touched");
        });
    }

    [Test]
    public void An_Item_That_Refers_To_No_Vtimezone_Keeps_The_Version_Of_Its_Component()
    {
        var listed = SourceListingBuilder.Build(
            IcalReader.Parse(System.Text.Encoding.UTF8.GetBytes("BEGIN:VCALENDAR\r\n" + OfficeZone + "BEGIN:VTODO\r\nUID:t\r\nDUE;TZID=Europe/Berlin:20261124T100000\r\nEND:VTODO\r\nEND:VCALENDAR\r\n")),
            "https://feeds.example/x.ics").Items.Single();

        Assert.That(listed.ContentVersion, Is.EqualTo(listed.Item.ContentVersion), "versions stored before zones counted stay valid");
    }

    [Test]
    public void Synthetic_Keys_Depend_On_The_Source_Url_And_Never_Equal_A_Uid_Key()
    {
        const string Text = "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART:20260105T090000Z\r\nSUMMARY:x\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
        var parse = IcalReader.Parse(System.Text.Encoding.UTF8.GetBytes(Text));

        var one = SourceListingBuilder.Build(parse, "https://a.example/feed.ics").Items.Single();
        var other = SourceListingBuilder.Build(parse, "https://b.example/feed.ics").Items.Single();

        Assert.That(one.Key, Is.Not.EqualTo(other.Key));
        Assert.That(one.Key, Is.Not.EqualTo(SourceItemKeys.For(string.Empty, null)));
        Assert.That(one.Uid, Is.Null);
    }

    [Test]
    public void An_Unclosed_Task_Before_END_VCALENDAR_Is_Kept_While_One_Cut_At_The_End_Is_Skipped()
    {
        const string Unclosed = "BEGIN:VCALENDAR\r\nBEGIN:VTODO\r\nUID:t1\r\nSUMMARY:open\r\nEND:VCALENDAR\r\n";
        const string Cut = "BEGIN:VCALENDAR\r\nBEGIN:VTODO\r\nUID:t1\r\nSUMMARY:op";

        var kept = SourceListingBuilder.Build(IcalReader.Parse(System.Text.Encoding.UTF8.GetBytes(Unclosed)), "https://x.example/");
        var skipped = SourceListingBuilder.Build(IcalReader.Parse(System.Text.Encoding.UTF8.GetBytes(Cut)), "https://x.example/");

        Assert.That(kept.Items.Select(i => i.Uid), Is.EqualTo(new[] { "t1" }));
        Assert.That(skipped.Items, Is.Empty);
        Assert.That(skipped.Warnings, Has.Some.Contains("cut off"));
    }
}
