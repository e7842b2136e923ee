using System.Net;

namespace ChannelService.Configuration;

/// <summary>
/// The <c>Channel</c> configuration section (environment form <c>Channel__Name</c>). Every setting is
/// documented in the README; names are fixed because operators and scripts rely on them.
/// </summary>
public sealed class ChannelOptions
{
    public const string SectionName = "Channel";

    /// <summary>The https base URL Zendesk reaches the service at. http is accepted only for loopback hosts.</summary>
    public string? PublicBaseUrl { get; set; }

    /// <summary>Where the SQLite database and generated keys live. Relative paths are resolved against the working directory.</summary>
    public string DataDirectory { get; set; } = "./data";

    /// <summary>
    /// Empty: the embedded SQLite database in <see cref="DataDirectory"/>. A PostgreSQL connection string
    /// (<c>Host=…;Port=…;Database=…;Username=…;Password=…</c>): that database, shared by every instance given the same string.
    /// </summary>
    public string? Database { get; set; }

    /// <summary>
    /// The key ring file when no <c>Channel:Keys</c> are configured; empty: <c>{DataDirectory}/keys.json</c>. Instances
    /// sharing a PostgreSQL database are given the same file (or the same <c>Channel:Keys</c>). Read by
    /// <c>Accounts/AccountsConfiguration.KeyFile</c>, which the command line shares.
    /// </summary>
    public string? KeyFile { get; set; }

    /// <summary>This instance's name on the dashboard (instances, and which one pulled an account last); empty: the machine's name.</summary>
    public string? InstanceName { get; set; }

    /// <summary>Lets sources reach loopback and private addresses (development and tests only).</summary>
    public bool AllowPrivateNetworkSources { get; set; }

    /// <summary>CIDR ranges sources may reach although they are private (a company's own CalDAV server).</summary>
    public List<string> AllowedSourceNetworks { get; set; } = [];

    /// <summary>Global OAuth client id for push; when set it appears in the manifest as <c>push_client_id</c>.</summary>
    public string? PushClientId { get; set; }

    /// <summary>
    /// Base URL of the Zendesk API for every subdomain, replacing <c>https://{subdomain}.zendesk.com</c> (a proxy, or a
    /// fake Zendesk in tests). Empty: the real one.
    /// </summary>
    public string? ZendeskBaseUrl { get; set; }

    /// <summary>
    /// Client id (Zendesk's "unique identifier") of the operator's OAuth client for "Connect to Zendesk" in the admin
    /// UI: a global OAuth client when one service serves many subdomains. Without it and its secret the admin UI offers
    /// no Connect button (the command line's <c>zendesk link</c> brings its own client).
    /// </summary>
    public string? ZendeskOAuthClientId { get; set; }

    /// <summary>The OAuth client's secret: set it from the environment or a secrets file, never in a committed file.</summary>
    public string? ZendeskOAuthClientSecret { get; set; }

    /// <summary>Scopes every link asks for, space-separated (README, "Zendesk link", for why these).</summary>
    public string ZendeskOAuthScopes { get; set; } = DefaultZendeskOAuthScopes;

    /// <summary>Reading tickets, users, job statuses and the incremental export; writing tickets, users and webhooks.</summary>
    public const string DefaultZendeskOAuthScopes = "read tickets:write users:write webhooks:write triggers:write";

    /// <summary>True when the admin UI can run "Connect to Zendesk".</summary>
    public bool ZendeskConnectEnabled => !string.IsNullOrWhiteSpace(ZendeskOAuthClientId) && !string.IsNullOrWhiteSpace(ZendeskOAuthClientSecret);

    /// <summary>Resources per push call: Zendesk's schema allows 256, the docs 200 (spec §8), so 200 at most.</summary>
    public int PushBatchSize { get; set; } = 200;

    /// <summary>How long the push worker waits for a burst to settle before it sends a part-filled batch.</summary>
    public TimeSpan PushLinger { get; set; } = TimeSpan.FromMilliseconds(300);

    /// <summary>
    /// REST API requests per minute per linked subdomain (the API worker's rate gate): Zendesk allows 700 on Suite
    /// Professional, 400 on Team; set it to your plan's limit or lower, leaving room for other apps.
    /// </summary>
    public int ZendeskApiRequestsPerMinute { get; set; } = 700;

    /// <summary>Timeout of one call to the Zendesk API.</summary>
    public TimeSpan ZendeskTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How often the Zendesk change feed reconciles each linked subdomain through the incremental ticket export (and
    /// once at start), so a lost webhook delivery is recovered within this time.
    /// </summary>
    public TimeSpan ChangeFeedReconcileInterval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Incremental export requests per minute and subdomain. Zendesk allows 10 a minute for the whole Zendesk account
    /// (shared with every other integration using it), so the default stays well under.
    /// </summary>
    public int ChangeFeedExportRequestsPerMinute { get; set; } = 4;

    /// <summary>Length of each task's event in agents' calendar feeds (<c>GET /calendars/{token}.ics</c>), from its due time.</summary>
    public TimeSpan AgentCalendarEventDuration { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>Agents' calendar feeds show each task as an all-day event on its due date (UTC) instead of a timed one.</summary>
    public bool AgentCalendarAllDay { get; set; }

    /// <summary>How often calendar apps are asked to refetch an agent's feed (<c>REFRESH-INTERVAL</c>, <c>X-PUBLISHED-TTL</c>).</summary>
    public TimeSpan AgentCalendarRefreshInterval { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>User name for <c>GET /dashboard</c> (HTTP Basic). The dashboard answers 404 unless both are set.</summary>
    public string? DashboardUser { get; set; }

    /// <summary>Password for <c>GET /dashboard</c>.</summary>
    public string? DashboardPassword { get; set; }

    /// <summary>
    /// Where to send the metrics by OTLP as well (OTLP/HTTP with protobuf): the collector's full metrics URL, e.g.
    /// <c>http://otel-collector:4318/v1/metrics</c>. Empty (the default): no OTLP export; <c>/metrics</c> serves Prometheus either way.
    /// </summary>
    public string? OtlpEndpoint { get; set; }

    /// <summary>How often the metrics are sent to <see cref="OtlpEndpoint"/> (and once more when the service stops).</summary>
    public TimeSpan OtlpExportInterval { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary><see cref="OtlpEndpoint"/> as a URL; null when not set (validated at start).</summary>
    public Uri? OtlpEndpointUri => string.IsNullOrWhiteSpace(OtlpEndpoint) ? null : new Uri(OtlpEndpoint.Trim(), UriKind.Absolute);

    /// <summary>
    /// How long an answered channelback's <c>request_unique_identifier</c> is remembered, so a repeat is answered from
    /// the record and the reply is not written twice. Zendesk repeats a channelback with the same identifier after
    /// network errors and documents no window (channel-framework.md §4); 7 days is far beyond any retry. At least 1 day.
    /// </summary>
    public TimeSpan ChannelbackRequestRetention { get; set; } = TimeSpan.FromDays(7);

    /// <summary>How long event callbacks stay in the dashboard's event log (also capped at 10,000 rows).</summary>
    public TimeSpan EventLogRetention { get; set; } = TimeSpan.FromDays(30);

    /// <summary>How long the dashboard's service errors are kept (also capped at 10,000 rows).</summary>
    public TimeSpan ServiceErrorRetention { get; set; } = TimeSpan.FromDays(30);

    /// <summary>How long outbox items delivered to Zendesk are kept (dashboard counts, inbox reply threads).</summary>
    public TimeSpan OutboxDeliveredRetention { get; set; } = TimeSpan.FromDays(30);

    /// <summary>How long outbox items Zendesk refused (parked) wait for an operator's <c>accounts retry-parked</c>.</summary>
    public TimeSpan OutboxParkedRetention { get; set; } = TimeSpan.FromDays(90);

    /// <summary>
    /// How long an item gone from the source is kept after Zendesk acknowledged its closing notice (it is never
    /// forgotten before); the pull's mirror of what Zendesk holds is kept regardless.
    /// </summary>
    public TimeSpan ForgottenItemRetention { get; set; } = TimeSpan.FromDays(30);

    /// <summary>How often the retention pass runs.</summary>
    public TimeSpan RetentionInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Rows deleted per statement by the retention pass: small batches never hold SQLite's write lock for long.</summary>
    public int RetentionBatchSize { get; set; } = 500;

    /// <summary>True when push is configured: the manifest carries the client id and Zendesk issues push tokens.</summary>
    public bool PushEnabled => !string.IsNullOrWhiteSpace(PushClientId);

    /// <summary>Manifest <c>name</c>: the default channel name shown in Zendesk.</summary>
    public string IntegrationName { get; set; } = "Calendar & Tasks (ChannelService)";

    /// <summary>Manifest <c>id</c>: globally unique; change it when you run your own distinct integration.</summary>
    public string IntegrationId { get; set; } = "io.github.channelservice.calendar-tasks";

    /// <summary>Manifest <c>author</c>.</summary>
    public string IntegrationAuthor { get; set; } = "ChannelService";

    /// <summary>
    /// Addresses or CIDR ranges of reverse proxies whose <c>X-Forwarded-For/Proto/Host</c> headers are believed.
    /// Empty means loopback only (a proxy on the same machine), see <see cref="TrustedProxyNetworks"/>.
    /// </summary>
    public List<string> TrustedProxies { get; set; } = [];

    /// <summary>
    /// Extra hosts (<c>host</c> or <c>host:port</c>) the admin UI may post an account to and be framed by: host-mapped
    /// Zendesk domains such as <c>support.example.com</c>. Without entries only <c>https://{subdomain}.zendesk.com</c>
    /// is accepted. A loopback entry (tests, the sandbox) also allows plain http, for that loopback host alone.
    /// </summary>
    public List<string> ReturnUrlHosts { get; set; } = [];

    /// <summary>
    /// The sandbox at <c>/sandbox</c> that plays Zendesk for someone trying the service. Null means on in
    /// Development and off otherwise; set true or false to decide explicitly.
    /// </summary>
    public bool? Sandbox { get; set; }

    /// <summary>Whether <c>/sandbox</c> answers in this environment.</summary>
    public bool SandboxEnabled(bool isDevelopment) => Sandbox ?? isDevelopment;

    /// <summary>Full path of <see cref="DataDirectory"/>.</summary>
    public string DataDirectoryFullPath => Path.GetFullPath(DataDirectory);

    /// <summary>
    /// The validated base URL without a trailing slash. Null when none is configured (Development only).
    /// </summary>
    public Uri? BaseUri => string.IsNullOrWhiteSpace(PublicBaseUrl) ? null : new Uri(PublicBaseUrl.TrimEnd('/') + "/");

    /// <summary>
    /// Every problem with the options, in words an operator can act on (<see cref="ChannelOptionsValidator"/>, the same
    /// rules the host checks at start); empty when they are valid.
    /// </summary>
    public IReadOnlyList<string> Validate(bool isDevelopment) =>
        new ChannelOptionsValidator(isDevelopment).Validate(this).Errors.Select(e => e.ErrorMessage).ToList();

    /// <summary>A <c>host</c> or <c>host:port</c> entry of <see cref="ReturnUrlHosts"/>, without scheme, path or wildcard.</summary>
    public static bool IsValidHostEntry(string? entry) =>
        !string.IsNullOrWhiteSpace(entry)
        && entry.Length <= 253
        && Uri.TryCreate("https://" + entry + "/", UriKind.Absolute, out var uri)
        && uri.AbsolutePath == "/"
        && string.IsNullOrEmpty(uri.UserInfo)
        && string.Equals(uri.Authority, entry, StringComparison.OrdinalIgnoreCase)
        && uri.HostNameType != UriHostNameType.Unknown;

    /// <summary>
    /// The networks whose forwarded headers are trusted. The configured list replaces the default rather than
    /// adding to it (configuration binding appends to list defaults, so the default lives here, not in the property).
    /// </summary>
    public IReadOnlyList<IPNetwork> TrustedProxyNetworks() =>
        TrustedProxies.Count == 0
            ? [new IPNetwork(IPAddress.Loopback, 8), new IPNetwork(IPAddress.IPv6Loopback, 128)]
            : TrustedProxies.Select(p => TryParseNetwork(p, out var n) ? n : throw new InvalidOperationException($"Invalid Channel:TrustedProxies entry '{p}'.")).ToList();

    internal static bool TryParseNetwork(string text, out IPNetwork network)
    {
        if (IPAddress.TryParse(text, out var address) && !text.Contains('/', StringComparison.Ordinal))
        {
            network = new IPNetwork(address, address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128);
            return true;
        }

        return IPNetwork.TryParse(text, out network);
    }

    public static bool IsLoopbackHost(string host)
    {
        if (string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        return IPAddress.TryParse(host.Trim('[', ']'), out var address) && IPAddress.IsLoopback(address);
    }
}
