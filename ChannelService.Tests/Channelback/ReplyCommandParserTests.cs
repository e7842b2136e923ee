using ChannelService.Calendars;
using ChannelService.Channelback;
using NodaTime;

namespace ChannelService.Tests.Channelback;

public sealed class ReplyCommandParserTests
{
    [Test]
    public void Done_On_The_First_Line_Leaves_The_Rest_As_Text()
    {
        var command = ReplyCommandParser.Parse("#done\r\nAll fixed.\nThanks", null);

        Assert.That(command, Is.Not.Null);
        Assert.That(command!.Kind, Is.EqualTo(ReplyCommandKind.Done));
        Assert.That(command.RemainingText, Is.EqualTo("All fixed.\nThanks"));
    }

    [Test]
    public void Commands_Are_Case_Insensitive_And_Reopen_Alone_Leaves_No_Text()
    {
        var command = ReplyCommandParser.Parse("  #REOPEN  ", null);

        Assert.That(command!.Kind, Is.EqualTo(ReplyCommandKind.Reopen));
        Assert.That(command.RemainingText, Is.Empty);
    }

    [TestCase("Thanks!\n#done")]
    [TestCase("#doneish")]
    [TestCase("#done now")]
    [TestCase("#hashtag at the start")]
    [TestCase("")]
    public void Anything_But_A_Command_On_The_First_Line_Is_Plain_Text(string message) =>
        Assert.That(ReplyCommandParser.Parse(message, null), Is.Null);

    [Test]
    public void Due_With_A_Date_Gives_An_All_Day_Due()
    {
        var command = ReplyCommandParser.Parse("#due 2026-12-01\nMoved.", null);

        Assert.That(command!.Due, Is.EqualTo(IcalDateTime.ForDate(new LocalDate(2026, 12, 1))));
        Assert.That(command.RemainingText, Is.EqualTo("Moved."));
    }

    [TestCase("#due 2026-12-01 17:00", null, 17)]
    [TestCase("#due 2026-12-01T17:00Z", "Europe/Berlin", 17)]
    [TestCase("#due 2026-12-01 17:00", "Europe/Berlin", 16)]
    public void Due_With_A_Time_Is_Read_In_The_Account_Zone_And_Written_As_Utc(string message, string? zone, int utcHour)
    {
        var command = ReplyCommandParser.Parse(message, zone);

        Assert.That(command!.Due, Is.EqualTo(IcalDateTime.ForUtc(Instant.FromUtc(2026, 12, 1, utcHour, 0))));
    }

    [TestCase("#due")]
    [TestCase("#due tomorrow")]
    [TestCase("#due 2026-02-30")]
    public void Due_Without_A_Readable_Date_Is_An_Error(string message) =>
        Assert.That(() => ReplyCommandParser.Parse(message, null), Throws.TypeOf<ReplyCommandException>().With.Message.Contain("#due"));
}
