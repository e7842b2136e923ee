using System.Net;
using System.Text;
using System.Xml.Linq;
using ChannelService.Sources.CalDav;

namespace ChannelService.Tests.Sources.CalDav;

/// <summary>
/// Makes a real Radicale look like a server without RFC 6578: sync-collection disappears from every
/// supported-report-set and a sync-collection REPORT is refused with 501, as on servers that lack it.
/// </summary>
internal sealed class HideSyncCollectionHandler(HttpMessageHandler inner) : DelegatingHandler(inner)
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (request.Method.Method == "REPORT" && request.Content is not null
            && (await request.Content.ReadAsStringAsync(cancellationToken)).Contains("sync-collection", StringComparison.Ordinal))
        {
            return new HttpResponseMessage(HttpStatusCode.NotImplemented) { RequestMessage = request, Content = new StringContent("no sync-collection here") };
        }

        var response = await base.SendAsync(request, cancellationToken);
        if (request.Method.Method == "PROPFIND" && (int)response.StatusCode == 207)
        {
            var doc = XDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
            doc.Descendants(Dav.D + "supported-report")
                .Where(r => r.Element(Dav.D + "report")?.Element(Dav.SyncCollection) is not null)
                .ToList()
                .ForEach(r => r.Remove());
            var headers = response.Content.Headers.ContentType;
            response.Content = new StringContent(doc.ToString(), Encoding.UTF8);
            response.Content.Headers.ContentType = headers;
        }

        return response;
    }
}

/// <summary>Drops the ETag header from PUT answers, as some servers do when they rewrite what was stored.</summary>
internal sealed class DropPutETagHandler(HttpMessageHandler inner) : DelegatingHandler(inner)
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken);
        if (request.Method == HttpMethod.Put)
        {
            response.Headers.Remove("ETag");
        }

        return response;
    }
}

/// <summary>Answers from a list of canned responses (for server behaviour Radicale does not show, such as 507 truncation).</summary>
internal sealed class ScriptedHandler(params Func<HttpRequestMessage, string, HttpResponseMessage>[] steps) : HttpMessageHandler
{
    private int _next;

    public List<string> RequestBodies { get; } = [];

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var body = request.Content is null ? string.Empty : await request.Content.ReadAsStringAsync(cancellationToken);
        RequestBodies.Add(body);
        if (_next >= steps.Length)
        {
            throw new InvalidOperationException($"Unexpected request {request.Method} {request.RequestUri}");
        }

        var response = steps[_next++](request, body);
        response.RequestMessage = request;
        return response;
    }

    public static HttpResponseMessage MultiStatus(string xml) =>
        new((HttpStatusCode)207) { Content = new StringContent(xml, Encoding.UTF8, "application/xml") };
}

internal static class Ics
{
    /// <summary>A minimal VTODO with CRLF line ends (RFC 5545 §3.1).</summary>
    public static string Todo(string uid, string summary, string? extraLine = null) =>
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//ChannelService//tests//EN\r\nBEGIN:VTODO\r\n"
        + $"UID:{uid}\r\nDTSTAMP:20261120T090000Z\r\nSUMMARY:{summary}\r\n"
        + (extraLine is null ? string.Empty : extraLine + "\r\n")
        + "STATUS:NEEDS-ACTION\r\nEND:VTODO\r\nEND:VCALENDAR\r\n";
}
