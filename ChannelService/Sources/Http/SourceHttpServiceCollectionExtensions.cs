using ChannelService.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace ChannelService.Sources.Http;

internal static class SourceHttpServiceCollectionExtensions
{
    /// <summary>
    /// Binds <see cref="SourceHttpOptions"/> from the <c>Channel</c> section, validates it when the host starts
    /// (a bad CIDR in AllowedSourceNetworks stops the start with a message naming the entry) and registers one
    /// shared <see cref="SourceHttpClient"/>.
    /// </summary>
    public static IServiceCollection AddSourceHttp(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<SourceHttpOptions>()
            .BindChecked(configuration.GetSection(SourceHttpOptions.SectionName))
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SourceHttpOptions>, SourceHttpOptionsValidation>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp => SourceHttpClient.Create(
            sp.GetRequiredService<IOptions<SourceHttpOptions>>().Value,
            timeProvider: sp.GetRequiredService<TimeProvider>()));
        return services;
    }
}
