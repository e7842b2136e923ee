using System.Text.Json.Nodes;
using ChannelService.Accounts;
using ChannelService.Data;
using ChannelService.Zendesk;
using Dapper;
using Microsoft.Data.Sqlite;

namespace ChannelService.Pull;

/// <summary>
/// The pull of a webhook-inbox account (push off, or as a safety net beside push): the messages waiting in the
/// outbox, at most 200, with the same generations as a source pull. An answer's messages are marked delivered only
/// when the next pull carries its generation; a lost answer is simply sent again (the ids are deterministic).
/// </summary>
internal sealed class InboxPull(Database database, IInboxBacklog backlog, PullStateCodec stateCodec, TimeProvider time)
{
    private const string UnitPrefix = "inbox-";

    /// <summary>Returns the JSON pull payload.</summary>
    public async Task<JsonObject> PullAsync(AccountMetadata account, PullState? state, CancellationToken cancellationToken)
    {
        // One pull at a time per account, as for sources: the acknowledgement and the next batch must not interleave.
        using var held = await AccountLocks.AcquireAsync(account.AccountId, Timeout.InfiniteTimeSpan, cancellationToken);
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
            List<long> seqs;
            await using (var t = (SqliteTransaction)await c.BeginTransactionAsync(cancellationToken))
            {
                sent = (await PullMirror.GetAccountAsync(c, t, accountId)).PendingGeneration;
                seqs = (await c.QueryAsync<string>(
                    "SELECT item_key FROM pull_mirror WHERE account_id = @accountId AND pending_generation = @sent AND unit_key LIKE 'inbox-%'",
                    new { accountId, sent },
                    t)).Select(long.Parse).ToList();
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

                await c.ExecuteAsync("DELETE FROM pull_mirror WHERE account_id = @accountId AND unit_key LIKE 'inbox-%'", new { accountId });
                await c.ExecuteAsync("UPDATE pull_accounts SET pending_generation = NULL WHERE account_id = @accountId", new { accountId });
            }
        }

        var items = await backlog.TakePendingAsync(accountId, PullService.MaxResources, cancellationToken);
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        var row2 = await PullMirror.GetAccountAsync(connection, transaction, accountId);
        var generation = items.Count > 0 ? row2.IssuedGeneration + 1 : row2.IssuedGeneration;
        var pending = items.Select(i => new PendingUnit(UnitPrefix + i.Seq, i.Seq.ToString(System.Globalization.CultureInfo.InvariantCulture), null, null, "inbox", "{}", 0)).ToList();
        await PullMirror.RecordPendingAsync(connection, transaction, accountId, generation, pending, now, $"{items.Count} inbox messages");
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
