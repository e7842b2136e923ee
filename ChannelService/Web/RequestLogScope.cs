using System.Collections;

namespace ChannelService.Web;

/// <summary>
/// A log scope opened for every request to a Zendesk-facing endpoint. Log providers read a scope's values when they
/// write a line, and the account id is read from <see cref="CurrentAccount"/> at that moment, so every line after the
/// metadata scheme authenticated the request carries it. Only the endpoint and the account id go in here: never
/// metadata, state or form values.
/// </summary>
public sealed class RequestLogScope : IReadOnlyList<KeyValuePair<string, object?>>
{
    private readonly CurrentAccount current;
    private string? identified;

    internal RequestLogScope(string endpoint, CurrentAccount current)
    {
        Endpoint = endpoint;
        this.current = current;
    }

    public string Endpoint { get; }

    public string? AccountId => current.Id ?? identified;

    public int Count => 2;

    public KeyValuePair<string, object?> this[int index] => index switch
    {
        0 => new("Endpoint", Endpoint),
        1 => new("AccountId", AccountId ?? "-"),
        _ => throw new ArgumentOutOfRangeException(nameof(index)),
    };

    /// <summary>For endpoints that identify the account without metadata (the inbox, by its signed URL).</summary>
    public void SetAccount(string id) => identified = id;

    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator()
    {
        for (var i = 0; i < Count; i++)
        {
            yield return this[i];
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public override string ToString() => $"Endpoint:{Endpoint} AccountId:{AccountId ?? "-"}";
}

public static partial class RequestLogScopeExtensions
{
    /// <summary>Paths Zendesk (or an agent's browser sent by Zendesk) calls.</summary>
    private static readonly string[] ZendeskPaths = ["/admin", "/pull", "/channelback", "/clickthrough", "/events", "/health", "/manifest.json", "/files", "/inbox"];

    /// <summary>Records the account a request is about in the request's log scope (endpoints without metadata).</summary>
    public static void SetLogAccount(this HttpContext context, string accountId) =>
        context.Features.Get<RequestLogScope>()?.SetAccount(accountId);

    public static IApplicationBuilder UseZendeskLogScope(this IApplicationBuilder app)
    {
        // One logger for the life of the host: the factory hands out the same one anyway, after a lock and a look-up.
        var logger = app.ApplicationServices.GetRequiredService<ILoggerFactory>().CreateLogger("ChannelService.Requests");
        return app.Use(async (context, next) =>
        {
            var path = context.Request.Path.Value ?? string.Empty;
            var endpoint = ZendeskPaths.FirstOrDefault(p => path.StartsWith(p, StringComparison.OrdinalIgnoreCase));
            if (endpoint is null)
            {
                await next(context);
                return;
            }

            var scope = new RequestLogScope(endpoint, context.RequestServices.GetRequiredService<CurrentAccount>());
            context.Features.Set(scope);
            using (logger.BeginScope(scope))
            {
                await next(context);
                LogAnswered(logger, context.Request.Method, endpoint, context.Response.StatusCode);
            }
        });
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{Method} {Endpoint} answered {StatusCode}")]
    private static partial void LogAnswered(ILogger logger, string method, string endpoint, int statusCode);
}
