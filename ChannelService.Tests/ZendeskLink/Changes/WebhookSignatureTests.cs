using System.Text;
using ChannelService.ZendeskLink.Changes;

namespace ChannelService.Tests.ZendeskLink.Changes;

/// <summary>Zendesk's webhook signature: base64(HMAC-SHA256(secret, timestamp + raw body)), timestamp within ±5 minutes.</summary>
public sealed class WebhookSignatureTests
{
    private const string Secret = "dGhlLXdlYmhvb2stc2lnbmluZy1zZWNyZXQ=";
    private static readonly DateTimeOffset Now = new(2026, 12, 6, 21, 0, 0, TimeSpan.Zero);
    private static readonly byte[] Body = Encoding.UTF8.GetBytes("""{"ticket_id": "501"}""");

    [Test]
    public void Signature_Is_Base64_Of_Hmac_Sha256_Over_Timestamp_Then_Body()
    {
        // Arrange: computed independently of WebhookSignature.Sign
        const string Timestamp = "2026-12-06T21:00:00Z";
        using var hmac = new System.Security.Cryptography.HMACSHA256(Encoding.UTF8.GetBytes(Secret));
        var expected = Convert.ToBase64String(hmac.ComputeHash([.. Encoding.UTF8.GetBytes(Timestamp), .. Body]));

        // Act
        var signature = WebhookSignature.Sign(Secret, Timestamp, Body);

        // Assert
        Assert.That(signature, Is.EqualTo(expected));
        Assert.That(WebhookSignature.IsValid(Secret, signature, Timestamp, Body, Now), Is.True);
    }

    [TestCase(-300, true)]
    [TestCase(300, true)]
    [TestCase(-301, false)]
    [TestCase(301, false)]
    public void Timestamp_Is_Accepted_Up_To_Five_Minutes_Either_Way(int offsetSeconds, bool accepted)
    {
        var timestamp = Now.AddSeconds(offsetSeconds).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);

        var valid = WebhookSignature.IsValid(Secret, WebhookSignature.Sign(Secret, timestamp, Body), timestamp, Body, Now);

        Assert.That(valid, Is.EqualTo(accepted));
    }

    [Test]
    public void Unix_Seconds_Timestamps_Are_Read_Too()
    {
        var timestamp = Now.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);

        Assert.That(WebhookSignature.IsValid(Secret, WebhookSignature.Sign(Secret, timestamp, Body), timestamp, Body, Now), Is.True);
    }

    [Test]
    public void Anything_Altered_Or_Missing_Is_Refused()
    {
        const string Timestamp = "2026-12-06T21:00:00Z";
        var signature = WebhookSignature.Sign(Secret, Timestamp, Body);
        var reserialised = Encoding.UTF8.GetBytes("""{"ticket_id":"501"}""");

        Assert.Multiple(() =>
        {
            Assert.That(WebhookSignature.IsValid(Secret, signature, Timestamp, reserialised, Now), Is.False, "a re-serialised body");
            Assert.That(WebhookSignature.IsValid("another-secret", signature, Timestamp, Body, Now), Is.False, "another secret");
            Assert.That(WebhookSignature.IsValid(Secret, signature, "2026-12-06T21:00:01Z", Body, Now), Is.False, "another timestamp");
            Assert.That(WebhookSignature.IsValid(Secret, "not base64!", Timestamp, Body, Now), Is.False, "garbage signature");
            Assert.That(WebhookSignature.IsValid(Secret, Convert.ToBase64String(new byte[16]), Timestamp, Body, Now), Is.False, "short signature");
            Assert.That(WebhookSignature.IsValid(Secret, null, Timestamp, Body, Now), Is.False, "no signature");
            Assert.That(WebhookSignature.IsValid(Secret, signature, null, Body, Now), Is.False, "no timestamp");
            Assert.That(WebhookSignature.IsValid(null, signature, Timestamp, Body, Now), Is.False, "no secret");
            Assert.That(WebhookSignature.IsValid(Secret, signature, "yesterday", Body, Now), Is.False, "unreadable timestamp");
        });
    }
}
