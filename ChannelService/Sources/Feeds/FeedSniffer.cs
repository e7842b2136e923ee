using ChannelService.Sources.Http;

namespace ChannelService.Sources.Feeds;

/// <summary>
/// Recognises bodies that are plainly not iCalendar before parsing them: a login page, an error page, a JSON API
/// answer, nothing at all. Decided by content, not Content-Type, because many servers send real feeds as
/// text/plain, application/octet-stream or even text/html.
/// </summary>
internal static class FeedSniffer
{
    public static void EnsureLooksLikeCalendar(ReadOnlySpan<byte> body)
    {
        var rest = body;
        if (rest.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]))
        {
            rest = rest[3..];
        }

        while (!rest.IsEmpty && rest[0] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')
        {
            rest = rest[1..];
        }

        if (rest.IsEmpty)
        {
            throw new SourceException(SourceErrorKind.NotACalendar, "This URL returned an empty response, not a calendar.");
        }

        switch (rest[0])
        {
            case (byte)'<':
                throw new SourceException(SourceErrorKind.NotACalendar, "This URL returned a web page, not a calendar.");
            case (byte)'{' or (byte)'[':
                throw new SourceException(SourceErrorKind.NotACalendar, "This URL returned JSON data, not a calendar.");
        }
    }
}
