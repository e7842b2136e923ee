using ChannelService.Calendars;
using ChannelService.Sources.CalDav;
using ChannelService.Sources.Http;
using SourceKind = ChannelService.Accounts.SourceKind;

namespace ChannelService.Admin;

/// <summary>
/// One HttpClient for the admin UI's CalDAV calls that dials only through the SSRF guard (the same policy and
/// limits as <see cref="SourceHttpClient"/>): CalDavClient takes a plain HttpClient, so the guard sits in its handler.
/// </summary>
internal sealed class GuardedCalDavHttp : IDisposable
{
    public GuardedCalDavHttp(SourceHttpClient sources, TimeProvider time)
    {
        var options = sources.Options;
        var connector = new GuardedConnector(SourceNetworkPolicy.FromOptions(options), GuardedConnector.ResolveWithDns, GuardedConnector.ConnectSocketAsync, options.SourceConnectTimeout, time);
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = connector.ConnectAsync,
            UseProxy = false,
            AllowAutoRedirect = false,
            UseCookies = false,
            Credentials = null,
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
        };
        Http = new HttpClient(handler) { Timeout = options.SourceRequestTimeout };
        MaxResponseBytes = options.MaxSourceResponseBytes;
    }

    public HttpClient Http { get; }

    public long MaxResponseBytes { get; }

    public CalDavClient Client(string? username, string? secret) =>
        new(Http, string.IsNullOrEmpty(username) ? null : new CalDavCredentials(username, secret ?? ""), options: new CalDavClientOptions { MaxResponseBytes = MaxResponseBytes });

    public void Dispose() => Http.Dispose();

    /// <summary>CalDAV errors in the admin's words; a refusal by the SSRF guard keeps its own message.</summary>
    public static string Describe(CalDavException e)
    {
        for (Exception? inner = e.InnerException; inner is not null; inner = inner.InnerException)
        {
            if (inner is SourceException source)
            {
                return source.Message;
            }
        }

        return e.Kind switch
        {
            CalDavErrorKind.Unauthorized => "The server rejected the username or password (HTTP 401).",
            CalDavErrorKind.Forbidden => "The server refused access to this address (HTTP 403); the account may lack permission.",
            _ => e.Message,
        };
    }
}

/// <summary>Lists the calendars and task lists a CalDAV server URL leads to (RFC 4791 §6, RFC 6764 discovery).</summary>
internal sealed class CalDavCollectionDiscovery(GuardedCalDavHttp http) : ICollectionDiscovery
{
    public async Task<IReadOnlyList<DiscoveredCollection>> DiscoverAsync(string url, string? username, string? secret, CancellationToken cancellationToken)
    {
        try
        {
            var found = await http.Client(username, secret).DiscoverAsync(new Uri(url), cancellationToken);
            return found.Collections
                .Select(c => new DiscoveredCollection(c.Url.AbsoluteUri, string.IsNullOrWhiteSpace(c.DisplayName) ? c.Url.AbsolutePath : c.DisplayName.Trim(), c.AcceptsTodos, c.AcceptsEvents))
                .ToList();
        }
        catch (CalDavException e)
        {
            throw new SourceException(SourceErrorKind.Unreachable, GuardedCalDavHttp.Describe(e));
        }
    }
}

/// <summary>
/// Tests a CalDAV collection: it must be a calendar collection, then its items are listed and read (at most
/// <see cref="MaxPreviewItems"/>) to show what would become tickets. Nothing is written.
/// </summary>
internal sealed class CalDavConnectionTester(GuardedCalDavHttp http, TimeProvider time) : IConnectionTester
{
    public const int MaxPreviewItems = 500;

    public bool Handles(SourceKind kind) => kind is SourceKind.CalDavTasks or SourceKind.CalDavCalendar;

    public async Task<ConnectionTestResult> TestAsync(ConnectionTarget target, CancellationToken cancellationToken)
    {
        try
        {
            var client = http.Client(target.Username, target.Secret);
            var url = new Uri(target.Url);
            var collection = await client.GetCollectionAsync(url, cancellationToken);
            var wanted = target.Kind == SourceKind.CalDavTasks ? collection.AcceptsTodos : collection.AcceptsEvents;
            if (!wanted)
            {
                return new ConnectionTestResult
                {
                    ErrorKind = SourceErrorKind.NotACalendar,
                    Error = target.Kind == SourceKind.CalDavTasks ? "This calendar holds no tasks; pick a task list." : "This collection holds no events; pick a calendar.",
                };
            }

            var listing = await client.SyncAsync(collection.Url, null, cancellationToken);
            var hrefs = listing.Changed.Take(MaxPreviewItems).Select(c => c.Href).ToList();
            var objects = hrefs.Count == 0 ? [] : (await client.MultigetAsync(collection.Url, hrefs, cancellationToken)).Objects;
            var wantedKind = target.Kind == SourceKind.CalDavTasks ? CalendarItemKind.Task : CalendarItemKind.Event;
            var items = objects
                .SelectMany(o => CalDavSource.ListObject(o, collection.Url)?.Items ?? [])
                .Where(i => i.Item.Kind == wantedKind)
                .Select(i => i.ToPlanningItem());
            var preview = Preview.Of(items, target.Options, time.GetUtcNow());
            return listing.Changed.Count > MaxPreviewItems
                ? preview with { Warnings = [$"Only the first {MaxPreviewItems} of {listing.Changed.Count} items were read for this preview."] }
                : preview;
        }
        catch (CalDavException e)
        {
            return new ConnectionTestResult { ErrorKind = e.Kind == CalDavErrorKind.NotACalendar ? SourceErrorKind.NotACalendar : SourceErrorKind.Protocol, Error = GuardedCalDavHttp.Describe(e) };
        }
        catch (UriFormatException)
        {
            return new ConnectionTestResult { ErrorKind = SourceErrorKind.BadUrl, Error = "Enter a full address such as https://dav.example.com/calendars/me/tasks/." };
        }
    }
}
