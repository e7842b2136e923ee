using ChannelService.Accounts;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace ChannelService.Tests.Accounts;

public sealed class AccountsServiceCollectionTests
{
    [Test]
    public void The_Codecs_Resolve_And_Share_The_Key_Ring_From_The_Configured_Data_Directory()
    {
        var folder = TempDirectory.CreatePath();
        try
        {
            var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Channel:DataDirectory"] = folder }).Build();
            using var provider = new ServiceCollection().AddSingleton<IConfiguration>(configuration).AddAccounts().BuildServiceProvider();

            var metadata = provider.GetRequiredService<MetadataCodec>().Encode(Accounts.Sample());
            var state = provider.GetRequiredService<PullStateCodec>();

            Assert.That(File.Exists(Path.Combine(folder, KeyRing.FileName)), Is.True);
            Assert.That(MetadataCodec.KeyIdOf(metadata), Is.EqualTo(provider.GetRequiredService<KeyRing>().Current.Id));
            var pull = new PullState(AccountIds.New(), "epoch", 0, null);
            Assert.That(state.Decode(state.Encode(pull), pull.AccountId), Is.EqualTo(pull));
        }
        finally
        {
            TempDirectory.DeletePath(folder);
        }
    }
}
