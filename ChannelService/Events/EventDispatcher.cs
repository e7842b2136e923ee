using System.Text.Json.Nodes;
using ChannelService.Accounts;

namespace ChannelService.Events;

/// <summary>
/// One event at a time: reads its common fields, lets its handler act, then keeps a record only when the event is
/// tied to us. Tied means its metadata decrypted to an account of ours, it named a thread we issued, or its subdomain
/// is one of our accounts'; such events go to the bounded <see cref="EventLog"/>. Anything else is only counted
/// (<see cref="UnverifiedEvents"/>), so unauthenticated callers cannot grow the database.
/// </summary>
internal sealed class EventDispatcher(EventHandlerFactory handlers, MetadataCodec codec, AccountRegistry registry, EventLog log, UnverifiedEvents unverified, TimeProvider time)
{
    public async Task DispatchAsync(JsonNode? item, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (item is not JsonObject json)
        {
            unverified.Record(UnverifiedEvents.Malformed, new UnverifiedEventSample(now, UnverifiedEvents.Malformed, null, null, "not an event object: ignored"));
            return;
        }

        var e = ZendeskEvent.Read(json, codec, now);
        var outcome = await handlers.Create(e.TypeId).HandleAsync(e, cancellationToken);
        var tied = e.Account is not null || outcome.NamesOurs
            || (e.Subdomain is { Length: > 0 and <= 63 } subdomain && await registry.HasSubdomainAsync(subdomain, cancellationToken));
        if (!tied)
        {
            var countAs = handlers.KnownTypes.Contains(e.TypeId) ? e.TypeId : UnverifiedEvents.OtherType;
            unverified.Record(countAs, new UnverifiedEventSample(now, e.TypeId, e.Subdomain, e.Error, outcome.Summary));
            return;
        }

        await log.AppendAsync(
            new EventLogEntry
            {
                ReceivedAt = now,
                TypeId = EventJson.Cut(e.TypeId, 100),
                Subdomain = e.Subdomain is null ? null : EventJson.Cut(e.Subdomain, 100),
                AccountId = e.Account?.AccountId,
                Error = e.Error is null ? null : EventJson.Cut(e.Error, 1000),
                Summary = EventJson.Cut(outcome.Summary, 500),
            },
            cancellationToken);
    }
}
