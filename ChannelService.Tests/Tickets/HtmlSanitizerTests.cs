using ChannelService.Tickets;

namespace ChannelService.Tests.Tickets;

public sealed class HtmlSanitizerTests
{
    [TestCase("<p>Hi <b>there</b></p>", "<p>Hi <b>there</b></p>")]
    [TestCase("<script>alert(1)</script><p>x</p>", "<p>x</p>")]
    [TestCase("<p style=\"color:red\" onclick=\"x()\">x</p>", "<p>x</p>")]
    [TestCase("<a href=\"javascript:alert(1)\">x</a>", "<a>x</a>")]
    [TestCase("<a href=\"https://example.com/?a=1&b=2\">x</a>", "<a href=\"https://example.com/?a=1&amp;b=2\" rel=\"noopener noreferrer\">x</a>")]
    [TestCase("<font color=red>kept text</font>", "kept text")]
    [TestCase("<img src=x onerror=alert(1)>", "")]
    [TestCase("<iframe src=\"https://evil\"></iframe>ok", "ok")]
    [TestCase("a &lt;b&gt; c", "a &lt;b&gt; c")]
    [TestCase("<svg><script>1</script></svg>t", "t")]
    public void Keeps_Only_Allowed_Markup(string input, string expected) =>
        Assert.That(HtmlSanitizer.Sanitize(input), Is.EqualTo(expected));

    [Test]
    public void Deep_Nesting_Is_Bounded() =>
        Assert.That(() => HtmlSanitizer.Sanitize(string.Concat(Enumerable.Repeat("<div>", 5000)) + "x"), Throws.Nothing);
}
