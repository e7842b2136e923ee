using System.Collections.Concurrent;
using System.Globalization;
using ChannelService.Zendesk;

namespace ChannelService.ZendeskLink;

/// <summary>
/// The last REST API call per linked subdomain (time, method, endpoint template and HTTP status) and the last API
/// error, for <c>zendesk status</c>, the dashboard and <c>zendesk_links.last_call_*</c>. The token endpoint's calls
/// are written by <see cref="ZendeskTokenProvider"/> as they happen; API calls are many (a thousand tickets make
/// hundreds of calls), so they are kept here in memory and written to the link's row only when the outcome changes
/// (the first call, success after failure, failure after success, another error) and otherwise at most once per
/// <see cref="FlushInterval"/> by <see cref="ZendeskApiCallFlusher"/> (and when the service stops). The dashboard,
/// in the same process, overlays the newer in-memory call (<see cref="Overlay"/>); <c>zendesk status</c>, another
/// process, reads the row, which is at most one interval behind. Nothing here holds a token, a query or a body:
/// only the endpoint template (<c>tickets/{id}</c>) and Zendesk's status and error text.
/// </summary>
internal sealed partial class ZendeskApiCallLog(ZendeskLinkStore store, TimeProvider time, ILogger<ZendeskApiCallLog> logger)
{
    public static readonly TimeSpan FlushInterval = TimeSpan.FromMinutes(1);

    private readonly ConcurrentDictionary<string, Entry> entries = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Rows written so far (state changes and flushes), for tests and the benchmark of "no write per call".</summary>
    public long Writes => Interlocked.Read(ref writes);

    private long writes;

    /// <summary>The newest API call seen for <paramref name="subdomain"/> in this process (null: none since start).</summary>
    public ApiCallSeen? Last(string subdomain) => entries.TryGetValue(subdomain, out var entry) ? entry.Snapshot() : null;

    /// <summary>Notes one call's outcome; writes the link's row at once only when the outcome changed.</summary>
    public async Task RecordAsync(string subdomain, string method, string endpoint, ZendeskOutcome outcome, CancellationToken cancellationToken)
    {
        var at = time.GetUtcNow();
        var ok = outcome.Kind == ZendeskOutcomeKind.Accepted;
        var status = $"API {method} {endpoint}: {(outcome.StatusCode is { } code ? "HTTP " + code.ToString(CultureInfo.InvariantCulture) : "no answer")}";
        var error = ok ? null : Short($"{When(at)} {method} {endpoint}: {outcome.Message}");
        var entry = entries.GetOrAdd(subdomain.ToLowerInvariant(), _ => new Entry());
        if (entry.Record(at, status, ok, error))
        {
            await WriteAsync(subdomain, entry, cancellationToken);
        }
    }

    /// <summary>Writes every subdomain whose newest call is not in its row yet (the periodic flush).</summary>
    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        foreach (var (subdomain, entry) in entries)
        {
            if (entry.Dirty)
            {
                await WriteAsync(subdomain, entry, cancellationToken);
            }
        }
    }

    /// <summary>A link's summary with this process's newer API call and error laid over what its row says.</summary>
    public ZendeskLinkSummary Overlay(ZendeskLinkSummary link)
    {
        if (Last(link.Subdomain) is not { } seen || (link.LastCallAt is { } stored && stored >= seen.At))
        {
            return link;
        }

        return link with { LastCallAt = seen.At, LastCallStatus = seen.Status, LastError = seen.Error ?? link.LastError };
    }

    /// <summary>Forgets a subdomain (unlinked): a later link starts without the old link's calls.</summary>
    public void Forget(string subdomain) => entries.TryRemove(subdomain.ToLowerInvariant(), out _);

    private async Task WriteAsync(string subdomain, Entry entry, CancellationToken cancellationToken)
    {
        var seen = entry.TakeForWrite();
        try
        {
            await store.RecordApiCallAsync(subdomain, seen.Status, seen.Error, seen.At, cancellationToken);
            Interlocked.Increment(ref writes);
        }
        catch (System.Data.Common.DbException ex)
        {
            // The call log is a courtesy: a busy or unreachable database must not fail the API work; try again next flush.
            entry.MarkDirty();
            LogWriteFailed(logger, subdomain, ex);
        }
    }

    private static string When(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);

    private static string Short(string text)
    {
        var line = new string(text.ReplaceLineEndings(" ").Where(c => !char.IsControl(c)).ToArray()).Trim();
        return line.Length <= ZendeskLinkStore.MaxErrorLength ? line : line[..ZendeskLinkStore.MaxErrorLength];
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Zendesk link {Subdomain}: the last API call could not be written; tried again at the next flush")]
    private static partial void LogWriteFailed(ILogger logger, string subdomain, Exception exception);

    /// <summary>One subdomain's newest call; its lock keeps a record and a write from interleaving.</summary>
    private sealed class Entry
    {
        private readonly Lock gate = new();
        private ApiCallSeen? last;
        private bool? writtenOk;
        private string? writtenError;

        public bool Dirty { get; private set; }

        /// <summary>True when the row must be written now: the first call, or the outcome or the error changed.</summary>
        public bool Record(DateTimeOffset at, string status, bool ok, string? error)
        {
            lock (gate)
            {
                if (last is { } previous && previous.At > at)
                {
                    return false;
                }

                last = new ApiCallSeen(at, status, ok, error ?? last?.Error);
                Dirty = true;
                var errorText = error is null ? writtenError : ErrorKey(error);
                return writtenOk != ok || errorText != writtenError;
            }
        }

        public ApiCallSeen TakeForWrite()
        {
            lock (gate)
            {
                var seen = last!;
                writtenOk = seen.Ok;
                writtenError = seen.Error is null ? null : ErrorKey(seen.Error);
                Dirty = false;
                return seen;
            }
        }

        public void MarkDirty()
        {
            lock (gate)
            {
                Dirty = true;
                writtenOk = null;
            }
        }

        public ApiCallSeen? Snapshot()
        {
            lock (gate)
            {
                return last;
            }
        }

        /// <summary>An error without its time stamp: the same failure repeating is not a change of state.</summary>
        private static string ErrorKey(string error) => error.Length > 24 ? error[24..] : error;
    }
}

/// <summary>A REST API call as the link shows it: when, what and how it ended, and the last error (with its time).</summary>
internal sealed record ApiCallSeen(DateTimeOffset At, string Status, bool Ok, string? Error);

/// <summary>Writes <see cref="ZendeskApiCallLog"/>'s newest calls every <see cref="ZendeskApiCallLog.FlushInterval"/> and when the service stops.</summary>
internal sealed partial class ZendeskApiCallFlusher(ZendeskApiCallLog log, TimeProvider time, ILogger<ZendeskApiCallFlusher> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(ZendeskApiCallLog.FlushInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await log.FlushAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: StopAsync writes what is left.
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        try
        {
            await log.FlushAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is System.Data.Common.DbException or ObjectDisposedException or InvalidOperationException or OperationCanceledException)
        {
            LogFinalFlushFailed(logger, ex);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The last Zendesk API calls could not be written while stopping")]
    private static partial void LogFinalFlushFailed(ILogger logger, Exception exception);
}
