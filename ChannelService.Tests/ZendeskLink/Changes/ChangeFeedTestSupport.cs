using System.Collections.Concurrent;
using ChannelService.ZendeskLink;
using ChannelService.ZendeskLink.Changes;

namespace ChannelService.Tests.ZendeskLink.Changes;

/// <summary>The real clock moved by an offset tests set (timers and delays stay real, so the host keeps running).</summary>
internal sealed class ShiftedClock : TimeProvider
{
    private long offsetTicks;

    public TimeSpan Offset => TimeSpan.FromTicks(Interlocked.Read(ref offsetTicks));

    public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + Offset;

    public void Advance(TimeSpan by) => Interlocked.Add(ref offsetTicks, by.Ticks);
}

/// <summary>The link as the change feed sees it: a token the fake Zendesk accepts for linked subdomains, null otherwise.</summary>
internal sealed class TestLinkTokens(string token) : IZendeskLinkTokens
{
    public ConcurrentDictionary<string, bool> Linked { get; } = new(StringComparer.OrdinalIgnoreCase);

    public ConcurrentQueue<string> Rejected { get; } = new();

    public Task<string?> AccessTokenAsync(string subdomain, CancellationToken cancellationToken) =>
        Task.FromResult(Linked.TryGetValue(subdomain, out var linked) && linked ? token : null);

    public Task RejectedAsync(string subdomain, string accessToken, CancellationToken cancellationToken)
    {
        Rejected.Enqueue(subdomain);
        return Task.CompletedTask;
    }
}

/// <summary>A handler that records every change it is given, and can fail its first calls.</summary>
internal sealed class RecordingHandler(string name, TicketScope scope) : ITicketChangeHandler
{
    private int failures;

    public string Name => name;

    public TicketScope Scope => scope;

    public ConcurrentQueue<TicketChange> Calls { get; } = new();

    public int FailFirst { get; set; }

    public Task HandleAsync(TicketChange change, CancellationToken cancellationToken)
    {
        Calls.Enqueue(change);
        if (Interlocked.Increment(ref failures) <= FailFirst)
        {
            throw new InvalidOperationException("handler failed on purpose");
        }

        return Task.CompletedTask;
    }

    /// <summary>Waits until at least <paramref name="count"/> calls arrived (fails the test after <paramref name="timeout"/>).</summary>
    public async Task<IReadOnlyList<TicketChange>> WaitForAsync(int count, TimeSpan? timeout = null)
    {
        var until = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while (Calls.Count < count)
        {
            if (DateTime.UtcNow > until)
            {
                Assert.Fail($"{name}: expected {count} change(s), got {Calls.Count}");
            }

            await Task.Delay(50);
        }

        return [.. Calls];
    }
}
