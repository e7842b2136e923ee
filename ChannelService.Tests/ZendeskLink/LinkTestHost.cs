using ChannelService.Data;
using ChannelService.Events;
using ChannelService.Tests.Support;
using ChannelService.Tickets;
using ChannelService.ZendeskLink;
using ChannelService.ZendeskLink.Tickets;
using ChannelService.ZendeskLink.Work;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace ChannelService.Tests.ZendeskLink;

/// <summary>
/// The service with a Zendesk link to <see cref="Api"/> (a fake REST API on loopback, <c>Channel:ZendeskBaseUrl</c>):
/// the link hands out <see cref="Tokens"/>' token, which the fake accepts. The hosted API worker is off; tests run
/// passes with <see cref="RunWorkerAsync"/>, so what each pass sent is known.
/// </summary>
internal sealed class LinkTestHost : IAsyncDisposable
{
    public const string Subdomain = "acme";
    public const string AccountId = "abcdefghijkm";

    private LinkTestHost(FakeZendeskApi api, ServiceFactory factory)
    {
        Api = api;
        Factory = factory;
    }

    private Func<WebApplicationFactory<Program>> build = null!;

    public FakeZendeskApi Api { get; }

    public ServiceFactory Factory { get; }

    public WebApplicationFactory<Program> Host { get; private set; } = null!;

    public TestLinkTokens Tokens { get; } = new() { Token = "access-token-1" };

    public IServiceProvider Services => Host.Services;

    public ApiWorker Worker => Services.GetRequiredService<ApiWorker>();

    public static LinkTestHost Start(
        int requestsPerMinute = 2500, Action<ApiWorkOptions>? work = null, IDictionary<string, string?>? settings = null, TimeProvider? clock = null,
        Action<IServiceCollection>? services = null)
    {
        var api = new FakeZendeskApi(clock);
        api.ValidTokens["access-token-1"] = true;
        var all = new Dictionary<string, string?>
        {
            ["Channel:ZendeskBaseUrl"] = api.BaseUrl,
            ["Channel:ZendeskApiRequestsPerMinute"] = requestsPerMinute.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Channel:AllowPrivateNetworkSources"] = "true",
        };
        foreach (var (k, v) in settings ?? new Dictionary<string, string?>())
        {
            all[k] = v;
        }

        var factory = new ServiceFactory(all);
        var self = new LinkTestHost(api, factory);
        self.build = () => factory.WithWebHostBuilder(b => b.ConfigureTestServices(s =>
        {
            if (clock is not null)
            {
                s.AddSingleton(clock);
            }

            services?.Invoke(s);
            s.AddSingleton<IZendeskLinkTokens>(_ => self.Tokens);
            s.Configure<ApiWorkOptions>(o =>
            {
                o.Background = false;
                o.SearchAfter = TimeSpan.Zero;
                o.JobPollInterval = TimeSpan.FromMilliseconds(20);
                work?.Invoke(o);
            });
        }));
        self.Host = self.build();
        _ = self.Host.Services;
        return self;
    }

    /// <summary>Stops the service and starts it again on the same database (a restart of the process).</summary>
    public async Task RestartAsync()
    {
        await Host.DisposeAsync();
        Host = build();
        _ = Host.Services;
    }

    public static string UnitKey(int n) => ExternalIds.Hash("unit", n.ToString(System.Globalization.CultureInfo.InvariantCulture));

    public static string ThreadId(string unitKey) => ExternalIds.ThreadId(AccountId, unitKey);

    /// <summary>Queues intents as the pull does (one transaction).</summary>
    public Task EnqueueAsync(params (string UnitKey, TicketIntent Intent)[] items) => EnqueueAsync(Subdomain, items);

    public async Task EnqueueAsync(string subdomain, params (string UnitKey, TicketIntent Intent)[] items)
    {
        var database = Services.GetRequiredService<Database>();
        await using var c = await database.OpenAsync();
        await using var t = await c.BeginTransactionAsync();
        await Services.GetRequiredService<ApiWorkStore>().EnqueueAsync(c, t, AccountId, subdomain, items.Select(i => new ApiWorkItem(i.UnitKey, i.Intent.ToJson())).ToList(), DateTimeOffset.UtcNow);
        await t.CommitAsync();
    }

    /// <summary>What resources_created_from_external_ids records (here without the event's own checks).</summary>
    public Task LinkAsync(string unitKey, long ticketId) =>
        Services.GetRequiredService<TicketLinkStore>().LinkAsync(AccountId, ThreadId(unitKey), ticketId, null, ExternalIds.Opening(ThreadId(unitKey)), null, DateTimeOffset.UtcNow);

    /// <summary>Runs worker passes until nothing is due (at most <paramref name="maxPasses"/>).</summary>
    public async Task RunWorkerAsync(int maxPasses = 5)
    {
        for (var i = 0; i < maxPasses && await Worker.RunOnceAsync(CancellationToken.None); i++)
        {
        }

        Assert.That(Api.Faults, Is.Empty, "the fake Zendesk API failed");
        Assert.That(Api.SchemaErrors, Is.Empty, "a request body does not match Zendesk's documented shape");
    }

    public Task<(DateTimeOffset DueAt, int Attempts, string? LastError)?> QueuedAsync(string unitKey) =>
        Services.GetRequiredService<ApiWorkStore>().FindAsync(AccountId, unitKey);

    public IReadOnlyList<ApiCall> Updates(long ticketId) =>
        Api.Calls.Where(c => c.Method == "PUT" && c.Path == $"/api/v2/tickets/{ticketId}").ToList();

    /// <summary>How many times the ticket was sent an update, alone or in an update_many job.</summary>
    public int UpdatesIncludingBatches(long ticketId) =>
        Updates(ticketId).Count
        + Api.Calls.Where(c => c.Path == "/api/v2/tickets/update_many")
            .Sum(c => System.Text.Json.Nodes.JsonNode.Parse(c.Body)!["tickets"]!.AsArray().Count(t => (long)t!["id"]! == ticketId));

    public async ValueTask DisposeAsync()
    {
        await Host.DisposeAsync();
        await Factory.DisposeAsync();
        await Api.DisposeAsync();
    }
}
