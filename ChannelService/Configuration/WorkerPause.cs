namespace ChannelService.Configuration;

/// <summary>
/// The pause a background worker takes after a failed pass. Stopping the host during the pause ends it quietly:
/// a <see cref="TaskCanceledException"/> thrown from a <c>catch</c> block would escape the worker's loop and, with
/// <c>BackgroundServiceExceptionBehavior.StopHost</c>, be logged as a crash (seen when the port was busy at start-up).
/// </summary>
internal static class WorkerPause
{
    public static async Task AfterFailureAsync(TimeSpan pause, TimeProvider time, CancellationToken stoppingToken)
    {
        try
        {
            await Task.Delay(pause, time, stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: the loop's condition ends the worker.
        }
    }
}
