using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Unicode;

namespace ChannelService.Calendars;

/// <summary>
/// Lenient iCalendar reader working on bytes (RFC 5545 §3.1 as real feeds use it; calendar.md 2.1-2.3).
/// Lines are found and unfolded on bytes, before decoding, so a fold inside a multi-byte UTF-8 character survives.
/// Each content line is split by a small state machine on bytes; each value is decoded once.
/// It never throws on content: a bad line costs that property only and leaves a diagnostic.
/// Use <see cref="Parse(ReadOnlyMemory{byte}, IcalReaderOptions?)"/> for a whole model, or
/// <see cref="TryReadNext"/> to stream components one at a time with memory bounded by the largest component.
/// </summary>
public sealed class IcalReader : IDisposable
{
    private const int ChunkSize = 256 * 1024;
    private const int ValueCacheMaxLength = 32;
    private const int CacheCapacity = 4096;

    private static readonly Encoding Utf8Strict = Encoding.UTF8; // lines are validated first, so replacement never happens
    private static readonly Lazy<Encoding> Windows1252 = new(() =>
    {
        Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);
        return Encoding.GetEncoding(1252);
    });

    private readonly IcalReaderOptions _options;
    private readonly Stream? _stream;
    private readonly bool _tree;
    private readonly Encoding? _forcedEncoding;

    private byte[] _buf;
    private int _pos;
    private int _end;
    private bool _eof;
    private long _totalRead;
    private int _lineNo = 1;
    private bool _truncated;
    private bool _bomChecked;

    private byte[] _scratch = new byte[4096];
    private char[] _chars = new char[256];
    private readonly List<CalendarParameter> _params = new(8);
    private readonly List<string> _paramValues = new(4);

    private readonly ByteInternTable _names = new(4096);
    private readonly ByteInternTable _values = new(4096);
    private readonly byte[] _nameBytes = new byte[128];
    private readonly CalendarParameter?[] _parameterCache = new CalendarParameter?[1024];
    private static readonly CalendarParameter[] NoParameters = [];

    private readonly List<CalendarComponent> _stack = [];
    private readonly List<CalendarComponent> _roots = [];
    // Components ready for TryReadNext, as parallel lists of references: a queue of the struct item would be a
    // generic instantiation the runtime has no precompiled code for, and this sits on the per-component path.
    private readonly List<CalendarComponent> _readyComponents = [];
    private readonly List<CalendarComponent?> _readyCalendars = [];
    private int _readyHead;
    private readonly List<IcalDiagnostic> _diagnostics = [];
    private bool _sawCalendarEnd;
    private bool _strictUtf8;
    private string? _lastClosedName;
    private int _lastClosedCount;
    private bool _invalidUtf8;
    private bool _forcedClose;
    private bool _finished;

    public IcalReader(Stream stream, IcalReaderOptions? options = null)
        : this(options, tree: false)
    {
        _stream = stream;
        _buf = new byte[ChunkSize];
    }

    public IcalReader(ReadOnlyMemory<byte> data, IcalReaderOptions? options = null)
        : this(options, tree: false)
    {
        SetMemory(data);
    }

    private IcalReader(IcalReaderOptions? options, bool tree)
    {
        _options = options ?? IcalReaderOptions.Default;
        _tree = tree;
        _buf = [];
        foreach (var n in IcalNames.Known)
        {
            var bytes = Encoding.ASCII.GetBytes(n);
            _values.Add(bytes, ByteInternTable.Hash(bytes), n);
            if (n.Equals(n.ToUpperInvariant(), StringComparison.Ordinal))
            {
                _names.Add(bytes, ByteInternTable.Hash(bytes), n);
            }
        }
        _forcedEncoding = ResolveCharset(_options.Charset);
    }

    /// <summary>Diagnostics so far (at most <see cref="IcalReaderOptions.MaxDiagnostics"/>).</summary>
    public IReadOnlyList<IcalDiagnostic> Diagnostics => _diagnostics;

    /// <summary>Every diagnostic, including those not kept in the list.</summary>
    public int DiagnosticCount { get; private set; }

    /// <summary>After the end: every BEGIN was closed, END:VCALENDAR was seen and no size limit cut the input.</summary>
    public bool Complete => _finished && _sawCalendarEnd && !_forcedClose && !_truncated;

    /// <summary>Parses a whole feed into a model.</summary>
    public static IcalParseResult Parse(ReadOnlyMemory<byte> data, IcalReaderOptions? options = null)
    {
        var reader = new IcalReader(options, tree: true);
        reader.SetMemory(data);
        return reader.RunTree();
    }

    /// <summary>Parses a whole feed from a stream into a model (read in chunks; the stream is not disposed).</summary>
    public static IcalParseResult Parse(Stream stream, IcalReaderOptions? options = null)
    {
        var reader = new IcalReader(options, tree: true);
        reader.SetStream(stream);
        return reader.RunTree();
    }

    /// <summary>
    /// Streaming: the next direct child of a VCALENDAR (or bare top-level component), fully read.
    /// Children handed out here are not kept in the calendar, so memory stays bounded.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public bool TryReadNext(out IcalStreamItem item)
    {
        while (_readyHead >= _readyComponents.Count)
        {
            if (_finished)
            {
                item = default;
                return false;
            }

            Step();
        }

        item = new IcalStreamItem(_readyComponents[_readyHead], _readyCalendars[_readyHead]);
        _readyHead++;
        if (_readyHead == _readyComponents.Count)
        {
            _readyComponents.Clear();
            _readyCalendars.Clear();
            _readyHead = 0;
        }

        return true;
    }

    public void Dispose()
    {
        // The caller owns the stream; nothing pooled to return. Present so callers can scope a reader with using.
    }

    private IcalParseResult RunTree()
    {
        while (!_finished)
        {
            Step();
        }

        return new IcalParseResult(_roots, _diagnostics, DiagnosticCount, Complete);
    }

    private void SetMemory(ReadOnlyMemory<byte> data)
    {
        if (data.Length > _options.MaxTotalBytes)
        {
            data = data[..(int)_options.MaxTotalBytes];
            _truncated = true;
            Diagnose(0, null, $"input longer than the {_options.MaxTotalBytes}-byte limit; the rest was ignored");
        }

        if (MemoryMarshal.TryGetArray(data, out var segment) && segment.Array is not null)
        {
            _buf = segment.Array;
            _pos = segment.Offset;
            _end = segment.Offset + segment.Count;
        }
        else
        {
            _buf = data.ToArray();
            _pos = 0;
            _end = _buf.Length;
        }

        _eof = true;
    }

    private void SetStream(Stream stream)
    {
        // Only the tree-mode factory uses this; the public stream constructor sets the field directly.
        _streamForTree = stream;
        _buf = new byte[ChunkSize];
    }

    private Stream? _streamForTree;

    private Stream? Source => _stream ?? _streamForTree;

    private Encoding? ResolveCharset(string? charset)
    {
        if (string.IsNullOrWhiteSpace(charset))
        {
            return null;
        }

        var name = charset.Trim().Trim('"');
        if (name.Equals("utf-8", StringComparison.OrdinalIgnoreCase) || name.Equals("utf8", StringComparison.OrdinalIgnoreCase)
            || name.Equals("us-ascii", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        _ = Windows1252.Value; // registers the code-page provider
        try
        {
            var enc = Encoding.GetEncoding(name);
            if (enc.CodePage is 1200 or 1201 or 12000 or 12001 or 65000)
            {
                Diagnose(0, null, $"charset '{name}' is not ASCII-compatible and not supported; reading as UTF-8");
                return null;
            }

            return enc.CodePage == 65001 ? null : enc;
        }
        catch (ArgumentException)
        {
            Diagnose(0, null, $"unknown charset '{name}'; reading as UTF-8");
            return null;
        }
    }

    private void Diagnose(int line, string? property, string reason)
    {
        DiagnosticCount++;
        if (_diagnostics.Count < _options.MaxDiagnostics)
        {
            _diagnostics.Add(new IcalDiagnostic(line, property, reason));
        }
    }

    // ---------------------------------------------------------------- input and lines

    /// <summary>Moves unread bytes from <paramref name="keepFrom"/> to the buffer start and reads more; returns the shift.</summary>
    private int Refill(int keepFrom)
    {
        var source = Source;
        if (source is null || _eof)
        {
            _eof = true;
            return 0;
        }

        var shift = keepFrom;
        var live = _end - keepFrom;
        if (shift > 0)
        {
            Buffer.BlockCopy(_buf, keepFrom, _buf, 0, live);
            _end = live;
            _pos -= shift;
        }

        if (_end == _buf.Length)
        {
            Array.Resize(ref _buf, _buf.Length * 2);
        }

        var want = _buf.Length - _end;
        var remaining = _options.MaxTotalBytes - _totalRead;
        if (remaining <= 0)
        {
            if (!_truncated)
            {
                _truncated = true;
                Diagnose(_lineNo, null, $"input longer than the {_options.MaxTotalBytes}-byte limit; the rest was ignored");
            }

            _eof = true;
            return shift;
        }

        if (want > remaining)
        {
            want = (int)remaining;
        }

        var n = source.Read(_buf, _end, want);
        if (n <= 0)
        {
            _eof = true;
        }
        else
        {
            _end += n;
            _totalRead += n;
        }

        return shift;
    }

    private enum LineKind
    {
        End,
        Normal,
        Oversized,
    }

    /// <summary>
    /// Finds the next logical (unfolded) line: [start, stop) in <see cref="_buf"/>, with <paramref name="folded"/>
    /// set when it spans several physical lines. A line break followed by one SPACE or TAB is a fold (RFC 5545 §3.1);
    /// CRLF, LF and a lone CR all end a physical line.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private LineKind NextRawLine(out int start, out int stop, out bool folded, out int lineNo)
    {
        if (!_bomChecked)
        {
            _bomChecked = true;
            while (_end - _pos < 3 && !_eof)
            {
                Refill(_pos);
            }

            if (_end - _pos >= 3 && _buf[_pos] == 0xEF && _buf[_pos + 1] == 0xBB && _buf[_pos + 2] == 0xBF)
            {
                _pos += 3;
            }
        }

        folded = false;
        lineNo = _lineNo;
        var oversized = false;
        var foldBytes = 0; // the limit is on the unfolded length, so a refolded line is judged the same
        var ls = _pos;
        var scan = ls;
        while (true)
        {
            if (scan >= _end && _eof)
            {
                if (ls >= _end && !oversized)
                {
                    start = stop = _end;
                    _pos = _end;
                    return LineKind.End;
                }

                start = ls;
                stop = _end;
                _pos = _end;
                return oversized || stop - start - foldBytes > _options.MaxPropertyBytes ? LineKind.Oversized : LineKind.Normal;
            }

            var rel = scan < _end ? _buf.AsSpan(scan, _end - scan).IndexOfAny((byte)'\r', (byte)'\n') : -1;
            if (rel < 0)
            {
                if (_eof)
                {
                    scan = _end;
                    continue;
                }

                if (!oversized && _end - ls - foldBytes > _options.MaxPropertyBytes)
                {
                    oversized = true;
                }

                if (oversized)
                {
                    // Drop what was scanned so a huge line never accumulates in memory.
                    ls = _end;
                }

                _pos = ls;
                var scannedTo = _end;
                var shift = Refill(ls);
                ls -= shift;
                scan = scannedTo - shift;
                continue;
            }

            var b = scan + rel;
            int after;
            if (_buf[b] == (byte)'\r')
            {
                if (b + 1 >= _end && !_eof)
                {
                    _pos = ls;
                    var shift = Refill(ls);
                    ls -= shift;
                    scan = b - shift;
                    continue;
                }

                after = b + 1 < _end && _buf[b + 1] == (byte)'\n' ? b + 2 : b + 1;
            }
            else
            {
                after = b + 1;
            }

            if (after >= _end && !_eof)
            {
                _pos = ls;
                var shift = Refill(ls);
                ls -= shift;
                scan = b - shift;
                continue;
            }

            _lineNo++;
            if (after < _end && (_buf[after] == (byte)' ' || _buf[after] == (byte)'\t'))
            {
                folded = true;
                foldBytes += after + 1 - b;
                scan = after + 1;
                if (oversized)
                {
                    ls = scan;
                }

                continue;
            }

            start = ls;
            stop = b;
            _pos = after;
            if (!oversized && stop - start - foldBytes > _options.MaxPropertyBytes)
            {
                oversized = true;
            }

            return oversized ? LineKind.Oversized : LineKind.Normal;
        }
    }

    /// <summary>Reads one logical line and feeds it to the component builder.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Step()
    {
        var kind = NextRawLine(out var start, out var stop, out var folded, out var lineNo);
        switch (kind)
        {
            case LineKind.End:
                Finish();
                return;
            case LineKind.Oversized:
                Diagnose(lineNo, null, $"content line longer than the {_options.MaxPropertyBytes}-byte limit was skipped");
                return;
        }

        ReadOnlySpan<byte> line;
        if (folded)
        {
            var n = Unfold(start, stop);
            line = _scratch.AsSpan(0, n);
        }
        else
        {
            line = _buf.AsSpan(start, stop - start);
        }

        ProcessLine(line, start, stop, folded, lineNo);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private int Unfold(int start, int stop)
    {
        if (_scratch.Length < stop - start)
        {
            _scratch = new byte[Math.Max(stop - start, _scratch.Length * 2)];
        }

        var w = 0;
        var p = start;
        while (p < stop)
        {
            var rel = _buf.AsSpan(p, stop - p).IndexOfAny((byte)'\r', (byte)'\n');
            if (rel < 0)
            {
                _buf.AsSpan(p, stop - p).CopyTo(_scratch.AsSpan(w));
                w += stop - p;
                break;
            }

            _buf.AsSpan(p, rel).CopyTo(_scratch.AsSpan(w));
            w += rel;
            var b = p + rel;
            var after = _buf[b] == (byte)'\r' && b + 1 < stop && _buf[b + 1] == (byte)'\n' ? b + 2 : b + 1;
            p = after + 1; // skip exactly one SPACE or TAB
        }

        return w;
    }

    // ---------------------------------------------------------------- content lines

    /// <summary>
    /// Tokenises one unfolded line. UTF-8 is validated while decoding (names are ASCII-checked, values transcoded
    /// strictly); on the first invalid byte the line is read again as Windows-1252 with a diagnostic (calendar.md 2.1).
    /// Nothing is committed before the value is decoded, so the retry starts clean.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void ProcessLine(ReadOnlySpan<byte> line, int rawStart, int rawStop, bool folded, int lineNo, Encoding? fallback = null)
    {
        if (line.IndexOfAnyExcept((byte)' ', (byte)'\t') < 0)
        {
            return; // blank or whitespace-only line between or inside components
        }

        var encoding = fallback ?? _forcedEncoding;
        _strictUtf8 = encoding is null;
        _invalidUtf8 = false;
        encoding ??= Utf8Strict;

        // Name: up to the first ';' or ':'.
        var nameEnd = line.IndexOfAny((byte)';', (byte)':');
        if (nameEnd < 0)
        {
            Diagnose(lineNo, null, "content line without ':' was skipped");
            return;
        }

        var name = InternName(line[..nameEnd]);
        if (name is null)
        {
            Diagnose(lineNo, null, "content line with an empty or invalid name was skipped");
            return;
        }

        var colon = nameEnd;
        var parameters = NoParameters;
        if (line[nameEnd] == (byte)';')
        {
            _params.Clear();
            colon = ParseParameters(line, nameEnd + 1, encoding, lineNo, name);
            if (_invalidUtf8)
            {
                RetryAsWindows1252(line, rawStart, rawStop, folded, lineNo);
                return;
            }

            if (colon < 0)
            {
                Diagnose(lineNo, name, "content line without ':' after its parameters was skipped");
                return;
            }

            if (_params.Count == 1)
            {
                parameters = _params[0].AsSingleList;
            }
            else if (_params.Count > 1)
            {
                parameters = _params.ToArray();
            }
        }

        var valueBytes = line[(colon + 1)..];

        if (ReferenceEquals(name, IcalNames.Begin) || ReferenceEquals(name, IcalNames.End))
        {
            HandleBeginEnd(name, valueBytes, encoding, lineNo, line, rawStart, rawStop, folded);
            return;
        }

        if (_stack.Count == 0)
        {
            Diagnose(lineNo, name, "property outside any component was ignored");
            return;
        }

        string value;
        if (valueBytes.IsEmpty)
        {
            value = string.Empty;
        }
        else if (!_strictUtf8)
        {
            value = encoding.GetString(valueBytes);
        }
        else if (!TryDecodeUtf8(valueBytes, out value))
        {
            RetryAsWindows1252(line, rawStart, rawStop, folded, lineNo);
            return;
        }

        string? raw = null;
        if (_options.KeepRawLines)
        {
            raw = RawText(line, rawStart, rawStop, folded, encoding);
        }

        var top = _stack[^1];
        top.Properties.Add(new CalendarProperty(name, parameters, value) { Line = lineNo, RawLine = raw });
    }

    private void RetryAsWindows1252(ReadOnlySpan<byte> line, int rawStart, int rawStop, bool folded, int lineNo)
    {
        Diagnose(lineNo, null, "bytes are not valid UTF-8; decoded as Windows-1252");
        ProcessLine(line, rawStart, rawStop, folded, lineNo, Windows1252.Value);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private string ShortAscii(ReadOnlySpan<byte> bytes)
    {
        var hash = ByteInternTable.Hash(bytes);
        var known = _values.Find(bytes, hash);
        if (known is not null)
        {
            return known;
        }

        var created = Encoding.ASCII.GetString(bytes);
        _values.Add(bytes, hash, created);
        return created;
    }

    /// <summary>One pass: validates and transcodes (Encoding.GetString would scan twice, plus a separate validation).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private bool TryDecodeUtf8(ReadOnlySpan<byte> bytes, out string value)
    {
        if (_chars.Length < bytes.Length)
        {
            _chars = new char[Math.Max(bytes.Length, _chars.Length * 2)];
        }

        if (Utf8.ToUtf16(bytes, _chars, out _, out var written, replaceInvalidSequences: false) != OperationStatus.Done)
        {
            value = string.Empty;
            return false;
        }

        value = new string(_chars, 0, written);
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private string? RawText(ReadOnlySpan<byte> line, int rawStart, int rawStop, bool folded, Encoding encoding)
    {
        if (!folded)
        {
            return encoding.GetString(line);
        }

        var original = _buf.AsSpan(rawStart, rawStop - rawStart);
        if (ReferenceEquals(encoding, Utf8Strict) && !Utf8.IsValid(original))
        {
            return null; // a fold split a UTF-8 sequence: the writer will refold on character boundaries
        }

        var text = encoding.GetString(original);
        return NormalizeBreaks(text);
    }

    private static string NormalizeBreaks(string text)
    {
        var lone = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '\n' || (c == '\r' && (i + 1 >= text.Length || text[i + 1] != '\n')))
            {
                lone = true;
                break;
            }

            if (c == '\r')
            {
                i++;
            }
        }

        if (!lone)
        {
            return text;
        }

        var sb = new StringBuilder(text.Length + 16);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '\r')
            {
                sb.Append("\r\n");
                if (i + 1 < text.Length && text[i + 1] == '\n')
                {
                    i++;
                }
            }
            else if (c == '\n')
            {
                sb.Append("\r\n");
            }
            else
            {
                sb.Append(c);
            }
        }

        return sb.ToString();
    }

    /// <summary>
    /// Parses <c>*(";" param)</c> from <paramref name="pos"/> into <see cref="_params"/>; returns the index of the
    /// ':' that starts the value, or -1. Quoted values may hold ':', ';' and ','; RFC 6868 carets are decoded;
    /// <c>\,</c>, <c>\;</c> and <c>\:</c> in unquoted values are kept literally (Google's <c>CN=Society\, Class</c>).
    /// Values are split on commas only for list parameters (MEMBER, DELEGATED-TO, DELEGATED-FROM).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private int ParseParameters(ReadOnlySpan<byte> line, int pos, Encoding encoding, int lineNo, string property)
    {
        var len = line.Length;
        while (true)
        {
            var ns = pos;
            while (pos < len && line[pos] is not ((byte)'=' or (byte)';' or (byte)':'))
            {
                pos++;
            }

            if (pos >= len)
            {
                return -1;
            }

            var delimiter = line[pos];
            var pname = InternName(line[ns..pos]);
            if (delimiter != (byte)'=')
            {
                if (pname is not null)
                {
                    _params.Add(new CalendarParameter(pname, Array.Empty<string>()));
                }

                if (delimiter == (byte)':')
                {
                    return pos;
                }

                pos++;
                continue;
            }

            pos++; // '='
            var isList = pname is not null && IcalNames.IsListParameter(pname);
            _paramValues.Clear();
            var joinWithComma = false;
            while (true)
            {
                while (pos < len && line[pos] is (byte)' ' or (byte)'\t')
                {
                    pos++;
                }

                if (pos >= len)
                {
                    return -1;
                }

                if (line[pos] == (byte)'"')
                {
                    var close = line[(pos + 1)..].IndexOf((byte)'"');
                    if (close >= 0)
                    {
                        var content = line.Slice(pos + 1, close);
                        pos += close + 2;

                        // Stray text between the closing quote and the next delimiter is kept, not lost.
                        var gs = pos;
                        while (pos < len && line[pos] is not ((byte)';' or (byte)':' or (byte)','))
                        {
                            pos++;
                        }

                        var garbage = line[gs..pos].Trim((byte)' ');
                        if (garbage.IsEmpty)
                        {
                            _paramValues.Add(DecodeParamValue(content, encoding));
                        }
                        else
                        {
                            _paramValues.Add(DecodeParamValue(content, encoding) + DecodeParamValue(garbage, encoding));
                        }
                    }
                    else
                    {
                        Diagnose(lineNo, property, "unterminated quote in a parameter value; read up to the next ';' or ':'");
                        pos++;
                        pos = ScanUnquoted(line, pos, isList, out var vs, out var ve);
                        _paramValues.Add(DecodeParamValue(line[vs..ve], encoding));
                    }
                }
                else
                {
                    pos = ScanUnquoted(line, pos, isList, out var vs, out var ve);
                    _paramValues.Add(DecodeParamValue(line[vs..ve], encoding));
                }

                if (pos >= len)
                {
                    return -1;
                }

                if (line[pos] == (byte)',')
                {
                    // Only a comma after a quoted value reaches here for a non-list parameter: keep it as data.
                    joinWithComma |= !isList;
                    pos++;
                    continue;
                }

                break;
            }

            if (pname is null)
            {
                if (_paramValues.Count > 0 && _paramValues[0].Length > 0)
                {
                    Diagnose(lineNo, property, "parameter without a name was ignored");
                }
            }
            else if (_paramValues.Count == 1)
            {
                _params.Add(SharedParameter(pname, _paramValues[0]));
            }
            else if (joinWithComma)
            {
                _params.Add(new CalendarParameter(pname, string.Join(',', _paramValues)));
            }
            else
            {
                _params.Add(new CalendarParameter(pname, _paramValues.ToArray()));
            }

            if (line[pos] == (byte)':')
            {
                return pos;
            }

            pos++; // ';'
        }
    }

    /// <summary>
    /// Parameters are immutable, so identical ones (<c>TZID=Europe/Berlin</c>, <c>VALUE=DATE</c>) are shared: a small
    /// direct-mapped cache keyed by the (already shared) name and value instances.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private CalendarParameter SharedParameter(string name, string value)
    {
        // A cheap slot from the text's shape; a collision only costs a miss, since hits compare references.
        var slot = ((name.Length * 31) + name[^1] + (value.Length * 131) + (value.Length > 0 ? value[^1] * 7 + value[0] : 0)) & (_parameterCache.Length - 1);
        var cached = _parameterCache[slot];
        if (cached is not null && ReferenceEquals(cached.Name, name) && ReferenceEquals(cached.Value, value))
        {
            return cached;
        }

        var created = new CalendarParameter(name, value);
        _parameterCache[slot] = created;
        return created;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int ScanUnquoted(ReadOnlySpan<byte> line, int pos, bool isList, out int valueStart, out int valueEnd)
    {
        valueStart = pos;
        var len = line.Length;
        while (pos < len)
        {
            var c = line[pos];
            if (c == (byte)'\\' && pos + 1 < len && line[pos + 1] is (byte)',' or (byte)';' or (byte)':')
            {
                pos += 2;
                continue;
            }

            if (c is (byte)';' or (byte)':' || (isList && c == (byte)','))
            {
                break;
            }

            pos++;
        }

        valueEnd = pos;
        while (valueEnd > valueStart && line[valueEnd - 1] is (byte)' ' or (byte)'\t')
        {
            valueEnd--;
        }

        return pos;
    }

    /// <summary>Decodes a parameter value, undoing RFC 6868 (<c>^n</c>, <c>^^</c>, <c>^'</c>); short values are shared.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private string DecodeParamValue(ReadOnlySpan<byte> bytes, Encoding encoding)
    {
        if (bytes.IsEmpty)
        {
            return string.Empty;
        }

        // Fast path: short printable ASCII without carets is its own text in every ASCII-compatible charset.
        if (bytes.Length <= ValueCacheMaxLength && bytes.IndexOfAnyExceptInRange((byte)0x20, (byte)0x7E) < 0 && bytes.IndexOf((byte)'^') < 0)
        {
            return ShortAscii(bytes);
        }

        if (_strictUtf8 && !Utf8.IsValid(bytes))
        {
            _invalidUtf8 = true;
            return string.Empty;
        }

        var needed = encoding.GetMaxCharCount(bytes.Length);
        if (_chars.Length < needed)
        {
            _chars = new char[Math.Max(needed, _chars.Length * 2)];
        }

        var n = encoding.GetChars(bytes, _chars);
        var chars = _chars.AsSpan(0, n);
        if (chars.IndexOf('^') >= 0)
        {
            var w = 0;
            for (var i = 0; i < chars.Length; i++)
            {
                var c = chars[i];
                if (c == '^' && i + 1 < chars.Length)
                {
                    var e = chars[i + 1];
                    if (e is 'n' or 'N')
                    {
                        chars[w++] = '\n';
                        i++;
                        continue;
                    }

                    if (e == '^')
                    {
                        chars[w++] = '^';
                        i++;
                        continue;
                    }

                    if (e == '\'')
                    {
                        chars[w++] = '"';
                        i++;
                        continue;
                    }
                }

                chars[w++] = c;
            }

            chars = chars[..w];
        }

        return new string(chars);
    }

    /// <summary>
    /// A name with all whitespace removed (<c>REFRESH - INTERVAL</c>), upper-cased and shared. Null when empty or
    /// when it holds characters no iCalendar name has (RFC 5545 §3.1: ALPHA, DIGIT, '-'; '_' and '.' tolerated).
    /// </summary>
    /// <summary>Per byte: the upper-cased name character, 1 for whitespace (dropped), 0 for a byte no name may hold.</summary>
    private static readonly byte[] NameMap = BuildNameMap();

    private static byte[] BuildNameMap()
    {
        var map = new byte[256];
        for (var b = 0; b < 256; b++)
        {
            map[b] = b switch
            {
                >= 'A' and <= 'Z' or >= '0' and <= '9' or '-' or '_' or '.' => (byte)b,
                >= 'a' and <= 'z' => (byte)(b - 32),
                ' ' or '\t' => 1,
                _ => 0,
            };
        }

        return map;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private string? InternName(ReadOnlySpan<byte> bytes)
    {
        var buffer = _nameBytes;
        var map = NameMap;
        var n = 0;
        var hash = ByteInternTable.Start;
        foreach (var b in bytes)
        {
            var u = map[b];
            if (u <= 1)
            {
                if (u == 0)
                {
                    return null;
                }

                continue;
            }

            if (n >= buffer.Length)
            {
                return null;
            }

            buffer[n++] = u;
            hash = ByteInternTable.Step(hash, u);
        }

        if (n == 0)
        {
            return null;
        }

        var key = buffer.AsSpan(0, n);
        var known = _names.Find(key, hash);
        if (known is not null)
        {
            return known;
        }

        var s = Encoding.ASCII.GetString(key);
        _names.Add(key, hash, s);
        return s;
    }

    // ---------------------------------------------------------------- components

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void HandleBeginEnd(string keyword, ReadOnlySpan<byte> value, Encoding encoding, int lineNo, ReadOnlySpan<byte> line,
        int rawStart, int rawStop, bool folded)
    {
        var componentName = InternName(value.Trim((byte)' ').Trim((byte)'\t'));
        if (componentName is null)
        {
            Diagnose(lineNo, keyword, $"{keyword} without a valid component name was ignored");
            return;
        }

        var raw = _options.KeepRawLines ? RawText(line, rawStart, rawStop, folded, encoding) : null;
        if (ReferenceEquals(keyword, IcalNames.Begin))
        {
            if (componentName == IcalNames.VCalendar && _stack.Count > 0)
            {
                Diagnose(lineNo, keyword, "BEGIN:VCALENDAR inside an open component: the open components were closed");
                CloseAll();
            }

            var parent = _stack.Count > 0 ? _stack[^1] : null;
            var component = new CalendarComponent(componentName, componentName == _lastClosedName ? _lastClosedCount : 4)
            {
                Line = lineNo,
                RawBegin = raw,
                PositionInParent = parent?.Properties.Count ?? -1,
            };
            _stack.Add(component);
            return;
        }

        if (_stack.Count == 0)
        {
            Diagnose(lineNo, keyword, $"END:{componentName} without a matching BEGIN was ignored");
            return;
        }

        var match = -1;
        for (var i = _stack.Count - 1; i >= 0; i--)
        {
            if (_stack[i].Name == componentName)
            {
                match = i;
                break;
            }
        }

        if (match < 0)
        {
            // libical pops the innermost component whatever the END says (END:VTOOD closes the VTODO).
            Diagnose(lineNo, keyword, $"END:{componentName} does not match BEGIN:{_stack[^1].Name}; treated as its end");
            Pop(raw, missingEnd: false);
            return;
        }

        while (_stack.Count - 1 > match)
        {
            Diagnose(lineNo, keyword, $"END:{_stack[^1].Name} missing before END:{componentName}");
            Pop(null, missingEnd: true);
        }

        if (componentName == IcalNames.VCalendar && match == 0)
        {
            _sawCalendarEnd = true;
        }

        Pop(raw, missingEnd: false);
    }

    private void CloseAll()
    {
        while (_stack.Count > 0)
        {
            Pop(null, missingEnd: true);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Pop(string? rawEnd, bool missingEnd)
    {
        var component = _stack[^1];
        _stack.RemoveAt(_stack.Count - 1);
        _lastClosedName = component.Name;
        _lastClosedCount = Math.Min(component.Properties.Count, 256);
        component.RawEnd = rawEnd;
        component.EndMissing = missingEnd;
        if (missingEnd)
        {
            _forcedClose = true;
        }

        if (_stack.Count == 0)
        {
            if (_tree)
            {
                _roots.Add(component);
            }
            else if (component.Name != IcalNames.VCalendar)
            {
                _readyComponents.Add(component);
                _readyCalendars.Add(null);
            }

            return;
        }

        var parent = _stack[^1];
        if (!_tree && _stack.Count == 1 && parent.Name == IcalNames.VCalendar)
        {
            _readyComponents.Add(component);
            _readyCalendars.Add(parent);
            return;
        }

        parent.Components.Add(component);
    }

    private void Finish()
    {
        if (_finished)
        {
            return;
        }

        if (_stack.Count > 0)
        {
            Diagnose(_lineNo, null, $"input ended inside {_stack[^1].Name}: missing END lines were assumed");
            CloseAll();
        }

        _finished = true;
    }
}
