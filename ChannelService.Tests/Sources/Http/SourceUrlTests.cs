using System.Net;
using System.Text;
using ChannelService.Sources.Http;

namespace ChannelService.Tests.Sources.Http;

public sealed class SourceUrlTests
{
    [TestCase("webcal://example.com/a.ics", "https://example.com/a.ics")]
    [TestCase("WEBCAL://example.com/a.ics?x=1", "https://example.com/a.ics?x=1")]
    [TestCase("webcals://example.com/a.ics", "https://example.com/a.ics")]
    [TestCase("webcal://example.com:8443/a.ics", "https://example.com:8443/a.ics")]
    [TestCase("HTTP://Example.COM/Cal/x.ics#frag", "http://example.com/Cal/x.ics")]
    [TestCase("https://example.com:443/x", "https://example.com/x")]
    [TestCase("http://bücher.example/kalender.ics", "http://xn--bcher-kva.example/kalender.ics")]
    [TestCase("http://[::1]:8080/x", "http://[::1]:8080/x")]
    public void Parse_Normalises_Schemes_And_Hosts(string text, string expected)
    {
        Assert.That(SourceUrl.Parse(text, out _).AbsoluteUri, Is.EqualTo(expected));
    }

    [TestCase("ftp://example.com/a.ics")]
    [TestCase("file:///etc/passwd")]
    [TestCase("gopher://example.com/")]
    [TestCase("not a url")]
    [TestCase("/relative/path.ics")]
    [TestCase("")]
    public void Parse_Refuses_Anything_But_Http_Https_And_Webcal(string text)
    {
        var error = Assert.Throws<SourceException>(() => SourceUrl.Parse(text, out _));

        Assert.That(error!.Kind, Is.EqualTo(SourceErrorKind.BadUrl));
        Assert.That(error.Message, Is.EqualTo("The address is not a valid http, https or webcal URL."));
    }

    [Test]
    public void Parse_Moves_Userinfo_Out_Of_The_Url_Into_Basic_Credentials()
    {
        var url = SourceUrl.Parse("https://alice:s%40cret@example.com/cal.ics", out var credentials);

        Assert.That(url.AbsoluteUri, Is.EqualTo("https://example.com/cal.ics"));
        Assert.That(url.UserInfo, Is.Empty);
        Assert.That(credentials!.ToHeader().ToString(), Is.EqualTo("Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("alice:s@cret"))));
        Assert.That(credentials.ToString(), Does.Not.Contain("cret").And.Not.Contain("alice"));
    }

    [TestCase("127.0.0.1", "127.0.0.1")]
    [TestCase("0x7f000001", "127.0.0.1")]
    [TestCase("2130706433", "127.0.0.1")]
    [TestCase("0177.0.0.1", "127.0.0.1")]
    [TestCase("127.1", "127.0.0.1")]
    [TestCase("[::ffff:127.0.0.1]", "::ffff:127.0.0.1")]
    [TestCase("fe80::1%25eth0", "fe80::1")]
    public void LiteralAddresses_Recognises_Every_Ip_Spelling(string host, string expected)
    {
        Assert.That(SourceUrl.LiteralAddresses(host)!.Single(), Is.EqualTo(IPAddress.Parse(expected)));
    }

    [TestCase("localhost")]
    [TestCase("LOCALHOST.")]
    [TestCase("calendar.localhost")]
    public void LiteralAddresses_Treats_Localhost_Names_As_Loopback(string host)
    {
        Assert.That(SourceUrl.LiteralAddresses(host), Is.EquivalentTo(new[] { IPAddress.Loopback, IPAddress.IPv6Loopback }));
    }

    [Test]
    public void LiteralAddresses_Leaves_Dns_Names_To_The_Resolver()
    {
        Assert.That(SourceUrl.LiteralAddresses("calendar.example.com"), Is.Null);
    }

    [Test]
    public void Redirect_Resolves_Relative_Locations_And_Maps_Webcal()
    {
        var from = new Uri("https://example.com/a/b.ics");

        Assert.Multiple(() =>
        {
            Assert.That(SourceUrl.Redirect(from, "c.ics").AbsoluteUri, Is.EqualTo("https://example.com/a/c.ics"));
            Assert.That(SourceUrl.Redirect(from, "//other.example/x").AbsoluteUri, Is.EqualTo("https://other.example/x"));
            Assert.That(SourceUrl.Redirect(from, "webcal://other.example/x").AbsoluteUri, Is.EqualTo("https://other.example/x"));
        });
    }

    [Test]
    public void Redirect_Refuses_A_Downgrade_From_Https_To_Http()
    {
        var error = Assert.Throws<SourceException>(() => SourceUrl.Redirect(new Uri("https://example.com/a"), "http://example.com/a"));

        Assert.That(error!.Kind, Is.EqualTo(SourceErrorKind.Protocol));
        Assert.That(error.Message, Does.Contain("from a secure (https) address to an insecure (http) one"));
    }

    [TestCase("javascript:alert(1)")]
    [TestCase("file:///etc/passwd")]
    public void Redirect_Refuses_Non_Http_Targets(string location)
    {
        var error = Assert.Throws<SourceException>(() => SourceUrl.Redirect(new Uri("http://example.com/a"), location));

        Assert.That(error!.Kind, Is.EqualTo(SourceErrorKind.Protocol));
    }

    [Test]
    public void SameOrigin_Compares_Scheme_Host_And_Port()
    {
        var origin = new Uri("https://example.com/a");

        Assert.Multiple(() =>
        {
            Assert.That(SourceUrl.SameOrigin(origin, new Uri("https://EXAMPLE.com:443/b")), Is.True);
            Assert.That(SourceUrl.SameOrigin(origin, new Uri("http://example.com/b")), Is.False);
            Assert.That(SourceUrl.SameOrigin(origin, new Uri("https://example.com:8443/b")), Is.False);
            Assert.That(SourceUrl.SameOrigin(origin, new Uri("https://www.example.com/b")), Is.False);
        });
    }
}
