using System.Net;
using System.Text.Json.Nodes;
using ChannelService.Tests.Support;

namespace ChannelService.Tests.Health;

public sealed class HealthTests
{
    [Test]
    public async Task Health_Answers_200_With_Json_When_The_Database_Is_Reachable()
    {
        using var factory = new ServiceFactory();
        using var client = factory.CreateClient();

        using var response = await client.GetAsync("/health");

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.That((string)body["status"]!, Is.EqualTo("ok"));
        Assert.That((string)body["database"]!, Is.EqualTo("ok"));
    }

    [Test]
    public async Task Health_Answers_503_When_The_Database_Is_Gone()
    {
        using var factory = new ServiceFactory();
        using var client = factory.CreateClient();
        (await client.GetAsync("/health")).EnsureSuccessStatusCode();

        // Replace the database file with a directory: opening it now fails the way a lost volume does.
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        foreach (var file in Directory.GetFiles(factory.DataDirectory, "channel.db*"))
        {
            File.Delete(file);
        }

        Directory.CreateDirectory(Path.Combine(factory.DataDirectory, "channel.db"));

        // Again: a background worker (the API call log's flush, the outbox) may have pooled a connection to the deleted
        // file in between, which would still answer.
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();

        using var response = await client.GetAsync("/health");

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/json"));
        Assert.That((string)JsonNode.Parse(await response.Content.ReadAsStringAsync())!["status"]!, Is.EqualTo("unavailable"));
    }

    [TestCase("POST", "/pull")]
    [TestCase("POST", "/channelback")]
    [TestCase("GET", "/nowhere")]
    public async Task Errors_Are_Json_Not_Html(string method, string path)
    {
        using var factory = new ServiceFactory();
        using var client = factory.CreateClient();

        using var response = await client.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));

        Assert.That((int)response.StatusCode, Is.GreaterThanOrEqualTo(400));
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/json"));
        Assert.That(JsonNode.Parse(await response.Content.ReadAsStringAsync())!["error"], Is.Not.Null);
    }
}

public sealed class StartupTests
{
    [Test]
    public async Task First_Start_Creates_The_Database_And_The_Key_File_In_The_Data_Directory()
    {
        using var factory = new ServiceFactory();
        using var client = factory.CreateClient();
        (await client.GetAsync("/health")).EnsureSuccessStatusCode();

        Assert.That(File.Exists(Path.Combine(factory.DataDirectory, "channel.db")), Is.True);
        Assert.That(File.Exists(Path.Combine(factory.DataDirectory, "keys.json")), Is.True);
    }

    [Test]
    public void A_Corrupt_Key_File_Stops_The_Service_At_Start()
    {
        using var factory = new ServiceFactory();
        Directory.CreateDirectory(factory.DataDirectory);
        File.WriteAllText(Path.Combine(factory.DataDirectory, "keys.json"), "{ not json");

        Assert.That(() => factory.CreateClient(), Throws.Exception);
    }
}
