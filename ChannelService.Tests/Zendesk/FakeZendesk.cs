using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Nodes;
using ChannelService.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace ChannelService.Tests.Zendesk;

/// <summary>One push call as the fake received it.</summary>
internal sealed record PushCall(DateTimeOffset At, string? Authorization, string RequestId, IReadOnlyList<string> ExternalIds, int StatusCode);

/// <summary>
/// A fake Zendesk on a free loopback port (real Kestrel) with push semantics (spec §8): every body is checked against
/// push_parameters.json; items are imported in order, a repeat is <c>already_imported</c>, an item listed in
/// <see cref="FailOnce"/> gets its failure code once and every later item in that call <c>halted</c>. It can answer 429
/// with Retry-After, 500, or slowly. Imports are recorded per thread in arrival order.
/// A fault in the fake itself (a missing schema, a bug here) must not look like a Zendesk 500, which the service
/// retries with back-off until the test times out: the schemas load in the constructor, and a handler that throws
/// is recorded so that <see cref="WaitForImportsAsync"/> rethrows it at once.
/// </summary>
internal sealed class FakeZendesk : IAsyncDisposable
{
    private readonly WebApplication app;
    private readonly Lock gate = new();
    private readonly HashSet<string> imported = [];
    private readonly List<PushCall> calls = [];
    private readonly Dictionary<string, List<string>> threads = [];
    private readonly List<string> importOrder = [];
    private readonly ConcurrentQueue<Exception> faults = new();

    public FakeZendesk(string token = "push-token-1")
    {
        Token = token;
        ZendeskSchemas.Load("push_parameters.json");
        ZendeskSchemas.Load("report_channelback_error.json");
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        app = builder.Build();
        app.MapPost("/api/v2/any_channel/push", context => GuardAsync(PushAsync(context)));
        app.MapPost("/api/v2/any_channel/validate_token", context => GuardAsync(RecordOtherAsync(context, "validate_token", null)));
        app.MapPost("/api/v2/any_channel/channelback/report_error", context => GuardAsync(RecordOtherAsync(context, "report_error", "report_channelback_error.json")));
        app.StartAsync().GetAwaiter().GetResult();
        BaseUrl = app.Urls.First();
    }

    public string Token { get; }

    public string BaseUrl { get; }

    /// <summary>Answer the next N push calls with 429 and this Retry-After (seconds).</summary>
    public int RateLimitNext { get; set; }

    public int RetryAfterSeconds { get; set; } = 1;

    /// <summary>Answer the next N push calls with 500.</summary>
    public int FailNext { get; set; }

    /// <summary>Delay before answering each push call.</summary>
    public TimeSpan Delay { get; set; }

    /// <summary>external_id → status code to answer once (processing_error, could_not_locate_parent_external_resource).</summary>
    public ConcurrentDictionary<string, string> FailOnce { get; } = new();

    public List<string> SchemaErrors { get; } = [];

    public ConcurrentQueue<(string Endpoint, string Body, string? Authorization)> OtherCalls { get; } = new();

    public IReadOnlyList<PushCall> Calls
    {
        get
        {
            lock (gate)
            {
                return [.. calls];
            }
        }
    }

    public IReadOnlyList<string> ImportOrder
    {
        get
        {
            lock (gate)
            {
                return [.. importOrder];
            }
        }
    }

    public IReadOnlyDictionary<string, List<string>> Threads
    {
        get
        {
            lock (gate)
            {
                return threads.ToDictionary(t => t.Key, t => t.Value.ToList());
            }
        }
    }

    public async Task<bool> WaitForImportsAsync(int count, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            ThrowIfFaulted();
            if (ImportOrder.Count >= count)
            {
                return true;
            }

            await Task.Delay(50);
        }

        ThrowIfFaulted();
        return ImportOrder.Count >= count;
    }

    /// <summary>Rethrows the first exception a handler of the fake raised (its answer was a 500).</summary>
    public void ThrowIfFaulted()
    {
        if (faults.TryPeek(out var fault))
        {
            throw new InvalidOperationException($"The fake Zendesk failed while answering: {fault.Message}", fault);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }

    private async Task GuardAsync(Task handler)
    {
        try
        {
            await handler;
        }
        catch (Exception ex)
        {
            faults.Enqueue(ex);
            throw;
        }
    }

    private async Task PushAsync(HttpContext context)
    {
        using var reader = new StreamReader(context.Request.Body);
        var body = await reader.ReadToEndAsync();
        var authorization = context.Request.Headers.Authorization.ToString();
        if (Delay > TimeSpan.Zero)
        {
            await Task.Delay(Delay);
        }

        var errors = ZendeskSchemas.Validate("push_parameters.json", body);
        var root = JsonNode.Parse(body)!;
        var resources = root["external_resources"]!.AsArray();
        var ids = resources.Select(r => r!["external_id"]!.GetValue<string>()).ToList();
        var requestId = root["request_id"]?.GetValue<string>() ?? "";
        int status;
        JsonArray? results = null;
        lock (gate)
        {
            SchemaErrors.AddRange(errors);
            if (authorization != $"Bearer {Token}")
            {
                status = 401;
            }
            else if (RateLimitNext > 0)
            {
                RateLimitNext--;
                status = 429;
            }
            else if (FailNext > 0)
            {
                FailNext--;
                status = 500;
            }
            else
            {
                status = 200;
                results = [];
                var halted = false;
                foreach (var resource in resources)
                {
                    var id = resource!["external_id"]!.GetValue<string>();
                    string code;
                    string? description = null;
                    if (halted)
                    {
                        code = "halted";
                    }
                    else if (FailOnce.TryRemove(id, out var failure))
                    {
                        code = failure;
                        description = $"fake failure for {id}";
                        halted = true;
                    }
                    else if (!imported.Add(id))
                    {
                        code = "already_imported";
                    }
                    else
                    {
                        code = "success";
                        importOrder.Add(id);
                        var thread = resource["thread_id"]?.GetValue<string>() ?? "";
                        if (!threads.TryGetValue(thread, out var list))
                        {
                            threads[thread] = list = [];
                        }

                        list.Add(id);
                    }

                    var statusNode = new JsonObject { ["code"] = code };
                    if (description is not null)
                    {
                        statusNode["description"] = description;
                    }

                    results.Add(new JsonObject { ["external_resource_id"] = id, ["status"] = statusNode });
                }
            }

            calls.Add(new PushCall(DateTimeOffset.UtcNow, authorization, requestId, ids, status));
        }

        context.Response.StatusCode = status;
        if (status == 429)
        {
            context.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(results is null ? "{\"error\":\"fake\"}" : new JsonObject { ["results"] = results }.ToJsonString());
    }

    private async Task RecordOtherAsync(HttpContext context, string endpoint, string? schema)
    {
        using var reader = new StreamReader(context.Request.Body);
        var body = await reader.ReadToEndAsync();
        var authorization = context.Request.Headers.Authorization.ToString();
        if (schema is not null)
        {
            lock (gate)
            {
                SchemaErrors.AddRange(ZendeskSchemas.Validate(schema, body));
            }
        }

        OtherCalls.Enqueue((endpoint, body, authorization));
        context.Response.StatusCode = authorization == $"Bearer {Token}" ? (int)HttpStatusCode.OK : (int)HttpStatusCode.Unauthorized;
    }
}
