using ChannelService.Configuration;
using ChannelService.Zendesk;
using FluentValidation.TestHelper;

namespace ChannelService.Tests.Metrics;

/// <summary>The OTLP settings and the Zendesk endpoint label, which must never carry an id.</summary>
public sealed class MetricsSettingsTests
{
    private static ChannelOptions Valid() => new() { PublicBaseUrl = "https://channel.example.com", DataDirectory = "/var/lib/channelservice" };

    [TestCase(null)]
    [TestCase("")]
    [TestCase("http://127.0.0.1:4318/v1/metrics")]
    [TestCase("https://otel.example.com/v1/metrics")]
    public void An_Empty_Or_Http_Otlp_Endpoint_Is_Valid(string? endpoint)
    {
        var options = Valid();
        options.OtlpEndpoint = endpoint;

        new ChannelOptionsValidator(isDevelopment: false).TestValidate(options).ShouldNotHaveAnyValidationErrors();
    }

    [TestCase("otel-collector:4318")]
    [TestCase("/v1/metrics")]
    [TestCase("grpc://otel.example.com:4317")]
    [TestCase("https://user:secret-token@otel.example.com/v1/metrics")]
    public void Another_Otlp_Endpoint_Is_Refused_By_Name_Without_Repeating_It(string endpoint)
    {
        var options = Valid();
        options.OtlpEndpoint = endpoint;

        var errors = new ChannelOptionsValidator(isDevelopment: false).TestValidate(options).Errors.Select(e => e.ErrorMessage).ToList();

        Assert.That(errors, Has.One.StartsWith("Channel:OtlpEndpoint must be an absolute http(s) URL"));
        Assert.That(errors, Has.None.Contains("secret-token"));
    }

    [TestCase("00:00:00")]
    [TestCase("01:00:01")]
    public void The_Otlp_Export_Interval_Is_1_Second_To_1_Hour(string interval)
    {
        var options = Valid();
        options.OtlpExportInterval = TimeSpan.Parse(interval, System.Globalization.CultureInfo.InvariantCulture);

        var errors = new ChannelOptionsValidator(isDevelopment: false).TestValidate(options).Errors.Select(e => e.ErrorMessage);

        Assert.That(errors, Has.One.EqualTo("Channel:OtlpExportInterval must be 00:00:01 to 01:00:00 (default 00:01:00)."));
    }

    [TestCase(new[] { "api", "v2", "any_channel", "push" }, "api/v2/any_channel/push")]
    [TestCase(new[] { "api", "v2", "tickets", "123456" }, "api/v2/tickets/{id}")]
    [TestCase(new[] { "api", "v2", "webhooks", "01GXYZ8ABCDEF", "signing_secret" }, "api/v2/webhooks/{id}/signing_secret")]
    [TestCase(new[] { "api", "v2", "job_statuses", "8b726e606741012ffc2d782bcb7848fe" }, "api/v2/job_statuses/{id}")]
    [TestCase(new[] { "api", "v2", "incremental", "tickets", "cursor.json" }, "api/v2/incremental/tickets/cursor.json")]
    [TestCase(new[] { "oauth", "tokens" }, "oauth/tokens")]
    [TestCase(new[] { "api", "v2", "users", "Some Name" }, "api/v2/users/{id}")]
    public void The_Endpoint_Label_Keeps_Zendesks_Words_And_Hides_Every_Id(string[] path, string label) =>
        Assert.That(ZendeskHttp.EndpointTemplate(path), Is.EqualTo(label));
}
