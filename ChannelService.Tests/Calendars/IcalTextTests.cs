using ChannelService.Calendars;

namespace ChannelService.Tests.Calendars;

public sealed class IcalTextTests
{
    [TestCase(@"plain", "plain")]
    [TestCase(@"a\,b\;c\\d", @"a,b;c\d")]
    [TestCase(@"line\nnext\Nthird", "line\nnext\nthird")]
    [TestCase(@"C:\\next", @"C:\next")]
    [TestCase(@"keep \: and \"" and \x", @"keep \: and \"" and \x")]
    [TestCase(@"trailing\", @"trailing\")]
    [TestCase(@"\\n", @"\n")]
    public void Unescape_Works_In_One_Pass(string raw, string expected)
    {
        Assert.That(IcalText.Unescape(raw), Is.EqualTo(expected));
    }

    [Test]
    public void Escape_Round_Trips_Through_Unescape()
    {
        const string text = "a,b;c\\d\r\ne\nf\rg";

        var escaped = IcalText.Escape(text);

        Assert.That(escaped, Is.EqualTo(@"a\,b\;c\\d\ne\nf\ng"));
        Assert.That(IcalText.Unescape(escaped), Is.EqualTo("a,b;c\\d\ne\nf\ng"));
    }

    [Test]
    public void Text_Lists_Split_Only_On_Unescaped_Commas()
    {
        Assert.That(IcalText.SplitTextList(@"Work,Project\, Alpha, Team ,,x\\"), Is.EqualTo(new[] { "Work", "Project, Alpha", "Team", @"x\" }));
    }

    [Test]
    public void Raw_Lists_And_Structured_Values_Split_On_Unescaped_Separators()
    {
        Assert.That(IcalText.SplitRaw("20250101T100000,20250108T100000", ','), Is.EqualTo(new[] { "20250101T100000", "20250108T100000" }));
        Assert.That(IcalText.SplitRaw(@"2.0;Success\; fine;x", ';'), Is.EqualTo(new[] { "2.0", @"Success\; fine", "x" }));
        Assert.That(IcalText.SplitRaw("", ','), Is.EqualTo(new[] { "" }));
    }

    [TestCase("37.386013;-122.082932", true, 37.386013, -122.082932)]
    [TestCase(@"12.3\;12.3", true, 12.3, 12.3)]
    [TestCase("12.3,45.6", true, 12.3, 45.6)]
    [TestCase("north", false, 0, 0)]
    [TestCase("91;0", false, 91, 0)]
    public void Geo_Is_Parsed_Leniently(string raw, bool ok, double lat, double lon)
    {
        Assert.That(IcalText.TryParseGeo(raw, out var a, out var b), Is.EqualTo(ok));
        if (ok)
        {
            Assert.That((a, b), Is.EqualTo((lat, lon)));
        }
    }

    [Test]
    public void Value_Type_Comes_From_Value_Parameter_Then_Property()
    {
        Assert.That(IcalValueTypes.Of(new CalendarProperty("DTSTART", [new CalendarParameter("VALUE", "DATE")], "20250101")), Is.EqualTo(IcalValueType.Date));
        Assert.That(IcalValueTypes.Of(new CalendarProperty("DTSTART", [], "20250101T000000Z")), Is.EqualTo(IcalValueType.DateTime));
        Assert.That(IcalValueTypes.Of(new CalendarProperty("URL", [new CalendarParameter("VALUE", "X-ODD")], "x")), Is.EqualTo(IcalValueType.Uri));
        Assert.That(IcalValueTypes.Of(new CalendarProperty("X-FOO", [], "x")), Is.EqualTo(IcalValueType.Text));
        Assert.That(IcalText.TryParseInteger(" 5 ", out var five) && five == 5, Is.True);
        Assert.That(IcalText.TryParseBoolean("true", out var t) && t, Is.True);
        Assert.That(IcalText.TryDecodeBinary("aGVsbG8=", 100), Is.EqualTo("hello"u8.ToArray()));
        Assert.That(IcalText.TryDecodeBinary("aGVsbG8=", 2), Is.Null);
    }
}
