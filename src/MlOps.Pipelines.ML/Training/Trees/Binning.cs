using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using MlOps.Pipelines.ML.Features;

namespace MlOps.Pipelines.ML.Training.Trees;

/// <summary>
/// Features quantised to bytes, row after row (row r's bins at [r × Features, (r + 1) × Features)), as histogram
/// building reads them: one row's bins share a cache line. For training rows also column after column (feature f's
/// bins at [f × Rows, (f + 1) × Rows)), as partitioning reads them: one feature of a node's rows is then a dense,
/// ascending walk through 1 byte per row instead of a cache line per row. Bin 0 of every feature holds the missing
/// values (NaN); value bin k ≥ 1 holds the values x with Cuts[k − 2] ≤ x &lt; Cuts[k − 1].
/// </summary>
internal sealed class BinnedMatrix(int rows, int features, byte[] bins, byte[]? columns)
{
    public int Rows { get; } = rows;
    public int Features { get; } = features;
    public byte[] Bins { get; } = bins;
    public byte[]? Columns { get; } = columns;
}

/// <summary>
/// Where each feature's bins lie: the cut values learnt on the training data, and each feature's first entry in a
/// histogram that lays all features' bins end to end.
/// </summary>
internal sealed class BinLayout
{
    public BinLayout(float[][] cuts)
    {
        Cuts = cuts;
        Offsets = new int[cuts.Length];
        var total = 0;
        for (var f = 0; f < cuts.Length; f++)
        {
            Offsets[f] = total;
            total += BinCount(f);
        }
        TotalBins = total;
    }

    /// <summary>Per feature, strictly increasing values: a value x is in value bin 1 + #{cuts ≤ x}.</summary>
    public float[][] Cuts { get; }
    public int[] Offsets { get; }
    public int TotalBins { get; }
    public int Features => Cuts.Length;

    /// <summary>Bins of feature <paramref name="f"/>: the missing bin and one more than its cuts.</summary>
    public int BinCount(int f) => Cuts[f].Length + 2;

    /// <summary>The threshold of "x &lt; threshold goes left" that sends value bins 1 … <paramref name="bin"/> left; −∞ for none.</summary>
    public float Threshold(int f, int bin) => bin == 0 ? float.NegativeInfinity : Cuts[f][bin - 1];
}

/// <summary>
/// Quantile binning. Cuts are exact quantiles of each feature's non-missing training values (a radix sort of the
/// column, no sketch): a feature with at most MaxBins − 1 distinct values gets one bin per value; otherwise the
/// cuts are the values at ranks j·m/(MaxBins − 1), ties merged, so each bin holds about the same number of rows.
/// Deterministic: the cuts depend on the values only.
/// </summary>
internal static class Binning
{
    const int BlockRows = 4096;

    public static BinLayout FindCuts(FeatureMatrix features, int maxBins, int threads)
    {
        var cuts = new float[features.Columns][];
        var scratch = new float[threads][][];
        Workers.For(threads, features.Columns, (worker, f) =>
        {
            var buffers = scratch[worker] ??= [new float[features.Rows], new float[features.Rows]];
            cuts[f] = Cuts(features.Column(f), maxBins - 1, buffers[0], buffers[1]);
        });
        return new BinLayout(cuts);
    }

    /// <summary>The cuts of one column for at most <paramref name="valueBins"/> value bins.</summary>
    internal static float[] Cuts(ReadOnlySpan<float> column, int valueBins, float[] buffer, float[] scratch)
    {
        var m = 0;
        foreach (var x in column)
            if (!float.IsNaN(x)) buffer[m++] = x;
        if (m == 0) return [];
        var sorted = RadixSort(buffer.AsSpan(0, m), scratch.AsSpan(0, m));

        var distinct = 1;
        for (var i = 1; i < m; i++)
            if (sorted[i] != sorted[i - 1]) distinct++;
        var cuts = new List<float>(Math.Min(distinct, valueBins));
        if (distinct <= valueBins)
        {
            // One bin per distinct value: each value after the first starts a bin.
            for (var i = 1; i < m; i++)
                if (sorted[i] != sorted[i - 1]) cuts.Add(sorted[i]);
        }
        else
        {
            var last = sorted[0];
            for (var j = 1; j < valueBins; j++)
            {
                var candidate = sorted[(int)((long)j * m / valueBins)];
                if (candidate > last) cuts.Add(last = candidate);
            }
        }
        // −0 and +0 compare equal; a cut of −0 would bin like +0 anyway, normalise it for a stable threshold.
        var result = cuts.ToArray();
        for (var i = 0; i < result.Length; i++)
            if (result[i] == 0) result[i] = 0;
        return result;
    }

    /// <summary>
    /// Bins every row of <paramref name="features"/> with <paramref name="layout"/>'s cuts (training or new rows
    /// alike), row-major, and also column-major when <paramref name="columnMajor"/>.
    /// </summary>
    public static BinnedMatrix Apply(FeatureMatrix features, BinLayout layout, int threads, bool columnMajor)
    {
        if (features.Columns != layout.Features) throw new ArgumentException($"{features.Columns} columns, the bins have {layout.Features}.");
        var rows = features.Rows;
        var width = features.Columns;
        // Pinned: the histogram loop reads it through a pointer, with prefetches.
        var bins = GC.AllocateUninitializedArray<byte>(checked(rows * width), pinned: true);
        var columns = columnMajor ? GC.AllocateUninitializedArray<byte>(rows * width) : null;
        var tables = new float[width][];
        for (var f = 0; f < width; f++) tables[f] = SearchTable(layout.Cuts[f]);
        // Blocks of rows: a block's bytes stay in cache while every column of it is written.
        Workers.For(threads, Workers.Chunks(rows, BlockRows), (_, block) =>
        {
            var start = block * BlockRows;
            var count = Math.Min(BlockRows, rows - start);
            Span<byte> column = stackalloc byte[BlockRows];
            for (var f = 0; f < width; f++)
            {
                BinColumn(features.Column(f).Slice(start, count), tables[f], column);
                ref var target = ref bins[start * width + f];
                for (var i = 0; i < count; i++) Unsafe.Add(ref target, i * width) = column[i];
                if (columns is not null) column[..count].CopyTo(columns.AsSpan(f * rows + start, count));
            }
        });
        return new BinnedMatrix(rows, width, bins, columns);
    }

    /// <summary>
    /// The cuts padded with NaN to 256 entries (NaN ≤ x is false, so padding never counts), followed by 16
    /// "splitters", the last cut of each group of 16: counting the splitters ≤ x finds x's group, counting that
    /// group's cuts ≤ x then gives the bin, two vector comparisons in all.
    /// </summary>
    static float[] SearchTable(float[] cuts)
    {
        var table = new float[256 + 16];
        Array.Fill(table, float.NaN);
        cuts.CopyTo(table, 0);
        for (var g = 0; g < 15; g++) table[256 + g] = table[16 * g + 15];
        return table;
    }

    static void BinColumn(ReadOnlySpan<float> values, float[] table, Span<byte> output)
    {
        ref var cuts = ref MemoryMarshal.GetArrayDataReference(table);
        var splitters = Vector512.LoadUnsafe(ref cuts, 256);
        for (var i = 0; i < values.Length; i++)
        {
            var x = values[i];
            var broadcast = Vector512.Create(x);
            var group = BitOperations.PopCount(Vector512.LessThanOrEqual(splitters, broadcast).ExtractMostSignificantBits());
            var within = BitOperations.PopCount(Vector512.LessThanOrEqual(Vector512.LoadUnsafe(ref cuts, (nuint)(16 * group)), broadcast).ExtractMostSignificantBits());
            // NaN compares false everywhere: group 0, no cut below, yet it belongs in bin 0, not value bin 1.
            output[i] = float.IsNaN(x) ? (byte)0 : (byte)(16 * group + within + 1);
        }
    }

    /// <summary>Sorts the floats ascending (by their order-preserving unsigned keys, three passes of 11 bits); returns the span holding the result.</summary>
    static Span<float> RadixSort(Span<float> values, Span<float> scratch)
    {
        var keys = MemoryMarshal.Cast<float, uint>(values);
        var other = MemoryMarshal.Cast<float, uint>(scratch);
        for (var i = 0; i < keys.Length; i++) keys[i] = Key(keys[i]);
        Span<int> counts = stackalloc int[2048];
        for (var shift = 0; shift < 32; shift += 11)
        {
            counts.Clear();
            foreach (var k in keys) counts[(int)((k >> shift) & 2047)]++;
            var sum = 0;
            for (var d = 0; d < 2048; d++)
            {
                var c = counts[d];
                counts[d] = sum;
                sum += c;
            }
            foreach (var k in keys) other[counts[(int)((k >> shift) & 2047)]++] = k;
            var swap = keys;
            keys = other;
            other = swap;
        }
        for (var i = 0; i < keys.Length; i++) keys[i] = Unkey(keys[i]);
        return MemoryMarshal.Cast<uint, float>(keys);
    }

    static uint Key(uint bits) => (bits & 0x80000000) != 0 ? ~bits : bits | 0x80000000;
    static uint Unkey(uint key) => (key & 0x80000000) != 0 ? key & 0x7FFFFFFF : ~key;
}
