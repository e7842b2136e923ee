namespace ChannelService.Sources.Http;

/// <summary>One request to a source; redirects, limits and the SSRF guard are applied by <see cref="SourceHttpClient"/>.</summary>
internal sealed class SourceRequest
{
    public static readonly HttpMethod Propfind = new("PROPFIND");
    public static readonly HttpMethod Report = new("REPORT");

    /// <summary>http, https, webcal or webcals; userinfo, if any, is used as Basic credentials when none are given.</summary>
    public required Uri Url { get; init; }

    public HttpMethod Method { get; init; } = HttpMethod.Get;

    public SourceCredentials? Credentials { get; init; }

    /// <summary>Extra headers (Depth, If-Match, Prefer, ...). Authorization and Cookie here are dropped on a cross-origin redirect.</summary>
    public IReadOnlyDictionary<string, string>? Headers { get; init; }

    public byte[]? Body { get; init; }

    /// <summary>Content-Type of <see cref="Body"/>, e.g. <c>application/xml; charset=utf-8</c>.</summary>
    public string? ContentType { get; init; }

    /// <summary>The ETag from the last 200, sent as If-None-Match (RFC 9110 section 13.1.2).</summary>
    public string? IfNoneMatch { get; init; }

    /// <summary>The Last-Modified from the last 200, sent as If-Modified-Since (RFC 9110 section 13.1.3).</summary>
    public DateTimeOffset? IfModifiedSince { get; init; }

    /// <summary>
    /// When true (the default), a final status other than 2xx or 304 throws a <see cref="SourceException"/>.
    /// CalDAV sets it false to read 207, 403 valid-sync-token, 409 and 412 bodies itself.
    /// </summary>
    public bool ThrowOnErrorStatus { get; init; } = true;

    public bool FollowRedirects { get; init; } = true;

    public static SourceRequest Get(Uri url, SourceCredentials? credentials = null) => new() { Url = url, Credentials = credentials };
}
