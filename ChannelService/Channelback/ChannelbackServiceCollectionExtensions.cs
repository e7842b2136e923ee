namespace ChannelService.Channelback;

internal static class ChannelbackServiceCollectionExtensions
{
    /// <summary>Agents' replies: the service that writes them back and the store of requests already answered.</summary>
    public static IServiceCollection AddChannelback(this IServiceCollection services)
    {
        services.AddSingleton<ChannelbackRequestStore>();
        services.AddSingleton<ChannelbackService>();
        return services;
    }
}
