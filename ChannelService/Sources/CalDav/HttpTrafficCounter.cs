namespace ChannelService.Sources.CalDav;

/// <summary>
/// Counts requests and body bytes that pass through an <see cref="HttpClient"/>, per HTTP method. Used by the
/// CalDAV benchmark and by tests that assert how many round trips a sync costs. Headers are not counted.
/// </summary>
internal sealed class HttpTrafficCounter : DelegatingHandler
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, int> _byMethod = new(StringComparer.Ordinal);

    public HttpTrafficCounter(HttpMessageHandler inner)
        : base(inner)
    {
    }

    public int Requests { get; private set; }

    public long RequestBytes { get; private set; }

    public long ResponseBytes { get; private set; }

    public int CountOf(string method)
    {
        lock (_gate)
        {
            return _byMethod.GetValueOrDefault(method);
        }
    }

    public void Reset()
    {
        lock (_gate)
        {
            Requests = 0;
            RequestBytes = 0;
            ResponseBytes = 0;
            _byMethod.Clear();
        }
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        long sent = 0;
        if (request.Content is not null)
        {
            await request.Content.LoadIntoBufferAsync(cancellationToken);
            sent = request.Content.Headers.ContentLength ?? 0;
        }

        var response = await base.SendAsync(request, cancellationToken);

        // Buffering here gives an exact byte count (chunked answers carry no Content-Length).
        await response.Content.LoadIntoBufferAsync(cancellationToken);
        var received = response.Content.Headers.ContentLength ?? 0;
        lock (_gate)
        {
            Requests++;
            RequestBytes += sent;
            ResponseBytes += received;
            _byMethod[request.Method.Method] = _byMethod.GetValueOrDefault(request.Method.Method) + 1;
        }

        return response;
    }
}
