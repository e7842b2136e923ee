using System.Runtime.CompilerServices;

namespace ChannelService.Calendars;

/// <summary>
/// Open-addressing table from byte sequences to shared strings: the reader looks names and short parameter values
/// up straight from the input bytes, so "DTSTART" or "Europe/Berlin" cost neither a decode nor an allocation per line.
/// Bounded: once half full it stops learning, so hostile input with endless distinct names cannot grow it.
/// </summary>
internal sealed class ByteInternTable
{
    private const uint FnvOffset = 2166136261;
    private const uint FnvPrime = 16777619;

    private readonly byte[]?[] _keys;
    private readonly string[] _values;
    private readonly uint[] _hashes;
    private readonly int _mask;
    private readonly int _limit;
    private int _count;

    public ByteInternTable(int sizePowerOfTwo)
    {
        _keys = new byte[sizePowerOfTwo][];
        _values = new string[sizePowerOfTwo];
        _hashes = new uint[sizePowerOfTwo];
        _mask = sizePowerOfTwo - 1;
        _limit = sizePowerOfTwo / 2;
    }

    public static uint Start => FnvOffset;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint Step(uint hash, byte b) => (hash ^ b) * FnvPrime;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static uint Hash(ReadOnlySpan<byte> key)
    {
        var h = FnvOffset;
        foreach (var b in key)
        {
            h = (h ^ b) * FnvPrime;
        }

        return h;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public string? Find(ReadOnlySpan<byte> key, uint hash)
    {
        var i = (int)(hash & (uint)_mask);
        while (true)
        {
            var k = _keys[i];
            if (k is null)
            {
                return null;
            }

            if (_hashes[i] == hash && key.SequenceEqual(k))
            {
                return _values[i];
            }

            i = (i + 1) & _mask;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Add(ReadOnlySpan<byte> key, uint hash, string value)
    {
        if (_count >= _limit)
        {
            return;
        }

        var i = (int)(hash & (uint)_mask);
        while (_keys[i] is not null)
        {
            if (_hashes[i] == hash && key.SequenceEqual(_keys[i]))
            {
                return;
            }

            i = (i + 1) & _mask;
        }

        _keys[i] = key.ToArray();
        _hashes[i] = hash;
        _values[i] = value;
        _count++;
    }
}
