using System.Collections.Concurrent;
using ChannelService.Sources;
using Microsoft.Extensions.Options;

namespace ChannelService.Pull;

/// <summary>What of a first read is left to store after its first answer went out.</summary>
/// <param name="Complete">Builds the complete change set (every item, the cursor) from the listing already downloaded.</param>
/// <param name="Sent">Keys of the items the first answer carried: they are stored already.</param>
internal sealed record FirstReadRest(string AccountId, Func<SourceChanges> Complete, IReadOnlySet<string> Sent);

/// <summary>
/// The background store of a first read (design §5, "First pull of a big feed"). The first answer of a large source
/// goes out before the whole listing is keyed and stored; the rest is stored here, after the answer, while the account
/// stays locked, so the next pull waits for it instead of reading the source a second time. If storing fails, no
/// cursor was stored and the next pull reads the whole source again: nothing is lost.
/// </summary>
internal sealed partial class FirstReadCompletions(SourceItemStore store, ParsedItemCache parsedItems, IOptions<PullOptions> options, ILogger<FirstReadCompletions> logger) : IAsyncDisposable
{
    private readonly ConcurrentDictionary<Task, byte> running = new();

    /// <summary>
    /// Stores <paramref name="rest"/> in the background and releases <paramref name="heldLock"/> when done. With
    /// <paramref name="after"/>, the store begins once that completes (the first answer has gone out), or after
    /// <see cref="PullOptions.LockWait"/> at the latest, so a response that never completes cannot keep the account
    /// locked; it is counted as running from now on (<see cref="WaitAsync"/>).
    /// </summary>
    public void Start(FirstReadRest rest, IAsyncDisposable heldLock, Task? after = null)
    {
        var task = Task.Run(
            async () =>
            {
                try
                {
                    if (after is not null)
                    {
                        await after.WaitAsync(options.Value.LockWait).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                    }

                    await StoreAsync(rest);
                }
                catch (Exception ex)
                {
                    LogCompletionFailed(logger, ex);
                }
                finally
                {
                    await heldLock.DisposeAsync();
                }
            },
            CancellationToken.None);
        running[task] = 0;
        _ = task.ContinueWith(t => running.TryRemove(t, out _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    /// <summary>Waits for first reads still being stored (host shutdown, tests).</summary>
    public async Task WaitAsync()
    {
        while (!running.IsEmpty)
        {
            await Task.WhenAll(running.Keys);
        }
    }

    public async ValueTask DisposeAsync() => await WaitAsync();

    private async Task StoreAsync(FirstReadRest rest)
    {
        using var budget = new CancellationTokenSource(options.Value.CompletionBudget);
        var complete = rest.Complete();
        var unsent = complete with { Upserts = complete.Upserts.Where(u => !rest.Sent.Contains(u.Key)).ToList() };
        await store.ApplyAsync(rest.AccountId, unsent, cancellationToken: budget.Token);
        foreach (var item in complete.Upserts)
        {
            // The next pulls plan from these parses instead of reading every stored item back.
            if (item.Parsed is { } parsed)
            {
                parsedItems.Put(rest.AccountId, item.Key, item.ContentVersion, parsed);
            }
        }

        LogFirstReadStored(logger, complete.Upserts.Count);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "First read stored: {Items} items")]
    private static partial void LogFirstReadStored(ILogger logger, int items);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Storing the rest of a first read failed; the next pull reads the source again")]
    private static partial void LogCompletionFailed(ILogger logger, Exception exception);
}
