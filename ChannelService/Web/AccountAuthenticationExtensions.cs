using Microsoft.AspNetCore.Authentication;

namespace ChannelService.Web;

internal static class AccountAuthenticationExtensions
{
    /// <summary>
    /// The metadata scheme and <see cref="CurrentAccount"/>. No default scheme: only endpoints behind
    /// <see cref="RequireAccountAttribute"/> decrypt metadata (and the admin UI, which asks for it explicitly:
    /// there empty metadata means a new account, not a refusal).
    /// </summary>
    public static IServiceCollection AddAccountAuthentication(this IServiceCollection services)
    {
        services.AddScoped<CurrentAccount>();
        services.AddAuthentication().AddScheme<AuthenticationSchemeOptions, MetadataAuthenticationHandler>(MetadataAuthenticationHandler.SchemeName, configureOptions: null);
        services.AddAuthorization();
        return services;
    }
}
