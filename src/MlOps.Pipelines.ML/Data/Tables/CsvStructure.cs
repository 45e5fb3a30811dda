using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Text;
using System.Text.Unicode;

namespace MlOps.Pipelines.ML.Data.Tables;

/// <summary>
/// The structure of a CSV file, checked before DuckDB reads it: UTF-8 text without NUL bytes, a header of distinct,
/// non-empty names, every row with the header's number of fields, every quote closed and followed by a comma or
/// the end of its line (RFC 4180, as DuckDB reads with strict_mode). DuckDB's own errors cannot be relied on for
/// this: on a small file its dialect sniffer fails before it reads a row ("could not detect the CSV dialect") or
/// takes a long row for the header and returns no rows, and it renames a repeated header name silently.
/// </summary>
/// <remarks>
/// One sequential pass over blocks that end at a line break. A block without quotes or NUL bytes (the common
/// case) is checked a line at a time with vectorised searches and counts; only blocks with quotes go byte by byte.
/// A failure is one <see cref="InvalidDataException"/> naming the file, line, column and offending value.
/// </remarks>
sealed class CsvStructure
{
    const int BlockSize = 1 << 20, MaxLineBytes = 64 << 20;
    const byte Comma = (byte)',', Quote = (byte)'"', LineFeed = (byte)'\n', CarriageReturn = (byte)'\r';
    static readonly SearchValues<byte> QuoteOrNul = SearchValues.Create("\"\0"u8);

    enum State { FieldStart, Unquoted, Quoted, QuoteInQuoted }

    readonly string _path;
    State _state;
    int _fields;                 // commas seen so far in the current record: the 0-based index of its current field
    bool _recordHasContent;      // a line holding only "\r" (or nothing) is blank and skipped, as DuckDB skips it
    bool? _crlf;                 // the header's line break: \r\n or \n
    long _line = 1, _recordLine = 1, _recordStart, _quoteLine, _quoteStart;
    int _headerFields = -1;
    long _headerLine;
    long _rows;
    List<string>? _headerNames;

    CsvStructure(string path) => _path = path;

    /// <summary>Checks the file at <paramref name="path"/>; returns its header's names.</summary>
    public static IReadOnlyList<string> Check(string path)
    {
        var check = new CsvStructure(path);
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        var buffer = new byte[BlockSize];
        var (filled, blockStart) = (0, 0L);
        while (true)
        {
            var read = file.Read(buffer, filled, buffer.Length - filled);
            var end = filled + read;
            if (read == 0)
            {
                check.Scan(buffer.AsSpan(0, end), blockStart, final: true);
                return check.Finish();
            }
            var lastLineFeed = buffer.AsSpan(0, end).LastIndexOf(LineFeed);
            if (lastLineFeed < 0)
            {
                // A line longer than the buffer: read on until it ends, within reason (a file without line breaks is no CSV).
                if (end == buffer.Length && buffer.Length >= MaxLineBytes)
                    throw new InvalidDataException($"{path}, line {check._line}: more than {MaxLineBytes:N0} bytes without a line break; expected a CSV file of lines.");
                if (end == buffer.Length) Array.Resize(ref buffer, buffer.Length * 2);
                filled = end;
                continue;
            }
            check.Scan(buffer.AsSpan(0, lastLineFeed + 1), blockStart, final: false);
            filled = end - lastLineFeed - 1;
            buffer.AsSpan(lastLineFeed + 1, filled).CopyTo(buffer);
            blockStart += lastLineFeed + 1;
        }
    }

    /// <summary>A block of whole lines (all the rest of the file when <paramref name="final"/>).</summary>
    void Scan(ReadOnlySpan<byte> block, long blockStart, bool final)
    {
        if (!Ascii.IsValid(block) && !Utf8.IsValid(block))
        {
            var invalid = FirstInvalidUtf8(block);
            ScanBytes(block[..invalid], blockStart, final: false);
            throw NotUtf8(block[invalid..]);
        }
        if (_state == State.FieldStart && _fields == 0 && !_recordHasContent && block.IndexOfAny(QuoteOrNul) < 0)
            ScanPlainLines(block, blockStart);
        else
            ScanBytes(block, blockStart, final);
    }

    /// <summary>
    /// Lines without quotes: a record per line, its fields one more than its commas. The hot loop of the check:
    /// 32 bytes at a time (AVX2 on x64, NEON pairs on Arm), line feeds and commas as bit masks, the commas of each
    /// line counted with a population count; the scalar loop after it finishes the block and is the reference.
    /// </summary>
    // Optimised at first call: the check runs once per file, too few calls for tiered compilation to reach it.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    void ScanPlainLines(ReadOnlySpan<byte> block, long blockStart)
    {
        var (lineStart, commas, i) = (0, 0, 0);
        if (Vector256.IsHardwareAccelerated)
        {
            var (lineFeeds, commaBytes) = (Vector256.Create(LineFeed), Vector256.Create(Comma));
            for (; i + Vector256<byte>.Count <= block.Length; i += Vector256<byte>.Count)
            {
                var bytes = Vector256.Create(block.Slice(i, Vector256<byte>.Count));
                var ends = Vector256.Equals(bytes, lineFeeds).ExtractMostSignificantBits();
                var commaBits = Vector256.Equals(bytes, commaBytes).ExtractMostSignificantBits();
                while (ends != 0)
                {
                    var end = BitOperations.TrailingZeroCount(ends);
                    var before = (1u << end) - 1;
                    commas += BitOperations.PopCount(commaBits & before);
                    commaBits &= ~before;
                    PlainLine(block, blockStart, lineStart, i + end, commas);
                    (lineStart, commas) = (i + end + 1, 0);
                    ends &= ends - 1;
                }
                commas += BitOperations.PopCount(commaBits);
            }
        }
        for (; i < block.Length; i++)
        {
            if (block[i] == Comma) commas++;
            else if (block[i] == LineFeed)
            {
                PlainLine(block, blockStart, lineStart, i, commas);
                (lineStart, commas) = (i + 1, 0);
            }
        }
        if (lineStart < block.Length) PlainLine(block, blockStart, lineStart, block.Length, commas); // the file's last line, without a line feed
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    void PlainLine(ReadOnlySpan<byte> block, long blockStart, int start, int end, int commas)
    {
        var line = block[start..end];
        if (line.Length > 1 || (line.Length == 1 && line[0] != CarriageReturn)) (_fields, _recordHasContent) = (commas, true);
        EndRecord(blockStart + end, end < block.Length ? line.Length > 0 && line[^1] == CarriageReturn : null);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    void ScanBytes(ReadOnlySpan<byte> block, long blockStart, bool final)
    {
        for (var i = 0; i < block.Length; i++)
        {
            var b = block[i];
            if (b == 0) throw Nul(blockStart + i);
            switch (_state)
            {
                case State.Quoted:
                    if (b == Quote) _state = State.QuoteInQuoted;
                    else if (b == LineFeed) _line++;
                    continue;
                case State.QuoteInQuoted:
                    if (b == Quote) _state = State.Quoted; // a doubled quote stands for one
                    else if (b == Comma) (_fields, _state) = (_fields + 1, State.FieldStart);
                    else if (b == LineFeed) EndRecord(blockStart + i, i > 0 && block[i - 1] == CarriageReturn);
                    else if (b != CarriageReturn || (i + 1 < block.Length ? block[i + 1] != LineFeed : !final)) throw TextAfterQuote();
                    continue;
                default:
                    if (b == Comma) (_fields, _state) = (_fields + 1, State.FieldStart);
                    else if (b == LineFeed) EndRecord(blockStart + i, i > 0 && block[i - 1] == CarriageReturn);
                    else if (b == Quote && _state == State.FieldStart) (_state, _quoteLine, _quoteStart) = (State.Quoted, _line, blockStart + i);
                    else if (b != CarriageReturn) _state = State.Unquoted; // a quote inside an unquoted field is an ordinary character
                    if (b != CarriageReturn && b != LineFeed) _recordHasContent = true;
                    continue;
            }
        }
    }

    /// <summary>
    /// The record that started at <see cref="_recordStart"/> ends at <paramref name="end"/>: its line feed, after a
    /// carriage return when <paramref name="crlf"/>, or the end of the file (null).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    void EndRecord(long end, bool? crlf)
    {
        if (_recordHasContent || _fields > 0 || _state != State.FieldStart)
        {
            var fields = _fields + 1;
            if (_headerFields < 0) (_crlf, _headerLine) = (crlf, ReadHeader(fields, end));
            else if (fields != _headerFields) throw Ragged(fields, end);
            else _rows++;
            // DuckDB takes one kind of line break from the first lines and then refuses the other.
            if (crlf is { } ending && _crlf is { } headerEnding && ending != headerEnding)
                throw new InvalidDataException($"{_path}, line {_recordLine}: ends with {Ending(ending)} while the header (line {_headerLine}) ends with {Ending(headerEnding)}; expected one kind of line break throughout the file.");
        }
        _line++;
        (_recordLine, _recordStart, _fields, _state, _recordHasContent) = (_line, end + 1, 0, State.FieldStart, false);
    }

    static string Ending(bool crlf) => crlf ? "\\r\\n (Windows)" : "\\n";

    /// <summary>Reads and checks the header's names; returns its line.</summary>
    long ReadHeader(int fields, long end)
    {
        _headerFields = fields;
        var names = _headerNames = Fields(ReadText(_recordStart, end - _recordStart).TrimStart('\uFEFF').TrimEnd('\r'));
        for (var i = 0; i < names.Count; i++)
        {
            var where = $"{_path}, line {_recordLine}, column {i + 1}";
            if (names[i].Trim().Length == 0)
                throw new InvalidDataException($"{where}: the header name is empty; expected a name for every column.");
            // DuckDB's column names ignore case: "Delay" and "delay" are one name to it.
            var first = names.Take(i).ToList().FindIndex(n => string.Equals(n, names[i], StringComparison.OrdinalIgnoreCase));
            if (first >= 0)
                throw new InvalidDataException($"{where}: the header name {OffendingValue.Quote(names[i])} repeats column {first + 1}'s {OffendingValue.Quote(names[first])}; expected each column name once.");
        }
        return _recordLine;
    }

    List<string> Finish()
    {
        if (_state is State.Quoted) throw Unterminated();
        if (_recordHasContent || _fields > 0 || _state != State.FieldStart) EndRecord(new FileInfo(_path).Length, null);
        if (_headerNames is null) throw new InvalidDataException($"{_path}: the file holds only blank lines; expected a header line naming the columns.");
        if (_rows == 0) throw new InvalidDataException($"{_path}: the header has no rows after it; expected at least one row of data.");
        return _headerNames;
    }

    Exception Ragged(int fields, long end)
    {
        var record = OffendingValue.Quote(ReadText(_recordStart, end - _recordStart).TrimEnd('\r'));
        var where = $"{_path}, line {_recordLine}";
        return fields < _headerFields
            ? new InvalidDataException($"{where}, column {fields + 1}{NameOf(fields)}: missing, the row has {fields} field(s): {record}; expected {_headerFields} fields as in the header.")
            : new InvalidDataException($"{where}, column {_headerFields + 1}: a field beyond the header's last column{NameOf(_headerFields - 1)}, the row has {fields} fields: {record}; expected {_headerFields} fields as in the header.");
    }

    Exception Unterminated()
    {
        var start = ReadText(_quoteStart + 1, 4 * OffendingValue.MaxLength);
        var shown = start.Length > OffendingValue.MaxLength ? OffendingValue.Show(start[..OffendingValue.MaxLength]) + "…" : OffendingValue.Show(start);
        return new InvalidDataException($"{_path}, line {_quoteLine}, column {_fields + 1}{NameOf(_fields)}: the quote before \"{shown}\" is never closed; expected a closing quote before the end of the file.");
    }

    Exception TextAfterQuote() => new InvalidDataException(
        $"{_path}, line {_line}, column {_fields + 1}{NameOf(_fields)}: text after a closing quote in {OffendingValue.Quote(ReadText(_recordStart, 1 << 20, stopAtRecordEnd: true))}; expected a comma or the end of the line after a quoted field (a quote inside one is written twice: \"\").");

    Exception Nul(long offset) => new InvalidDataException(
        $"{_path}, line {_line}, column {_fields + 1}{NameOf(_fields)}: a NUL byte at byte offset {offset:N0} in {OffendingValue.Quote(FieldAt(_fields))}; expected text (a NUL byte means a binary or UTF-16 file).");

    Exception NotUtf8(ReadOnlySpan<byte> from)
    {
        var bytes = string.Concat(from[..Math.Min(from.Length, 4)].ToArray().TakeWhile(b => b >= 0x80).Select(b => $"\\x{b:X2}"));
        return new InvalidDataException($"{_path}, line {_line}, column {_fields + 1}{NameOf(_fields)}: bytes that are not UTF-8 ({bytes}); expected a UTF-8 text file (save it as UTF-8).");
    }

    /// <summary>" (name)" for a 0-based column index the header names; nothing while the header itself is read.</summary>
    string NameOf(int column) => _headerNames is { } names && column < names.Count ? $" ({OffendingValue.Show(names[column])})" : "";

    /// <summary>The <paramref name="index"/>th field of the current record, as far as it reaches.</summary>
    string FieldAt(int index)
    {
        var fields = Fields(ReadText(_recordStart, 1 << 20, stopAtRecordEnd: true));
        return index < fields.Count ? fields[index] : "";
    }

    /// <summary>Up to <paramref name="length"/> bytes of the file from <paramref name="start"/>, as text (for messages only).</summary>
    string ReadText(long start, long length, bool stopAtRecordEnd = false)
    {
        using var file = new FileStream(_path, FileMode.Open, FileAccess.Read, FileShare.Read);
        file.Position = start;
        var bytes = new byte[(int)Math.Min(Math.Min(length, 1 << 20), Math.Max(0, file.Length - start))];
        file.ReadExactly(bytes);
        var text = Encoding.UTF8.GetString(bytes);
        return stopAtRecordEnd ? text[..RecordLength(text)] : text;
    }

    /// <summary>Where the first record of <paramref name="text"/> ends: at its first line feed outside quotes.</summary>
    static int RecordLength(string text)
    {
        var quoted = false;
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '"') quoted = !quoted;
            else if (text[i] == '\n' && !quoted) return i > 0 && text[i - 1] == '\r' ? i - 1 : i;
        }
        return text.Length;
    }

    /// <summary>The fields of one record, unquoted; lenient, for naming things in messages.</summary>
    static List<string> Fields(string record)
    {
        var fields = new List<string>();
        var field = new StringBuilder();
        var (quoted, wasQuoted) = (false, false);
        for (var i = 0; i < record.Length; i++)
        {
            var c = record[i];
            if (quoted)
            {
                if (c != '"') field.Append(c);
                else if (i + 1 < record.Length && record[i + 1] == '"') field.Append(record[++i]);
                else quoted = false;
            }
            else if (c == '"' && field.Length == 0 && !wasQuoted) (quoted, wasQuoted) = (true, true);
            else if (c == ',')
            {
                fields.Add(field.ToString());
                (field, wasQuoted) = (new StringBuilder(), false);
            }
            else field.Append(c);
        }
        fields.Add(field.ToString());
        return fields;
    }

    static int FirstInvalidUtf8(ReadOnlySpan<byte> block)
    {
        var offset = 0;
        while (offset < block.Length)
        {
            if (System.Text.Rune.DecodeFromUtf8(block[offset..], out _, out var consumed) != OperationStatus.Done) return offset;
            offset += consumed;
        }
        return block.Length;
    }

}
