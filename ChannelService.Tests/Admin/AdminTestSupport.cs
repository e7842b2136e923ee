using System.Net;
using System.Text;
using AngleSharp.Html.Dom;
using AngleSharp.Html.Parser;
using ChannelService.Tests.Sources.Http;

namespace ChannelService.Tests.Admin;

/// <summary>A calendar feed on loopback: a few open and done tasks and one event, or a login page, or a 401.</summary>
internal static class TestFeeds
{
    public const string User = "feeduser";
    public const string Password = "s3cret-pass";

    public static string Calendar(DateTimeOffset now)
    {
        var sb = new StringBuilder("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//ChannelService tests//EN\r\n");
        for (var i = 1; i <= 7; i++)
        {
            var done = i > 6;
            sb.Append("BEGIN:VTODO\r\n")
              .Append("UID:task-").Append(i).Append("@example.com\r\n")
              .Append("DTSTAMP:20260101T000000Z\r\n")
              .Append("SUMMARY:Task number ").Append(i).Append("\r\n")
              .Append("DUE:").Append(now.AddDays(i).ToString("yyyyMMdd'T'HHmmss'Z'", System.Globalization.CultureInfo.InvariantCulture)).Append("\r\n")
              .Append(done ? "STATUS:COMPLETED\r\n" : "STATUS:NEEDS-ACTION\r\n")
              .Append("END:VTODO\r\n");
        }

        sb.Append("BEGIN:VEVENT\r\nUID:event-1@example.com\r\nDTSTAMP:20260101T000000Z\r\nSUMMARY:Planning meeting\r\nDTSTART:")
          .Append(now.AddDays(2).ToString("yyyyMMdd'T'HHmmss'Z'", System.Globalization.CultureInfo.InvariantCulture))
          .Append("\r\nDURATION:PT1H\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n");
        return sb.ToString();
    }

    /// <summary>Serves /feed.ics (Basic auth required), /public.ics, /login (an HTML page).</summary>
    public static LoopbackServer Start() => new(async (request, stream, ct) =>
    {
        var path = request.Target.Split('?')[0];
        var expected = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(User + ":" + Password));
        switch (path)
        {
            case "/feed.ics" when request.Header("Authorization") != expected:
                await LoopbackServer.WriteAsync(stream, 401, "no", ct, ("WWW-Authenticate", "Basic realm=\"feed\""));
                break;
            case "/feed.ics" or "/public.ics":
                await LoopbackServer.WriteAsync(stream, 200, Calendar(DateTimeOffset.UtcNow), ct, ("Content-Type", "text/calendar; charset=utf-8"));
                break;
            case "/login":
                await LoopbackServer.WriteAsync(stream, 200, "<!DOCTYPE html><html><body>Sign in</body></html>", ct, ("Content-Type", "text/html"));
                break;
            default:
                await LoopbackServer.WriteAsync(stream, 404, "not found", ct);
                break;
        }
    });
}

/// <summary>Drives the admin UI over HTTP as a browser would: posts Zendesk's fields, then submits the page's own form.</summary>
internal sealed class AdminDriver(HttpClient client)
{
    public const string ReturnUrl = "https://acme.zendesk.com/zendesk/channels/integrations/return";

    public static Dictionary<string, string> ZendeskFields(string metadata = "", string state = "", string name = "", string locale = "en-US") => new()
    {
        ["name"] = name,
        ["metadata"] = metadata,
        ["state"] = state,
        ["return_url"] = ReturnUrl,
        ["subdomain"] = "acme",
        ["locale"] = locale,
    };

    public HttpResponseMessage? Last { get; private set; }

    public async Task<IHtmlDocument> PostAsync(string path, IEnumerable<KeyValuePair<string, string>> fields)
    {
        Last = await client.PostAsync(path, new FormUrlEncodedContent(fields));
        return new HtmlParser().ParseDocument(await Last.Content.ReadAsStringAsync());
    }

    public Task<IHtmlDocument> StartAsync(Dictionary<string, string>? fields = null) => PostAsync("/admin", fields ?? ZendeskFields());

    /// <summary>Submits the page's form as a browser would (checked radios, text, hidden), with <paramref name="set"/> typed in.</summary>
    public Task<IHtmlDocument> SubmitAsync(IHtmlDocument page, string action, Dictionary<string, string>? set = null)
    {
        var fields = FormFields(page);
        foreach (var (key, value) in set ?? [])
        {
            fields[key] = value;
        }

        fields["do"] = action;
        return PostAsync("/admin/step", fields);
    }

    public static Dictionary<string, string> FormFields(IHtmlDocument page)
    {
        var form = page.QuerySelector("form") ?? throw new AssertionException("The page has no form: " + page.Body?.TextContent);
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var input in form.QuerySelectorAll("input"))
        {
            var name = input.GetAttribute("name");
            var type = input.GetAttribute("type") ?? "text";
            if (name is null || ((type is "radio" or "checkbox") && !input.HasAttribute("checked")))
            {
                continue;
            }

            fields[name] = input.GetAttribute("value") ?? "";
        }

        foreach (var area in form.QuerySelectorAll("textarea"))
        {
            fields[area.GetAttribute("name")!] = area.TextContent;
        }

        return fields;
    }

    public static string Text(IHtmlDocument page) => page.Body?.TextContent ?? "";

    public static HttpStatusCode Status(AdminDriver driver) => driver.Last!.StatusCode;
}
