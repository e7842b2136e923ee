using System.Text;
using AngleSharp.Dom;
using AngleSharp.Html.Parser;

namespace ChannelService.Tickets;

/// <summary>
/// An allow-list HTML sanitizer over AngleSharp's DOM (no sanitizer package is served here). Descriptions from
/// X-ALT-DESC come from whoever can write to the calendar, so everything not on the list goes: scripts and styles
/// with their content, event handlers, styles, classes, and links other than http, https and mailto. Unknown
/// elements are unwrapped so their text survives.
/// </summary>
public static class HtmlSanitizer
{
    private static readonly HashSet<string> Allowed = new(StringComparer.OrdinalIgnoreCase)
    {
        "p", "br", "b", "strong", "i", "em", "u", "s", "strike", "sub", "sup", "small", "ul", "ol", "li", "a", "blockquote",
        "pre", "code", "h1", "h2", "h3", "h4", "h5", "h6", "table", "thead", "tbody", "tfoot", "tr", "td", "th", "span", "div", "hr",
        "dl", "dt", "dd",
    };

    /// <summary>Elements removed with everything inside them.</summary>
    private static readonly HashSet<string> Dropped = new(StringComparer.OrdinalIgnoreCase)
    {
        "script", "style", "iframe", "object", "embed", "noscript", "template", "head", "title", "meta", "link", "svg", "math",
        "form", "input", "button", "select", "textarea", "frame", "frameset", "applet", "base",
    };

    private static readonly HtmlParser Parser = new();

    public static string Sanitize(string html)
    {
        var document = Parser.ParseDocument(html);
        var body = document.Body;
        if (body is null)
        {
            return string.Empty;
        }

        var output = new StringBuilder(html.Length);
        foreach (var child in body.ChildNodes)
        {
            Write(child, output, depth: 0);
        }

        return output.ToString().Trim();
    }

    private static void Write(INode node, StringBuilder output, int depth)
    {
        switch (node)
        {
            case IText text:
                output.Append(System.Net.WebUtility.HtmlEncode(text.Data));
                break;
            case IElement element when depth < 64:
                var name = element.LocalName;
                if (Dropped.Contains(name))
                {
                    return;
                }

                var keep = Allowed.Contains(name);
                if (keep)
                {
                    output.Append('<').Append(name);
                    if (name == "a" && SafeHref(element.GetAttribute("href")) is { } href)
                    {
                        output.Append(" href=\"").Append(System.Net.WebUtility.HtmlEncode(href)).Append("\" rel=\"noopener noreferrer\"");
                    }

                    if (name is "td" or "th" && element.GetAttribute("colspan") is { } span && int.TryParse(span, out var n) && n is > 0 and < 100)
                    {
                        output.Append(" colspan=\"").Append(n).Append('"');
                    }

                    output.Append(name is "br" or "hr" ? " />" : ">");
                }

                foreach (var child in element.ChildNodes)
                {
                    Write(child, output, depth + 1);
                }

                if (keep && name is not ("br" or "hr"))
                {
                    output.Append("</").Append(name).Append('>');
                }

                break;
        }
    }

    private static string? SafeHref(string? href)
    {
        if (string.IsNullOrWhiteSpace(href) || !Uri.TryCreate(href.Trim(), UriKind.Absolute, out var uri))
        {
            return null;
        }

        return uri.Scheme is "http" or "https" or "mailto" ? uri.AbsoluteUri : null;
    }
}
