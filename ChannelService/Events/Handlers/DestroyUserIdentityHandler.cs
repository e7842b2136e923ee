using System.Globalization;
using ChannelService.Zendesk;

namespace ChannelService.Events.Handlers;

/// <summary><c>destroy_user_identity</c>: a GDPR erasure of one author; their stored messages of the account go.</summary>
internal sealed class DestroyUserIdentityHandler(Outbox outbox) : IEventHandler
{
    public string TypeId => "destroy_user_identity";

    public async Task<EventOutcome> HandleAsync(ZendeskEvent e, CancellationToken cancellationToken)
    {
        var author = EventJson.Text(e.Data["author"]?["external_id"]);
        if (author is null)
        {
            return new EventOutcome("no author.external_id: nothing deleted");
        }

        if (e.Account is not { } account)
        {
            return EventOutcome.NotOurs;
        }

        var purged = await outbox.PurgeAuthorAsync(account.AccountId, author, cancellationToken);
        return new EventOutcome(string.Create(CultureInfo.InvariantCulture, $"author purged: {purged} stored message(s) deleted"));
    }
}
