using System.Text.Json.Nodes;

namespace ChannelService.Tests.Support;

/// <summary>
/// Applies pull responses the way Zendesk does: a resource whose external_id was seen is dropped, resources with the
/// same thread_id go to one ticket, and the state is kept only from successful responses.
/// </summary>
internal sealed class FakeZendesk
{
    private readonly HashSet<string> seen = new(StringComparer.Ordinal);

    public Dictionary<string, Ticket> Tickets { get; } = new(StringComparer.Ordinal);

    public string? State { get; private set; }

    /// <summary>Every external_id received more than once (dropped by Zendesk; costs budget but is harmless).</summary>
    public int Duplicates { get; private set; }

    public void Apply(JsonNode response)
    {
        foreach (var resource in response["external_resources"]!.AsArray())
        {
            var id = (string)resource!["external_id"]!;
            if (!seen.Add(id))
            {
                Duplicates++;
                continue;
            }

            var thread = (string)resource["thread_id"]!;
            if (!Tickets.TryGetValue(thread, out var ticket))
            {
                ticket = new Ticket(thread, (string)resource["message"]!, resource["fields"]?.AsArray().FirstOrDefault(f => (string?)f!["id"] == "subject")?["value"]?.ToString())
                {
                    Uid = (string?)resource["display_info"]?[0]?["data"]?["uid"],
                };
                Tickets[thread] = ticket;
            }
            else
            {
                ticket.Comments.Add((string)resource["message"]!);
            }
        }

        if (response["state"] is { } state)
        {
            State = (string)state!;
        }
    }

    /// <summary>
    /// An agent's reply that channelback accepted under <paramref name="externalId"/>: Zendesk keeps the agent's
    /// comment under that id, so a pull that sends the same id again (the echo from the source) is dropped.
    /// </summary>
    public void Replied(string threadId, string externalId, string text)
    {
        seen.Add(externalId);
        Tickets[threadId].Replies.Add(text);
    }

    internal sealed record Ticket(string ThreadId, string Opening, string? Subject)
    {
        /// <summary>The item's UID from the opening's display_info, to compare tickets with what the source holds.</summary>
        public string? Uid { get; init; }

        /// <summary>What the pull added to the ticket after its opening, in order.</summary>
        public List<string> Comments { get; } = [];

        /// <summary>The agents' replies (see <see cref="Replied"/>).</summary>
        public List<string> Replies { get; } = [];
    }
}
