using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Serialization;

// The least an endpoint can do for a no-change pull of an iCalendar feed: read the form, make one conditional GET
// to the origin with the validators it sent last time, and answer "nothing new" with the state it was given. No
// metadata decryption, no database, no planning: the reference the real /pull is measured against (issue 5).
// Usage: ConditionalGetBaseline --port N --origin http://127.0.0.1:M/feed.ics
var builder = WebApplication.CreateBuilder(args);
var port = builder.Configuration.GetValue<int?>("port") ?? throw new InvalidOperationException("--port is required");
var origin = new Uri(builder.Configuration["origin"] ?? throw new InvalidOperationException("--origin is required"));
builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
builder.Logging.SetMinimumLevel(LogLevel.Warning);

// One shared client for the life of the process, as a real service would hold one per origin pool.
using var http = new HttpClient(new SocketsHttpHandler
{
    AutomaticDecompression = DecompressionMethods.None,
    PooledConnectionLifetime = TimeSpan.FromMinutes(2),
    UseCookies = false,
});
var validators = await Validators.LearnAsync(http, origin);

var app = builder.Build();
app.MapPost("/pull", async (HttpRequest request, CancellationToken cancellationToken) =>
{
    var form = await request.ReadFormAsync(cancellationToken);
    _ = form["metadata"];
    var state = form["state"].ToString();

    using var get = new HttpRequestMessage(HttpMethod.Get, origin);
    validators.Apply(get.Headers);
    using var response = await http.SendAsync(get, HttpCompletionOption.ResponseHeadersRead, cancellationToken);

    // Anything but 304 means the benchmark is not measuring a no-change pull: fail loudly (wrk counts non-2xx).
    return response.StatusCode == HttpStatusCode.NotModified
        ? Results.Json(new PullAnswer([], state))
        : Results.Problem($"origin answered {(int)response.StatusCode}, expected 304", statusCode: StatusCodes.Status502BadGateway);
});
await app.RunAsync();

/// <summary>The ETag and Last-Modified of the feed, learned once with a plain GET at startup.</summary>
internal sealed record Validators(EntityTagHeaderValue? ETag, DateTimeOffset? LastModified)
{
    public static async Task<Validators> LearnAsync(HttpClient http, Uri origin)
    {
        using var response = await http.GetAsync(origin);
        response.EnsureSuccessStatusCode();
        await response.Content.CopyToAsync(Stream.Null);
        return new Validators(response.Headers.ETag, response.Content.Headers.LastModified);
    }

    public void Apply(HttpRequestHeaders headers)
    {
        if (ETag is not null)
        {
            headers.IfNoneMatch.Add(ETag);
        }

        headers.IfModifiedSince = LastModified;
    }
}

/// <summary>The pull response of channel-framework.md §3 with nothing to report.</summary>
internal sealed record PullAnswer(
    [property: JsonPropertyName("external_resources")] IReadOnlyList<object> ExternalResources,
    [property: JsonPropertyName("state")] string State);
