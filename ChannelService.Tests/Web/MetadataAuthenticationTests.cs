using System.Net;
using System.Text.Json.Nodes;
using ChannelService.Accounts;
using ChannelService.Tests.Support;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ChannelService.Tests.Web;

/// <summary>
/// The metadata authentication scheme at the web edge: one 401 JSON error for every endpoint that needs an account,
/// with the messages Zendesk has always seen, metadata read from the form (and the query string for the pull only),
/// and a form over the reader's limits still answered as a JSON 400.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "Disposed in [TearDown].")]
public sealed class MetadataAuthenticationTests
{
    private ServiceFactory factory = null!;
    private HttpClient client = null!;

    [SetUp]
    public void SetUp()
    {
        factory = new ServiceFactory();
        client = factory.CreateClient();
    }

    [TearDown]
    public void TearDown()
    {
        client.Dispose();
        factory.Dispose();
    }

    private async Task<(HttpStatusCode Status, string? Error, string? ContentType)> PostAsync(string path, Dictionary<string, string>? form = null)
    {
        using var response = await client.PostAsync(path, form is null ? null : new FormUrlEncodedContent(form));
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, JsonNode.Parse(text)?["error"]?.GetValue<string>(), response.Content.Headers.ContentType?.ToString());
    }

    private string Metadata(string kind = "inbox", string url = "https://hooks.example.net/replies") =>
        factory.Services.GetRequiredService<MetadataCodec>().Encode(new NewAccountRequest(kind, url, null, null, "Account", []).Create(TimeProvider.System));

    [TestCase("/pull", "metadata is missing.")]
    [TestCase("/channelback", "metadata is missing.")]
    [TestCase("/health", "metadata is missing: post it as a form field.")]
    public async Task Missing_Metadata_Is_A_401_Json_Error_With_The_Endpoints_Message(string path, string message)
    {
        // Act
        var (status, error, contentType) = await PostAsync(path, new Dictionary<string, string> { ["metadata"] = "", ["state"] = "" });

        // Assert
        Assert.Multiple(() =>
        {
            Assert.That(status, Is.EqualTo(HttpStatusCode.Unauthorized));
            Assert.That(error, Is.EqualTo(message));
            Assert.That(contentType, Is.EqualTo("application/json; charset=utf-8"));
        });
    }

    [TestCase("/pull")]
    [TestCase("/channelback")]
    [TestCase("/health")]
    public async Task Undecryptable_Metadata_Is_A_401_Naming_The_Rejection(string path)
    {
        // Arrange: metadata from another installation's key.
        using var other = new ServiceFactory();
        var foreign = other.Services.GetRequiredService<MetadataCodec>().Encode(new NewAccountRequest("inbox", "https://hooks.example.net/replies", null, null, "Other", []).Create(TimeProvider.System));

        // Act
        var (status, error, _) = await PostAsync(path, new Dictionary<string, string> { ["metadata"] = foreign });

        // Assert
        Assert.That(status, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(error, Is.Not.Null.And.Not.Contains("missing"));
        Assert.That(error, Is.Not.Contains(foreign[..20]), "the rejection never echoes the metadata");
    }

    [TestCase("/pull", "not-metadata", "The metadata is not in the format this service mints.")]
    [TestCase("/channelback", "not-metadata", "The metadata is not in the format this service mints.")]
    [TestCase("/health", "not-metadata", "The metadata is not in the format this service mints.")]
    public async Task Metadata_Not_Minted_Here_Is_A_401_Whose_Message_Names_The_Metadata(string path, string metadata, string message)
    {
        var (status, error, _) = await PostAsync(path, new Dictionary<string, string> { ["metadata"] = metadata });

        Assert.That(status, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(error, Is.EqualTo(message));
    }

    [Test]
    public async Task The_Pull_Also_Reads_Metadata_From_The_Query_String_And_The_Probe_Does_Not()
    {
        // Arrange: an inbox account pulls without a source, so the query string is the only thing tested here.
        var query = "?metadata=" + Uri.EscapeDataString(Metadata());

        // Act
        var pull = await PostAsync("/pull" + query);
        var probe = await PostAsync("/health" + query);

        // Assert
        Assert.That(pull.Status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(probe.Status, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(probe.Error, Is.EqualTo("metadata is missing: post it as a form field."));
    }

    [Test]
    public async Task Decrypted_Metadata_Reaches_The_Action_As_The_Current_Account()
    {
        // Act: the probe answers for an inbox account without contacting anything.
        using var response = await client.PostAsync("/health", new FormUrlEncodedContent(new Dictionary<string, string> { ["metadata"] = Metadata() }));
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

        // Assert
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(body["source"]!.GetValue<string>(), Is.EqualTo("inbox"));
    }

    [TestCase("/pull")]
    [TestCase("/admin")]
    public async Task A_Form_Over_The_Readers_Limits_Is_A_Json_400_Before_Anything_Else(string path)
    {
        // Arrange: more fields than ASP.NET Core's form reader accepts (1024).
        var logs = new CapturingLoggerProvider();
        using var logged = factory.WithWebHostBuilder(b => b.ConfigureLogging(l => l.AddProvider(logs)));
        using var loggedClient = logged.CreateClient();
        var form = Enumerable.Range(0, 1100).ToDictionary(i => "f" + i, _ => "x");
        form["metadata"] = Metadata();

        // Act
        using var response = await loggedClient.PostAsync(path, new FormUrlEncodedContent(form));

        // Assert
        Assert.Multiple(async () =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(JsonNode.Parse(await response.Content.ReadAsStringAsync())!["error"]!.GetValue<string>(), Is.EqualTo("The form is too large or malformed."));
            Assert.That(response.Content.Headers.ContentType?.ToString(), Is.EqualTo("application/json; charset=utf-8"));
            Assert.That(logs.Lines.Where(l => l.Level >= LogLevel.Error).Select(l => l.Message), Is.Empty, "a client's error is not logged as ours");
        });
    }

}
