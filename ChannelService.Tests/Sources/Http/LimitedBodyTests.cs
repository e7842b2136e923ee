using ChannelService.Sources;
using ChannelService.Sources.Http;

namespace ChannelService.Tests.Sources.Http;

/// <summary>
/// A declared Content-Length sizes the body's array and is read straight into it, but it is only a hint: a body of
/// another length is still read whole, and the byte limit holds whatever the header said.
/// </summary>
public sealed class LimitedBodyTests
{
    private static byte[] Bytes(int n) => Enumerable.Range(0, n).Select(i => (byte)(i * 7)).ToArray();

    /// <summary>Hands out at most 3 bytes a read, as a socket may.</summary>
    private sealed class Trickle(byte[] data) : MemoryStream(data)
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(3, buffer.Length)], cancellationToken);
    }

    [TestCase(1000, 1000)]
    [TestCase(1000, 10)]
    [TestCase(10, 1000)]
    [TestCase(1, 1)]
    public async Task A_Body_Is_Read_Whole_Whatever_Length_Was_Declared(int actual, long declared)
    {
        var data = Bytes(actual);

        var body = await LimitedBody.ReadAsync(new Trickle(data), [], limit: 1_000_000, CancellationToken.None, declared);

        Assert.That(body, Is.EqualTo(data));
    }

    [Test]
    public async Task A_Body_Without_A_Declared_Length_Is_Read_Whole()
    {
        var data = Bytes(200_000);

        Assert.That(await LimitedBody.ReadAsync(new Trickle(data), [], limit: 1_000_000, CancellationToken.None), Is.EqualTo(data));
    }

    [Test]
    public void A_Body_Longer_Than_The_Limit_Fails_Even_When_A_Smaller_Length_Was_Declared()
    {
        var error = Assert.ThrowsAsync<SourceException>(() => LimitedBody.ReadAsync(new Trickle(Bytes(500)), [], limit: 100, CancellationToken.None, contentLength: 50));

        Assert.That(error!.Kind, Is.EqualTo(SourceErrorKind.TooLarge));
    }
}
