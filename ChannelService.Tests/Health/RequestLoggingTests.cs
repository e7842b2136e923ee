using ChannelService.Accounts;
using ChannelService.Tests.Support;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ChannelService.Tests.Health;

public sealed class RequestLoggingTests
{
    [Test]
    public async Task Zendesk_Requests_Are_Logged_With_The_Account_Id_And_Never_With_Metadata_Or_Secrets()
    {
        var logs = new CapturingLoggerProvider();
        using var factory = new ServiceFactory();
        using var host = factory.WithWebHostBuilder(b => b.ConfigureLogging(l => l.AddProvider(logs)));
        using var client = host.CreateClient();
        var codec = host.Services.GetRequiredService<MetadataCodec>();
        var account = new NewAccountRequest("caldav-tasks", "https://dav.example.com/tasks/", "alice", "hunter2-secret", "Tasks", [])
            .Create(TimeProvider.System);
        var metadata = codec.Encode(account);

        using var response = await client.PostAsync("/pull", new FormUrlEncodedContent(new Dictionary<string, string> { ["metadata"] = metadata, ["state"] = "" }));

        var line = logs.Lines.Single(l => l.Category == "ChannelService.Requests");
        Assert.That(line.Scope, Does.Contain(new KeyValuePair<string, object?>("AccountId", account.AccountId)));
        Assert.That(line.Scope, Does.Contain(new KeyValuePair<string, object?>("Endpoint", "/pull")));
        var everything = logs.AllText();
        Assert.That(everything, Does.Not.Contain(metadata[..40]));
        Assert.That(everything, Does.Not.Contain("hunter2-secret"));
    }

    [Test]
    public async Task Undecryptable_Metadata_Leaves_The_Account_Unknown_In_The_Scope()
    {
        var logs = new CapturingLoggerProvider();
        using var factory = new ServiceFactory();
        using var host = factory.WithWebHostBuilder(b => b.ConfigureLogging(l => l.AddProvider(logs)));
        using var client = host.CreateClient();

        using var response = await client.PostAsync("/pull", new FormUrlEncodedContent(new Dictionary<string, string> { ["metadata"] = "v1.garbage.garbage" }));

        var line = logs.Lines.Single(l => l.Category == "ChannelService.Requests");
        Assert.That(line.Scope, Does.Contain(new KeyValuePair<string, object?>("AccountId", "-")));
        Assert.That(logs.AllText(), Does.Not.Contain("v1.garbage.garbage"));
    }
}
