using Microsoft.Net.Http.Headers;

namespace ChannelService.Web;

/// <summary>
/// No page of the service may be framed (clickjacking): every response gets
/// <c>Content-Security-Policy: frame-ancestors 'none'</c> plus <c>X-Frame-Options: DENY</c> for old browsers.
/// The one page Zendesk frames, the admin UI (channel-framework.md §2), sets its own Content-Security-Policy
/// with the Zendesk origins in <c>frame-ancestors</c>; a response that already carries a Content-Security-Policy
/// is left as it is, so such an endpoint owns its framing rules and must state them.
/// </summary>
public static class FramingPolicy
{
    public const string DenyAll = "frame-ancestors 'none'";

    public static IApplicationBuilder UseFramingPolicy(this IApplicationBuilder app) =>
        app.Use((context, next) =>
        {
            var response = context.Response;
            response.OnStarting(() =>
            {
                if (!response.Headers.ContainsKey(HeaderNames.ContentSecurityPolicy))
                {
                    response.Headers.ContentSecurityPolicy = DenyAll;
                    response.Headers.XFrameOptions = "DENY";
                }

                response.Headers.XContentTypeOptions = "nosniff";
                return Task.CompletedTask;
            });
            return next(context);
        });
}
