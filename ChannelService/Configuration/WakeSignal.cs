namespace ChannelService.Configuration;

/// <summary>
/// Wakes a background worker when new work was stored, so it runs a pass now rather than at its next poll. Wakes
/// coalesce: any number of them before the worker waits again make one early pass. A wake after disposal (a request
/// finishing while the host shuts down) does nothing; the work it announced is durable and found by the next start.
/// </summary>
internal class WakeSignal : IDisposable
{
    private readonly SemaphoreSlim wake = new(0);
    private volatile bool disposed;

    public void Wake()
    {
        if (disposed)
        {
            return;
        }

        try
        {
            if (wake.CurrentCount == 0)
            {
                wake.Release();
            }
        }
        catch (ObjectDisposedException)
        {
            // Disposed between the check and the release: as above.
        }
        catch (SemaphoreFullException)
        {
            // Two wakes raced past the count check: one pass is already due.
        }
    }

    /// <summary>Waits for a wake or the timeout; true when woken.</summary>
    public Task<bool> WaitAsync(TimeSpan timeout, CancellationToken cancellationToken) => wake.WaitAsync(timeout, cancellationToken);

    public void Dispose()
    {
        disposed = true;
        wake.Dispose();
        GC.SuppressFinalize(this);
    }
}
