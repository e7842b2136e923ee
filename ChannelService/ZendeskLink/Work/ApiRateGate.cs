using System.Collections.Concurrent;
using ChannelService.Configuration;
using Microsoft.Extensions.Options;

namespace ChannelService.ZendeskLink.Work;

/// <summary>
/// At most <c>Channel:ZendeskApiRequestsPerMinute</c> REST API requests per subdomain from this instance (Zendesk
/// limits per account: 700 a minute on Suite Professional, 400 on Team, 2,500 with the High Volume add-on;
/// https://developer.zendesk.com/api-reference/introduction/rate-limits/). Requests are spaced evenly (one every
/// 60 s / limit), so no burst can exceed the limit inside any minute; a 429 also closes the gate for the subdomain
/// until its Retry-After has passed, for every caller.
/// </summary>
internal sealed class ApiRateGate(IOptions<ChannelOptions> options, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, Slot> slots = new(StringComparer.OrdinalIgnoreCase);

    private TimeSpan Spacing => TimeSpan.FromMinutes(1) / Math.Max(1, options.Value.ZendeskApiRequestsPerMinute);

    /// <summary>Waits until the subdomain may send its next request, and takes that turn.</summary>
    public async Task WaitTurnAsync(string subdomain, CancellationToken cancellationToken)
    {
        var slot = slots.GetOrAdd(subdomain, _ => new Slot());
        DateTimeOffset turn;
        lock (slot)
        {
            var now = time.GetUtcNow();
            turn = slot.Next > now ? slot.Next : now;
            slot.Next = turn + Spacing;
        }

        var wait = turn - time.GetUtcNow();
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait, time, cancellationToken);
        }
    }

    /// <summary>Zendesk answered 429: nobody sends to the subdomain before <paramref name="retryAfter"/> has passed.</summary>
    public void Pause(string subdomain, TimeSpan retryAfter)
    {
        var slot = slots.GetOrAdd(subdomain, _ => new Slot());
        lock (slot)
        {
            var until = time.GetUtcNow() + retryAfter;
            if (slot.Next < until)
            {
                slot.Next = until;
            }
        }
    }

    private sealed class Slot
    {
        public DateTimeOffset Next { get; set; }
    }
}
