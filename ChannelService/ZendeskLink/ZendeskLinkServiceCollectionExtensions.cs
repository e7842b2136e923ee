using ChannelService.ZendeskLink.OAuth;

namespace ChannelService.ZendeskLink;

internal static class ZendeskLinkServiceCollectionExtensions
{
    /// <summary>The OAuth link of each subdomain to the REST API (README, "Zendesk link"). Needs AddZendeskPush's ZendeskHttp.</summary>
    public static IServiceCollection AddZendeskLink(this IServiceCollection services)
    {
        services.AddSingleton<ZendeskLinkStore>();
        services.AddSingleton<PendingAuthorizations>();
        services.AddSingleton<ZendeskOAuthClient>();
        services.AddSingleton<ZendeskTokenProvider>();
        services.AddSingleton<IZendeskLinkTokens>(sp => sp.GetRequiredService<ZendeskTokenProvider>());
        services.AddSingleton<ZendeskLinkManager>();
        services.AddSingleton<ZendeskLinkPanel>();
        return services;
    }
}
