using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace ChannelService.Tests.Support;

/// <summary>
/// A real HTTP server on loopback serving one iCalendar feed at <c>/feed.ics</c>, with ETags and 304 answers like
/// a well-behaved publisher. Tests change <see cref="Body"/> between pulls, or make it fail with <see cref="FailWith"/>.
/// </summary>
internal sealed class FeedServer : IAsyncDisposable
{
    private readonly WebApplication app;
    private int requests;
    private int notModified;

    private FeedServer(WebApplication app) => this.app = app;

    public string Body { get; set; } = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n";

    /// <summary>When set, every request is answered with this status and no calendar.</summary>
    public HttpStatusCode? FailWith { get; set; }

    /// <summary>When set, every request waits for this task before it is answered (a slow or stuck publisher).</summary>
    public Task? HoldUntil { get; set; }

    public int Requests => Volatile.Read(ref requests);

    /// <summary>How many requests were answered 304 (the client's ETag still matched).</summary>
    public int NotModified => Volatile.Read(ref notModified);

    public string Url => app.Urls.First() + "/feed.ics";

    public static async Task<FeedServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var server = new FeedServer(app);
        app.MapGet("/feed.ics", (HttpContext context) => server.Serve(context));
        await app.StartAsync();
        return server;
    }

    private async Task Serve(HttpContext context)
    {
        Interlocked.Increment(ref requests);
        if (HoldUntil is { } hold)
        {
            await hold.WaitAsync(context.RequestAborted);
        }

        if (FailWith is { } status)
        {
            context.Response.StatusCode = (int)status;
            return;
        }

        var bytes = Encoding.UTF8.GetBytes(Body);
        var etag = "\"" + Convert.ToHexStringLower(SHA256.HashData(bytes))[..16] + "\"";
        if (context.Request.Headers.IfNoneMatch.ToString() == etag)
        {
            Interlocked.Increment(ref notModified);
            context.Response.StatusCode = 304;
            return;
        }

        context.Response.Headers.ETag = etag;
        context.Response.ContentType = "text/calendar; charset=utf-8";
        await context.Response.Body.WriteAsync(bytes);
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}

/// <summary>A clock tests move by hand.</summary>
internal sealed class ManualTimeProvider(DateTimeOffset start) : TimeProvider
{
    private DateTimeOffset now = start;

    public override DateTimeOffset GetUtcNow() => now;

    public void Advance(TimeSpan by) => now += by;
}
