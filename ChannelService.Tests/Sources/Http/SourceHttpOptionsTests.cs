using ChannelService.Sources.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace ChannelService.Tests.Sources.Http;

public sealed class SourceHttpOptionsTests
{
    [Test]
    public void Defaults_Are_The_Safe_Production_Values()
    {
        var options = new SourceHttpOptions();

        Assert.Multiple(() =>
        {
            Assert.That(options.AllowPrivateNetworkSources, Is.False);
            Assert.That(options.AllowedSourceNetworks, Is.Empty);
            Assert.That(options.MaxSourceResponseBytes, Is.EqualTo(20 * 1024 * 1024));
            Assert.That(options.SourceConnectTimeout, Is.EqualTo(TimeSpan.FromSeconds(10)));
            Assert.That(options.SourceRequestTimeout, Is.EqualTo(TimeSpan.FromSeconds(30)));
            Assert.That(options.MaxSourceRedirects, Is.EqualTo(5));
            Assert.That(SourceHttpOptionsValidator.Problems(options), Is.Empty);
        });
    }

    [Test]
    public void AddSourceHttp_Binds_The_Channel_Section()
    {
        using var provider = Provider(new()
        {
            ["Channel:AllowPrivateNetworkSources"] = "true",
            ["Channel:AllowedSourceNetworks:0"] = "10.20.0.0/16",
            ["Channel:AllowedSourceNetworks:1"] = "fd12:3456::/48",
            ["Channel:MaxSourceResponseBytes"] = "1048576",
            ["Channel:SourceConnectTimeout"] = "00:00:03",
            ["Channel:SourceRequestTimeout"] = "00:00:15",
            ["Channel:MaxSourceRedirects"] = "3",
        });

        var options = provider.GetRequiredService<SourceHttpClient>().Options;

        Assert.That(options.AllowPrivateNetworkSources, Is.True);
        Assert.That(options.AllowedSourceNetworks, Is.EqualTo(new[] { "10.20.0.0/16", "fd12:3456::/48" }));
        Assert.That(options.MaxSourceResponseBytes, Is.EqualTo(1048576));
        Assert.That(options.SourceConnectTimeout, Is.EqualTo(TimeSpan.FromSeconds(3)));
        Assert.That(options.SourceRequestTimeout, Is.EqualTo(TimeSpan.FromSeconds(15)));
        Assert.That(options.MaxSourceRedirects, Is.EqualTo(3));
    }

    [Test]
    public void AddSourceHttp_Rejects_A_Bad_Cidr_With_A_Message_Naming_It()
    {
        using var provider = Provider(new()
        {
            ["Channel:AllowedSourceNetworks:0"] = "10.20.0.0/16",
            ["Channel:AllowedSourceNetworks:1"] = "10.0.0.0/33",
        });

        var error = Assert.Throws<OptionsValidationException>(() => _ = provider.GetRequiredService<IOptions<SourceHttpOptions>>().Value);

        Assert.That(error!.Message, Does.Contain("Channel:AllowedSourceNetworks:1 '10.0.0.0/33' is not a CIDR range"));
    }

    [Test]
    public void Create_Rejects_Bad_Settings_Without_Dependency_Injection()
    {
        var options = new SourceHttpOptions { AllowedSourceNetworks = ["192.168.1.0/24", "192.168.1.1/24"], MaxSourceResponseBytes = 0 };

        var error = Assert.Throws<ArgumentException>(() => SourceHttpClient.Create(options));

        Assert.That(error!.Message, Does.Contain("'192.168.1.1/24' is not a CIDR range"));
        Assert.That(error.Message, Does.Contain("Channel:MaxSourceResponseBytes must be a positive number"));
    }

    private static ServiceProvider Provider(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        return new ServiceCollection().AddSourceHttp(configuration).BuildServiceProvider();
    }
}
