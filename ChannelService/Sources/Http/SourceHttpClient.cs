using System.Net;
using System.Net.Http.Headers;
using System.Security.Authentication;

namespace ChannelService.Sources.Http;

/// <summary>
/// The only way the service fetches admin-typed URLs (feeds, CalDAV, inbox callbacks): the SSRF guard at connect
/// time, manual redirects re-checked hop by hop, timeouts, and a size limit enforced while the body streams.
/// Thread-safe; one instance is meant to live as long as the application (it pools connections).
/// </summary>
internal sealed class SourceHttpClient : IDisposable
{
    private static readonly string[] CredentialHeaders = ["Authorization", "Cookie", "Proxy-Authorization"];
    private static readonly HashSet<string> ForbiddenHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        "Host", "Content-Length", "Transfer-Encoding", "Connection", "Accept-Encoding", "Expect", "Upgrade", "TE", "Trailer",
    };

    private readonly HttpClient http;
    private readonly SocketsHttpHandler handler;
    private readonly SourceHttpOptions options;
    private readonly SourceNetworkPolicy policy;
    private readonly TimeProvider timeProvider;

    internal SourceHttpClient(
        SourceHttpOptions options,
        Func<string, CancellationToken, Task<IPAddress[]>>? resolver = null,
        Func<IPEndPoint, CancellationToken, ValueTask<Stream>>? connect = null,
        TimeProvider? timeProvider = null)
    {
        var errors = SourceHttpOptionsValidator.Problems(options);
        if (errors.Count > 0)
        {
            throw new ArgumentException(string.Join(Environment.NewLine, errors), nameof(options));
        }

        this.options = options;
        this.timeProvider = timeProvider ?? TimeProvider.System;
        policy = SourceNetworkPolicy.FromOptions(options);
        var connector = new GuardedConnector(
            policy,
            resolver ?? GuardedConnector.ResolveWithDns,
            connect ?? GuardedConnector.ConnectSocketAsync,
            options.SourceConnectTimeout,
            this.timeProvider);

        handler = new SocketsHttpHandler
        {
            ConnectCallback = connector.ConnectAsync,

            // A proxy would be dialled instead of the target and the guard would only ever see the proxy.
            UseProxy = false,
            AllowAutoRedirect = false,

            // Decompressed here, under the size limit (LimitedBody); the handler's own decompression has no limit.
            AutomaticDecompression = DecompressionMethods.None,

            // No cookie jar shared between accounts, no ambient credentials.
            UseCookies = false,
            Credentials = null,
            PreAuthenticate = false,
            PooledConnectionLifetime = TimeSpan.FromMinutes(2),
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
            MaxResponseHeadersLength = 64,
            ResponseDrainTimeout = TimeSpan.FromSeconds(1),
        };
        http = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("ChannelService", typeof(SourceHttpClient).Assembly.GetName().Version?.ToString(3) ?? "0"));
    }

    /// <summary>Creates a client without dependency injection; <paramref name="resolver"/> replaces DNS (tests).</summary>
    public static SourceHttpClient Create(
        SourceHttpOptions options,
        Func<string, CancellationToken, Task<IPAddress[]>>? resolver = null,
        TimeProvider? timeProvider = null) =>
        new(options, resolver, connect: null, timeProvider);

    public SourceHttpOptions Options => options;

    /// <summary>
    /// A plain <see cref="HttpClient"/> over the same guarded handler (SSRF check at connect time, no proxy, no
    /// automatic redirects or decompression, no cookies), for protocol clients that build their own requests, such
    /// as <see cref="CalDav.CalDavClient"/>. They follow redirects themselves, and every new connection a redirect
    /// needs goes through the guard again. Its timeout is <see cref="SourceHttpOptions.SourceRequestTimeout"/>.
    /// Disposing it leaves the shared handler alone.
    /// </summary>
    public HttpClient CreateProtocolClient()
    {
        var client = new HttpClient(handler, disposeHandler: false) { Timeout = options.SourceRequestTimeout };
        client.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("ChannelService", typeof(SourceHttpClient).Assembly.GetName().Version?.ToString(3) ?? "0"));
        return client;
    }

    /// <summary>GET with optional conditional headers; a 304 comes back with <see cref="SourceResponse.NotModified"/>.</summary>
    public Task<SourceResponse> GetAsync(Uri url, SourceCredentials? credentials = null, string? ifNoneMatch = null, DateTimeOffset? ifModifiedSince = null, CancellationToken cancellationToken = default) =>
        SendAsync(new SourceRequest { Url = url, Credentials = credentials, IfNoneMatch = ifNoneMatch, IfModifiedSince = ifModifiedSince }, cancellationToken);

    /// <summary>
    /// Sends the request, following up to <see cref="SourceHttpOptions.MaxSourceRedirects"/> redirects. Throws
    /// <see cref="SourceException"/> for every failure, <see cref="OperationCanceledException"/> only when
    /// <paramref name="cancellationToken"/> was cancelled, and <see cref="ArgumentException"/> for a malformed request.
    /// </summary>
    public async Task<SourceResponse> SendAsync(SourceRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ValidateHeaders(request);
        var url = SourceUrl.Normalize(request.Url, out var userInfoCredentials);
        var credentials = request.Credentials ?? userInfoCredentials;
        EnsureLiteralAllowed(url);

        using var total = new CancellationTokenSource(options.SourceRequestTimeout, timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(total.Token, cancellationToken);
        try
        {
            return await SendWithRedirectsAsync(request, url, credentials, linked.Token);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (OperationCanceledException e) when (total.IsCancellationRequested)
        {
            throw new SourceException(SourceErrorKind.Timeout, $"The server did not answer within {SourceException.FormatDuration(options.SourceRequestTimeout)}.", e);
        }
        catch (Exception e) when (e is HttpRequestException or IOException or InvalidDataException or OperationCanceledException)
        {
            throw Translate(e);
        }
    }

    public void Dispose() => http.Dispose();

    private async Task<SourceResponse> SendWithRedirectsAsync(SourceRequest request, Uri url, SourceCredentials? credentials, CancellationToken cancellationToken)
    {
        var origin = url;
        var method = request.Method;
        var body = request.Body;
        var sameOrigin = true;
        for (var redirects = 0; ; redirects++)
        {
            using var message = BuildMessage(request, url, method, body, sameOrigin ? credentials : null, sameOrigin);
            using var response = await http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            var status = (int)response.StatusCode;

            if (request.FollowRedirects && status is 301 or 302 or 303 or 307 or 308)
            {
                var location = response.Headers.TryGetValues("Location", out var values) ? values.FirstOrDefault() : null;
                if (string.IsNullOrWhiteSpace(location))
                {
                    throw new SourceException(SourceErrorKind.Protocol, $"The server sent a redirect (HTTP {status}) without saying where to.");
                }

                if (redirects >= options.MaxSourceRedirects)
                {
                    throw new SourceException(SourceErrorKind.TooManyRedirects, $"The server redirected more than {options.MaxSourceRedirects} times; check the address.");
                }

                var next = SourceUrl.Redirect(url, location);
                EnsureLiteralAllowed(next);

                // Once the chain has left the first origin it never gets credentials back: a redirect back home
                // would otherwise let a foreign server choose the path and method our credentials are used on.
                sameOrigin = sameOrigin && SourceUrl.SameOrigin(origin, next);

                // RFC 9110 section 15.4: 303 always becomes GET; 301 and 302 turn POST into GET as browsers do;
                // 307 and 308 repeat the method and body unchanged.
                if ((status == 303 && method != HttpMethod.Head) || (status is 301 or 302 && method == HttpMethod.Post))
                {
                    method = HttpMethod.Get;
                    body = null;
                }

                url = next;
                continue;
            }

            if (request.ThrowOnErrorStatus && !response.IsSuccessStatusCode && status != 304)
            {
                throw SourceException.FromStatus(status, sameOrigin && credentials is not null);
            }

            return await ReadResponseAsync(response, url, method, sameOrigin && credentials is not null, cancellationToken);
        }
    }

    private HttpRequestMessage BuildMessage(SourceRequest request, Uri url, HttpMethod method, byte[]? body, SourceCredentials? credentials, bool sameOrigin)
    {
        // HTTP/1.1 (and never HTTP/3): QUIC connections would not go through the ConnectCallback guard.
        var message = new HttpRequestMessage(method, url)
        {
            Version = HttpVersion.Version11,
            VersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
        };
        if (body is not null)
        {
            message.Content = new ByteArrayContent(body);
            if (request.ContentType is not null)
            {
                message.Content.Headers.TryAddWithoutValidation("Content-Type", request.ContentType);
            }
        }

        foreach (var (name, value) in request.Headers ?? new Dictionary<string, string>())
        {
            if (!sameOrigin && CredentialHeaders.Contains(name, StringComparer.OrdinalIgnoreCase))
            {
                continue;
            }

            if (!message.Headers.TryAddWithoutValidation(name, value))
            {
                message.Content?.Headers.Remove(name);
                message.Content?.Headers.TryAddWithoutValidation(name, value);
            }
        }

        if (credentials is not null)
        {
            message.Headers.Authorization = credentials.ToHeader();
        }

        if (request.IfNoneMatch is { Length: > 0 } etag)
        {
            message.Headers.TryAddWithoutValidation("If-None-Match", etag);
        }

        if (request.IfModifiedSince is { } since)
        {
            message.Headers.IfModifiedSince = since;
        }

        message.Headers.TryAddWithoutValidation("Accept-Encoding", "gzip, deflate, br");
        return message;
    }

    private async Task<SourceResponse> ReadResponseAsync(HttpResponseMessage response, Uri url, HttpMethod method, bool credentialsSent, CancellationToken cancellationToken)
    {
        var status = (int)response.StatusCode;
        var content = response.Content;
        if (content.Headers.ContentLength is { } length && length > options.MaxSourceResponseBytes)
        {
            throw SourceException.TooLarge(options.MaxSourceResponseBytes);
        }

        byte[] body = [];
        if (status is not (304 or 204) && method != HttpMethod.Head)
        {
            var raw = await content.ReadAsStreamAsync(cancellationToken);
            body = await LimitedBody.ReadAsync(raw, content.Headers.ContentEncoding, options.MaxSourceResponseBytes, cancellationToken, content.Headers.ContentLength);
        }

        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, values) in response.Headers.Concat(content.Headers))
        {
            headers[name] = string.Join(", ", values);
        }

        MediaTypeHeaderValue.TryParse(headers.GetValueOrDefault("Content-Type"), out var contentType);
        return new SourceResponse
        {
            StatusCode = status,
            Url = url,
            Body = body,
            MediaType = contentType?.MediaType,
            Charset = contentType?.CharSet,
            ETag = response.Headers.TryGetValues("ETag", out var etags) ? etags.FirstOrDefault()?.Trim() : null,
            LastModified = content.Headers.LastModified,
            Headers = headers,
            CredentialsSent = credentialsSent,
        };
    }

    /// <summary>Refuses an IP literal (in any spelling) or a localhost name before any connection is attempted.</summary>
    private void EnsureLiteralAllowed(Uri url)
    {
        if (SourceUrl.LiteralAddresses(url.HostNameType == UriHostNameType.IPv6 ? url.Host : url.IdnHost) is { } addresses)
        {
            policy.EnsureAllowed(addresses);
        }
    }

    private static void ValidateHeaders(SourceRequest request)
    {
        foreach (var (name, value) in request.Headers ?? new Dictionary<string, string>())
        {
            if (ForbiddenHeaders.Contains(name))
            {
                throw new ArgumentException($"The header {name} is set by the client itself.", nameof(request));
            }

            if (value.Contains('\r', StringComparison.Ordinal) || value.Contains('\n', StringComparison.Ordinal))
            {
                throw new ArgumentException($"The header {name} contains a line break.", nameof(request));
            }
        }
    }

    private static SourceException Translate(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is SourceException source)
            {
                return source;
            }
        }

        if (exception is InvalidDataException)
        {
            return new SourceException(SourceErrorKind.Protocol, "The server sent a compressed response that is corrupt.", exception);
        }

        if (exception is HttpRequestException http)
        {
            if (http.HttpRequestError == HttpRequestError.SecureConnectionError || FindInner<AuthenticationException>(http) is not null)
            {
                return new SourceException(SourceErrorKind.Tls, "A secure (TLS) connection could not be set up; the server's certificate may be invalid, expired or for another name.", exception);
            }

            if (http.HttpRequestError is HttpRequestError.NameResolutionError or HttpRequestError.ConnectionError)
            {
                return new SourceException(SourceErrorKind.Unreachable, "The server could not be reached; check the address.", exception);
            }
        }

        if (exception is HttpIOException { HttpRequestError: HttpRequestError.ResponseEnded } || FindInner<HttpIOException>(exception) is { HttpRequestError: HttpRequestError.ResponseEnded })
        {
            return new SourceException(SourceErrorKind.Protocol, "The connection closed before the whole response arrived.", exception);
        }

        return new SourceException(SourceErrorKind.Protocol, "The server sent a response that could not be read as HTTP.", exception);
    }

    private static T? FindInner<T>(Exception exception)
        where T : Exception
    {
        for (var e = exception.InnerException; e is not null; e = e.InnerException)
        {
            if (e is T found)
            {
                return found;
            }
        }

        return null;
    }
}
