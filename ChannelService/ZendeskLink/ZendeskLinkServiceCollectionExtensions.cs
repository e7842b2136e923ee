using ChannelService.ZendeskLink.Api;
using ChannelService.ZendeskLink.OAuth;
using ChannelService.ZendeskLink.Tickets;
using ChannelService.ZendeskLink.Work;

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
        services.AddSingleton<ZendeskApiCallLog>();

        // The sandbox plays Zendesk's OAuth for its pretend subdomain (only while /sandbox is on).
        services.AddSingleton<Sandbox.SandboxZendeskOAuth>();
        services.AddHostedService<ZendeskApiCallFlusher>();
        return services;
    }

    /// <summary>
    /// What the service does with a working Zendesk link (issue 17 §2–5): the REST API clients, the durable API work
    /// queue and its worker, the rate gate, and the remembered ticket properties (README, "Zendesk link: ticket
    /// properties and requesters"). The link itself (<see cref="IZendeskLinkTokens"/>) is <see cref="AddZendeskLink"/>'s.
    /// </summary>
    public static IServiceCollection AddZendeskLinkApi(this IServiceCollection services)
    {
        services.AddOptions<ApiWorkOptions>();
        services.AddSingleton<ApiRateGate>();
        services.AddSingleton<ZendeskApiClient>();
        services.AddSingleton<ZendeskTicketsApi>();
        services.AddSingleton<ZendeskUsersApi>();
        services.AddSingleton<ApiWorkStore>();
        services.AddSingleton<ApiWorkSignal>();
        services.AddSingleton<TicketPropertyStore>();

        // The sandbox plays Zendesk's REST API for its pretend subdomain (only while /sandbox is on).
        services.AddSingleton<Sandbox.SandboxZendeskApi>();
        services.AddSingleton<IZendeskApiLoopback>(sp => sp.GetRequiredService<Sandbox.SandboxZendeskApi>());
        services.AddSingleton<ApiWorker>();
        services.AddSingleton<IZendeskLinkObserver>(sp => sp.GetRequiredService<ApiWorker>());
        services.AddHostedService(sp => sp.GetRequiredService<ApiWorker>());
        return services;
    }
}
