using System.Net.Http.Headers;
using System.Text;
using System.Xml.Linq;

namespace ChannelService.Sources.CalDav;

/// <summary>
/// CalDAV protocol client: discovery (RFC 6764, RFC 5397, RFC 4791 §6.2.1), incremental sync (RFC 6578, with a
/// getctag + getetag fallback), calendar-multiget (RFC 4791 §7.9) and conditional writes (RFC 7232).
/// Bodies are treated as opaque text; the iCalendar engine interprets them.
/// </summary>
/// <remarks>
/// The <see cref="HttpClient"/> is injected so the SSRF-guarded handler can be plugged in. Give it a handler with
/// automatic redirects off: this client follows redirects itself so it can keep the method and body of PROPFIND
/// and REPORT and decide whether credentials travel along (.NET drops Authorization on automatic redirects).
/// </remarks>
internal sealed class CalDavClient
{
    private static readonly HttpMethod PropfindMethod = new("PROPFIND");
    private static readonly HttpMethod ReportMethod = new("REPORT");

    private static readonly XName[] CollectionProps =
        [Dav.ResourceType, Dav.DisplayName, Dav.SupportedComponents, Dav.CTag, Dav.SyncToken, Dav.SupportedReportSet];

    private readonly HttpClient _http;
    private readonly CalDavCredentials? _credentials;
    private readonly ICalDavEtagStore _etagStore;
    private readonly CalDavClientOptions _options;

    public CalDavClient(HttpClient http, CalDavCredentials? credentials, ICalDavEtagStore? etagStore = null, CalDavClientOptions? options = null)
    {
        _http = http;
        _credentials = credentials;
        _etagStore = etagStore ?? new InMemoryCalDavEtagStore();
        _options = options ?? new CalDavClientOptions();
    }

    // ---------------------------------------------------------------- discovery

    /// <summary>
    /// Finds the calendar collections behind a URL the admin typed: a collection URL (returned alone), a principal
    /// or calendar home, or a bare server URL (then <c>/.well-known/caldav</c>, RFC 6764 §5).
    /// </summary>
    public async Task<CalDavDiscovery> DiscoverAsync(Uri url, CancellationToken cancellationToken = default)
    {
        RequireHttp(url);
        Uri? principal = null;
        var homes = new List<Uri>();

        var first = await SendAsync(PropfindMethod, url, DavRequests.Propfind([.. CollectionProps, Dav.CurrentUserPrincipal, Dav.CalendarHomeSet]), "0", null, "looking for calendars", cancellationToken);
        var firstAnswered = first.Status == 207;
        if (firstAnswered)
        {
            var self = SelfResponse(DavXml.ParseMultiStatus(first.Body, MaxChars), first.Url);
            if (self is not null)
            {
                principal = Hrefs(self.Prop(Dav.CurrentUserPrincipal), first.Url).FirstOrDefault();
                if (self.IsCalendar)
                {
                    return new CalDavDiscovery(principal, [], [ToCollection(EnsureSlash(first.Url), self)]);
                }

                homes.AddRange(Hrefs(self.Prop(Dav.CalendarHomeSet), first.Url));
            }
        }
        else if (first.Status is 401 or 403)
        {
            throw CalDavException.FromStatus(first.Status, first.Url, "looking for calendars");
        }

        if (homes.Count == 0 && principal is null)
        {
            // RFC 6764 §5: the well-known URI redirects to the context path (Radicale: 301 to "/").
            var wellKnown = new Uri(url, "/.well-known/caldav");
            var reply = await SendAsync(PropfindMethod, wellKnown, DavRequests.Propfind(Dav.CurrentUserPrincipal, Dav.CalendarHomeSet), "0", null, "looking for calendars", cancellationToken);
            if (reply.Status == 207 && SelfResponse(DavXml.ParseMultiStatus(reply.Body, MaxChars), reply.Url) is { } wk)
            {
                principal = Hrefs(wk.Prop(Dav.CurrentUserPrincipal), reply.Url).FirstOrDefault();
                homes.AddRange(Hrefs(wk.Prop(Dav.CalendarHomeSet), reply.Url));
            }
            else if (reply.Status is 401 or 403)
            {
                throw CalDavException.FromStatus(reply.Status, reply.Url, "looking for calendars");
            }
        }

        if (homes.Count == 0 && principal is not null)
        {
            var reply = await SendAsync(PropfindMethod, principal, DavRequests.Propfind(Dav.CalendarHomeSet), "0", null, "reading the calendar home", cancellationToken);
            if (reply.Status == 207 && SelfResponse(DavXml.ParseMultiStatus(reply.Body, MaxChars), reply.Url) is { } p)
            {
                homes.AddRange(Hrefs(p.Prop(Dav.CalendarHomeSet), reply.Url));
            }
            else if (reply.Status is 401 or 403)
            {
                throw CalDavException.FromStatus(reply.Status, reply.Url, "reading the calendar home");
            }
        }

        if (homes.Count == 0)
        {
            // Some servers answer neither property; a URL that answered PROPFIND may itself hold calendars.
            if (!firstAnswered)
            {
                throw new CalDavException(CalDavErrorKind.NotFound, $"No CalDAV service was found at {CalDavException.Describe(url)}: it answered {first.Status} and has no /.well-known/caldav.", first.Status);
            }

            homes.Add(first.Url);
        }

        var collections = new List<CalDavCollection>();
        foreach (var home in homes.Distinct())
        {
            var reply = await SendAsync(PropfindMethod, home, DavRequests.Propfind(CollectionProps), "1", null, "listing calendars", cancellationToken);
            if (reply.Status != 207)
            {
                throw CalDavException.FromStatus(reply.Status, reply.Url, "listing calendars");
            }

            foreach (var r in DavXml.ParseMultiStatus(reply.Body, MaxChars).Responses)
            {
                if (r.IsCalendar)
                {
                    var collectionUrl = EnsureSlash(Resolve(reply.Url, r.Href));
                    if (!collections.Any(c => c.Url == collectionUrl))
                    {
                        collections.Add(ToCollection(collectionUrl, r));
                    }
                }
            }
        }

        return new CalDavDiscovery(principal, homes, collections);
    }

    /// <summary>Reads one collection's properties (Depth: 0); throws <see cref="CalDavErrorKind.NotACalendar"/> for anything else.</summary>
    public async Task<CalDavCollection> GetCollectionAsync(Uri collectionUrl, CancellationToken cancellationToken = default)
    {
        RequireHttp(collectionUrl);
        var reply = await SendAsync(PropfindMethod, collectionUrl, DavRequests.Propfind(CollectionProps), "0", null, "reading the collection", cancellationToken);
        if (reply.Status != 207)
        {
            throw CalDavException.FromStatus(reply.Status, reply.Url, "reading the collection");
        }

        var self = SelfResponse(DavXml.ParseMultiStatus(reply.Body, MaxChars), reply.Url);
        if (self is null || !self.IsCalendar)
        {
            throw new CalDavException(CalDavErrorKind.NotACalendar, $"{CalDavException.Describe(collectionUrl)} is not a calendar collection: pick a calendar or task list URL.");
        }

        return ToCollection(EnsureSlash(reply.Url), self);
    }

    // ---------------------------------------------------------------- sync

    /// <summary>
    /// What changed in the collection since <paramref name="cursor"/> (null: first sync, a complete listing).
    /// Uses sync-collection when the server offers it, else the ctag + etag fallback. An expired or unknown
    /// token turns into a full resync flagged <see cref="CalDavSyncResult.IsFullResync"/>.
    /// </summary>
    public async Task<CalDavSyncResult> SyncAsync(Uri collectionUrl, string? cursor, CancellationToken cancellationToken = default)
    {
        RequireHttp(collectionUrl);
        collectionUrl = EnsureSlash(collectionUrl);
        switch (CalDavCursor.Parse(cursor, collectionUrl.AbsolutePath))
        {
            case CalDavCursor.Token t when _options.UseSyncCollection:
                return await SyncCollectionAsync(collectionUrl, t.SyncToken, cancellationToken)
                    ?? await CTagSyncAsync(collectionUrl, null, null, cancellationToken);
            case CalDavCursor.CTag c:
                return await CTagSyncAsync(collectionUrl, c, cursor, cancellationToken);
            default:
                var collection = await GetCollectionAsync(collectionUrl, cancellationToken);
                if (_options.UseSyncCollection && collection.SupportsSyncCollection && await SyncCollectionAsync(collectionUrl, string.Empty, cancellationToken) is { } initial)
                {
                    return initial;
                }

                return await CTagSyncAsync(collectionUrl, null, null, cancellationToken, collection);
        }
    }

    /// <summary>RFC 6578. Returns null when the server refuses even an initial sync-collection (then use the fallback).</summary>
    private async Task<CalDavSyncResult?> SyncCollectionAsync(Uri collectionUrl, string token, CancellationToken cancellationToken)
    {
        const string Doing = "syncing the collection";
        var full = token.Length == 0;
        var current = token;
        var changed = new Dictionary<string, string?>(StringComparer.Ordinal);
        var deleted = new HashSet<string>(StringComparer.Ordinal);
        var path = collectionUrl.AbsolutePath;

        for (var page = 0; ; page++)
        {
            if (page >= _options.MaxSyncPages)
            {
                throw new CalDavException(CalDavErrorKind.Protocol, $"The CalDAV server kept truncating the sync of {CalDavException.Describe(collectionUrl)} after {page} pages.");
            }

            // RFC 6578 §3.2: sync-collection is defined for Depth: 0.
            var reply = await SendAsync(ReportMethod, collectionUrl, DavRequests.SyncCollection(current), "0", null, Doing, cancellationToken);
            if (reply.Status != 207)
            {
                if (reply.Status is 401 or 404 or 410)
                {
                    throw CalDavException.FromStatus(reply.Status, reply.Url, Doing);
                }

                // RFC 6578 §3.2 precondition DAV:valid-sync-token: 403 (Radicale, sabre/dav) or 409 (Radicale's notes say
                // some servers do); some servers answer 400. Any refusal of a non-empty token means: start over (and if the
                // server no longer offers the report at all, the empty-token attempt hands over to the fallback).
                if (current.Length > 0 && reply.Status is 400 or 403 or 405 or 409 or 415 or 422 or 501)
                {
                    full = true;
                    current = string.Empty;
                    changed.Clear();
                    deleted.Clear();
                    page = -1;
                    continue;
                }

                if (current.Length == 0 && reply.Status is 400 or 403 or 405 or 415 or 422 or 501)
                {
                    return null;
                }

                throw CalDavException.FromStatus(reply.Status, reply.Url, Doing);
            }

            var ms = DavXml.ParseMultiStatus(reply.Body, MaxChars);
            var truncated = false;
            foreach (var r in ms.Responses)
            {
                if (r.Status == 507)
                {
                    // RFC 6578 §3.6: a response for the request URI with 507 and DAV:number-of-matches-within-limits.
                    truncated = true;
                    continue;
                }

                var href = Canonical(reply.Url, r.Href);
                if (href == path)
                {
                    continue;
                }

                if (r.Status is 404 or 410)
                {
                    changed.Remove(href);
                    deleted.Add(href);
                }
                else if (!r.IsCollection)
                {
                    deleted.Remove(href);
                    changed[href] = r.Prop(Dav.GetETag)?.Value.Trim();
                }
            }

            if (ms.SyncToken is null)
            {
                throw new CalDavException(CalDavErrorKind.Protocol, $"The CalDAV server answered sync-collection on {CalDavException.Describe(collectionUrl)} without a sync-token.");
            }

            if (truncated)
            {
                if (ms.SyncToken == current)
                {
                    throw new CalDavException(CalDavErrorKind.Protocol, $"The CalDAV server truncated the sync of {CalDavException.Describe(collectionUrl)} without moving its sync-token.");
                }

                current = ms.SyncToken;
                continue;
            }

            return new CalDavSyncResult(
                [.. changed.Select(p => new CalDavChange(p.Key, p.Value))],
                full ? [] : [.. deleted],
                CalDavCursor.ForToken(ms.SyncToken),
                full,
                CalDavSyncMethod.SyncCollection);
        }
    }

    /// <summary>
    /// Fallback for servers without sync-collection: an unchanged getctag means nothing changed; otherwise list
    /// every member's getetag (Depth: 1) and diff. The ctag is read before the listing, so a change racing the
    /// listing moves the ctag again and is seen next time.
    /// </summary>
    private async Task<CalDavSyncResult> CTagSyncAsync(
        Uri collectionUrl, CalDavCursor.CTag? previous, string? previousCursor, CancellationToken cancellationToken, CalDavCollection? known = null)
    {
        const string Doing = "listing the collection";
        var path = collectionUrl.AbsolutePath;
        var collection = known ?? await GetCollectionAsync(collectionUrl, cancellationToken);

        var previousMap = previous?.InlineMap;
        if (previous?.SnapshotId is { } snapshot)
        {
            previousMap = await _etagStore.LoadAsync(collectionUrl, snapshot, cancellationToken);
        }

        if (previousMap is not null && previousCursor is not null && collection.CTag is not null && collection.CTag == previous!.Value)
        {
            return new CalDavSyncResult([], [], previousCursor, false, CalDavSyncMethod.CTagAndETags);
        }

        var reply = await SendAsync(PropfindMethod, collectionUrl, DavRequests.Propfind(Dav.ResourceType, Dav.GetETag), "1", null, Doing, cancellationToken);
        if (reply.Status != 207)
        {
            throw CalDavException.FromStatus(reply.Status, reply.Url, Doing);
        }

        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var r in DavXml.ParseMultiStatus(reply.Body, MaxChars).Responses)
        {
            var href = Canonical(reply.Url, r.Href);
            if (href == path || r.IsCollection || r.Status is 404 or 410)
            {
                continue;
            }

            var etag = r.Prop(Dav.GetETag)?.Value.Trim() ?? string.Empty;
            if (etag.AsSpan().IndexOfAny('\t', '\n', '\r') >= 0 || href.AsSpan().IndexOfAny('\t', '\n', '\r') >= 0)
            {
                throw new CalDavException(CalDavErrorKind.Protocol, "The CalDAV server sent an href or ETag with control characters.");
            }

            map[href] = etag;
        }

        var cursor = CalDavCursor.Inline(collection.CTag, map, path);
        if (cursor.Length > _options.MaxInlineCursorChars)
        {
            var id = CalDavCursor.SnapshotOf(map, path);
            await _etagStore.SaveAsync(collectionUrl, id, map, cancellationToken);
            cursor = CalDavCursor.Stored(collection.CTag, id);
        }

        if (previousMap is null)
        {
            return new CalDavSyncResult([.. map.Select(p => new CalDavChange(p.Key, p.Value))], [], cursor, true, CalDavSyncMethod.CTagAndETags);
        }

        var changed = map.Where(p => !previousMap.TryGetValue(p.Key, out var old) || old != p.Value || p.Value.Length == 0)
            .Select(p => new CalDavChange(p.Key, p.Value)).ToList();
        var deleted = previousMap.Keys.Where(k => !map.ContainsKey(k)).ToList();
        return new CalDavSyncResult(changed, deleted, cursor, false, CalDavSyncMethod.CTagAndETags);
    }

    // ---------------------------------------------------------------- bodies

    /// <summary>Fetches bodies with calendar-multiget in batches; hrefs the server no longer has come back as missing.</summary>
    public async Task<CalDavMultigetResult> MultigetAsync(Uri collectionUrl, IEnumerable<string> hrefs, CancellationToken cancellationToken = default)
    {
        const string Doing = "fetching calendar objects";
        RequireHttp(collectionUrl);
        collectionUrl = EnsureSlash(collectionUrl);
        var wanted = hrefs.Select(h => Canonical(collectionUrl, h)).Distinct(StringComparer.Ordinal).ToList();
        var objects = new List<CalDavObject>(wanted.Count);
        var missing = new List<string>();

        foreach (var batch in wanted.Chunk(Math.Max(1, _options.MultigetBatchSize)))
        {
            // RFC 4791 §7.9: the Depth header is ignored for calendar-multiget and should not be sent.
            var reply = await SendAsync(ReportMethod, collectionUrl, DavRequests.CalendarMultiget(batch), null, null, Doing, cancellationToken);
            if (reply.Status != 207)
            {
                throw CalDavException.FromStatus(reply.Status, reply.Url, Doing);
            }

            var found = new HashSet<string>(StringComparer.Ordinal);
            foreach (var r in DavXml.ParseMultiStatus(reply.Body, MaxChars).Responses)
            {
                var href = Canonical(reply.Url, r.Href);
                if (r.Status is null && r.Prop(Dav.CalendarData) is { } data && found.Add(href))
                {
                    objects.Add(new CalDavObject(href, r.Prop(Dav.GetETag)?.Value.Trim(), data.Value));
                }
            }

            missing.AddRange(batch.Where(h => !found.Contains(h)));
        }

        return new CalDavMultigetResult(objects, missing);
    }

    /// <summary>GET one calendar object: its exact text and ETag.</summary>
    public async Task<CalDavObject> GetAsync(Uri url, CancellationToken cancellationToken = default)
    {
        const string Doing = "reading a calendar object";
        RequireHttp(url);
        var reply = await SendAsync(HttpMethod.Get, url, null, null, r => r.Headers.Accept.ParseAdd("text/calendar"), Doing, cancellationToken);
        if (reply.Status != 200)
        {
            throw CalDavException.FromStatus(reply.Status, reply.Url, Doing);
        }

        return new CalDavObject(reply.Url.AbsolutePath, reply.ETag, Decode(reply.Body));
    }

    // ---------------------------------------------------------------- writes

    /// <summary>Conditional update: <c>If-Match</c> carries <paramref name="ifMatchEtag"/> exactly as the server gave it (quotes included).</summary>
    public Task<CalDavWriteResult> PutAsync(Uri url, string body, string ifMatchEtag, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(ifMatchEtag);
        RejectHeaderBreaks(ifMatchEtag);
        return WriteAsync(url, body, r => r.Headers.TryAddWithoutValidation("If-Match", ifMatchEtag), cancellationToken);
    }

    /// <summary>Create-only PUT (<c>If-None-Match: *</c>): a name already taken gives <see cref="CalDavWriteStatus.PreconditionFailed"/>.</summary>
    public Task<CalDavWriteResult> CreateAsync(Uri url, string body, CancellationToken cancellationToken = default) =>
        WriteAsync(url, body, r => r.Headers.TryAddWithoutValidation("If-None-Match", "*"), cancellationToken);

    /// <summary>
    /// Read-modify-write with optimistic locking: GET, <paramref name="apply"/> to the current body, PUT with If-Match;
    /// on 412 read again and re-apply, at most <paramref name="maxAttempts"/> rounds. <paramref name="apply"/> returns
    /// null when the body already holds the change (e.g. our COMMENT is there), and must be idempotent.
    /// </summary>
    public async Task<CalDavUpdateResult> UpdateWithRetryAsync(Uri url, Func<string, string?> apply, int maxAttempts = 3, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxAttempts, 1);
        CalDavWriteResult? last = null;
        for (var attempt = 1; attempt <= maxAttempts; attempt++)
        {
            var current = await GetAsync(url, cancellationToken);
            var updated = apply(current.Body);
            if (updated is null)
            {
                return new CalDavUpdateResult(new CalDavWriteResult(CalDavWriteStatus.AlreadyApplied, 200, current.ETag), attempt);
            }

            if (current.ETag is null)
            {
                throw new CalDavException(CalDavErrorKind.Protocol, $"The CalDAV server sent no ETag for {CalDavException.Describe(url)}, so it cannot be updated safely.");
            }

            last = await PutAsync(url, updated, current.ETag, cancellationToken);
            if (last.Status != CalDavWriteStatus.PreconditionFailed)
            {
                return new CalDavUpdateResult(last, attempt);
            }
        }

        return new CalDavUpdateResult(last!, maxAttempts);
    }

    /// <summary>
    /// Conditional DELETE (RFC 4918 §9.6 with RFC 7232 <c>If-Match</c>): removes the resource only while it is still the
    /// version <paramref name="ifMatchEtag"/> names, so a resource changed by someone else is never deleted blindly.
    /// </summary>
    public async Task<CalDavDeleteStatus> DeleteAsync(Uri url, string ifMatchEtag, CancellationToken cancellationToken = default)
    {
        const string Doing = "deleting a calendar object";
        ArgumentException.ThrowIfNullOrEmpty(ifMatchEtag);
        RejectHeaderBreaks(ifMatchEtag);
        RequireHttp(url);
        var reply = await SendAsync(HttpMethod.Delete, url, null, null, r => r.Headers.TryAddWithoutValidation("If-Match", ifMatchEtag), Doing, cancellationToken, followRedirects: false);
        return reply.Status switch
        {
            200 or 202 or 204 => CalDavDeleteStatus.Deleted,
            404 or 410 => CalDavDeleteStatus.NotFound,
            412 => CalDavDeleteStatus.PreconditionFailed,
            _ => throw CalDavException.FromStatus(reply.Status, reply.Url, Doing),
        };
    }

    /// <summary>GET one calendar object, or null when the server has nothing at <paramref name="url"/> (404/410).</summary>
    public async Task<CalDavObject?> TryGetAsync(Uri url, CancellationToken cancellationToken = default)
    {
        try
        {
            return await GetAsync(url, cancellationToken);
        }
        catch (CalDavException e) when (e.Kind == CalDavErrorKind.NotFound)
        {
            return null;
        }
    }

    private async Task<CalDavWriteResult> WriteAsync(Uri url, string body, Action<HttpRequestMessage> conditional, CancellationToken cancellationToken)
    {
        const string Doing = "writing a calendar object";
        RequireHttp(url);
        var reply = await SendAsync(HttpMethod.Put, url, null, null, r =>
        {
            r.Content = new ByteArrayContent(DavXml.Utf8.GetBytes(body));
            r.Content.Headers.ContentType = MediaTypeHeaderValue.Parse("text/calendar; charset=utf-8");
            conditional(r);
        }, Doing, cancellationToken, followRedirects: false);

        switch (reply.Status)
        {
            case 200 or 201 or 204:
                // The server may rewrite what we sent (Radicale adds VTIMEZONE, re-orders properties): only a strong
                // ETag from the response names what it stored; without one, ask again.
                var etag = reply.ETag;
                if (etag is null || etag.StartsWith("W/", StringComparison.Ordinal))
                {
                    etag = (await GetAsync(url, cancellationToken)).ETag;
                }

                return new CalDavWriteResult(CalDavWriteStatus.Written, reply.Status, etag);
            case 412:
                return new CalDavWriteResult(CalDavWriteStatus.PreconditionFailed, 412, null, DavXml.PreconditionOf(reply.Body, MaxChars));
            case 409:
                return new CalDavWriteResult(CalDavWriteStatus.Conflict, 409, null, DavXml.PreconditionOf(reply.Body, MaxChars));
            case 401:
                return new CalDavWriteResult(CalDavWriteStatus.Unauthorized, 401, null);
            case 403:
                return new CalDavWriteResult(CalDavWriteStatus.Forbidden, 403, null, DavXml.PreconditionOf(reply.Body, MaxChars));
            default:
                throw CalDavException.FromStatus(reply.Status, reply.Url, Doing);
        }
    }

    // ---------------------------------------------------------------- HTTP

    private sealed record DavReply(int Status, Uri Url, string? ETag, byte[] Body);

    private long MaxChars => _options.MaxResponseBytes;

    private async Task<DavReply> SendAsync(
        HttpMethod method,
        Uri url,
        string? xml,
        string? depth,
        Action<HttpRequestMessage>? configure,
        string doing,
        CancellationToken cancellationToken,
        bool followRedirects = true)
    {
        var origin = url;
        var retried = false;
        for (var hop = 0; ; hop++)
        {
            using var request = new HttpRequestMessage(method, url);
            if (xml is not null)
            {
                request.Content = new StringContent(xml, DavXml.Utf8, "application/xml");
            }

            if (depth is not null)
            {
                request.Headers.TryAddWithoutValidation("Depth", depth);
            }

            if (_credentials is not null && MayCarryCredentials(origin, url))
            {
                var token = Convert.ToBase64String(Encoding.UTF8.GetBytes(_credentials.UserName + ":" + _credentials.Password));
                request.Headers.Authorization = new AuthenticationHeaderValue("Basic", token);
            }

            configure?.Invoke(request);

            try
            {
                using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
                var status = (int)response.StatusCode;
                if (followRedirects && status is 301 or 302 or 307 or 308 && response.Headers.Location is { } location)
                {
                    if (hop >= _options.MaxRedirects)
                    {
                        throw new CalDavException(CalDavErrorKind.Protocol, $"Too many redirects from {CalDavException.Describe(origin)} while {doing}.");
                    }

                    url = location.IsAbsoluteUri ? location : new Uri(url, location);
                    RequireHttp(url);
                    continue;
                }

                var body = await ReadLimitedAsync(response.Content, url, cancellationToken);
                var etag = response.Headers.TryGetValues("ETag", out var values) ? values.FirstOrDefault()?.Trim() : null;
                return new DavReply(status, url, string.IsNullOrEmpty(etag) ? null : etag, body);
            }
            catch (HttpRequestException ex) when (ex.HttpRequestError == HttpRequestError.ResponseEnded && !retried)
            {
                // The connection ended before any answer. Seen against Radicale (a WSGI server that answers HTTP/1.0
                // and closes after every response): Radicale's log showed the request never arrived, i.e. it went out
                // on a connection the server had already closed. Sending once more is safe; a conditional PUT that did
                // land would answer 412, which the callers handle.
                retried = true;
                hop--;
            }
            catch (HttpRequestException ex)
            {
                throw new CalDavException(CalDavErrorKind.Unreachable, $"The CalDAV server at {CalDavException.Describe(url)} could not be reached while {doing}: {ex.HttpRequestError}.", inner: ex);
            }
            catch (IOException ex)
            {
                throw new CalDavException(CalDavErrorKind.Unreachable, $"The connection to the CalDAV server at {CalDavException.Describe(url)} broke while {doing}.", inner: ex);
            }
            catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
            {
                throw new CalDavException(CalDavErrorKind.Timeout, $"The CalDAV server at {CalDavException.Describe(url)} did not answer in time while {doing}.", inner: ex);
            }
        }
    }

    private async Task<byte[]> ReadLimitedAsync(HttpContent content, Uri url, CancellationToken cancellationToken)
    {
        var max = _options.MaxResponseBytes;
        if (content.Headers.ContentLength > max)
        {
            throw TooLarge(url);
        }

        await using var stream = await content.ReadAsStreamAsync(cancellationToken);
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await stream.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > max)
            {
                throw TooLarge(url);
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }

    private CalDavException TooLarge(Uri url) =>
        new(CalDavErrorKind.Protocol, $"The CalDAV server at {CalDavException.Describe(url)} sent more than {_options.MaxResponseBytes} bytes.");

    /// <summary>
    /// Credentials follow a redirect to the same origin, or to the same host upgraded to https; never elsewhere,
    /// so a redirect cannot hand the account's password to another host.
    /// </summary>
    private static bool MayCarryCredentials(Uri origin, Uri target) =>
        string.Equals(origin.Host, target.Host, StringComparison.OrdinalIgnoreCase)
        && ((origin.Scheme == target.Scheme && origin.Port == target.Port) || target.Scheme == Uri.UriSchemeHttps);

    // ---------------------------------------------------------------- helpers

    private static void RequireHttp(Uri url)
    {
        if (!url.IsAbsoluteUri || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps))
        {
            throw new CalDavException(CalDavErrorKind.Protocol, $"CalDAV needs an http or https URL, not {(url.IsAbsoluteUri ? url.Scheme : "a relative URL")}.");
        }
    }

    private static void RejectHeaderBreaks(string value)
    {
        if (value.AsSpan().IndexOfAny('\r', '\n') >= 0)
        {
            throw new ArgumentException("An ETag must not contain line breaks.", nameof(value));
        }
    }

    private static Uri EnsureSlash(Uri url) =>
        url.AbsolutePath.EndsWith('/') ? url : new UriBuilder(url) { Path = url.AbsolutePath + "/" }.Uri;

    private static Uri Resolve(Uri baseUrl, string href)
    {
        if (!Uri.TryCreate(baseUrl, href, out var resolved))
        {
            throw new CalDavException(CalDavErrorKind.Protocol, "The CalDAV server sent an href that is not a valid URL reference.");
        }

        return resolved;
    }

    /// <summary>The canonical form of an href: the absolute path of the resolved URL, as the server escaped it.</summary>
    internal static string Canonical(Uri baseUrl, string href) => Resolve(baseUrl, href).AbsolutePath;

    /// <summary>Resolves an href from a sync or multiget result against its collection URL.</summary>
    public static Uri ObjectUrl(Uri collectionUrl, string href) => Resolve(collectionUrl, href);

    /// <summary>The response describing the request URL itself (Depth: 0 answers have one; some servers add more).</summary>
    private static DavResponse? SelfResponse(DavMultiStatus ms, Uri url)
    {
        var path = url.AbsolutePath.TrimEnd('/');
        return ms.Responses.FirstOrDefault(r => Canonical(url, r.Href).TrimEnd('/') == path) ?? ms.Responses.FirstOrDefault();
    }

    private static IEnumerable<Uri> Hrefs(XElement? prop, Uri baseUrl) =>
        prop?.Elements(Dav.D + "href").Select(h => h.Value.Trim()).Where(h => h.Length > 0).Select(h => Resolve(baseUrl, h)) ?? [];

    private static CalDavCollection ToCollection(Uri url, DavResponse r)
    {
        var components = r.Prop(Dav.SupportedComponents)?.Elements(Dav.C + "comp")
            .Select(c => c.Attribute("name")?.Value.Trim().ToUpperInvariant())
            .OfType<string>().Where(n => n.Length > 0).Distinct().ToList() ?? [];
        var reports = r.Prop(Dav.SupportedReportSet)?.Elements(Dav.D + "supported-report")
            .Select(s => s.Element(Dav.D + "report")?.Elements().FirstOrDefault()?.Name)
            .OfType<XName>().ToList() ?? [];
        return new CalDavCollection(
            url,
            NullIfEmpty(r.Prop(Dav.DisplayName)?.Value),
            components,
            NullIfEmpty(r.Prop(Dav.CTag)?.Value),
            NullIfEmpty(r.Prop(Dav.SyncToken)?.Value),
            reports.Contains(Dav.SyncCollection));
    }

    private static string? NullIfEmpty(string? s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim();

    // RFC 5545 §3.1.4: the default charset is UTF-8; servers that send something else are not CalDAV servers.
    private static string Decode(byte[] body) => DavXml.Utf8.GetString(body);
}
