using System.Runtime.InteropServices;
using System.Text;

namespace MlOps.Pipelines.ML.Data.DuckDb;

/// <summary>
/// Loads managed columns into a new DuckDB table through the data-chunk appender: each chunk's vectors are
/// filled with a block copy (strings one by one), NULLs through the validity mask. The write path of tables.
/// </summary>
static class ColumnAppender
{
    public static unsafe void Append(IntPtr connection, string table, IReadOnlyList<string> names, IReadOnlyList<Array> values, IReadOnlyList<bool[]?> nulls,
        Action<string> execute)
    {
        if (names.Count == 0 || names.Count != values.Count || names.Count != nulls.Count)
            throw new ArgumentException("Every column needs a name, values and a (possibly null) null mask.");
        var rows = values[0].Length;
        if (values.Any(v => v.Length != rows) || nulls.Any(n => n is not null && n.Length != rows))
            throw new ArgumentException("All columns must have the same number of rows.");

        var types = values.Select(TypeOf).ToArray();
        execute($"CREATE TABLE {Quote(table)} ({string.Join(", ", names.Select((n, i) => $"{Quote(n)} {SqlName(types[i])}"))})");

        if (NativeMethods.CreateAppender(connection, null, table, out var appender) != NativeMethods.Success)
        {
            var message = Marshal.PtrToStringUTF8(NativeMethods.AppenderError(appender));
            NativeMethods.DestroyAppender(ref appender);
            throw new DuckDbException(message ?? $"DuckDB could not create an appender for {table}.");
        }
        var logical = types.Select(NativeMethods.CreateLogicalType).ToArray();
        try
        {
            var capacity = (int)NativeMethods.VectorCapacity();
            for (var start = 0; start < rows; start += capacity)
            {
                var size = Math.Min(capacity, rows - start);
                var chunk = NativeMethods.CreateChunk(logical, (ulong)logical.Length);
                try
                {
                    NativeMethods.SetChunkSize(chunk, (ulong)size);
                    for (var c = 0; c < values.Count; c++)
                        Fill(NativeMethods.ChunkVector(chunk, (ulong)c), types[c], values[c], nulls[c], start, size);
                    if (NativeMethods.AppendChunk(appender, chunk) != NativeMethods.Success)
                        throw new DuckDbException(Marshal.PtrToStringUTF8(NativeMethods.AppenderError(appender)) ?? "DuckDB refused a chunk.");
                }
                finally
                {
                    NativeMethods.DestroyChunk(ref chunk);
                }
            }
        }
        finally
        {
            for (var i = 0; i < logical.Length; i++) NativeMethods.DestroyLogicalType(ref logical[i]);
            // Destroying flushes what was appended; a failure here is the table's constraint or memory.
            if (NativeMethods.DestroyAppender(ref appender) != NativeMethods.Success)
                throw new DuckDbException($"DuckDB could not finish appending to {table}.");
        }
    }

    static unsafe void Fill(IntPtr vector, DuckDbType type, Array source, bool[]? nulls, int start, int size)
    {
        var data = NativeMethods.VectorData(vector);
        switch (source)
        {
            case bool[] v: v.AsSpan(start, size).CopyTo(new Span<bool>((void*)data, size)); break;
            case sbyte[] v: v.AsSpan(start, size).CopyTo(new Span<sbyte>((void*)data, size)); break;
            case short[] v: v.AsSpan(start, size).CopyTo(new Span<short>((void*)data, size)); break;
            case int[] v: v.AsSpan(start, size).CopyTo(new Span<int>((void*)data, size)); break;
            case long[] v: v.AsSpan(start, size).CopyTo(new Span<long>((void*)data, size)); break;
            case float[] v: v.AsSpan(start, size).CopyTo(new Span<float>((void*)data, size)); break;
            case double[] v: v.AsSpan(start, size).CopyTo(new Span<double>((void*)data, size)); break;
            case DateTime[] v:
                var micros = new Span<long>((void*)data, size);
                for (var i = 0; i < size; i++) micros[i] = (v[start + i].ToUniversalTime() - DateTime.UnixEpoch).Ticks / 10;
                break;
            case string?[] v:
                var buffer = new byte[256];
                for (var i = 0; i < size; i++)
                {
                    var text = v[start + i];
                    if (text is null) continue;
                    var length = Encoding.UTF8.GetByteCount(text);
                    if (length > buffer.Length) buffer = new byte[length * 2];
                    Encoding.UTF8.GetBytes(text, buffer);
                    fixed (byte* bytes = buffer) NativeMethods.AssignString(vector, (ulong)i, bytes, (ulong)length);
                }
                break;
        }

        var hasNull = false;
        for (var i = 0; i < size && !hasNull; i++) hasNull = nulls?[start + i] == true || source is string?[] s && s[start + i] is null;
        if (!hasNull) return;
        NativeMethods.EnsureValidityWritable(vector);
        var validity = (ulong*)NativeMethods.VectorValidity(vector);
        for (var i = 0; i < size; i++)
            if (nulls?[start + i] == true || source is string?[] s && s[start + i] is null)
                validity[i >> 6] &= ~(1UL << (i & 63));
    }

    static DuckDbType TypeOf(Array column) => column switch
    {
        bool[] => DuckDbType.Boolean,
        sbyte[] => DuckDbType.TinyInt,
        short[] => DuckDbType.SmallInt,
        int[] => DuckDbType.Integer,
        long[] => DuckDbType.BigInt,
        float[] => DuckDbType.Float,
        double[] => DuckDbType.Double,
        DateTime[] => DuckDbType.Timestamp,
        string?[] => DuckDbType.Varchar,
        _ => throw new ArgumentException($"A column of {column.GetType().Name} cannot be appended; use bool, sbyte, short, int, long, float, double, DateTime or string."),
    };

    static string SqlName(DuckDbType type) => type switch
    {
        DuckDbType.Boolean => "BOOLEAN",
        DuckDbType.TinyInt => "TINYINT",
        DuckDbType.SmallInt => "SMALLINT",
        DuckDbType.Integer => "INTEGER",
        DuckDbType.BigInt => "BIGINT",
        DuckDbType.Float => "FLOAT",
        DuckDbType.Double => "DOUBLE",
        DuckDbType.Timestamp => "TIMESTAMP",
        _ => "VARCHAR",
    };

    static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}
