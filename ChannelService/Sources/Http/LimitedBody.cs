using System.IO.Compression;

namespace ChannelService.Sources.Http;

/// <summary>
/// Reads a response body under a byte limit that holds for the bytes on the wire and again for the decompressed
/// bytes, so neither an endless body nor a zip bomb can exhaust memory. The limit is enforced while streaming.
/// </summary>
internal static class LimitedBody
{
    private const int MaxEncodingLayers = 2;

    public static async Task<byte[]> ReadAsync(Stream raw, IEnumerable<string> contentEncodings, long limit, CancellationToken cancellationToken, long? contentLength = null)
    {
        Stream stream = new LimitedStream(raw, limit);
        var layers = contentEncodings
            .SelectMany(e => e.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            .Where(e => !e.Equals("identity", StringComparison.OrdinalIgnoreCase))
            .ToList();
        if (layers.Count > MaxEncodingLayers)
        {
            throw new SourceException(SourceErrorKind.Protocol, "The server compressed the response more times than makes sense; it was not read.");
        }

        // RFC 9110 section 8.4: codings are listed in the order applied, so they are undone last to first.
        for (var i = layers.Count - 1; i >= 0; i--)
        {
            stream = await DecoderAsync(stream, layers[i], cancellationToken);
        }

        if (layers.Count > 0)
        {
            stream = new LimitedStream(stream, limit);
        }

        await using (stream)
        {
            // A declared length (checked against the limit by the caller) sizes the buffer once, so a large feed is
            // not copied again at every doubling and once more at the end; the length is only a hint, never trusted.
            var capacity = layers.Count == 0 && contentLength is > 0 && contentLength <= limit ? (int)contentLength.Value : 0;
            if (capacity > 0)
            {
                // Straight into the body's own array: not zeroed first, nor copied through a second buffer (a 17 MB
                // feed is read on a first pull while Zendesk waits). Only a body of exactly the declared length ends here.
                var body = GC.AllocateUninitializedArray<byte>(capacity);
                var read = await stream.ReadAtLeastAsync(body, capacity, throwOnEndOfStream: false, cancellationToken);
                var more = new byte[1];
                if (read == capacity && await stream.ReadAsync(more, cancellationToken) == 0)
                {
                    return body;
                }

                using var rest = new MemoryStream();
                rest.Write(body, 0, read);
                rest.Write(more, 0, read == capacity ? 1 : 0);
                await stream.CopyToAsync(rest, 81920, cancellationToken);
                return rest.ToArray();
            }

            using var buffer = new MemoryStream();
            await stream.CopyToAsync(buffer, 81920, cancellationToken);
            return buffer.ToArray();
        }
    }

    private static async Task<Stream> DecoderAsync(Stream compressed, string coding, CancellationToken cancellationToken)
    {
        switch (coding.ToUpperInvariant())
        {
            case "GZIP" or "X-GZIP":
                return new GZipStream(compressed, CompressionMode.Decompress);
            case "BR":
                return new BrotliStream(compressed, CompressionMode.Decompress);
            case "DEFLATE":
                // RFC 9110 section 8.4.1.2: "deflate" means the zlib format, but some servers (old IIS) send raw
                // deflate. A zlib stream starts with CM=8 in the low nibble and a header divisible by 31 (RFC 1950).
                var head = new byte[2];
                var read = await compressed.ReadAtLeastAsync(head, 2, throwOnEndOfStream: false, cancellationToken);
                var prefixed = new PrefixedStream(head.AsMemory(0, read), compressed);
                var isZlib = read == 2 && (head[0] & 0x0f) == 8 && ((head[0] << 8) | head[1]) % 31 == 0;
                return isZlib ? new ZLibStream(prefixed, CompressionMode.Decompress) : new DeflateStream(prefixed, CompressionMode.Decompress);
            default:
                throw new SourceException(SourceErrorKind.Protocol, "The server used a compression this service cannot read.");
        }
    }

    /// <summary>What both wrappers below share: forward-only reading of an inner stream they own.</summary>
    private abstract class ReadOnlyWrapper(Stream inner) : Stream
    {
        protected Stream Inner { get; } = inner;

        public abstract override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default);

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                Inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }

    /// <summary>A read-only stream that fails with <see cref="SourceErrorKind.TooLarge"/> once more than the limit was read.</summary>
    private sealed class LimitedStream(Stream source, long limit) : ReadOnlyWrapper(source)
    {
        private long total;

        public override long Position { get => total; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Count(Inner.Read(buffer, offset, count));

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            Count(await Inner.ReadAsync(buffer, cancellationToken));


        private int Count(int read)
        {
            total += read;
            if (total > limit)
            {
                throw SourceException.TooLarge(limit);
            }

            return read;
        }
    }

    /// <summary>Gives back bytes already peeked from a non-seekable stream, then the rest of it.</summary>
    private sealed class PrefixedStream(ReadOnlyMemory<byte> prefix, Stream source) : ReadOnlyWrapper(source)
    {
        private ReadOnlyMemory<byte> prefix = prefix;

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => ReadPrefix(buffer.AsSpan(offset, count)) is var n and > 0 ? n : Inner.Read(buffer, offset, count);

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            ReadPrefix(buffer.Span) is var n and > 0 ? n : await Inner.ReadAsync(buffer, cancellationToken);


        private int ReadPrefix(Span<byte> destination)
        {
            if (prefix.IsEmpty || destination.IsEmpty)
            {
                return 0;
            }

            var n = Math.Min(prefix.Length, destination.Length);
            prefix.Span[..n].CopyTo(destination);
            prefix = prefix[n..];
            return n;
        }
    }
}
