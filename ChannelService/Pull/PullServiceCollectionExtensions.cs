using Microsoft.Extensions.Options;

namespace ChannelService.Pull;

internal static class PullServiceCollectionExtensions
{
    /// <summary>The pull and its parts, built by the container; <see cref="PullOptions"/> keeps its defaults unless a test configures it.</summary>
    public static IServiceCollection AddPull(this IServiceCollection services)
    {
        services.AddOptions<PullOptions>();
        services.AddSingleton(sp => new PullMirrorStore(sp.GetRequiredService<ChannelService.Data.Database>(), sp.GetRequiredService<ChannelService.Data.InstanceRegistry>().Name));
        services.AddSingleton<AccountLocks>();
        services.AddSingleton(sp => new ParsedItemCache(sp.GetRequiredService<IOptions<PullOptions>>().Value.ParsedItemCapacity));
        services.AddSingleton<QuickPullActivity>();
        services.AddHostedService(sp => sp.GetRequiredService<QuickPullActivity>());
        services.AddSingleton<UnchangedPulls>();
        services.AddSingleton<FirstReadCompletions>();
        services.AddSingleton<PullPlanner>();
        services.AddSingleton<PullService>();
        services.AddSingleton<InboxPull>();
        return services;
    }
}
