using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace MlOps.Pipelines.ML.Features;

/// <summary>
/// Count, mean, population variance, minimum and maximum of the non-missing (non-NaN) values. Built per block and
/// merged in block order (Chan et al.'s pairwise update), so the result is the same bits whatever the number of
/// threads that computed the blocks.
/// </summary>
internal readonly record struct Moments(long Count, double Mean, double SumOfSquares, double Min, double Max)
{
    public static Moments Empty { get; } = new(0, 0, 0, double.PositiveInfinity, double.NegativeInfinity);

    public double Variance => Count > 0 ? SumOfSquares / Count : double.NaN;

    public double StandardDeviation => Math.Sqrt(Variance);

    /// <summary>The moments of one block: its mean first, then the squared deviations from it (two passes in cache).</summary>
    public static Moments Of(ReadOnlySpan<double> values)
    {
        var count = 0L;
        var sum = 0.0;
        var min = double.PositiveInfinity;
        var max = double.NegativeInfinity;
        ref var start = ref MemoryMarshal.GetReference(values);
        var i = 0;
        if (values.Length >= 4)
        {
            var sums = Vector256<double>.Zero;
            var counts = Vector256<double>.Zero;
            var mins = Vector256.Create(double.PositiveInfinity);
            var maxs = Vector256.Create(double.NegativeInfinity);
            var one = Vector256.Create(1.0);
            for (; i <= values.Length - 4; i += 4)
            {
                var x = Vector256.LoadUnsafe(ref start, (nuint)i);
                var present = Vector256.Equals(x, x);
                var kept = x & present;
                sums += kept;
                counts += one & present;
                mins = Vector256.ConditionalSelect(present & Vector256.LessThan(x, mins), x, mins);
                maxs = Vector256.ConditionalSelect(present & Vector256.GreaterThan(x, maxs), x, maxs);
            }
            for (var lane = 0; lane < 4; lane++)
            {
                sum += sums[lane];
                count += (long)counts[lane];
                if (mins[lane] < min) min = mins[lane];
                if (maxs[lane] > max) max = maxs[lane];
            }
        }
        for (; i < values.Length; i++)
        {
            var x = values[i];
            if (double.IsNaN(x)) continue;
            sum += x;
            count++;
            if (x < min) min = x;
            if (x > max) max = x;
        }
        if (count == 0) return Empty;
        var mean = sum / count;
        var squares = 0.0;
        foreach (var x in values)
        {
            if (double.IsNaN(x)) continue;
            var d = x - mean;
            squares += d * d;
        }
        return new Moments(count, mean, squares, min, max);
    }

    /// <summary>The moments of both parts together.</summary>
    public Moments Merge(Moments other)
    {
        if (other.Count == 0) return this;
        if (Count == 0) return other;
        var count = Count + other.Count;
        var delta = other.Mean - Mean;
        var mean = Mean + delta * other.Count / count;
        var squares = SumOfSquares + other.SumOfSquares + delta * delta * ((double)Count * other.Count / count);
        return new Moments(count, mean, squares, Math.Min(Min, other.Min), Math.Max(Max, other.Max));
    }
}
