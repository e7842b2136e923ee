using System.Collections;

namespace ChannelService.Web;

/// <summary>
/// A log scope opened for every request to a Zendesk-facing endpoint. It is mutable on purpose: the account id
/// is known only after the controller has decrypted the metadata, and log providers read a scope's values when
/// they write a line, so every line after <see cref="SetAccount"/> carries it.
/// Only the endpoint and the account id go in here: never metadata, state or form values.
/// </summary>
public sealed class RequestLogScope(string endpoint) : IReadOnlyList<KeyValuePair<string, object?>>
{
    private string? accountId;

    public string Endpoint { get; } = endpoint;

    public string? AccountId => accountId;

    public int Count => 2;

    public KeyValuePair<string, object?> this[int index] => index switch
    {
        0 => new("Endpoint", Endpoint),
        1 => new("AccountId", accountId ?? "-"),
        _ => throw new ArgumentOutOfRangeException(nameof(index)),
    };

    public void SetAccount(string id) => accountId = id;

    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator()
    {
        for (var i = 0; i < Count; i++)
        {
            yield return this[i];
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public override string ToString() => $"Endpoint:{Endpoint} AccountId:{accountId ?? "-"}";
}

public static class RequestLogScopeExtensions
{
    /// <summary>Paths Zendesk (or an agent's browser sent by Zendesk) calls.</summary>
    private static readonly string[] ZendeskPaths = ["/admin", "/pull", "/channelback", "/clickthrough", "/events", "/health", "/manifest.json", "/files", "/inbox"];

    /// <summary>Records the account a request is about in the request's log scope.</summary>
    public static void SetLogAccount(this HttpContext context, string accountId) =>
        context.Features.Get<RequestLogScope>()?.SetAccount(accountId);

    public static IApplicationBuilder UseZendeskLogScope(this IApplicationBuilder app) =>
        app.Use(async (context, next) =>
        {
            var path = context.Request.Path.Value ?? string.Empty;
            var endpoint = ZendeskPaths.FirstOrDefault(p => path.StartsWith(p, StringComparison.OrdinalIgnoreCase));
            if (endpoint is null)
            {
                await next(context);
                return;
            }

            var scope = new RequestLogScope(endpoint);
            context.Features.Set(scope);
            var logger = context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("ChannelService.Requests");
            using (logger.BeginScope(scope))
            {
                await next(context);
            }
        });
}
