using ChannelService.Configuration;
using ChannelService.Tests.Support;
using FluentValidation.TestHelper;
using Microsoft.Extensions.Configuration;

namespace ChannelService.Tests.Configuration;

/// <summary>The <c>Channel</c> settings are checked by one FluentValidation validator, at start, in words that name the setting.</summary>
public sealed class ChannelOptionsValidatorTests
{
    private static ChannelOptions Valid() => new() { PublicBaseUrl = "https://channel.example.com", DataDirectory = "/var/lib/channelservice" };

    [Test]
    public void Production_Settings_With_A_Public_Https_Url_Are_Valid()
    {
        var result = new ChannelOptionsValidator(isDevelopment: false).TestValidate(Valid());

        result.ShouldNotHaveAnyValidationErrors();
    }

    [TestCase(null, false, "Channel:PublicBaseUrl is required")]
    [TestCase("ftp://channel.example.com", false, "Channel:PublicBaseUrl must be an absolute https URL; got 'ftp://channel.example.com'.")]
    [TestCase("http://channel.example.com", false, "Channel:PublicBaseUrl must use https")]
    [TestCase("https://channel.example.com/?x=1", false, "Channel:PublicBaseUrl must not contain a query")]
    public void The_Public_Base_Url_Is_Checked_And_Named(string? url, bool development, string message)
    {
        var options = Valid();
        options.PublicBaseUrl = url;

        var result = new ChannelOptionsValidator(development).TestValidate(options);

        Assert.That(result.Errors.Select(e => e.ErrorMessage), Has.One.StartsWith(message));
    }

    [TestCase("ChannelbackRequestRetention", "23:00:00", "Channel:ChannelbackRequestRetention must be at least 1.00:00:00")]
    [TestCase("EventLogRetention", "00:30:00", "Channel:EventLogRetention must be at least 01:00:00 (1 hour); got 00:30:00.")]
    [TestCase("ServiceErrorRetention", "00:00:00", "Channel:ServiceErrorRetention must be at least 01:00:00")]
    [TestCase("OutboxDeliveredRetention", "-01:00:00", "Channel:OutboxDeliveredRetention must be at least 01:00:00")]
    [TestCase("OutboxParkedRetention", "00:59:59", "Channel:OutboxParkedRetention must be at least 01:00:00")]
    [TestCase("ForgottenItemRetention", "00:10:00", "Channel:ForgottenItemRetention must be at least 01:00:00")]
    [TestCase("RetentionInterval", "00:00:00", "Channel:RetentionInterval must be 00:00:01 to 1.00:00:00.")]
    public void Retention_Settings_Are_Checked_And_Named(string setting, string value, string message)
    {
        var options = Valid();
        typeof(ChannelOptions).GetProperty(setting)!.SetValue(options, TimeSpan.Parse(value, System.Globalization.CultureInfo.InvariantCulture));

        var result = new ChannelOptionsValidator(isDevelopment: false).TestValidate(options);

        Assert.That(result.Errors.Select(e => e.ErrorMessage), Has.One.StartsWith(message));
        Assert.That(result.Errors, Has.Count.EqualTo(1));
    }

    [TestCase(0)]
    [TestCase(10_001)]
    public void The_Retention_Batch_Size_Is_1_To_10000(int size)
    {
        var options = Valid();
        options.RetentionBatchSize = size;

        var result = new ChannelOptionsValidator(isDevelopment: false).TestValidate(options);

        Assert.That(result.Errors.Select(e => e.ErrorMessage), Is.EqualTo(new[] { "Channel:RetentionBatchSize must be 1 to 10000." }));
    }

    [TestCase("client", null, null, "Channel:ZendeskOAuthClientId and Channel:ZendeskOAuthClientSecret must be set together")]
    [TestCase(null, "secret", null, "Channel:ZendeskOAuthClientId and Channel:ZendeskOAuthClientSecret must be set together")]
    [TestCase("client id", "secret", null, "Channel:ZendeskOAuthClientId must be the OAuth client's unique identifier")]
    [TestCase("client", "sec ret", null, "Channel:ZendeskOAuthClientSecret must be the OAuth client's secret")]
    [TestCase("client", "secret", "read; DROP", "Channel:ZendeskOAuthScopes must be Zendesk scopes")]
    public void The_Zendesk_OAuth_Client_Settings_Are_Checked_And_Named(string? clientId, string? secret, string? scopes, string message)
    {
        var options = Valid();
        options.ZendeskOAuthClientId = clientId;
        options.ZendeskOAuthClientSecret = secret;
        options.ZendeskOAuthScopes = scopes ?? ChannelOptions.DefaultZendeskOAuthScopes;

        var result = new ChannelOptionsValidator(isDevelopment: false).TestValidate(options);

        Assert.That(result.Errors.Select(e => e.ErrorMessage), Has.One.StartsWith(message));
        Assert.That(result.Errors.Select(e => e.ErrorMessage), Has.None.Contain("sec ret"), "the secret is never echoed");
    }

    [Test]
    public void A_Zendesk_OAuth_Client_With_Both_Settings_Is_Valid_And_Enables_Connect()
    {
        var options = Valid();
        options.ZendeskOAuthClientId = "channelservice_global";
        options.ZendeskOAuthClientSecret = "0123456789abcdef";

        Assert.That(new ChannelOptionsValidator(isDevelopment: false).TestValidate(options).IsValid, Is.True);
        Assert.That((options.ZendeskConnectEnabled, Valid().ZendeskConnectEnabled), Is.EqualTo((true, false)));
    }

    [Test]
    public void Development_May_Run_Without_A_Public_Address()
    {
        var options = Valid();
        options.PublicBaseUrl = null;

        Assert.That(new ChannelOptionsValidator(isDevelopment: true).TestValidate(options).IsValid, Is.True);
    }

    [Test]
    public void Every_Problem_Is_Reported_Each_Naming_Its_Setting()
    {
        var options = Valid();
        options.PushBatchSize = 0;
        options.DashboardUser = "ops";
        options.TrustedProxies = ["10.0.0.0/33"];
        options.ReturnUrlHosts = ["https://support.example.com/"];
        options.IntegrationName = "";

        var messages = new ChannelOptionsValidator(isDevelopment: false).TestValidate(options).Errors.Select(e => e.ErrorMessage).ToList();

        Assert.That(messages, Has.Count.EqualTo(5));
        Assert.That(messages, Has.All.StartWith("Channel:"));
        Assert.That(messages, Has.Some.Contains("'10.0.0.0/33'").And.Some.Contains("'https://support.example.com/'"));
    }

    [Test]
    public void A_Bad_Setting_Stops_The_Service_At_Start_With_Its_Message()
    {
        using var factory = new ServiceFactory(new Dictionary<string, string?> { ["Channel:PushBatchSize"] = "500" });

        var error = Assert.Throws<InvalidOperationException>(() => factory.CreateClient());

        Assert.That(error!.Message, Does.StartWith("Invalid configuration:").And.Contains("Channel:PushBatchSize must be 1 to 200"));
    }

    [Test]
    public void Every_Setting_Of_The_Wrong_Type_Stops_A_Test_Host_At_Start_With_One_Message_Each()
    {
        using var factory = new ServiceFactory(new Dictionary<string, string?>
        {
            ["Channel:Sandbox"] = "maybe",
            ["Channel:PushLinger"] = "soon",
            ["Channel:SourceConnectTimeout"] = "abc",
            ["Channel:RetentionBatchSize"] = "",
        });

        var error = Assert.Throws<InvalidOperationException>(() => factory.CreateClient());

        Assert.That(error!.Message, Does.StartWith("Invalid configuration:")
            .And.Contains("Channel:Sandbox: 'maybe' is not true or false.")
            .And.Contains("Channel:PushLinger: 'soon' is not a duration")
            .And.Contains("Channel:SourceConnectTimeout: 'abc' is not a duration")
            .And.Contains("Channel:RetentionBatchSize: an empty value is not a whole number"));
    }

    [Test]
    public void Values_Of_The_Right_Type_Bind_As_The_Configuration_Binder_Binds_Them()
    {
        var section = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Channel:AgentCalendarAllDay"] = "True",
            ["Channel:PushLinger"] = "00:00:02",
            ["Channel:PushBatchSize"] = "50",
            ["Channel:TrustedProxies:0"] = "10.0.0.5",
            ["Channel:Sandbox"] = "",
        }).Build().GetSection(ChannelOptions.SectionName);

        var options = SettingBinding.Get<ChannelOptions>(section);

        Assert.That(options.AgentCalendarAllDay, Is.True);
        Assert.That(options.Sandbox, Is.Null, "an empty value for a nullable setting is null");
        Assert.That(options.PushLinger, Is.EqualTo(TimeSpan.FromSeconds(2)));
        Assert.That(options.PushBatchSize, Is.EqualTo(50));
        Assert.That(options.TrustedProxies, Is.EqualTo(new[] { "10.0.0.5" }));
    }
}
