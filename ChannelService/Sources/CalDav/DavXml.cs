using System.Globalization;
using System.Text;
using System.Xml;
using System.Xml.Linq;

namespace ChannelService.Sources.CalDav;

/// <summary>Namespaces and element names used by WebDAV (RFC 4918), CalDAV (RFC 4791), sync (RFC 6578) and CalendarServer.</summary>
internal static class Dav
{
    public static readonly XNamespace D = "DAV:";
    public static readonly XNamespace C = "urn:ietf:params:xml:ns:caldav";

    /// <summary>CalendarServer extensions (getctag); not an RFC, but every server seen answers it.</summary>
    public static readonly XNamespace CS = "http://calendarserver.org/ns/";

    public static readonly XName ResourceType = D + "resourcetype";
    public static readonly XName DisplayName = D + "displayname";
    public static readonly XName GetETag = D + "getetag";
    public static readonly XName SyncToken = D + "sync-token";
    public static readonly XName SupportedReportSet = D + "supported-report-set";
    public static readonly XName CurrentUserPrincipal = D + "current-user-principal";
    public static readonly XName CalendarHomeSet = C + "calendar-home-set";
    public static readonly XName SupportedComponents = C + "supported-calendar-component-set";
    public static readonly XName CalendarData = C + "calendar-data";
    public static readonly XName CTag = CS + "getctag";
    public static readonly XName Calendar = C + "calendar";
    public static readonly XName Collection = D + "collection";
    public static readonly XName SyncCollection = D + "sync-collection";
}

/// <summary>Bodies of the requests we send. Built with XElement so hrefs and tokens are escaped correctly.</summary>
internal static class DavRequests
{
    public static string Propfind(params XName[] props) =>
        Serialize(new XElement(Dav.D + "propfind", Namespaces(), new XElement(Dav.D + "prop", props.Select(p => new XElement(p)))));

    /// <summary>RFC 6578 §3.2: an empty sync-token starts an initial sync; sync-level 1 means direct members only.</summary>
    public static string SyncCollection(string token) =>
        Serialize(new XElement(
            Dav.SyncCollection,
            Namespaces(),
            new XElement(Dav.SyncToken, token),
            new XElement(Dav.D + "sync-level", "1"),
            new XElement(Dav.D + "prop", new XElement(Dav.GetETag))));

    /// <summary>RFC 4791 §7.9.</summary>
    public static string CalendarMultiget(IEnumerable<string> hrefs) =>
        Serialize(new XElement(
            Dav.C + "calendar-multiget",
            Namespaces(),
            new XElement(Dav.D + "prop", new XElement(Dav.GetETag), new XElement(Dav.CalendarData)),
            hrefs.Select(h => new XElement(Dav.D + "href", h))));

    private static XAttribute[] Namespaces() =>
    [
        new(XNamespace.Xmlns + "D", Dav.D.NamespaceName),
        new(XNamespace.Xmlns + "C", Dav.C.NamespaceName),
        new(XNamespace.Xmlns + "CS", Dav.CS.NamespaceName),
    ];

    private static string Serialize(XElement root) =>
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n" + root.ToString(SaveOptions.DisableFormatting);
}

/// <summary>One <c>propstat</c>: a status and the properties it applies to.</summary>
internal sealed record DavPropStat(int Status, XElement Prop);

/// <summary>One <c>response</c> of a multistatus (RFC 4918 §14.24).</summary>
/// <param name="Status">Response-level status (deleted members in sync-collection, 507 truncation), or null.</param>
internal sealed record DavResponse(string Href, int? Status, IReadOnlyList<DavPropStat> PropStats)
{
    /// <summary>The property from the 2xx propstat, or null when absent or reported with an error status.</summary>
    public XElement? Prop(XName name) =>
        PropStats.Where(p => p.Status is >= 200 and < 300).Select(p => p.Prop.Element(name)).FirstOrDefault(e => e is not null);

    public bool IsCollection => Prop(Dav.ResourceType)?.Element(Dav.Collection) is not null;

    public bool IsCalendar => Prop(Dav.ResourceType)?.Element(Dav.Calendar) is not null;
}

internal sealed record DavMultiStatus(IReadOnlyList<DavResponse> Responses, string? SyncToken);

/// <summary>Parses what servers send. Everything here is hostile input: no DTDs, no external entities, bounded size.</summary>
internal static class DavXml
{
    public static XDocument Load(byte[] body, long maxChars)
    {
        var settings = new XmlReaderSettings
        {
            DtdProcessing = DtdProcessing.Prohibit,
            XmlResolver = null,
            MaxCharactersFromEntities = 1024,
            MaxCharactersInDocument = maxChars,
            IgnoreComments = true,
            IgnoreProcessingInstructions = true,
        };
        try
        {
            using var stream = new MemoryStream(body, writable: false);
            using var reader = XmlReader.Create(stream, settings);
            return XDocument.Load(reader);
        }
        catch (XmlException ex)
        {
            throw new CalDavException(CalDavErrorKind.Protocol, $"The CalDAV server sent XML that cannot be read (line {ex.LineNumber}): {ex.Message}", inner: ex);
        }
    }

    public static DavMultiStatus ParseMultiStatus(byte[] body, long maxChars)
    {
        var doc = Load(body, maxChars);
        var root = doc.Root;
        if (root is null || root.Name != Dav.D + "multistatus")
        {
            throw new CalDavException(CalDavErrorKind.Protocol, $"The CalDAV server answered 207 without a DAV:multistatus document (root {root?.Name.ToString() ?? "missing"}).");
        }

        var responses = new List<DavResponse>();
        foreach (var response in root.Elements(Dav.D + "response"))
        {
            var href = response.Element(Dav.D + "href")?.Value.Trim();
            if (string.IsNullOrEmpty(href))
            {
                throw new CalDavException(CalDavErrorKind.Protocol, "The CalDAV server sent a multistatus response without an href.");
            }

            var propStats = response.Elements(Dav.D + "propstat")
                .Select(ps => new DavPropStat(ParseStatus(ps.Element(Dav.D + "status")?.Value) ?? 200, ps.Element(Dav.D + "prop") ?? new XElement(Dav.D + "prop")))
                .ToList();
            responses.Add(new DavResponse(href, ParseStatus(response.Element(Dav.D + "status")?.Value), propStats));
        }

        var token = root.Element(Dav.SyncToken)?.Value.Trim();
        return new DavMultiStatus(responses, string.IsNullOrEmpty(token) ? null : token);
    }

    /// <summary>Local name of the first precondition element inside a DAV:error body (RFC 4918 §16), e.g. valid-sync-token.</summary>
    public static string? PreconditionOf(byte[] body, long maxChars)
    {
        if (body.Length == 0)
        {
            return null;
        }

        try
        {
            var root = Load(body, maxChars).Root;
            return root is not null && root.Name == Dav.D + "error" ? root.Elements().FirstOrDefault()?.Name.LocalName : null;
        }
        catch (CalDavException)
        {
            // Error bodies are often HTML or plain text; they only refine a status we already have.
            return null;
        }
    }

    /// <summary>"HTTP/1.1 404 Not Found" → 404.</summary>
    internal static int? ParseStatus(string? statusLine)
    {
        if (string.IsNullOrWhiteSpace(statusLine))
        {
            return null;
        }

        var parts = statusLine.Trim().Split(' ', 3, StringSplitOptions.RemoveEmptyEntries);
        return parts.Length >= 2 && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var code) && code is >= 100 and <= 599
            ? code
            : throw new CalDavException(CalDavErrorKind.Protocol, $"The CalDAV server sent an unreadable status line: {Truncate(statusLine)}");
    }

    private static string Truncate(string s) => s.Length <= 60 ? s : s[..60] + "…";

    public static Encoding Utf8 { get; } = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false);
}
