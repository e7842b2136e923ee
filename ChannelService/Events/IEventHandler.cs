namespace ChannelService.Events;

/// <summary>What handling an event came to, in words for the dashboard.</summary>
/// <param name="NamesOurs">The event named something this service issued (a thread of ours), which ties it to us
/// although it carries no metadata.</param>
internal sealed record EventOutcome(string Summary, bool NamesOurs = false)
{
    /// <summary>The summary of an event that needs an account of ours and did not prove one.</summary>
    public static EventOutcome NotOurs { get; } = new("metadata did not decrypt to an account of ours: nothing changed");
}

/// <summary>
/// Handles one event type (spec §7), picked by <see cref="EventHandlerFactory"/>. Anything destructive happens only
/// when <see cref="ZendeskEvent.Account"/> is set: the event's metadata decrypted to one of our accounts.
/// </summary>
internal interface IEventHandler
{
    /// <summary>The <c>type_id</c> this handler answers.</summary>
    string TypeId { get; }

    Task<EventOutcome> HandleAsync(ZendeskEvent e, CancellationToken cancellationToken);
}

/// <summary>
/// Picks the handler of an event type, as costellobot's HandlerFactory does for webhooks; a type nobody handles
/// (Zendesk may add some) gets <see cref="UnknownEventHandler"/>, which changes nothing.
/// </summary>
internal sealed class EventHandlerFactory(IEnumerable<IEventHandler> handlers)
{
    private readonly Dictionary<string, IEventHandler> byType = handlers.ToDictionary(h => h.TypeId, StringComparer.Ordinal);

    /// <summary>The type ids with a handler, for counting events by a bounded set of names.</summary>
    public IReadOnlyCollection<string> KnownTypes => byType.Keys;

    public IEventHandler Create(string typeId) => byType.TryGetValue(typeId, out var handler) ? handler : UnknownEventHandler.Instance;

    private sealed class UnknownEventHandler : IEventHandler
    {
        public static readonly UnknownEventHandler Instance = new();

        public string TypeId => "(unknown)";

        public Task<EventOutcome> HandleAsync(ZendeskEvent e, CancellationToken cancellationToken) => Task.FromResult(new EventOutcome("unknown type: ignored"));
    }
}
