using ChannelService.Accounts;
using ChannelService.Calendars;
using ChannelService.Sources;
using ChannelService.Sources.CalDav;

namespace ChannelService.Tests.Sources.CalDav;

/// <summary>The text edits behind CalDAV write-back: only the added or replaced lines change.</summary>
public sealed class CalDavObjectEditorTests
{
    private const string Url = "http://127.0.0.1:5232/alice/tasks/series.ics";
    private static readonly DateTimeOffset Now = new(2026, 11, 22, 4, 0, 0, TimeSpan.Zero);

    // A series master with a vendor property, a long folded line, a VALARM at its end, and an override.
    private const string Series =
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Vendor//App 1.0//EN\r\n"
        + "BEGIN:VEVENT\r\nUID:series-1\r\nDTSTAMP:20261120T090000Z\r\nDTSTART:20261201T100000Z\r\nDURATION:PT1H\r\n"
        + "RRULE:FREQ=WEEKLY;COUNT=5\r\nSUMMARY:Weekly sync\r\n"
        + "X-APPLE-STRUCTURED-LOCATION;VALUE=URI;X-TITLE=\"Room 1\":geo:52.5,13.4\r\n"
        + "DESCRIPTION:A long description that the producer folded at a place of its own\r\n  choosing\\, with escapes\\; kept.\r\n"
        + "BEGIN:VALARM\r\nACTION:DISPLAY\r\nTRIGGER:-PT15M\r\nDESCRIPTION:Reminder\r\nEND:VALARM\r\n"
        + "END:VEVENT\r\n"
        + "BEGIN:VEVENT\r\nUID:series-1\r\nDTSTAMP:20261120T090000Z\r\nRECURRENCE-ID:20261208T100000Z\r\n"
        + "DTSTART:20261208T110000Z\r\nDURATION:PT1H\r\nSUMMARY:Weekly sync (moved)\r\nEND:VEVENT\r\n"
        + "END:VCALENDAR\r\n";

    private static string MasterKey => SourceItemKeys.For("series-1", null);

    [Test]
    public void A_Comment_On_The_Series_Master_Adds_Two_Lines_Replaces_Dtstamp_And_Leaves_Every_Other_Byte()
    {
        var edit = CalDavObjectEditor.AddReply(Series, Url, MasterKey, "c-42", "Done, see you there", null, ReplyTarget.Comment, eventReplies: false, Now);

        // The VALARM was read after every property of the master, so the added lines follow it.
        var expected = Series
            .Replace("UID:series-1\r\nDTSTAMP:20261120T090000Z\r\nDTSTART:20261201", "UID:series-1\r\nDTSTAMP:20261122T040000Z\r\nDTSTART:20261201", StringComparison.Ordinal)
            .Replace(
                "END:VALARM\r\nEND:VEVENT",
                "END:VALARM\r\nCOMMENT;X-ZENDESK-COMMENT-ID=c-42:Done\\, see you there\r\nLAST-MODIFIED:20261122T040000Z\r\nEND:VEVENT",
                StringComparison.Ordinal);
        Assert.That(edit.Outcome, Is.EqualTo(CalDavEditOutcome.Changed));
        Assert.That(edit.Body, Is.EqualTo(expected));
    }

    [Test]
    public void A_Comment_On_An_Override_Changes_Only_The_Override()
    {
        var overrideKey = SourceItemKeys.For("series-1", IcalDateTime.ForUtc(NodaTime.Instant.FromUtc(2026, 12, 8, 10, 0)).ToString());

        var edit = CalDavObjectEditor.AddReply(Series, Url, overrideKey, "c-7", "Moved is fine", "Ann Agent", ReplyTarget.Comment, eventReplies: false, Now);

        var masterPart = Series[..(Series.IndexOf("END:VEVENT", StringComparison.Ordinal) + 12)];
        Assert.That(edit.Body, Does.StartWith(masterPart));
        Assert.That(edit.Body, Does.Contain("SUMMARY:Weekly sync (moved)\r\nCOMMENT;X-ZENDESK-COMMENT-ID=c-7;X-ZENDESK-AUTHOR=Ann Agent:Moved is fine\r\nLAST-MODIFIED:20261122T040000Z\r\nEND:VEVENT"));
    }

    [Test]
    public void The_Same_Comment_Id_Again_Is_Already_Applied_And_Writes_Nothing()
    {
        var once = CalDavObjectEditor.AddReply(Series, Url, MasterKey, "c-42", "Hello", null, ReplyTarget.Both, eventReplies: false, Now);
        var twice = CalDavObjectEditor.AddReply(once.Body!, Url, MasterKey, "c-42", "Hello", null, ReplyTarget.Both, eventReplies: false, Now.AddMinutes(5));
        var descriptionOnly = CalDavObjectEditor.AddReply(
            CalDavObjectEditor.AddReply(Series, Url, MasterKey, "c-9", "Hi", null, ReplyTarget.Description, false, Now).Body!, Url, MasterKey, "c-9", "Hi", null, ReplyTarget.Both, false, Now);

        Assert.That(twice.Outcome, Is.EqualTo(CalDavEditOutcome.AlreadyApplied));
        Assert.That(twice.Body, Is.Null);
        Assert.That(descriptionOnly.Outcome, Is.EqualTo(CalDavEditOutcome.AlreadyApplied), "the DESCRIPTION marker alone also counts");
    }

    [Test]
    public void The_Description_Block_Is_Marked_And_Stripping_It_Gives_Back_The_Producer_Text()
    {
        var edit = CalDavObjectEditor.AddReply(Series, Url, MasterKey, "c-1", "Line one\nLine two; with a comma, too", null, ReplyTarget.Description, eventReplies: false, Now);

        var master = SourceListingBuilder.Build(IcalReader.Parse(System.Text.Encoding.UTF8.GetBytes(edit.Body!)), Url).Items.Single(i => i.Key == MasterKey).Item;
        Assert.That(master.Description, Is.EqualTo(
            "A long description that the producer folded at a place of its own choosing, with escapes; kept.\n\n"
            + "--- Reply from Zendesk (c-1) ---\nLine one\nLine two; with a comma, too\n--- End of reply ---"));
        Assert.That(master.Comments, Is.Empty);
        Assert.That(ChannelService.Tickets.ReplyBlocks.Strip(master.Description), Is.EqualTo("A long description that the producer folded at a place of its own choosing, with escapes; kept."));
        Assert.That(edit.Body, Does.Not.Contain("choosing\\, with escapes\\; kept.\r\n"), "the DESCRIPTION line itself was rewritten");
        Assert.That(edit.Body, Does.Contain("X-APPLE-STRUCTURED-LOCATION;VALUE=URI;X-TITLE=\"Room 1\":geo:52.5,13.4\r\n"));
    }

    [Test]
    public void An_Event_With_Attendees_Is_Refused_Unless_Event_Replies_Are_On()
    {
        var withAttendee = Series.Replace("SUMMARY:Weekly sync\r\n", "SUMMARY:Weekly sync\r\nATTENDEE;CN=Bo:mailto:bo@example.org\r\n", StringComparison.Ordinal);

        var refused = CalDavObjectEditor.AddReply(withAttendee, Url, MasterKey, "c-1", "Hi", null, ReplyTarget.Both, eventReplies: false, Now);
        var allowed = CalDavObjectEditor.AddReply(withAttendee, Url, MasterKey, "c-1", "Hi", null, ReplyTarget.Both, eventReplies: true, Now);

        Assert.That(refused.Outcome, Is.EqualTo(CalDavEditOutcome.Rejected));
        Assert.That(refused.Message, Does.Contain("attendees").And.Contain("event_replies"));
        Assert.That(allowed.Outcome, Is.EqualTo(CalDavEditOutcome.Changed));
    }

    [Test]
    public void An_Unknown_Key_Is_Item_Not_Found()
    {
        var edit = CalDavObjectEditor.AddReply(Series, Url, SourceItemKeys.For("other", null), "c-1", "Hi", null, ReplyTarget.Both, false, Now);

        Assert.That(edit.Outcome, Is.EqualTo(CalDavEditOutcome.ItemNotFound));
    }

    [Test]
    public void Completing_And_Reopening_A_Task_Sets_Status_Percent_And_Completed_And_Keeps_The_Alarm_In_Place()
    {
        var task = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VTODO\r\nUID:t-1\r\nDTSTAMP:20261120T090000Z\r\n"
            + "SUMMARY:Call back\r\nSTATUS:IN-PROCESS\r\nPERCENT-COMPLETE:40\r\nBEGIN:VALARM\r\nACTION:DISPLAY\r\nTRIGGER:-PT5M\r\nDESCRIPTION:x\r\nEND:VALARM\r\n"
            + "X-MOZ-GENERATION:3\r\nEND:VTODO\r\nEND:VCALENDAR\r\n";
        var key = SourceItemKeys.For("t-1", null);

        var done = CalDavObjectEditor.SetTaskStatus(task, Url, key, "r-1", SourceTaskStatus.Completed, Now);
        var again = CalDavObjectEditor.SetTaskStatus(done.Body!, Url, key, "r-1", SourceTaskStatus.Completed, Now);
        var otherRequestSameState = CalDavObjectEditor.SetTaskStatus(done.Body!, Url, key, "r-2", SourceTaskStatus.Completed, Now);
        var reopened = CalDavObjectEditor.SetTaskStatus(done.Body!, Url, key, "r-3", SourceTaskStatus.NeedsAction, Now.AddHours(1));

        Assert.That(done.Body, Is.EqualTo(task
            .Replace("DTSTAMP:20261120T090000Z", "DTSTAMP:20261122T040000Z", StringComparison.Ordinal)
            .Replace("STATUS:IN-PROCESS\r\nPERCENT-COMPLETE:40", "STATUS;X-ZENDESK-REQUEST-ID=r-1:COMPLETED\r\nPERCENT-COMPLETE:100", StringComparison.Ordinal)
            .Replace("X-MOZ-GENERATION:3\r\n", "X-MOZ-GENERATION:3\r\nCOMPLETED:20261122T040000Z\r\nLAST-MODIFIED:20261122T040000Z\r\n", StringComparison.Ordinal)));
        Assert.That(again.Outcome, Is.EqualTo(CalDavEditOutcome.AlreadyApplied));
        Assert.That(otherRequestSameState.Outcome, Is.EqualTo(CalDavEditOutcome.AlreadyApplied));
        Assert.That(reopened.Body, Does.Contain("STATUS;X-ZENDESK-REQUEST-ID=r-3:NEEDS-ACTION\r\nPERCENT-COMPLETE:0\r\nBEGIN:VALARM"));
        Assert.That(reopened.Body, Does.Not.Contain("COMPLETED:"));
        Assert.That(reopened.Body, Does.Contain("END:VALARM\r\nX-MOZ-GENERATION:3\r\nLAST-MODIFIED:20261122T050000Z\r\nEND:VTODO"));
    }

    [Test]
    public void A_Status_Change_On_An_Event_Is_Rejected()
    {
        var edit = CalDavObjectEditor.SetTaskStatus(Series, Url, MasterKey, "r-1", SourceTaskStatus.Completed, Now);

        Assert.That(edit.Outcome, Is.EqualTo(CalDavEditOutcome.Rejected));
    }

    [Test]
    public void A_New_Due_Date_Replaces_Due_Drops_Duration_And_Is_Idempotent()
    {
        var task = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\n"
            + "BEGIN:VTIMEZONE\r\nTZID:Europe/Berlin\r\nBEGIN:STANDARD\r\nDTSTART:19701025T030000\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n"
            + "BEGIN:VTODO\r\nUID:t-2\r\nDTSTAMP:20261120T090000Z\r\nDTSTART:20261201T090000Z\r\nDURATION:P1D\r\nSUMMARY:Ship\r\nEND:VTODO\r\nEND:VCALENDAR\r\n";
        var key = SourceItemKeys.For("t-2", null);
        var zoned = new IcalDateTime(IcalDateKind.Zoned, new NodaTime.LocalDateTime(2026, 12, 5, 17, 0), "Europe/Berlin");

        var moved = CalDavObjectEditor.SetTaskDue(task, Url, key, "r-1", zoned, Now);
        var again = CalDavObjectEditor.SetTaskDue(moved.Body!, Url, key, "r-1", zoned, Now);
        var sameValue = CalDavObjectEditor.SetTaskDue(moved.Body!, Url, key, "r-2", zoned, Now);
        var unknownZone = CalDavObjectEditor.SetTaskDue(task, Url, key, "r-3", zoned with { TzId = "America/Chicago" }, Now);
        var beforeStart = CalDavObjectEditor.SetTaskDue(task, Url, key, "r-4", IcalDateTime.ForUtc(NodaTime.Instant.FromUtc(2026, 11, 30, 0, 0)), Now);
        var dateOnly = CalDavObjectEditor.SetTaskDue(task, Url, key, "r-5", IcalDateTime.ForDate(new NodaTime.LocalDate(2026, 12, 5)), Now);

        Assert.That(moved.Body, Is.EqualTo(task
            .Replace("DTSTAMP:20261120T090000Z", "DTSTAMP:20261122T040000Z", StringComparison.Ordinal)
            .Replace("DURATION:P1D\r\nSUMMARY:Ship\r\n", "SUMMARY:Ship\r\nDUE;X-ZENDESK-REQUEST-ID=r-1;TZID=Europe/Berlin:20261205T170000\r\nLAST-MODIFIED:20261122T040000Z\r\n", StringComparison.Ordinal)));
        Assert.That(again.Outcome, Is.EqualTo(CalDavEditOutcome.AlreadyApplied));
        Assert.That(sameValue.Outcome, Is.EqualTo(CalDavEditOutcome.AlreadyApplied));
        Assert.That(unknownZone.Outcome, Is.EqualTo(CalDavEditOutcome.Rejected));
        Assert.That(beforeStart.Outcome, Is.EqualTo(CalDavEditOutcome.Rejected));
        Assert.That(dateOnly.Outcome, Is.EqualTo(CalDavEditOutcome.Rejected), "DUE must have DTSTART's value type");
    }
}
