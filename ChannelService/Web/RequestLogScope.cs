using System.Collections;
using ChannelService.Accounts;

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

/// <summary>The request's metadata, decoded once by the log-scope middleware for the controller to reuse.</summary>
internal sealed record DecodedMetadata(AccountMetadata? Account, CodecRejection? Rejection);

public static partial class RequestLogScopeExtensions
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
            try
            {
                await DecodeMetadataAsync(context, scope);
            }
            catch (InvalidDataException)
            {
                // The form broke the reader's limits (a value over 4 MB, too many fields): a client error, not ours.
                context.Response.StatusCode = StatusCodes.Status400BadRequest;
                await JsonErrors.WriteAsync(context, new ErrorResponse("The form is too large or malformed."));
                return;
            }
            var logger = context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("ChannelService.Requests");
            using (logger.BeginScope(scope))
            {
                await next(context);
                LogAnswered(logger, context.Request.Method, endpoint, context.Response.StatusCode);
            }
        });

    /// <summary>The decoded metadata of this request (null when the request carried none).</summary>
    internal static DecodedMetadata? GetDecodedMetadata(this HttpContext context) => context.Features.Get<DecodedMetadata>();

    /// <summary>
    /// Zendesk posts <c>metadata</c> as a form field (pull, channelback, admin) or, for pull, in the query string.
    /// Decoding it here puts the account id into every log line of the request; the controller reuses the result.
    /// </summary>
    private static async Task DecodeMetadataAsync(HttpContext context, RequestLogScope scope)
    {
        string? metadata = context.Request.Query["metadata"];
        if (context.Request.HasFormContentType)
        {
            var form = await context.Request.ReadFormAsync(context.RequestAborted);
            if (form.TryGetValue("metadata", out var value) && !string.IsNullOrEmpty(value))
            {
                metadata = value;
            }
        }

        if (string.IsNullOrEmpty(metadata))
        {
            return;
        }

        var codec = context.RequestServices.GetRequiredService<MetadataCodec>();
        if (codec.TryDecode(metadata, out var account, out var reason))
        {
            scope.SetAccount(account.AccountId);
            context.Features.Set(new DecodedMetadata(account, null));
        }
        else
        {
            context.Features.Set(new DecodedMetadata(null, reason));
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{Method} {Endpoint} answered {StatusCode}")]
    private static partial void LogAnswered(ILogger logger, string method, string endpoint, int statusCode);
}
