using System.Globalization;
using System.Text.Json.Nodes;
using ChannelService.Accounts;
using ChannelService.Data;
using ChannelService.Zendesk;

namespace ChannelService.Pull;

/// <summary>
/// The pull of a webhook-inbox account (push off, or as a safety net beside push): the messages waiting in the
/// outbox, at most 200, with the same generations as a source pull. An answer's messages are marked delivered only
/// when the next pull carries its generation; a lost answer is simply sent again (the ids are deterministic).
/// </summary>
internal sealed class InboxPull(Database database, PullMirrorStore mirror, IInboxBacklog backlog, AccountLocks locks, PullStateCodec stateCodec, TimeProvider time)
{
    /// <summary>Returns the JSON pull payload.</summary>
    public async Task<JsonObject> PullAsync(AccountMetadata account, PullState? state, CancellationToken cancellationToken)
    {
        // One pull at a time per account, as for sources: the acknowledgement and the next batch must not interleave.
        await using var held = await locks.AcquireAsync(account.AccountId, Timeout.InfiniteTimeSpan, cancellationToken);
        return await PullLockedAsync(account, state, cancellationToken);
    }

    private async Task<JsonObject> PullLockedAsync(AccountMetadata account, PullState? state, CancellationToken cancellationToken)
    {
        var accountId = account.AccountId;
        var epoch = await database.GetEpochAsync(cancellationToken);
        var now = time.GetUtcNow();
        await using (var c = await database.OpenAsync(cancellationToken))
        {
            long? sent;
            IReadOnlyList<long> seqs;
            await using (var t = await c.BeginTransactionAsync(cancellationToken))
            {
                sent = (await mirror.GetAccountAsync(c, t, accountId)).PendingGeneration;
                seqs = await mirror.PendingInboxItemsAsync(c, t, accountId, sent);
                await t.CommitAsync(cancellationToken);
            }

            if (sent is not null)
            {
                // The outbox marks them delivered in its own transaction; done before the pending rows go, a crash in
                // between only repeats messages, which Zendesk drops by their ids.
                if (state is not null && state.StoreEpoch == epoch && state.Generation == sent && seqs.Count > 0)
                {
                    await backlog.AcknowledgeAsync(accountId, seqs, cancellationToken);
                }

                await mirror.ClearInboxPendingAsync(c, accountId);
            }
        }

        var items = await backlog.TakePendingAsync(accountId, PullPlanner.MaxResources, cancellationToken);
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var row = await mirror.GetAccountAsync(connection, transaction, accountId);
        var generation = items.Count > 0 ? row.IssuedGeneration + 1 : row.IssuedGeneration;
        var pending = items.Select(i => new PendingUnit(PullMirrorStore.InboxUnitPrefix + i.Seq, i.Seq.ToString(CultureInfo.InvariantCulture), null, null, "inbox", "{}", 0)).ToList();
        await mirror.RecordPendingAsync(connection, transaction, accountId, generation, pending, now, $"{items.Count} inbox messages");
        await transaction.CommitAsync(cancellationToken);

        var resources = new JsonArray();
        foreach (var item in items)
        {
            resources.Add(JsonNode.Parse(item.Resource));
        }

        return new JsonObject
        {
            ["external_resources"] = resources,
            ["state"] = stateCodec.Encode(new PullState(accountId, epoch, generation, null)),
        };
    }
}
