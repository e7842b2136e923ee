using System.Net;
using System.Text.Json.Nodes;
using ChannelService.Accounts;
using ChannelService.Admin;
using ChannelService.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace ChannelService.Tests.Web;

/// <summary>
/// What the real service answers when a request cannot be served: JSON <c>{"error": …}</c> for every JSON endpoint
/// (never ASP.NET's ProblemDetails), the Connect window's checks in their documented order, and an admin page's
/// flow told "not issued here" when forged and "expired" only when it expired.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "Disposed in [TearDown].")]
public sealed class ErrorAnswerTests
{
    private const string Forged = "This form was not issued by this service, or it was altered. Open the account again from Zendesk.";
    private const string Expired = "This page has expired. Close it and open the account again from Zendesk.";

    private ServiceFactory factory = null!;
    private HttpClient client = null!;

    [SetUp]
    public void SetUp()
    {
        // No OAuth client: "Connect to Zendesk" is not set up.
        factory = new ServiceFactory();
        client = factory.CreateClient();
    }

    [TearDown]
    public void TearDown()
    {
        client.Dispose();
        factory.Dispose();
    }

    [TestCase("nope")]
    [TestCase("0123456789abcdef0123")]
    public async Task A_Webhook_Delivery_For_An_Unknown_Link_Is_A_Json_404_Error_Not_Problem_Details(string linkId)
    {
        using var response = await client.PostAsync("/zendesk/webhook/" + linkId, new StringContent("{\"ticket_id\":\"1\"}", System.Text.Encoding.UTF8, "application/json"));

        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/json"));
        Assert.That(body.Select(p => p.Key), Is.EqualTo(new[] { "error" }), body.ToJsonString());
        Assert.That((string?)body["error"], Is.EqualTo("Not found."));
    }

    [Test]
    public async Task A_Wrong_Method_On_A_Json_Endpoint_Is_A_Json_405_Error()
    {
        using var response = await client.GetAsync("/zendesk/webhook/0123456789abcdef0123");

        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.MethodNotAllowed));
        Assert.That(body.Select(p => p.Key), Is.EqualTo(new[] { "error" }), body.ToJsonString());
    }

    [Test]
    public async Task Connect_Checks_The_Admin_Flow_Before_Saying_That_No_OAuth_Client_Is_Set_Up()
    {
        using var noFlow = await client.PostAsync("/zendesk/oauth/start", Form(("flow", "f1.x.forged")));
        using var withFlow = await client.PostAsync("/zendesk/oauth/start", Form(("flow", Flow(TimeProvider.System))));

        Assert.That(noFlow.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(WebUtility.HtmlDecode(await noFlow.Content.ReadAsStringAsync()), Does.Contain("This request did not come from an open admin page"));
        Assert.That(withFlow.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That(WebUtility.HtmlDecode(await withFlow.Content.ReadAsStringAsync()), Does.Contain("Connect to Zendesk is not set up"));
    }

    [TestCase("/admin/agent-calendars/rotate")]
    [TestCase("/admin/zendesk-link")]
    public async Task A_Forged_Or_Malformed_Flow_Is_Told_It_Was_Not_Issued_Here_And_An_Old_One_That_It_Expired(string path)
    {
        var old = Flow(new ManualTimeProvider(DateTimeOffset.UtcNow - AdminFlowTokenCodec.Lifetime - TimeSpan.FromMinutes(1)));
        var valid = Flow(TimeProvider.System);
        var altered = valid[..^4] + (valid[^4..] == "AAAA" ? "BBBB" : "AAAA");

        var forged = await ErrorAsync(path, "f1.x.forged");
        var tampered = await ErrorAsync(path, altered);
        var expired = await ErrorAsync(path, old);

        Assert.That((forged, tampered), Is.EqualTo((Forged, Forged)));
        Assert.That(expired, Is.EqualTo(Expired));
    }

    [Test]
    public async Task The_Flow_Messages_Speak_The_Admin_Pages_Language()
    {
        var expired = await ErrorAsync("/admin/agent-calendars/rotate", Flow(new ManualTimeProvider(DateTimeOffset.UtcNow.AddHours(-3))), "de");
        var forged = await ErrorAsync("/admin/zendesk-link", "f1.x.forged", "es-419");

        Assert.That(expired, Is.EqualTo("Diese Seite ist abgelaufen. Schließen Sie sie und öffnen Sie das Konto erneut aus Zendesk."));
        Assert.That(forged, Is.EqualTo("Este formulario no lo emitió este servicio o fue alterado. Vuelva a abrir la cuenta desde Zendesk."));
    }

    /// <summary>POSTs the admin form and returns its JSON error, checking the status is 400.</summary>
    private async Task<string?> ErrorAsync(string path, string flow, string locale = "en")
    {
        using var response = await client.PostAsync(path, Form(("flow", flow), ("agent_id", "7001"), ("locale", locale)));
        var text = await response.Content.ReadAsStringAsync();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest), path + ": " + text);
        return (string?)JsonNode.Parse(text)!["error"];
    }

    /// <summary>An admin flow sealed with the service's own keys at the time <paramref name="time"/> says.</summary>
    private string Flow(TimeProvider time)
    {
        var codec = new AdminFlowTokenCodec(factory.Services.GetRequiredService<KeyRing>(), time);
        return codec.Seal(codec.Start("https://acme.zendesk.com/admin/return", "acme", "en", null, null, null, null, null));
    }

    private static FormUrlEncodedContent Form(params (string Key, string Value)[] fields) =>
        new(fields.Select(f => new KeyValuePair<string, string>(f.Key, f.Value)));
}
