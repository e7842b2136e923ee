using System.Text;
using System.Text.Unicode;
using ChannelService.Calendars;

namespace ChannelService.Tests.Calendars;

public sealed class IcalWriterTests
{
    private static IEnumerable<string> CorpusFiles() =>
        Directory.GetFiles(TestPaths.IcsCorpus, "*.ics").Select(Path.GetFileName).Order().Cast<string>();

    private static byte[] Corpus(string file) => File.ReadAllBytes(Path.Combine(TestPaths.IcsCorpus, file));

    private static List<byte[]> PhysicalLines(byte[] bytes)
    {
        var lines = new List<byte[]>();
        var start = 0;
        for (var i = 0; i < bytes.Length; i++)
        {
            if (bytes[i] == (byte)'\n')
            {
                lines.Add(bytes[start..(i > start && bytes[i - 1] == (byte)'\r' ? i - 1 : i)]);
                start = i + 1;
            }
        }

        if (start < bytes.Length)
        {
            lines.Add(bytes[start..]);
        }

        return lines;
    }

    [Test]
    public void Writer_Folds_At_75_Octets_Without_Splitting_Characters()
    {
        var text = string.Concat(Enumerable.Repeat("Größe 会議 🚀 é;,\\ ", 40));
        var property = CalendarProperty.FromText("SUMMARY", text, new CalendarParameter("CN", "Müller, Hans"));
        var calendar = new CalendarComponent("VEVENT") { Properties = { property } };

        var bytes = IcalWriter.WriteToBytes([calendar]);

        Assert.That(bytes[^2..], Is.EqualTo("\r\n"u8.ToArray()));
        var lines = PhysicalLines(bytes);
        Assert.That(lines, Has.Count.GreaterThan(10));
        foreach (var line in lines)
        {
            Assert.That(line.Length, Is.LessThanOrEqualTo(75));
            Assert.That(Utf8.IsValid(line), Is.True, "every physical line is whole UTF-8");
        }

        Assert.That(lines.Count(l => l.Length >= 72), Is.GreaterThan(5), "lines are filled up to the limit");
        var back = IcalReader.Parse(bytes).Roots.Single().Properties.Single();
        Assert.That(IcalText.Unescape(back.RawValue), Is.EqualTo(text));
        Assert.That(back.GetParameter("CN"), Is.EqualTo("Müller, Hans"));
    }

    [Test]
    public void Writer_Quotes_And_Caret_Encodes_Parameter_Values()
    {
        var p = new CalendarProperty("ATTENDEE",
        [
            new CalendarParameter("CN", "Jürgen \"JJ\" ^Smith"),
            new CalendarParameter("X-ADDR", "a:b;c\nd"),
            new CalendarParameter("ROLE", "CHAIR"),
            new CalendarParameter("MEMBER", ["mailto:a@x.org", "mailto:b@x.org"]),
            new CalendarParameter("RSVP", Array.Empty<string>()),
        ], "mailto:j@x.org");

        var line = IcalWriter.FormatProperty(p);

        Assert.That(line, Is.EqualTo("ATTENDEE;CN=\"Jürgen ^'JJ^' ^^Smith\";X-ADDR=\"a:b;c^nd\";ROLE=CHAIR;MEMBER=\"mailto:a@x.org\",\"mailto:b@x.org\";RSVP:mailto:j@x.org"));
        var back = IcalReader.Parse(Encoding.UTF8.GetBytes("BEGIN:X\r\n" + line + "\r\nEND:X\r\n")).Roots.Single().Properties.Single();
        Assert.That(back.GetParameter("CN"), Is.EqualTo("Jürgen \"JJ\" ^Smith"));
        Assert.That(back.GetParameter("X-ADDR"), Is.EqualTo("a:b;c\nd"));
        Assert.That(back.Parameters.Single(x => x.Name == "MEMBER").Values, Is.EqualTo(new[] { "mailto:a@x.org", "mailto:b@x.org" }));
    }

    [TestCaseSource(nameof(CorpusFiles))]
    public void Round_Trip_Gives_An_Equal_Model(string file)
    {
        var first = IcalReader.Parse(Corpus(file));

        var verbatim = IcalReader.Parse(IcalWriter.WriteToBytes(first.Roots));
        var canonical = IcalReader.Parse(IcalWriter.WriteToBytes(first.Roots, new IcalWriterOptions { UseRawLines = false }));

        IcalModelAssert.AreEqual(first.Roots, verbatim.Roots);
        IcalModelAssert.AreEqual(first.Roots, canonical.Roots);
    }

    [TestCaseSource(nameof(CorpusFiles))]
    public void Adding_One_Property_Leaves_Every_Other_Line_As_It_Was(string file)
    {
        var model = IcalReader.Parse(Corpus(file));
        var target = model.Roots.SelectMany(r => r.Name == "VCALENDAR" ? r.Components : [r]).FirstOrDefault(c => c.Name is "VEVENT" or "VTODO");
        if (target is null)
        {
            Assert.That(file, Is.EqualTo("ical4j_outlook11_boeing.ics").Or.EqualTo("pyical_utf8_bom.ics"), "only files without events lack a target");
            return;
        }

        var before = PhysicalLines(IcalWriter.WriteToBytes(model.Roots)).Select(Encoding.UTF8.GetString).ToList();
        target.Properties.Add(CalendarProperty.FromText("COMMENT", "Agent reply: done, thanks; see you", new CalendarParameter("X-ZENDESK-COMMENT-ID", "123456")));
        var after = PhysicalLines(IcalWriter.WriteToBytes(model.Roots)).Select(Encoding.UTF8.GetString).ToList();

        var added = after.Single(l => l.StartsWith("COMMENT;X-ZENDESK", StringComparison.Ordinal));
        Assert.That(added, Is.EqualTo("COMMENT;X-ZENDESK-COMMENT-ID=123456:Agent reply: done\\, thanks\\; see you"));
        after.Remove(added);
        Assert.That(after, Is.EqualTo(before));
    }

    [TestCaseSource(nameof(CorpusFiles))]
    public void Writing_Unchanged_Gives_The_Source_Lines(string file)
    {
        var source = Corpus(file);
        var model = IcalReader.Parse(source);
        if (model.DiagnosticCount > 0)
        {
            // Dropped or repaired lines cannot come back; the model round trip above covers these files.
            Assert.That(model.Diagnostics, Is.Not.Empty);
            return;
        }

        var text = Encoding.UTF8.GetString(source).TrimStart('\uFEFF');
        var expected = text.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Trim().Length > 0).ToList();
        var written = Encoding.UTF8.GetString(IcalWriter.WriteToBytes(model.Roots));
        var actual = written.Split("\r\n").Where(l => l.Length > 0).ToList();

        Assert.That(actual, Is.EqualTo(expected));
    }
}
