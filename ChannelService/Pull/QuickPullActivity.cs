using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace ChannelService.Pull;

/// <summary>
/// The dashboard's "last pull" for pulls answered by the quick no-change path (<see cref="UnchangedPulls"/>), which
/// touches no database: the latest quick pull per account is kept in memory and written every
/// <see cref="PullOptions.ActivityFlushInterval"/> and at shutdown, all accounts in one transaction, so a thousand
/// quick pulls cost one write, not a thousand.
/// </summary>
internal sealed partial class QuickPullActivity(PullMirrorStore mirror, TimeProvider time, IOptions<PullOptions> options, ILogger<QuickPullActivity> logger) : BackgroundService
{
    /// <summary>The result text of a quick pull.</summary>
    public const string QuickResult = "0 resources; source unchanged (quick no-change answer)";

    private ConcurrentDictionary<string, PullActivity> latest = new(StringComparer.Ordinal);

    /// <summary>Notes a quick pull of the account: no allocation beyond the entry, no I/O.</summary>
    public void Note(string accountId, DateTimeOffset at) =>
        latest[accountId] = new PullActivity { AccountId = accountId, At = at, Result = QuickResult };

    /// <summary>Writes what was noted since the last flush in one transaction; returns how many accounts it wrote.</summary>
    public async Task<int> FlushAsync(CancellationToken cancellationToken = default)
    {
        if (latest.IsEmpty)
        {
            return 0;
        }

        var taken = Interlocked.Exchange(ref latest, new ConcurrentDictionary<string, PullActivity>(StringComparer.Ordinal));
        var rows = taken.Values.ToList();
        try
        {
            await mirror.RecordResultsAsync(rows, cancellationToken);
        }
        catch
        {
            // Not written: put back what no newer note replaced, for the next flush.
            foreach (var row in rows)
            {
                latest.TryAdd(row.AccountId, row);
            }

            throw;
        }

        return rows.Count;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.ActivityFlushInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    await FlushAsync(stoppingToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    LogFlushFailed(logger, ex);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);

        // At shutdown: what was noted since the last tick.
        await FlushAsync(cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Recording quick pulls for the dashboard failed; the next flush tries again")]
    private static partial void LogFlushFailed(ILogger logger, Exception exception);
}
