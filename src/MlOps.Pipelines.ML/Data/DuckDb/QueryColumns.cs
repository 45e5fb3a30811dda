using System.Runtime.InteropServices;
using System.Text;

namespace MlOps.Pipelines.ML.Data.DuckDb;

/// <summary>
/// A query's result read column by column into managed arrays, chunk by chunk (duckdb_fetch_chunk →
/// duckdb_vector_get_data), with a null mask per column. The building block the columnar table reads through.
/// </summary>
sealed class QueryColumns
{
    public required IReadOnlyList<string> Names { get; init; }
    public required IReadOnlyList<DuckDbType> Types { get; init; }

    /// <summary>Per column: bool[], sbyte[], short[], int[], long[], float[], double[], DateTime[] (timestamps, UTC) or <see cref="EncodedText"/>.</summary>
    public required IReadOnlyList<object> Values { get; init; }

    /// <summary>Per column: true where the value is NULL (its slot holds the type's default); null when the column has no NULL.</summary>
    public required IReadOnlyList<bool[]?> Nulls { get; init; }

    public int RowCount { get; init; }

    public T[] Column<T>(string name)
    {
        var index = IndexOf(name);
        return Values[index] as T[] ?? throw new InvalidCastException($"Column '{name}' holds {Types[index]}, not {typeof(T).Name}.");
    }

    public EncodedText Text(string name)
    {
        var index = IndexOf(name);
        return Values[index] as EncodedText ?? throw new InvalidCastException($"Column '{name}' holds {Types[index]}, not text.");
    }

    public int IndexOf(string name)
    {
        for (var i = 0; i < Names.Count; i++)
            if (string.Equals(Names[i], name, StringComparison.Ordinal)) return i;
        throw new KeyNotFoundException($"The result has no column '{name}'; it has {string.Join(", ", Names)}.");
    }

    internal static unsafe QueryColumns Read(ref NativeMethods.Result result)
    {
        var columnCount = (int)NativeMethods.ColumnCount(ref result);
        var rows = (int)NativeMethods.RowCount(ref result);
        var names = new string[columnCount];
        var types = new DuckDbType[columnCount];
        var values = new object[columnCount];
        var nulls = new bool[]?[columnCount];
        for (var c = 0; c < columnCount; c++)
        {
            names[c] = Marshal.PtrToStringUTF8(NativeMethods.ColumnName(ref result, (ulong)c)) ?? $"column{c}";
            types[c] = NativeMethods.ColumnType(ref result, (ulong)c);
            values[c] = types[c] switch
            {
                DuckDbType.Boolean => new bool[rows],
                DuckDbType.TinyInt => new sbyte[rows],
                DuckDbType.SmallInt => new short[rows],
                DuckDbType.Integer => new int[rows],
                DuckDbType.BigInt => new long[rows],
                DuckDbType.Float => new float[rows],
                DuckDbType.Double => new double[rows],
                DuckDbType.Timestamp => new DateTime[rows],
                DuckDbType.Varchar => new EncodedText(rows),
                var other => throw new DuckDbException($"Column '{names[c]}' has DuckDB type {other}, which cannot be read yet; cast it in SQL (for example to DOUBLE or VARCHAR)."),
            };
        }

        var offset = 0;
        while (true)
        {
            var chunk = NativeMethods.FetchChunk(result);
            if (chunk == IntPtr.Zero) break;
            try
            {
                var size = (int)NativeMethods.ChunkSize(chunk);
                if (size == 0) break;
                for (var c = 0; c < columnCount; c++)
                {
                    var vector = NativeMethods.ChunkVector(chunk, (ulong)c);
                    var data = NativeMethods.VectorData(vector);
                    var validity = (ulong*)NativeMethods.VectorValidity(vector);
                    Copy(types[c], data, validity, values[c], offset, size);
                    if (validity is null) continue;
                    for (var r = 0; r < size; r++)
                    {
                        if ((validity[r >> 6] & (1UL << (r & 63))) != 0) continue;
                        (nulls[c] ??= new bool[rows])[offset + r] = true;
                        // DuckDB leaves whatever bytes in a NULL's slot: the default value keeps results deterministic.
                        if (values[c] is Array array) Array.Clear(array, offset + r, 1);
                    }
                }
                offset += size;
            }
            finally
            {
                NativeMethods.DestroyChunk(ref chunk);
            }
        }
        return new QueryColumns { Names = names, Types = types, Values = values, Nulls = nulls, RowCount = offset };
    }

    static unsafe void Copy(DuckDbType type, IntPtr data, ulong* validity, object target, int offset, int size)
    {
        switch (type)
        {
            case DuckDbType.Boolean: new ReadOnlySpan<bool>((void*)data, size).CopyTo(((bool[])target).AsSpan(offset)); break;
            case DuckDbType.TinyInt: new ReadOnlySpan<sbyte>((void*)data, size).CopyTo(((sbyte[])target).AsSpan(offset)); break;
            case DuckDbType.SmallInt: new ReadOnlySpan<short>((void*)data, size).CopyTo(((short[])target).AsSpan(offset)); break;
            case DuckDbType.Integer: new ReadOnlySpan<int>((void*)data, size).CopyTo(((int[])target).AsSpan(offset)); break;
            case DuckDbType.BigInt: new ReadOnlySpan<long>((void*)data, size).CopyTo(((long[])target).AsSpan(offset)); break;
            case DuckDbType.Float: new ReadOnlySpan<float>((void*)data, size).CopyTo(((float[])target).AsSpan(offset)); break;
            case DuckDbType.Double: new ReadOnlySpan<double>((void*)data, size).CopyTo(((double[])target).AsSpan(offset)); break;
            case DuckDbType.Timestamp:
                var micros = new ReadOnlySpan<long>((void*)data, size);
                var times = (DateTime[])target;
                for (var i = 0; i < size; i++)
                    if (validity is null || (validity[i >> 6] & (1UL << (i & 63))) != 0) times[offset + i] = DateTime.UnixEpoch.AddTicks(micros[i] * 10);
                break;
            case DuckDbType.Varchar:
                var text = (EncodedText)target;
                var cells = (byte*)data;
                // A NULL's string cell is uninitialised memory: never read it.
                for (var i = 0; i < size; i++)
                    if (validity is null || (validity[i >> 6] & (1UL << (i & 63))) != 0) text.Add(offset + i, Utf8(cells + 16 * i));
                break;
        }
    }

    /// <summary>
    /// A 16-byte <c>duckdb_string_t</c>: a 4-byte length, then up to 12 bytes inline, or (when longer) a 4-byte
    /// prefix and a pointer to the bytes.
    /// </summary>
    static unsafe ReadOnlySpan<byte> Utf8(byte* cell)
    {
        var length = *(uint*)cell;
        var bytes = length <= 12 ? cell + 4 : *(byte**)(cell + 8);
        return new ReadOnlySpan<byte>(bytes, (int)length);
    }
}

/// <summary>
/// Text read from DuckDB as a dictionary of distinct values (in order of first appearance) and a code per row
/// (-1 for NULL). Repeated values are looked up without allocating a string each time.
/// </summary>
sealed class EncodedText
{
    readonly Dictionary<string, int> _index = new(StringComparer.Ordinal);
    readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _lookup;
    char[] _buffer = new char[64];

    public EncodedText(int rows)
    {
        _lookup = _index.GetAlternateLookup<ReadOnlySpan<char>>();
        Codes = new int[rows];
        Array.Fill(Codes, -1);
    }

    public List<string> Dictionary { get; } = [];
    public int[] Codes { get; }

    public string? this[int row] => Codes[row] >= 0 ? Dictionary[Codes[row]] : null;

    public void Add(int row, ReadOnlySpan<byte> utf8)
    {
        if (_buffer.Length < utf8.Length) _buffer = new char[utf8.Length * 2];
        var chars = _buffer.AsSpan(0, Encoding.UTF8.GetChars(utf8, _buffer));
        if (!_lookup.TryGetValue(chars, out var code))
        {
            code = Dictionary.Count;
            var value = new string(chars);
            Dictionary.Add(value);
            _index[value] = code;
        }
        Codes[row] = code;
    }
}
