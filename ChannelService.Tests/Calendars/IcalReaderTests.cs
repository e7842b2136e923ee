using System.Text;
using ChannelService.Calendars;

namespace ChannelService.Tests.Calendars;

public sealed class IcalReaderTests
{
    private static IcalParseResult ParseText(string text, IcalReaderOptions? options = null) =>
        IcalReader.Parse(Encoding.UTF8.GetBytes(text), options);

    private static IcalParseResult ParseFixture(string name) =>
        IcalReader.Parse(File.ReadAllBytes(TestPaths.Fixture("ical", name)));

    private static CalendarComponent FirstEvent(IcalParseResult r) =>
        r.Roots.SelectMany(c => c.Name == "VEVENT" ? [c] : c.Components).First(c => c.Name == "VEVENT");

    [TestCase("crlf.ics")]
    [TestCase("lone_cr.ics")]
    public void Reader_Accepts_Crlf_And_Lone_Cr_Line_Ends(string fixture)
    {
        var r = ParseFixture(fixture);

        Assert.That(r.Complete, Is.True);
        Assert.That(r.DiagnosticCount, Is.Zero);
        var ev = FirstEvent(r);
        Assert.That(ev.GetProperty("UID")!.RawValue, Is.EqualTo("crlf-1@fixture"));
        Assert.That(IcalText.Unescape(ev.GetProperty("SUMMARY")!.RawValue), Is.EqualTo("Line one\nline two, with comma"));
        Assert.That(ev.GetProperty("DESCRIPTION")!.RawValue, Is.EqualTo("A long description that is folded across two physical lines"));
        Assert.That(ev.GetProperty("DESCRIPTION")!.Line, Is.EqualTo(8));
    }

    [Test]
    public void Reader_Unfolds_Before_Decoding_So_Folds_Inside_Utf8_Sequences_Survive()
    {
        var r = ParseFixture("fold_splits_utf8.ics");

        var ev = FirstEvent(r);
        Assert.That(ev.GetProperty("SUMMARY")!.RawValue, Is.EqualTo("Größe 会議 🚀"));
        Assert.That(ev.GetProperty("LOCATION")!.RawValue, Is.EqualTo("Café"), "a TAB fold is removed like a SPACE fold");
        Assert.That(r.DiagnosticCount, Is.Zero);
        Assert.That(ev.GetProperty("SUMMARY")!.RawLine, Is.Null, "a fold inside a character cannot be kept as text");
    }

    [Test]
    public void Reader_Falls_Back_To_Windows1252_With_A_Diagnostic()
    {
        var r = ParseFixture("windows1252.ics");

        var ev = FirstEvent(r);
        Assert.That(ev.GetProperty("SUMMARY")!.RawValue, Is.EqualTo("Müller € café"));
        Assert.That(ev.GetProperty("LOCATION")!.RawValue, Is.EqualTo("plain ascii"));
        Assert.That(r.Diagnostics.Single().Reason, Does.Contain("Windows-1252"));
        Assert.That(r.Diagnostics.Single().Line, Is.EqualTo(6));
    }

    [Test]
    public void Reader_Uses_The_Callers_Charset_Hint()
    {
        var bytes = Encoding.Latin1.GetBytes("BEGIN:VEVENT\r\nSUMMARY:Grüße\r\nEND:VEVENT\r\n");

        var r = IcalReader.Parse(bytes, new IcalReaderOptions { Charset = "iso-8859-1" });

        Assert.That(FirstEvent(r).GetProperty("SUMMARY")!.RawValue, Is.EqualTo("Grüße"));
        Assert.That(r.DiagnosticCount, Is.Zero);
    }

    [Test]
    public void Reader_Decodes_Rfc6868_Caret_Encoding_In_Parameters()
    {
        var r = ParseFixture("rfc6868.ics");

        var ev = FirstEvent(r);
        Assert.That(ev.GetProperty("ATTENDEE")!.GetParameter("CN"), Is.EqualTo("George Herman \"Babe\" Ruth"));
        var location = ev.GetProperty("LOCATION")!;
        Assert.That(location.GetParameter("X-ADDRESS"), Is.EqualTo("Pittsburgh Pirates\n115 Federal St\nPittsburgh, PA 15212"));
        Assert.That(location.GetParameter("X-CARET"), Is.EqualTo("a^b^x"), "an unknown ^ sequence is kept");
        Assert.That(location.RawValue, Is.EqualTo("Stadium"));
    }

    [Test]
    public void Reader_Keeps_Quoted_Colons_Semicolons_And_Commas_In_Parameters()
    {
        var r = ParseText("BEGIN:VEVENT\nX-ALT-DESC;FMTTYPE=\"text/html\";X-RESPONSE-COMMENT=\"a:b;c,d\":<p>x;y</p>\nEND:VEVENT\n");

        var p = FirstEvent(r).GetProperty("X-ALT-DESC")!;
        Assert.That(p.GetParameter("X-RESPONSE-COMMENT"), Is.EqualTo("a:b;c,d"));
        Assert.That(p.GetParameter("FMTTYPE"), Is.EqualTo("text/html"));
        Assert.That(p.RawValue, Is.EqualTo("<p>x;y</p>"));
    }

    [Test]
    public void Reader_Splits_Only_List_Parameters_On_Commas_Outside_Quotes()
    {
        var r = ParseText(
            "BEGIN:VEVENT\n" +
            "ATTENDEE;MEMBER=\"mailto:a@x.org\",\"mailto:b,c@x.org\";DELEGATED-TO=\"mailto:d@x.org\", \"mailto:e@x.org\";CN=Doe, Jane:mailto:j@x.org\n" +
            "END:VEVENT\n");

        var p = FirstEvent(r).GetProperty("ATTENDEE")!;
        Assert.That(p.Parameters.Single(x => x.Name == "MEMBER").Values, Is.EqualTo(new[] { "mailto:a@x.org", "mailto:b,c@x.org" }));
        Assert.That(p.Parameters.Single(x => x.Name == "DELEGATED-TO").Values, Is.EqualTo(new[] { "mailto:d@x.org", "mailto:e@x.org" }));
        Assert.That(p.Parameters.Single(x => x.Name == "CN").Values, Is.EqualTo(new[] { "Doe, Jane" }));
        Assert.That(p.RawValue, Is.EqualTo("mailto:j@x.org"));
    }

    [Test]
    public void Reader_Treats_Backslash_Comma_In_Parameters_As_Literal()
    {
        var r = ParseText("BEGIN:VEVENT\nATTENDEE;CN=Society\\, Class of 2014;ROLE=CHAIR:mailto:s@x.org\nEND:VEVENT\n");

        var p = FirstEvent(r).GetProperty("ATTENDEE")!;
        Assert.That(p.GetParameter("CN"), Is.EqualTo("Society\\, Class of 2014"));
        Assert.That(p.GetParameter("ROLE"), Is.EqualTo("CHAIR"));
    }

    [Test]
    public void Reader_Ignores_Empty_Parameters_And_Keeps_Empty_Values()
    {
        var r = ParseText("BEGIN:VEVENT\nDTSTART;;VALUE=DATE-TIME:20140409T093000\nDTEND;TZID=:20150826T100000\nX-A;RSVP:v\nEND:VEVENT\n");

        var ev = FirstEvent(r);
        Assert.That(ev.GetProperty("DTSTART")!.Parameters.Select(p => p.Name), Is.EqualTo(new[] { "VALUE" }));
        Assert.That(ev.GetProperty("DTEND")!.GetParameter("TZID"), Is.EqualTo(string.Empty));
        Assert.That(ev.GetProperty("DTEND")!.Parameters[0].Count, Is.EqualTo(1));
        Assert.That(ev.GetProperty("X-A")!.Parameters[0].Count, Is.Zero, "a parameter without '=' has no values");
        Assert.That(r.DiagnosticCount, Is.Zero);
    }

    [Test]
    public void Reader_Trims_Whitespace_And_Ignores_Case_In_Names()
    {
        var r = ParseText("BEGIN: VCALENDAR\nREFRESH - INTERVAL; VALUE = DURATION:PT48H\npRoDiD:x\nbegin:vevent\nsummary;language=de:Hallo\nEnd:VEvent\nEND:vCalendaR\n");

        Assert.That(r.Complete, Is.True);
        var cal = r.Roots.Single();
        Assert.That(cal.Name, Is.EqualTo("VCALENDAR"));
        var refresh = cal.GetProperty("REFRESH-INTERVAL")!;
        Assert.That(refresh.GetParameter("VALUE"), Is.EqualTo("DURATION"));
        Assert.That(refresh.RawValue, Is.EqualTo("PT48H"));
        Assert.That(cal.Properties[1].Name, Is.EqualTo("PRODID"));
        Assert.That(cal.Components.Single().GetProperty("SUMMARY")!.Parameters[0].Name, Is.EqualTo("LANGUAGE"));
    }

    [Test]
    public void Reader_Skips_Blank_And_Whitespace_Lines()
    {
        var r = ParseText("\n\nBEGIN:VCALENDAR\n\nBEGIN:VEVENT\n\t\nUID:1\n\nEND:VEVENT\n   \nEND:VCALENDAR\n\n");

        Assert.That(r.Complete, Is.True);
        Assert.That(r.DiagnosticCount, Is.Zero);
        Assert.That(r.Roots.Single().Components.Single().Properties.Select(p => p.Name), Is.EqualTo(new[] { "UID" }));
    }

    [Test]
    public void Reader_Recovers_A_Misspelled_End_Like_Libical()
    {
        var r = ParseText("BEGIN:VCALENDAR\nBEGIN:VTODO\nUID:t\nEND:VTOOD\nBEGIN:VEVENT\nUID:e\nEND:VEVENT\nEND:VCALENDAR\n");

        var cal = r.Roots.Single();
        Assert.That(cal.Components.Select(c => c.Name), Is.EqualTo(new[] { "VTODO", "VEVENT" }));
        Assert.That(r.Diagnostics.Single().Reason, Does.Contain("END:VTOOD"));
        Assert.That(r.Diagnostics.Single().Line, Is.EqualTo(4));
    }

    [Test]
    public void Reader_Closes_Components_Whose_End_Is_Missing()
    {
        var r = ParseText("BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:a\nBEGIN:VALARM\nACTION:DISPLAY\nEND:VEVENT\nBEGIN:VEVENT\nUID:b\n");

        Assert.That(r.Complete, Is.False);
        var cal = r.Roots.Single();
        Assert.That(cal.Components.Select(c => c.GetProperty("UID")!.RawValue), Is.EqualTo(new[] { "a", "b" }));
        Assert.That(cal.Components[0].Components.Single().Name, Is.EqualTo("VALARM"));
        Assert.That(r.Diagnostics.Select(d => d.Reason), Has.Some.Contains("END:VALARM missing"));
        Assert.That(r.Diagnostics.Select(d => d.Reason), Has.Some.Contains("input ended inside VEVENT"));
    }

    [Test]
    public void Reader_Reads_Several_Calendars_And_Bare_Components()
    {
        var r = ParseText("BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:1\nEND:VEVENT\nEND:VCALENDAR\nBEGIN:VCALENDAR\nEND:VCALENDAR\nBEGIN:VTODO\nUID:2\nEND:VTODO\n");

        Assert.That(r.Roots.Select(c => c.Name), Is.EqualTo(new[] { "VCALENDAR", "VCALENDAR", "VTODO" }));
    }

    [Test]
    public void Reader_Drops_Only_The_Bad_Line_And_Reports_It()
    {
        var r = ParseText("BEGIN:VEVENT\nUID:1\nthis line has no colon\nSUM MARY\u00a7:x\nSUMMARY:ok\nEND:VEVENT\n");

        var ev = FirstEvent(r);
        Assert.That(ev.Properties.Select(p => p.Name), Is.EqualTo(new[] { "UID", "SUMMARY" }));
        Assert.That(r.Diagnostics.Select(d => d.Line), Is.EqualTo(new[] { 3, 4 }));
    }

    [Test]
    public void Reader_Skips_Oversized_Lines_With_A_Diagnostic()
    {
        var text = "BEGIN:VEVENT\nX-BIG:" + new string('x', 5000) + "\n " + new string('y', 5000) + "\nUID:1\nEND:VEVENT\n";
        var options = new IcalReaderOptions { MaxPropertyBytes = 4096 };

        var fromMemory = ParseText(text, options);
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(text));
        var fromStream = IcalReader.Parse(stream, options);

        foreach (var r in new[] { fromMemory, fromStream })
        {
            Assert.That(FirstEvent(r).Properties.Select(p => p.Name), Is.EqualTo(new[] { "UID" }));
            Assert.That(r.Diagnostics.Single().Reason, Does.Contain("4096-byte limit"));
            Assert.That(r.Diagnostics.Single().Line, Is.EqualTo(2));
        }
    }

    [Test]
    public void Streaming_Reader_Does_Not_Buffer_A_Huge_Line_Beyond_The_Limit()
    {
        var text = "BEGIN:VEVENT\r\nATTACH;VALUE=BINARY;ENCODING=BASE64:" + new string('A', 700_000) + "\r\n " + new string('B', 700_000)
                   + "\r\nUID:after\r\nEND:VEVENT\r\n";
        using var stream = new MemoryStream(Encoding.ASCII.GetBytes(text));

        var r = IcalReader.Parse(stream, new IcalReaderOptions { MaxPropertyBytes = 300_000 });

        Assert.That(FirstEvent(r).Properties.Select(p => p.RawValue), Is.EqualTo(new[] { "after" }));
        Assert.That(r.Diagnostics.Single().Line, Is.EqualTo(2));
        Assert.That(FirstEvent(r).Properties.Single().Line, Is.EqualTo(4));
    }

    [Test]
    public void Reader_Stops_At_The_Total_Size_Limit()
    {
        var text = "BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:1\nEND:VEVENT\nBEGIN:VEVENT\nUID:2\nEND:VEVENT\nEND:VCALENDAR\n";
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(text));

        var r = IcalReader.Parse(stream, new IcalReaderOptions { MaxTotalBytes = 45 });

        Assert.That(r.Complete, Is.False);
        Assert.That(r.Roots.Single().Components, Has.Count.EqualTo(1));
        Assert.That(r.Diagnostics.Select(d => d.Reason), Has.Some.Contains("45-byte limit"));
    }

    [Test]
    public void Streaming_Reader_Hands_Out_Components_With_Their_Calendar_And_Keeps_Them_Out_Of_It()
    {
        var text = "BEGIN:VCALENDAR\nX-WR-CALNAME:Team\nBEGIN:VTIMEZONE\nTZID:X\nEND:VTIMEZONE\nBEGIN:VEVENT\nUID:1\nBEGIN:VALARM\nACTION:AUDIO\nEND:VALARM\nEND:VEVENT\nEND:VCALENDAR\nBEGIN:VTODO\nUID:2\nEND:VTODO\n";
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(text));
        var reader = new IcalReader(stream);

        var items = new List<IcalStreamItem>();
        while (reader.TryReadNext(out var item))
        {
            items.Add(item);
        }

        Assert.That(items.Select(i => i.Component.Name), Is.EqualTo(new[] { "VTIMEZONE", "VEVENT", "VTODO" }));
        Assert.That(items[1].Calendar!.GetProperty("X-WR-CALNAME")!.RawValue, Is.EqualTo("Team"));
        Assert.That(items[1].Calendar!.Components, Is.Empty);
        Assert.That(items[1].Component.Components.Single().Name, Is.EqualTo("VALARM"));
        Assert.That(items[2].Calendar, Is.Null);
        Assert.That(reader.Complete, Is.True);
    }

    [Test]
    public void Streaming_Reader_Handles_Lines_Across_Buffer_Refills()
    {
        // Lines of many sizes around the 256 KiB chunk: CRLF split over a refill, folds right after a refill.
        var sb = new StringBuilder("BEGIN:VCALENDAR\r\n");
        for (var i = 0; i < 400; i++)
        {
            sb.Append("BEGIN:VEVENT\r\nUID:").Append(i).Append("\r\nDESCRIPTION:").Append(new string('d', 1000 + (i * 37)))
                .Append("\r\n ").Append("tail").Append(i).Append("\r\nEND:VEVENT\r\n");
        }

        sb.Append("END:VCALENDAR\r\n");
        var bytes = Encoding.UTF8.GetBytes(sb.ToString());

        var fromMemory = IcalReader.Parse(bytes);
        using var stream = new OneByteSometimesStream(bytes);
        var fromStream = IcalReader.Parse(stream);

        Assert.That(fromStream.Complete, Is.True);
        var a = fromMemory.Roots.Single().Components;
        var b = fromStream.Roots.Single().Components;
        Assert.That(b, Has.Count.EqualTo(400));
        for (var i = 0; i < 400; i++)
        {
            Assert.That(b[i].GetProperty("DESCRIPTION")!.RawValue, Is.EqualTo(a[i].GetProperty("DESCRIPTION")!.RawValue));
            Assert.That(b[i].GetProperty("DESCRIPTION")!.RawValue, Does.EndWith("tail" + i));
            Assert.That(b[i].GetProperty("DESCRIPTION")!.Line, Is.EqualTo(a[i].GetProperty("DESCRIPTION")!.Line));
        }
    }

    [Test]
    public void Reader_Removes_A_Utf8_Bom()
    {
        var bytes = new byte[] { 0xEF, 0xBB, 0xBF }.Concat(Encoding.UTF8.GetBytes("BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n")).ToArray();

        var r = IcalReader.Parse(bytes);

        Assert.That(r.Roots.Single().Name, Is.EqualTo("VCALENDAR"));
        Assert.That(r.Complete, Is.True);
    }

    [Test]
    public void Reader_Keeps_The_Raw_Line_With_Its_Folds()
    {
        var r = ParseText("BEGIN:VEVENT\nDESCRIPTION;LANGUAGE=en:abc\n def\nuid:1\nEND:VEVENT\n");

        var ev = FirstEvent(r);
        Assert.That(ev.GetProperty("DESCRIPTION")!.RawLine, Is.EqualTo("DESCRIPTION;LANGUAGE=en:abc\r\n def"));
        Assert.That(ev.GetProperty("UID")!.RawLine, Is.EqualTo("uid:1"));
    }

    /// <summary>Returns reads of irregular sizes, down to one byte, to exercise every refill boundary.</summary>
    private sealed class OneByteSometimesStream(byte[] data) : MemoryStream(data)
    {
        private int _calls;

        public override int Read(byte[] buffer, int offset, int count)
        {
            _calls++;
            var limit = _calls % 3 == 0 ? 1 : (_calls % 7) * 997;
            return base.Read(buffer, offset, Math.Min(count, Math.Max(1, limit)));
        }
    }
}
