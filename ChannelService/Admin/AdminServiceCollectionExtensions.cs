using System.Globalization;
using Microsoft.AspNetCore.Localization;

namespace ChannelService.Admin;

internal static class AdminServiceCollectionExtensions
{
    /// <summary>The cultures the admin UI is translated into; English is the resource key itself.</summary>
    public static readonly CultureInfo[] Cultures = [new("en"), new("de"), new("es")];

    public static IServiceCollection AddAdminUi(this IServiceCollection services)
    {
        services.AddLocalization(o => o.ResourcesPath = "Resources");
        services.AddSingleton<AdminFlowTokenCodec>();
        services.AddScoped<AccountSetup>();
        services.AddSingleton<ConnectionTester>();
        services.AddSingleton<IConnectionTester, IcsConnectionTester>();
        services.AddSingleton<IConnectionTester, InboxConnectionTester>();
        services.AddSingleton<GuardedCalDavHttp>();
        services.AddSingleton<IConnectionTester, CalDavConnectionTester>();
        services.AddSingleton<ICollectionDiscovery, CalDavCollectionDiscovery>();
        services.AddSingleton<Sandbox.SandboxStore>();
        services.AddHttpClient(nameof(Sandbox.SandboxController));
        return services;
    }

    /// <summary>
    /// Culture from the <c>locale</c> Zendesk posts (e.g. <c>de</c>, <c>es-419</c>, <c>en-US</c>), which the admin
    /// pages carry along in every follow-up post; a locale without a translation falls back to its parent, then English.
    /// </summary>
    public static IApplicationBuilder UseAdminLocalization(this IApplicationBuilder app) =>
        // Only the admin pages: every other endpoint keeps the process culture it was written against.
        app.UseWhen(c => c.Request.Path.StartsWithSegments("/admin", StringComparison.OrdinalIgnoreCase), admin => admin.UseRequestLocalization(o =>
        {
            o.DefaultRequestCulture = new RequestCulture("en");
            o.SupportedCultures = Cultures;
            o.SupportedUICultures = Cultures;
            o.FallBackToParentCultures = true;
            o.FallBackToParentUICultures = true;
            o.RequestCultureProviders = [new PostedLocaleProvider()];
        }));

    /// <summary>
    /// The "Connect to Zendesk" window's pages in the admin UI's language: <c>/zendesk/oauth/start</c> is posted with the
    /// admin page's <c>locale</c>; Zendesk's redirect to <c>/zendesk/oauth/callback</c> carries only code and state, so
    /// its language is the one stored with the pending authorisation that state names, else the browser's.
    /// </summary>
    public static IApplicationBuilder UseZendeskOAuthLocalization(this IApplicationBuilder app) =>
        app.UseWhen(c => c.Request.Path.StartsWithSegments("/zendesk/oauth", StringComparison.OrdinalIgnoreCase), oauth => oauth.UseRequestLocalization(o =>
        {
            o.DefaultRequestCulture = new RequestCulture("en");
            o.SupportedCultures = Cultures;
            o.SupportedUICultures = Cultures;
            o.FallBackToParentCultures = true;
            o.FallBackToParentUICultures = true;
            o.RequestCultureProviders = [new PostedLocaleProvider(), new PendingStateLocaleProvider(), new AcceptLanguageHeaderRequestCultureProvider { MaximumAcceptLanguageHeaderValuesToTry = 3 }];
        }));

    private sealed class PendingStateLocaleProvider : RequestCultureProvider
    {
        public override async Task<ProviderCultureResult?> DetermineProviderCultureResult(HttpContext httpContext)
        {
            var request = httpContext.Request;
            if (!HttpMethods.IsGet(request.Method) || !request.Path.StartsWithSegments("/zendesk/oauth/callback", StringComparison.OrdinalIgnoreCase))
            {
                return null;
            }

            var pending = httpContext.RequestServices.GetRequiredService<ZendeskLink.OAuth.PendingAuthorizations>();
            return await pending.LocaleAsync(request.Query["state"].ToString(), httpContext.RequestAborted) is { } locale ? new ProviderCultureResult(locale) : null;
        }
    }

    private sealed class PostedLocaleProvider : RequestCultureProvider
    {
        public override async Task<ProviderCultureResult?> DetermineProviderCultureResult(HttpContext httpContext)
        {
            var request = httpContext.Request;
            if (!HttpMethods.IsPost(request.Method) || !request.HasFormContentType
                || !(request.Path.StartsWithSegments("/admin", StringComparison.OrdinalIgnoreCase) || request.Path.StartsWithSegments("/zendesk/oauth/start", StringComparison.OrdinalIgnoreCase)))
            {
                return null;
            }

            var form = await request.ReadFormAsync(httpContext.RequestAborted);
            var locale = form["locale"].ToString();
            return locale.Length is > 0 and <= 35 && locale.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_')
                ? new ProviderCultureResult(locale.Replace('_', '-'))
                : null;
        }
    }
}
