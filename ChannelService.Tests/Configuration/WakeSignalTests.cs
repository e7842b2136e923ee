using ChannelService.Configuration;

namespace ChannelService.Tests.Configuration;

public sealed class WakeSignalTests
{
    [Test]
    public async Task Wakes_Before_A_Wait_Coalesce_Into_One_Early_Pass()
    {
        using var signal = new WakeSignal();
        signal.Wake();
        signal.Wake();
        signal.Wake();

        Assert.That(await signal.WaitAsync(TimeSpan.FromSeconds(5), CancellationToken.None), Is.True, "woken");
        Assert.That(await signal.WaitAsync(TimeSpan.FromMilliseconds(50), CancellationToken.None), Is.False, "one pass for three wakes");
    }

    [Test]
    public async Task A_Wake_Ends_A_Wait_Already_Under_Way()
    {
        using var signal = new WakeSignal();
        var waiting = signal.WaitAsync(TimeSpan.FromSeconds(30), CancellationToken.None);
        Assert.That(waiting.IsCompleted, Is.False);

        signal.Wake();

        Assert.That(await waiting.WaitAsync(TimeSpan.FromSeconds(5)), Is.True);
    }

    [Test]
    public void A_Wake_After_Disposal_Does_Nothing()
    {
        // A request that stored work while the host shut down: the work is durable, the wake has nobody to wake.
        var signal = new WakeSignal();
        signal.Dispose();

        Assert.DoesNotThrow(signal.Wake);
    }

    [Test]
    public async Task Wakes_From_Many_Threads_Never_Throw()
    {
        using var signal = new WakeSignal();
        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() =>
        {
            for (var i = 0; i < 10_000; i++)
            {
                signal.Wake();
            }
        })));

        Assert.That(await signal.WaitAsync(TimeSpan.FromSeconds(5), CancellationToken.None), Is.True);
        Assert.That(await signal.WaitAsync(TimeSpan.FromMilliseconds(50), CancellationToken.None), Is.False, "the count never passes one");
    }
}
