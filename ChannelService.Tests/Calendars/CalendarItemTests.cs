using System.Text;
using ChannelService.Calendars;
using NodaTime;

namespace ChannelService.Tests.Calendars;

public sealed class CalendarItemTests
{
    private static (List<CalendarItem> Items, TimeZoneResolver Resolver) Read(string ics)
    {
        var result = IcalReader.Parse(Encoding.UTF8.GetBytes(ics));
        return (CalendarItemReader.ReadAll(result.Roots), TimeZoneResolver.ForCalendars(result.Roots));
    }

    private static (List<CalendarItem> Items, TimeZoneResolver Resolver) ReadCorpus(string file)
    {
        var result = IcalReader.Parse(File.ReadAllBytes(Path.Combine(TestPaths.IcsCorpus, file)));
        return (CalendarItemReader.ReadAll(result.Roots), TimeZoneResolver.ForCalendars(result.Roots));
    }

    private const string Task = """
        BEGIN:VCALENDAR
        VERSION:2.0
        PRODID:-//test//EN
        BEGIN:VTODO
        UID:task-1@example.com
        DTSTAMP:20261101T090000Z
        CREATED:20261101T090000Z
        LAST-MODIFIED:20261102T090000Z
        SUMMARY:Renew the certificate\, then restart
        DESCRIPTION:Line one\nLine two\NLine three
        DUE;TZID=Europe/Berlin:20261125T170000
        STATUS:IN-PROCESS
        PERCENT-COMPLETE:40
        PRIORITY:1
        CATEGORIES:Ops,Certs\,TLS
        CATEGORIES:Urgent
        ORGANIZER;CN="Doe, Jane":MAILTO:Jane@Example.com
        ATTENDEE;CN=Bob;PARTSTAT=DECLINED:mailto:bob@example.com
        ATTENDEE:mailto:carol@example.com
        ATTACH:https://files.example.com/a.pdf
        ATTACH;ENCODING=BASE64;VALUE=BINARY;FMTTYPE=text/plain;X-FILENAME=hi.txt:aGVsbG8=
        COMMENT;X-CHANNEL-REPLY=req-1:Reply from the desk
        RELATED-TO:parent@example.com
        RELATED-TO;RELTYPE=CHILD:child@example.com
        SEQUENCE:3
        URL:https://tasks.example.com/t/1?a=b\,c
        X-ALT-DESC;FMTTYPE=text/html:<p>Line one</p>
        END:VTODO
        END:VCALENDAR
        """;

    [Test]
    public void A_Task_Is_Read_With_Every_Field_Tickets_Need()
    {
        var (items, resolver) = Read(Task);
        var t = items.Single();

        Assert.That(t.Kind, Is.EqualTo(CalendarItemKind.Task));
        Assert.That(t.Uid, Is.EqualTo("task-1@example.com"));
        Assert.That(t.Summary, Is.EqualTo("Renew the certificate, then restart"));
        Assert.That(t.Description, Is.EqualTo("Line one\nLine two\nLine three"));
        Assert.That(t.HtmlDescription, Is.EqualTo("<p>Line one</p>"));
        Assert.That(t.DueInstant(resolver), Is.EqualTo(Instant.FromUtc(2026, 11, 25, 16, 0)));
        Assert.That(t.Status, Is.EqualTo("IN-PROCESS"));
        Assert.That(t.PercentComplete, Is.EqualTo(40));
        Assert.That(t.Priority, Is.EqualTo(1));
        Assert.That(t.Categories, Is.EqualTo(new[] { "Ops", "Certs,TLS", "Urgent" }));
        Assert.That(t.Organizer, Is.EqualTo(new CalendarPerson("Jane@Example.com", "Doe, Jane", "NEEDS-ACTION", null)));
        Assert.That(t.Attendees.Select(a => (a.Address, a.ParticipationStatus)), Is.EqualTo(new[] { ("bob@example.com", "DECLINED"), ("carol@example.com", "NEEDS-ACTION") }));
        Assert.That(t.Attachments[0].Uri, Is.EqualTo("https://files.example.com/a.pdf"));
        Assert.That(t.Attachments[1].IsInline, Is.True);
        Assert.That(t.Attachments[1].FileName, Is.EqualTo("hi.txt"));
        Assert.That(Encoding.UTF8.GetString(t.Attachments[1].DecodeInline(1024)!), Is.EqualTo("hello"));
        Assert.That(t.Attachments[1].DecodeInline(2), Is.Null, "the size cap applies to inline attachments");
        Assert.That(t.Comments.Single().Text, Is.EqualTo("Reply from the desk"));
        Assert.That(t.Comments.Single().GetParameter("X-CHANNEL-REPLY"), Is.EqualTo("req-1"));
        Assert.That(t.RelatedTo, Is.EqualTo(new[] { new CalendarRelation("parent@example.com", "PARENT"), new CalendarRelation("child@example.com", "CHILD") }));
        Assert.That(t.Sequence, Is.EqualTo(3));
        Assert.That(t.Url, Is.EqualTo(@"https://tasks.example.com/t/1?a=b\,c"), "URL is a URI, not TEXT: not unescaped");
        Assert.That(t.IsClosedTask, Is.False);
    }

    [Test]
    public void Content_Version_Ignores_Dtstamp_Order_Folding_And_Escape_Spelling()
    {
        var (original, _) = Read(Task);
        var noisy = Task
            .Replace("DTSTAMP:20261101T090000Z", "DTSTAMP:20261121T235959Z")
            .Replace("LAST-MODIFIED:20261102T090000Z", "LAST-MODIFIED:20261121T235959Z")
            .Replace("SEQUENCE:3", "SEQUENCE:4")
            .Replace("Line two\\NLine three", "Line two\\nLine three")
            .Replace("STATUS:IN-PROCESS\n", "")
            .Replace("END:VTODO", "STATUS:IN-PROCESS\nEND:VTODO")
            .Replace("SUMMARY:Renew the certificate\\, then restart", "SUMMARY:Renew the certif\n icate\\, then restart")
            .Replace("PARTSTAT=DECLINED;", "").Replace("ATTENDEE;CN=Bob:", "ATTENDEE;PARTSTAT=DECLINED;CN=Bob:");
        var (rewritten, _) = Read(noisy);

        Assert.That(noisy, Is.Not.EqualTo(Task));
        Assert.That(rewritten.Single().ContentVersion, Is.EqualTo(original.Single().ContentVersion));
    }

    [TestCase("DUE;TZID=Europe/Berlin:20261125T170000", "DUE;TZID=Europe/Berlin:20261128T120000")]
    [TestCase("STATUS:IN-PROCESS", "STATUS:COMPLETED")]
    [TestCase("PARTSTAT=DECLINED", "PARTSTAT=ACCEPTED")]
    [TestCase("PERCENT-COMPLETE:40", "PERCENT-COMPLETE:50")]
    [TestCase("CATEGORIES:Urgent", "CATEGORIES:Later")]
    [TestCase("COMMENT;X-CHANNEL-REPLY=req-1:Reply from the desk", "COMMENT;X-CHANNEL-REPLY=req-2:Reply from the desk")]
    [TestCase("END:VTODO", "X-VENDOR-FLAG:1\nEND:VTODO")]
    public void Content_Version_Changes_With_Any_Real_Change(string before, string after)
    {
        var (original, _) = Read(Task);
        var (changed, _) = Read(Task.Replace(before, after));

        Assert.That(changed.Single().ContentVersion, Is.Not.EqualTo(original.Single().ContentVersion));
    }

    [Test]
    public void Google_Feed_Events_Share_A_Dtstamp_But_Not_A_Content_Version()
    {
        var (items, _) = ReadCorpus("ical4j_google_holidays_feed.ics");

        Assert.That(items, Has.Count.EqualTo(96));
        Assert.That(items.Select(i => i.ContentVersion).Distinct().Count(), Is.EqualTo(items.Count));
    }

    [Test]
    public void Exchange_Display_Name_Tzid_Resolves_To_Pacific_Time()
    {
        var (items, resolver) = ReadCorpus("ical4j_exchange_cdo_tzid_pacific.ics");
        var e = items.Single();

        // 2004-10-11 22:30 in Pacific daylight time (UTC-7).
        Assert.That(e.StartInstant(resolver), Is.EqualTo(Instant.FromUtc(2004, 10, 12, 5, 30)));
        Assert.That(e.Organizer!.Address, Is.EqualTo("meher.tendjoukian@verdisoft.com"));
    }

    [Test]
    public void Quoted_Non_Ascii_Organizer_Name_Keeps_Its_Comma()
    {
        var (items, _) = ReadCorpus("pyical_umlaut_organizer_cn.ics");

        Assert.That(items[0].Organizer!.Name, Is.EqualTo("acme, ädmin"));
    }

    [Test]
    public void All_Day_Event_Without_Dtend_Lasts_One_Day_And_Dtend_Is_Exclusive()
    {
        var (items, resolver) = Read("""
            BEGIN:VEVENT
            UID:a
            DTSTART;VALUE=DATE:20261124
            END:VEVENT
            BEGIN:VEVENT
            UID:b
            DTSTART:20261124T100000Z
            DURATION:PT90M
            END:VEVENT
            """);

        Assert.That(items[0].EndInstant(resolver) - items[0].StartInstant(resolver), Is.EqualTo(Duration.FromDays(1)));
        Assert.That(items[1].EndInstant(resolver), Is.EqualTo(Instant.FromUtc(2026, 11, 24, 11, 30)));
    }

    [Test]
    public void Bad_Values_Cost_Only_That_Value_With_A_Diagnostic()
    {
        var diagnostics = new List<IcalDiagnostic>();
        var result = IcalReader.Parse(Encoding.UTF8.GetBytes("BEGIN:VTODO\nUID:x\nDUE:2026-11-25\nPRIORITY:high\nSUMMARY:still here\nEND:VTODO\n"));

        var item = CalendarItemReader.ReadAll(result.Roots, diagnostics).Single();

        Assert.That(item.Summary, Is.EqualTo("still here"));
        Assert.That(item.Due, Is.Null);
        Assert.That(item.Priority, Is.Null);
        Assert.That(diagnostics.Select(d => d.Property), Is.EquivalentTo(new[] { "DUE", "PRIORITY" }));
    }
}
