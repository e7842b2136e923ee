using ChannelService.Configuration;

namespace ChannelService.Tests.Configuration;

/// <summary>
/// A worker's pause after a failed pass ends quietly when the host stops: the cancellation must not escape from the
/// worker's catch block as a crash (it did when the port was busy at start-up and the host stopped mid-pass).
/// </summary>
public sealed class WorkerPauseTests
{
    [Test]
    public async Task Stopping_During_The_Pause_Ends_It_Without_An_Exception()
    {
        using var stopping = new CancellationTokenSource();
        var pause = WorkerPause.AfterFailureAsync(TimeSpan.FromMinutes(10), TimeProvider.System, stopping.Token);

        await stopping.CancelAsync();

        await pause.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.That(pause.IsCompletedSuccessfully, Is.True);
    }

    [Test]
    public async Task Without_A_Stop_The_Pause_Lasts_Its_Time()
    {
        var started = TimeProvider.System.GetTimestamp();

        await WorkerPause.AfterFailureAsync(TimeSpan.FromMilliseconds(200), TimeProvider.System, CancellationToken.None);

        Assert.That(TimeProvider.System.GetElapsedTime(started), Is.GreaterThanOrEqualTo(TimeSpan.FromMilliseconds(190)));
    }
}
