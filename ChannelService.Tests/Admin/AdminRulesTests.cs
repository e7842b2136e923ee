using ChannelService.Accounts;
using ChannelService.Admin;
using ChannelService.Tests.Accounts;

namespace ChannelService.Tests.Admin;

public sealed class ReturnUrlPolicyTests
{
    [TestCase("https://acme.zendesk.com/zendesk/channels/return", "acme", true)]
    [TestCase("https://ACME.zendesk.com/return", "acme", true)]
    [TestCase("https://acme.zendesk.com/return", "other", false)]
    [TestCase("https://acme.zendesk.com/return", "", false)]
    [TestCase("https://acme.zendesk.com/return", "-bad-", false)]
    [TestCase("http://acme.zendesk.com/return", "acme", false)]
    [TestCase("https://acme.zendesk.com.evil.example/return", "acme", false)]
    [TestCase("https://support.example.org/return", "acme", true)]
    [TestCase("http://support.example.org/return", "acme", false)]
    [TestCase("http://127.0.0.1:5173/return", "acme", true)]
    [TestCase("http://127.0.0.1:5174/return", "acme", false)]
    [TestCase("https://acme.zendesk.com/return#x", "acme", false)]
    public void Return_Url_Must_Be_The_Accounts_Zendesk_Or_A_Listed_Host(string url, string subdomain, bool accepted)
    {
        var result = ReturnUrlPolicy.Check(url, subdomain, ["support.example.org", "127.0.0.1:5173"]);

        Assert.That(result is not null, Is.EqualTo(accepted));
    }

    [Test]
    public void Http_Is_Allowed_Only_For_A_Listed_Loopback_Host()
    {
        Assert.That(ReturnUrlPolicy.Check("http://10.0.0.5/return", "acme", ["10.0.0.5"]), Is.Null);
        Assert.That(ReturnUrlPolicy.Check("https://10.0.0.5/return", "acme", ["10.0.0.5"]), Is.Not.Null);
    }

    [Test]
    public void Frame_Ancestors_List_Zendesk_Listed_Hosts_And_Self_Only_For_The_Sandbox()
    {
        Assert.That(ReturnUrlPolicy.FrameAncestors(["support.example.org", "127.0.0.1:5173"], sandbox: false),
            Is.EqualTo("frame-ancestors https://*.zendesk.com https://support.example.org https://127.0.0.1:5173 http://127.0.0.1:5173"));
        Assert.That(ReturnUrlPolicy.FrameAncestors([], sandbox: true), Is.EqualTo("frame-ancestors https://*.zendesk.com 'self'"));
    }

    [TestCase("support.example.org", true)]
    [TestCase("127.0.0.1:5173", true)]
    [TestCase("https://support.example.org", false)]
    [TestCase("support.example.org/path", false)]
    [TestCase("*.example.org", false)]
    [TestCase("", false)]
    public void Return_Url_Host_Settings_Are_Checked(string entry, bool valid) =>
        Assert.That(ChannelService.Configuration.ChannelOptions.IsValidHostEntry(entry), Is.EqualTo(valid));
}

public sealed class AdminFlowTokenTests
{
    private static (AdminFlowTokenCodec Codec, ManualTime Time) Create()
    {
        var time = new ManualTime(new DateTimeOffset(2026, 11, 22, 4, 0, 0, TimeSpan.Zero));
        var keys = KeyRing.FromConfiguredKeys([new ConfiguredKey("k1", Convert.ToBase64String(new byte[32]))]);
        return (new AdminFlowTokenCodec(keys, time), time);
    }

    [Test]
    public void Token_Round_Trips_And_Hides_Its_Content()
    {
        var (codec, _) = Create();
        var flow = codec.Start("https://acme.zendesk.com/r", "acme", "de", "Name", "meta.data", "state-x", "push-1", "zd-token-secret") with { PendingSecret = "typed-secret" };

        var token = codec.Seal(flow);

        Assert.That(token, Does.Not.Contain("zd-token").And.Not.Contain("acme"));
        Assert.That(codec.TryOpen(token, out var opened, out _), Is.True);
        Assert.That(opened, Is.EqualTo(flow));
    }

    [Test]
    public void Expired_Tampered_And_Used_Tokens_Are_Refused()
    {
        var (codec, time) = Create();
        var flow = codec.Start("https://acme.zendesk.com/r", "acme", null, null, null, null, null, null);
        var token = codec.Seal(flow);

        Assert.That(codec.TryOpen(token[..^2] + (token[^2] == 'a' ? "bb" : "aa"), out _, out var tampered), Is.False);
        Assert.That(tampered, Is.EqualTo(AdminFlowRejection.Invalid));

        Assert.That(codec.MarkUsed(flow), Is.True);
        Assert.That(codec.TryOpen(token, out _, out var used), Is.False);
        Assert.That(used, Is.EqualTo(AdminFlowRejection.AlreadyUsed));
        Assert.That(codec.MarkUsed(flow), Is.False);

        var later = codec.Start("https://acme.zendesk.com/r", "acme", null, null, null, null, null, null);
        var laterToken = codec.Seal(later);
        time.Advance(AdminFlowTokenCodec.Lifetime + TimeSpan.FromSeconds(1));
        Assert.That(codec.TryOpen(laterToken, out _, out var expired), Is.False);
        Assert.That(expired, Is.EqualTo(AdminFlowRejection.Expired));
    }

    [Test]
    public void Token_Sealed_With_Another_Key_Is_Refused()
    {
        var (codec, _) = Create();
        var other = new AdminFlowTokenCodec(KeyRing.FromConfiguredKeys([new ConfiguredKey("k1", Convert.ToBase64String(Enumerable.Repeat((byte)7, 32).ToArray()))]), TimeProvider.System);
        var token = other.Seal(other.Start("https://acme.zendesk.com/r", "acme", null, null, null, null, null, null));

        Assert.That(codec.TryOpen(token, out _, out var rejection), Is.False);
        Assert.That(rejection, Is.EqualTo(AdminFlowRejection.Invalid));
    }
}
