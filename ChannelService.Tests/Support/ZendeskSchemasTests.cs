namespace ChannelService.Tests.Support;

/// <summary>The schema helper itself must reject what Zendesk rejects, or every payload test would be hollow.</summary>
public sealed class ZendeskSchemasTests
{
    private const string Resource = """{"external_id":"a1","message":"hi","author":{"external_id":"u1"},"created_at":"2026-11-22T10:00:00Z"}""";

    [Test]
    public void Accepts_A_Minimal_Pull_Payload() =>
        ZendeskSchemas.AssertValid("pull_payload.json", $$"""{"external_resources":[{{Resource}}],"state":"s"}""");

    [Test]
    public void Rejects_A_Resource_Without_Required_Fields() =>
        Assert.That(ZendeskSchemas.Validate("pull_payload.json", """{"external_resources":[{"external_id":"a1"}]}"""), Is.Not.Empty);

    [Test]
    public void Rejects_An_External_Id_With_Surrounding_Whitespace_Or_Non_Ascii()
    {
        Assert.That(ZendeskSchemas.Validate("external_resource.json", Resource.Replace("\"a1\"", "\" a1\"")), Has.Some.Contains("external id"));
        Assert.That(ZendeskSchemas.Validate("external_resource.json", Resource.Replace("\"a1\"", "\"ä1\"")), Has.Some.Contains("external id"));
    }

    [Test]
    public void Checks_Https_Url_Format_Through_Nested_Manifest_References()
    {
        const string manifest = """{"name":"n","id":"i","urls":{"admin_ui":"http://example.com/admin"}}""";
        Assert.That(ZendeskSchemas.Validate("manifest.json", manifest), Has.Some.Contains("https"));
        Assert.That(ZendeskSchemas.Validate("manifest.json", manifest.Replace("http:", "https:")), Is.Empty);
    }

    [Test]
    public void Accepts_Loopback_Http_Only_When_Asked()
    {
        const string manifest = """{"name":"n","id":"i","urls":{"admin_ui":"http://127.0.0.1:5080/admin"}}""";
        Assert.That(ZendeskSchemas.Validate("manifest.json", manifest), Is.Not.Empty);
        Assert.That(ZendeskSchemas.Validate("manifest.json", manifest, allowLoopbackHttp: true), Is.Empty);
    }

    [Test]
    public void Accepts_Any_Typed_Field_Values() =>
        ZendeskSchemas.AssertValid("external_resource.json", Resource.TrimEnd('}') + ""","fields":[{"id":"subject","value":{"x":[1,2]}}]}""");
}
