using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using MlOps.Pipelines.ML.Data.Tables;

namespace MlOps.Pipelines.ML.Features;

/// <summary>Copies a block of a numeric column into doubles, missing values as NaN.</summary>
internal static class ColumnLoader
{
    public static void Load(Column column, int start, Span<double> destination)
    {
        switch (column)
        {
            case Column<double> c:
                c.Values.Span.Slice(start, destination.Length).CopyTo(destination);
                break;
            case Column<float> c:
                var floats = c.Values.Span.Slice(start, destination.Length);
                for (var i = 0; i < floats.Length; i++) destination[i] = floats[i];
                break;
            case Column<long> c:
                var longs = c.Values.Span.Slice(start, destination.Length);
                for (var i = 0; i < longs.Length; i++) destination[i] = longs[i];
                break;
            case Column<int> c:
                var ints = c.Values.Span.Slice(start, destination.Length);
                for (var i = 0; i < ints.Length; i++) destination[i] = ints[i];
                break;
            case Column<bool> c:
                var bools = c.Values.Span.Slice(start, destination.Length);
                for (var i = 0; i < bools.Length; i++) destination[i] = bools[i] ? 1 : 0;
                break;
            case Column<DateTime> c:
                // Seconds since the Unix epoch, as a timestamp is a number elsewhere (DuckDB's epoch()).
                var times = c.Values.Span.Slice(start, destination.Length);
                for (var i = 0; i < times.Length; i++) destination[i] = (times[i].Ticks - DateTime.UnixEpoch.Ticks) / (double)TimeSpan.TicksPerSecond;
                break;
            default:
                throw new InvalidOperationException($"Column '{column.Name}' ({column.Type}) is not numeric.");
        }
        MarkMissing(column, start, destination);
    }

    /// <summary>Sets NaN where the column's null mask is set.</summary>
    public static void MarkMissing(Column column, int start, Span<double> destination)
    {
        if (column.Nulls.IsEmpty) return;
        MarkMissing(MemoryMarshal.AsBytes(column.Nulls.Span.Slice(start, destination.Length)), destination);
    }

    /// <summary>Sets NaN where <paramref name="nulls"/> is not 0, 32 rows at a time: one compare gives the bits of the rows to set.</summary>
    public static void MarkMissing(ReadOnlySpan<byte> nulls, Span<double> destination)
    {
        ref var first = ref MemoryMarshal.GetReference(nulls);
        var i = 0;
        for (; i <= nulls.Length - 32; i += 32)
        {
            var bits = ~Vector256.Equals(Vector256.LoadUnsafe(ref first, (nuint)i), Vector256<byte>.Zero).ExtractMostSignificantBits();
            for (; bits != 0; bits &= bits - 1) destination[i + BitOperations.TrailingZeroCount(bits)] = double.NaN;
        }
        for (; i < nulls.Length; i++) if (nulls[i] != 0) destination[i] = double.NaN;
    }

    /// <summary>Whether a column can feed a numeric feature.</summary>
    public static bool IsNumeric(ColumnType type) => type is not (ColumnType.String or ColumnType.Categorical);
}
