using ChannelService.Calendars;
using ChannelService.Tickets;
using NodaTime;

namespace ChannelService.Tests.Tickets;

/// <summary>Reply blocks in DESCRIPTION: written by channelback, recognised however a server stores them again.</summary>
public sealed class ReplyBlocksTests
{
    private static string Block(string id, string text) => ReplyBlocks.StartLine(id) + "\n" + text + "\n" + ReplyBlocks.EndLine;

    [Test]
    public void A_Description_That_Is_Only_A_Reply_Has_No_Text_Of_Its_Own()
    {
        var (text, replies) = ReplyBlocks.Split(ReplyBlocks.Block("zd-1", "We replaced the toner.", descriptionWasEmpty: true));

        Assert.That(text, Is.Null);
        Assert.That(replies, Is.EqualTo(new[] { new DescriptionReply("zd-1", "We replaced the toner.") }));
    }

    [Test]
    public void Two_Replies_After_The_Producers_Text_Leave_Exactly_That_Text()
    {
        var description = "Printer on floor 2.\nCheck the tray." + ReplyBlocks.Block("zd-1", "Toner replaced.", false) + ReplyBlocks.Block("zd-2", "Please confirm.\nThanks", false);

        var (text, replies) = ReplyBlocks.Split(description);

        Assert.That(text, Is.EqualTo("Printer on floor 2.\nCheck the tray."));
        Assert.That(replies.Select(r => (r.CommentId, r.Text)), Is.EqualTo(new[] { ("zd-1", "Toner replaced."), ("zd-2", "Please confirm.\nThanks") }));
    }

    [TestCase("\r\n", "")]
    [TestCase("\r", "")]
    [TestCase("\n", "  ")]
    [TestCase("\r\n", " \t")]
    public void Blocks_Are_Recognised_With_Any_Line_Break_And_Trailing_Whitespace(string newline, string padding)
    {
        var stored = $"Printer on floor 2.{padding}{newline}{newline}--- Reply from Zendesk (zd-1) ---{padding}{newline}Toner replaced.{padding}{newline}--- End of reply ---{padding}{newline}";

        var (text, replies) = ReplyBlocks.Split(stored);

        Assert.That(text, Is.EqualTo("Printer on floor 2."));
        Assert.That(replies.Single(), Is.EqualTo(new DescriptionReply("zd-1", "Toner replaced.")));
    }

    [Test]
    public void Markers_Rewritten_With_Other_Spacing_Or_Without_The_Blank_Line_Are_Still_Recognised()
    {
        var stored = "Printer on floor 2.\n  ---  Reply from Zendesk  (zd-1)  ---\nToner replaced.\n---End of reply---";
        var markdown = "Printer on floor 2.\n\n\\-\\-\\- Reply from Zendesk (zd-1) \\-\\-\\-\nToner replaced.\n\\-\\-\\- End of reply \\-\\-\\-";

        Assert.That(ReplyBlocks.Strip(stored), Is.EqualTo("Printer on floor 2."));
        Assert.That(ReplyBlocks.Contains(stored, "zd-1"), Is.True);
        Assert.That(ReplyBlocks.Strip(markdown), Is.EqualTo("Printer on floor 2."), "dashes escaped by a Markdown editor");
    }

    [Test]
    public void Text_Someone_Wrote_After_A_Reply_Is_Kept()
    {
        var stored = "Before." + ReplyBlocks.Block("zd-1", "Toner replaced.", false) + "\nAfter, by Ann.";

        Assert.That(ReplyBlocks.Strip(stored), Is.EqualTo("Before.\nAfter, by Ann."));
    }

    [Test]
    public void A_Start_Line_Without_Its_End_Line_Stays_Text_And_Does_Not_Swallow_The_Next_Block()
    {
        var stored = "Before.\n\n" + ReplyBlocks.StartLine("zd-1") + "\nToner replaced, end line deleted by someone.\n\n" + Block("zd-2", "Please confirm.");

        var (text, replies) = ReplyBlocks.Split(stored);

        Assert.That(text, Is.EqualTo("Before.\n\n--- Reply from Zendesk (zd-1) ---\nToner replaced, end line deleted by someone."));
        Assert.That(replies.Select(r => r.CommentId), Is.EqualTo(new[] { "zd-2" }));
        Assert.That(ReplyBlocks.Contains(stored, "zd-1"), Is.True, "written once is written: channelback must not write it again");
    }

    [Test]
    public void Text_Outside_Blocks_Is_Compared_In_One_Normal_Form()
    {
        Assert.That(ReplyBlocks.Strip("  Line one  \r\nLine two\t\r\n\r\n"), Is.EqualTo("Line one\nLine two"));
        Assert.That(ReplyBlocks.Strip(" \n \n"), Is.Null);
        Assert.That(ReplyBlocks.Strip(null), Is.Null);
    }

    [Test]
    public void A_Snapshot_Shows_The_Description_Without_Reply_Blocks()
    {
        var item = CalendarItemReader.Read(IcalReader.Parse(System.Text.Encoding.UTF8.GetBytes(
            "BEGIN:VTODO\r\nUID:t1\r\nSUMMARY:Toner\r\nDESCRIPTION:Floor 2.\\n\\n--- Reply from Zendesk (zd-1) ---\\nDone.\\n--- End of reply ---\r\nEND:VTODO\r\n")).Roots[0]);

        var snapshot = ItemSnapshot.From(item, new TimeZoneResolver());

        Assert.That(snapshot.Description, Is.EqualTo("Floor 2."));
    }

    [Test]
    public void A_Snapshot_Acknowledged_With_Reply_Blocks_And_The_Same_Text_Without_Them_Describe_No_Change()
    {
        var before = new ItemSnapshot { Kind = CalendarItemKind.Task, Summary = "Toner", Description = "Floor 2.\r\n\r\n" + Block("zd-1", "Done.") };
        var after = before with { Description = "Floor 2." };

        Assert.That(ChangeDescriber.Describe(before, after, DateTimeZone.Utc), Is.Empty);
        Assert.That(ChangeDescriber.Describe(before, after with { Description = "Floor 3." }, DateTimeZone.Utc), Is.EqualTo(new[] { "Description changed: Floor 3." }));
    }
}
