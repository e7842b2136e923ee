namespace ChannelService.Sources.CalDav;

/// <summary>User name and password for HTTP Basic authentication against a CalDAV server.</summary>
internal sealed record CalDavCredentials(string UserName, string Password)
{
    // Records print their members; a password must never reach a log line through ToString().
    public override string ToString() => $"CalDavCredentials {{ UserName = {UserName} }}";
}

/// <summary>Limits and knobs of <see cref="CalDavClient"/>; the defaults are safe for production.</summary>
internal sealed class CalDavClientOptions
{
    /// <summary>Largest response body read from the server (XML or iCalendar), in bytes.</summary>
    public long MaxResponseBytes { get; init; } = 64L * 1024 * 1024;

    /// <summary>Hrefs per calendar-multiget REPORT (evolution-data-server uses 100).</summary>
    public int MultigetBatchSize { get; init; } = 100;

    /// <summary>
    /// Largest fallback cursor (ctag + href→etag map) kept inline; a larger map goes to the
    /// <see cref="ICalDavEtagStore"/> and the cursor only names its snapshot. The pull state is at most
    /// 5000 characters and carries other fields too.
    /// </summary>
    public int MaxInlineCursorChars { get; init; } = 1500;

    /// <summary>Bound on sync-collection continuations after 507 truncation (RFC 6578 §3.6).</summary>
    public int MaxSyncPages { get; init; } = 1000;

    /// <summary>
    /// Use RFC 6578 sync-collection when the server lists it. Off forces the getctag + getetag fallback, for servers
    /// whose sync-collection is known to be unreliable (python-caldav lists SOGo, DAViCal, Synology as fragile).
    /// </summary>
    public bool UseSyncCollection { get; init; } = true;

    /// <summary>Bound on redirects followed for one request.</summary>
    public int MaxRedirects { get; init; } = 5;
}

/// <summary>One calendar collection as the admin UI lists it ("pick a task list").</summary>
/// <param name="Url">Absolute URL of the collection (ends with a slash on every server seen).</param>
/// <param name="Components">
/// Component names from <c>C:supported-calendar-component-set</c>, e.g. VTODO, VEVENT. Empty when the
/// server did not say, which RFC 4791 §5.2.3 reads as "any component".
/// </param>
/// <param name="CTag">CalendarServer <c>getctag</c>; changes whenever anything in the collection changes.</param>
/// <param name="SyncToken">Current RFC 6578 <c>DAV:sync-token</c>, if the server reports one.</param>
/// <param name="SupportsSyncCollection">Whether <c>supported-report-set</c> lists <c>sync-collection</c>.</param>
internal sealed record CalDavCollection(
    Uri Url,
    string? DisplayName,
    IReadOnlyList<string> Components,
    string? CTag,
    string? SyncToken,
    bool SupportsSyncCollection)
{
    public string Href => Url.AbsolutePath;

    public bool AcceptsTodos => Components.Count == 0 || Components.Contains("VTODO", StringComparer.OrdinalIgnoreCase);

    public bool AcceptsEvents => Components.Count == 0 || Components.Contains("VEVENT", StringComparer.OrdinalIgnoreCase);
}

/// <summary>What discovery found: the principal (if any), the calendar homes and every calendar collection in them.</summary>
internal sealed record CalDavDiscovery(Uri? Principal, IReadOnlyList<Uri> CalendarHomes, IReadOnlyList<CalDavCollection> Collections);

/// <summary>A member that was added or changed, with the ETag exactly as the server sent it (quotes included).</summary>
internal sealed record CalDavChange(string Href, string? ETag);

/// <summary>
/// Outcome of one <see cref="CalDavClient.SyncAsync"/>. Hrefs are absolute paths as the server named them.
/// When <see cref="IsFullResync"/> is true, <see cref="Changed"/> is the complete listing of the collection and
/// <see cref="Deleted"/> is empty: the caller must treat every item it knows that is not listed as deleted.
/// Store <see cref="Cursor"/> only after the changes are safely processed.
/// </summary>
internal sealed record CalDavSyncResult(
    IReadOnlyList<CalDavChange> Changed,
    IReadOnlyList<string> Deleted,
    string Cursor,
    bool IsFullResync,
    CalDavSyncMethod Method);

internal enum CalDavSyncMethod
{
    /// <summary>RFC 6578 sync-collection REPORT.</summary>
    SyncCollection,

    /// <summary>getctag comparison plus a Depth:1 PROPFIND of getetag, diffed against the previous map.</summary>
    CTagAndETags,
}

/// <summary>One calendar object resource: its href, its ETag as sent, and its body.</summary>
/// <remarks>
/// Bodies read from calendar-multiget come out of XML, whose parser turns CRLF into LF (XML 1.0 §2.11);
/// bodies read with GET are the exact text the server sent.
/// </remarks>
internal sealed record CalDavObject(string Href, string? ETag, string Body);

/// <summary>Bodies fetched by calendar-multiget, plus the hrefs the server no longer has.</summary>
internal sealed record CalDavMultigetResult(IReadOnlyList<CalDavObject> Objects, IReadOnlyList<string> Missing);

internal enum CalDavWriteStatus
{
    /// <summary>Stored; <see cref="CalDavWriteResult.ETag"/> is the server's strong ETag of what it stored.</summary>
    Written,

    /// <summary>412: the ETag no longer matches (someone else changed it), or a create found the name taken.</summary>
    PreconditionFailed,

    /// <summary>409: e.g. <c>C:no-uid-conflict</c> (the UID exists under another name) or a missing parent.</summary>
    Conflict,

    /// <summary>401: credentials refused.</summary>
    Unauthorized,

    /// <summary>403: not allowed, or a CalDAV precondition such as <c>C:supported-calendar-component</c>.</summary>
    Forbidden,

    /// <summary>An update function said the change was already there; nothing was written.</summary>
    AlreadyApplied,
}

/// <summary>Result of a conditional DELETE.</summary>
internal enum CalDavDeleteStatus
{
    /// <summary>2xx: removed.</summary>
    Deleted,

    /// <summary>404 or 410: nothing there (already deleted).</summary>
    NotFound,

    /// <summary>412: the resource is no longer the version the ETag named.</summary>
    PreconditionFailed,
}

/// <summary>
/// Result of a PUT. <see cref="Precondition"/> names the DAV/CalDAV precondition element of an error body
/// (for example <c>no-uid-conflict</c>), when the server sent one.
/// </summary>
internal sealed record CalDavWriteResult(CalDavWriteStatus Status, int HttpStatus, string? ETag, string? Precondition = null)
{
    public bool Succeeded => Status is CalDavWriteStatus.Written or CalDavWriteStatus.AlreadyApplied;
}

/// <summary>Result of <see cref="CalDavClient.UpdateWithRetryAsync"/>: the last write result and how many rounds it took.</summary>
internal sealed record CalDavUpdateResult(CalDavWriteResult Write, int Attempts)
{
    public CalDavWriteStatus Status => Write.Status;

    public string? ETag => Write.ETag;
}
