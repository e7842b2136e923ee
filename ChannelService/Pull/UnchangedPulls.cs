using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text.Json;
using ChannelService.Accounts;
using ChannelService.Metrics;
using ChannelService.Sources;
using ChannelService.Sources.Http;
using ChannelService.Web;
using Microsoft.Extensions.Options;

namespace ChannelService.Pull;

/// <summary>
/// The quick path of a pull that has nothing new to say. A pull can be answered "nothing new" without the account
/// lock or the database (on PostgreSQL, one indexed read of the account's write count, since another instance may have
/// written) when the previous pull of this account found nothing to send and nothing pending, Zendesk
/// sends the state that pull answered, nothing was written for the account since (by any instance: the store's write
/// count), the metadata is the same, the clock has not reached the first instant at which an item enters or leaves the
/// account's window (<see cref="PlanHorizon"/>; at most <see cref="PullOptions.UnchangedValidity"/> after that pull),
/// and the source itself says nothing changed (a feed's 304, asked on every pull). Anything else, including a failing
/// source, takes the full path, which reports it properly and sets the mark again.
/// </summary>
/// <param name="activity">Where a quick answer is noted for the dashboard (batched); null outside the web host.</param>
/// <param name="metrics">Counts the source's answers to the conditional request; null outside the web host.</param>
internal sealed class UnchangedPulls(SourceItemStore store, PullStateCodec stateCodec, TimeProvider time, IOptions<PullOptions> options, QuickPullActivity? activity = null, ServiceMetrics? metrics = null)
{
    /// <summary>Per decoded metadata instance (the codec hands out the same instance for the same string).</summary>
    private static readonly ConditionalWeakTable<AccountMetadata, string> Fingerprints = new();

    /// <summary>Per account: the last pull found nothing to send and nothing pending.</summary>
    private readonly ConcurrentDictionary<string, Mark> marks = new(StringComparer.Ordinal);

    /// <summary>The "nothing new" answer, or null when the full path must run.</summary>
    /// <param name="stateText">The state as Zendesk sent it: the answer gives it back as it came.</param>
    public async Task<PullOutcome?> TryAnswerAsync(AccountMetadata account, PullState? state, string? stateText, CancellationToken cancellationToken)
    {
        var mark = await CheckAsync(account, state, cancellationToken);
        return mark is null ? null : new PullOutcome.Ok(new PullResponse([], stateText ?? stateCodec.Encode(state!)));
    }

    /// <summary>
    /// The "nothing new" answer as the JSON bytes the controller would write (<c>{"external_resources":[],"state":…}</c>),
    /// or null when the full path must run. The bytes are made once per mark and state: Zendesk sends the same state
    /// until something changes, so a quick answer serialises nothing.
    /// </summary>
    public async Task<byte[]?> TryAnswerBytesAsync(AccountMetadata account, PullState state, string stateText, CancellationToken cancellationToken)
    {
        var mark = await CheckAsync(account, state, cancellationToken);
        if (mark is null)
        {
            return null;
        }

        if (mark.Answer is { } memo && memo.State == stateText)
        {
            return memo.Json;
        }

        var json = JsonSerializer.SerializeToUtf8Bytes(new PullResponse([], stateText), JsonDefaults.Options);
        mark.Answer = new AnswerMemo(stateText, json);
        return json;
    }

    /// <summary>The account's mark when it still holds and the source says nothing changed; null otherwise.</summary>
    private async Task<Mark?> CheckAsync(AccountMetadata account, PullState? state, CancellationToken cancellationToken)
    {
        if (state is null || !marks.TryGetValue(account.AccountId, out var mark)
            || mark.Until <= time.GetUtcNow() || mark.Epoch != state.StoreEpoch || mark.Generation != state.Generation
            || mark.Account != Fingerprint(account))
        {
            return null;
        }

        // Last, as the only check that may ask the database (PostgreSQL: another instance may have written since).
        if (mark.StoreWrites != await store.WritesOfAsync(account.AccountId, cancellationToken: cancellationToken))
        {
            return null;
        }

        if (mark.Check is not { } check)
        {
            return null;
        }

        using var budget = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        budget.CancelAfter(options.Value.SourceBudget);
        try
        {
            if (!await check.IsUnchangedSinceAsync(mark.Cursor, budget.Token))
            {
                metrics?.SourceFetch(account.Kind, SourceFetches.Changed);
                return null;
            }

            metrics?.SourceFetch(account.Kind, SourceFetches.Unchanged);

            activity?.Note(account.AccountId, time.GetUtcNow());
            return mark;
        }
        catch (SourceException ex)
        {
            metrics?.SourceFetch(account.Kind, ServiceMetrics.SourceFailure(ex.Kind));
            return null;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            metrics?.SourceFetch(account.Kind, ServiceMetrics.SourceFailure(SourceErrorKind.Timeout));
            return null;
        }
    }

    /// <summary>
    /// Records the outcome of a full pull: one that sent nothing, left nothing pending and has a cursor lets the next
    /// identical pulls take the quick path; any other outcome takes that away.
    /// </summary>
    /// <param name="storeWrites">The store's write count for the account, read inside the pull's transaction.</param>
    /// <param name="until">Until when the pull's plan holds if only the clock moves (<see cref="PlannedResponse.StableUntil"/>).</param>
    /// <param name="source">The source this pull read (same metadata, so the same source): asked again by the next pull.</param>
    public void Record(AccountMetadata account, bool nothingToDo, string epoch, long generation, string? cursor, long storeWrites, DateTimeOffset until, ISource source)
    {
        if (nothingToDo && cursor is not null)
        {
            marks[account.AccountId] = new Mark(Fingerprint(account), epoch, generation, cursor, storeWrites, until, source as IUnchangedCheckSource);
        }
        else
        {
            marks.TryRemove(account.AccountId, out _);
        }
    }

    /// <summary>Identifies the metadata (source, credentials, options) without keeping it: a changed setting voids the mark.</summary>
    private static string Fingerprint(AccountMetadata account) =>
        Fingerprints.GetValue(account, a => Convert.ToHexStringLower(SHA256.HashData(JsonSerializer.SerializeToUtf8Bytes(a))));

    private sealed record Mark(string Account, string Epoch, long Generation, string Cursor, long StoreWrites, DateTimeOffset Until, IUnchangedCheckSource? Check)
    {
        /// <summary>The last answer made under this mark (replaced whole, so readers on other threads see one or the other).</summary>
        public AnswerMemo? Answer { get; set; }
    }

    private sealed record AnswerMemo(string State, byte[] Json);
}
