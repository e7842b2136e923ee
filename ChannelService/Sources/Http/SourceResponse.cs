using System.Text;

namespace ChannelService.Sources.Http;

/// <summary>A complete response: the body is already read, decompressed and within the size limit.</summary>
internal sealed class SourceResponse
{
    public required int StatusCode { get; init; }

    /// <summary>The URL after redirects (without userinfo); CalDAV resolves hrefs against it.</summary>
    public required Uri Url { get; init; }

    /// <summary>Decompressed body; empty for 304, HEAD and bodiless statuses.</summary>
    public required byte[] Body { get; init; }

    /// <summary>Media type from Content-Type, e.g. <c>text/calendar</c>.</summary>
    public string? MediaType { get; init; }

    /// <summary>The charset parameter of Content-Type, as the server wrote it; null when absent.</summary>
    public string? Charset { get; init; }

    /// <summary>The ETag exactly as sent (quotes and W/ included), so it can go back verbatim in If-None-Match or If-Match.</summary>
    public string? ETag { get; init; }

    public DateTimeOffset? LastModified { get; init; }

    /// <summary>Response and content headers, repeated values joined with ", ".</summary>
    public required IReadOnlyDictionary<string, string> Headers { get; init; }

    /// <summary>True when the final response needed credentials that were sent (for error wording).</summary>
    internal bool CredentialsSent { get; init; }

    public bool NotModified => StatusCode == 304;

    public bool IsSuccess => StatusCode is >= 200 and < 300;

    /// <summary>Throws the typed error for a status that is neither 2xx nor 304.</summary>
    public SourceResponse EnsureSuccess()
    {
        if (!IsSuccess && !NotModified)
        {
            throw SourceException.FromStatus(StatusCode, CredentialsSent);
        }

        return this;
    }

    /// <summary>The encoding named by <see cref="Charset"/>, or null when absent or unknown (callers pick their fallback).</summary>
    public Encoding? CharsetEncoding()
    {
        if (string.IsNullOrWhiteSpace(Charset))
        {
            return null;
        }

        try
        {
            return Encoding.GetEncoding(Charset.Trim().Trim('"'));
        }
        catch (ArgumentException)
        {
            return null;
        }
    }
}
