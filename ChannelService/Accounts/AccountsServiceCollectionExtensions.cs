namespace ChannelService.Accounts;

internal static class AccountsServiceCollectionExtensions
{
    /// <summary>
    /// Registers the key ring, both codecs, the secret sealer and the account registry as singletons. The key ring is
    /// built on first resolve; resolve it at start-up so a first start creates <c>keys.json</c> (and a broken key file
    /// stops the service) before traffic.
    /// </summary>
    public static IServiceCollection AddAccounts(this IServiceCollection services)
    {
        services.AddSingleton(sp => AccountsConfiguration.LoadKeyRing(
            sp.GetRequiredService<IConfiguration>(),
            sp.GetService<TimeProvider>() ?? TimeProvider.System));
        services.AddSingleton<MetadataCodec>();
        services.AddSingleton<PullStateCodec>();
        services.AddSingleton<SecretSealer>();
        services.AddSingleton<AccountRegistry>();
        return services;
    }
}
