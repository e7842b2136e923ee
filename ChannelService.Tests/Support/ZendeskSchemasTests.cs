namespace ChannelService.Tests.Support;

/// <summary>The schema helper itself must reject what Zendesk rejects, or every payload test would be hollow.</summary>
public sealed class ZendeskSchemasTests
{
    private const string Resource = """{"external_id":"a1","message":"hi","author":{"external_id":"u1"},"created_at":"2026-11-22T10:00:00Z"}""";

    private const string PullRequestEvent =
        """{"type_id":"pull_request","timestamp":"2026-11-22T03:00:00Z","subdomain":"acme","integration_name":"n","integration_id":"i","data":{"integration_instance_name":"a","url":"https://x.example/pull","request_id":"r","duplicate_external_ids":[]}}""";

    [Test]
    public void Accepts_A_Minimal_Pull_Payload() =>
        ZendeskSchemas.AssertValid("pull_payload.json", $$"""{"external_resources":[{{Resource}}],"state":"s"}""");

    [Test]
    public void Rejects_A_Resource_Without_Required_Fields() =>
        Assert.That(ZendeskSchemas.Validate("pull_payload.json", """{"external_resources":[{"external_id":"a1"}]}"""), Has.Some.Contains("message").And.Some.Contains("author"));

    [Test]
    public void Rejects_An_External_Id_With_Surrounding_Whitespace_Or_Non_Ascii()
    {
        Assert.That(ZendeskSchemas.Validate("external_resource.json", Resource.Replace("\"a1\"", "\" a1\"")), Has.Some.Contains("/external_id: ' a1' is not a valid external id"));
        Assert.That(ZendeskSchemas.Validate("external_resource.json", Resource.Replace("\"a1\"", "\"ä1\"")), Has.Some.Contains("/external_id: 'ä1' is not a valid external id"));
        Assert.That(ZendeskSchemas.Validate("external_resource.json", Resource.Replace("\"u1\"", "\"u1 \"")), Has.Some.Contains("/author/external_id"));
    }

    [Test]
    public void Checks_Https_Url_Format_Through_Nested_Manifest_References()
    {
        const string manifest = """{"name":"n","id":"i","urls":{"admin_ui":"http://example.com/admin"}}""";
        Assert.That(ZendeskSchemas.Validate("manifest.json", manifest), Has.Some.Contains("/urls/admin_ui: 'http://example.com/admin' is not an https URL"));
        Assert.That(ZendeskSchemas.Validate("manifest.json", manifest.Replace("http:", "https:")), Is.Empty);
        Assert.That(ZendeskSchemas.Validate("manifest.json", """{"name":"n","id":"i","urls":{}}"""), Has.Some.Contains("admin_ui"), "urls requires admin_ui (nested definition)");
    }

    [Test]
    public void Accepts_Loopback_Http_Only_When_Asked()
    {
        const string manifest = """{"name":"n","id":"i","urls":{"admin_ui":"http://127.0.0.1:5080/admin"}}""";
        Assert.That(ZendeskSchemas.Validate("manifest.json", manifest), Is.Not.Empty);
        Assert.That(ZendeskSchemas.Validate("manifest.json", manifest, allowLoopbackHttp: true), Is.Empty);
        Assert.That(ZendeskSchemas.Validate("manifest.json", manifest.Replace("127.0.0.1", "example.com"), allowLoopbackHttp: true), Is.Not.Empty);
    }

    [Test]
    public void Accepts_Any_Typed_Field_Values() =>
        ZendeskSchemas.AssertValid("external_resource.json", Resource.TrimEnd('}') + ""","fields":[{"id":"subject","value":{"x":[1,2]}}]}""");

    [Test]
    public void Event_Callbacks_Apply_Both_The_Shared_Base_And_Their_Own_Data()
    {
        ZendeskSchemas.AssertValid("event_callback_pull_request.json", PullRequestEvent);
        Assert.Multiple(() =>
        {
            // From event_callback_base.json, behind the root $ref to another file.
            Assert.That(ZendeskSchemas.Validate("event_callback_pull_request.json", PullRequestEvent.Replace("\"subdomain\":\"acme\",", "")), Has.Some.Contains("subdomain"));
            Assert.That(ZendeskSchemas.Validate("event_callback_pull_request.json", PullRequestEvent.Replace("\"pull_request\"", "\"made_up\"")), Has.Some.StartsWith("/type_id"));

            // From the type's own properties beside that $ref.
            Assert.That(ZendeskSchemas.Validate("event_callback_pull_request.json", PullRequestEvent.Replace("\"request_id\":\"r\",", "")), Has.Some.Contains("request_id"));
            Assert.That(ZendeskSchemas.Validate("event_callback_pull_request.json", PullRequestEvent.Replace("https://x.example", "http://x.example")), Has.Some.StartsWith("/data/url"));
        });
    }

    [Test]
    public void The_Event_Timestamp_Typed_Time_Must_Be_A_Date_Time_String()
    {
        Assert.That(ZendeskSchemas.Validate("event_callback_pull_request.json", PullRequestEvent.Replace("\"2026-11-22T03:00:00Z\"", "1795316400")), Has.Some.StartsWith("/timestamp"));
        Assert.That(ZendeskSchemas.Validate("event_callback_pull_request.json", PullRequestEvent.Replace("\"2026-11-22T03:00:00Z\"", "\"yesterday\"")), Has.Some.StartsWith("/timestamp"));
    }

    [Test]
    public void A_Schema_That_Is_Not_There_Fails_At_Once_Naming_It() =>
        Assert.That(() => ZendeskSchemas.Load("no_such_schema.json"), Throws.TypeOf<FileNotFoundException>().With.Message.Contains("no_such_schema.json"));
}
