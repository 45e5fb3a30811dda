using System.Runtime.CompilerServices;
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
    /// <summary>Values summed per lane: the value at index i goes to lane i mod 16, whatever the vector width of the machine.</summary>
    const int Lanes = 16;

    public static Moments Empty { get; } = new(0, 0, 0, double.PositiveInfinity, double.NegativeInfinity);

    public double Variance => Count > 0 ? SumOfSquares / Count : double.NaN;

    public double StandardDeviation => Math.Sqrt(Variance);

    /// <summary>Whether every statistic is a finite number: no infinite value was seen and nothing overflowed.</summary>
    public bool IsFinite => Count > 0 && double.IsFinite(Mean) && double.IsFinite(SumOfSquares) && double.IsFinite(Min) && double.IsFinite(Max);

    /// <summary><paramref name="count"/> copies of <paramref name="value"/> (what imputation adds to a column).</summary>
    public static Moments Repeated(double value, long count) => count == 0 ? Empty : new(count, value, 0, value, value);

    /// <summary>
    /// The moments of one block: its mean first, then the squared deviations from it (two passes in cache). Both
    /// passes sum in 16 lanes (four independent 256-bit accumulators, so the adds overlap instead of waiting on each
    /// other) which are then added in lane order: a fixed order, the same bits on every machine.
    /// </summary>
    public static Moments Of(ReadOnlySpan<double> values)
    {
        ref var start = ref MemoryMarshal.GetReference(values);
        var one = Vector256.Create(1.0);
        Span<double> sums = stackalloc double[Lanes];
        Span<double> counts = stackalloc double[Lanes];
        var min = double.PositiveInfinity;
        var max = double.NegativeInfinity;
        var i = 0;
        if (values.Length >= Lanes)
        {
            Vector256<double> s0 = default, s1 = default, s2 = default, s3 = default;
            Vector256<double> c0 = default, c1 = default, c2 = default, c3 = default;
            var low0 = Vector256.Create(double.PositiveInfinity);
            var (low1, low2, low3) = (low0, low0, low0);
            var high0 = Vector256.Create(double.NegativeInfinity);
            var (high1, high2, high3) = (high0, high0, high0);
            for (; i <= values.Length - Lanes; i += Lanes)
            {
                Accumulate(Vector256.LoadUnsafe(ref start, (nuint)i), one, ref s0, ref c0, ref low0, ref high0);
                Accumulate(Vector256.LoadUnsafe(ref start, (nuint)i + 4), one, ref s1, ref c1, ref low1, ref high1);
                Accumulate(Vector256.LoadUnsafe(ref start, (nuint)i + 8), one, ref s2, ref c2, ref low2, ref high2);
                Accumulate(Vector256.LoadUnsafe(ref start, (nuint)i + 12), one, ref s3, ref c3, ref low3, ref high3);
            }
            s0.CopyTo(sums); s1.CopyTo(sums[4..]); s2.CopyTo(sums[8..]); s3.CopyTo(sums[12..]);
            c0.CopyTo(counts); c1.CopyTo(counts[4..]); c2.CopyTo(counts[8..]); c3.CopyTo(counts[12..]);
            foreach (var low in (ReadOnlySpan<Vector256<double>>)[low0, low1, low2, low3])
                for (var lane = 0; lane < 4; lane++) if (low[lane] < min) min = low[lane];
            foreach (var high in (ReadOnlySpan<Vector256<double>>)[high0, high1, high2, high3])
                for (var lane = 0; lane < 4; lane++) if (high[lane] > max) max = high[lane];
        }
        else
        {
            sums.Clear();
            counts.Clear();
        }
        for (var lane = 0; i < values.Length; i++, lane++)
        {
            var x = values[i];
            if (double.IsNaN(x)) continue;
            sums[lane] += x;
            counts[lane]++;
            if (x < min) min = x;
            if (x > max) max = x;
        }
        var sum = 0.0;
        var count = 0.0;
        for (var lane = 0; lane < Lanes; lane++)
        {
            sum += sums[lane];
            count += counts[lane];
        }
        if (count == 0) return Empty;
        var mean = sum / count;
        return new Moments((long)count, mean, SquaredDeviations(values, mean), min, max);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Accumulate(Vector256<double> x, Vector256<double> one, ref Vector256<double> sum, ref Vector256<double> count, ref Vector256<double> min, ref Vector256<double> max)
    {
        var present = Vector256.Equals(x, x);
        sum += x & present;
        count += one & present;
        min = Vector256.ConditionalSelect(present & Vector256.LessThan(x, min), x, min);
        max = Vector256.ConditionalSelect(present & Vector256.GreaterThan(x, max), x, max);
    }

    /// <summary>Σ (x − mean)² over the non-NaN values, in the same 16 lanes as the sums.</summary>
    static double SquaredDeviations(ReadOnlySpan<double> values, double mean)
    {
        ref var start = ref MemoryMarshal.GetReference(values);
        Span<double> squares = stackalloc double[Lanes];
        var m = Vector256.Create(mean);
        var i = 0;
        if (values.Length >= Lanes)
        {
            Vector256<double> q0 = default, q1 = default, q2 = default, q3 = default;
            for (; i <= values.Length - Lanes; i += Lanes)
            {
                q0 += Square(Vector256.LoadUnsafe(ref start, (nuint)i), m);
                q1 += Square(Vector256.LoadUnsafe(ref start, (nuint)i + 4), m);
                q2 += Square(Vector256.LoadUnsafe(ref start, (nuint)i + 8), m);
                q3 += Square(Vector256.LoadUnsafe(ref start, (nuint)i + 12), m);
            }
            q0.CopyTo(squares); q1.CopyTo(squares[4..]); q2.CopyTo(squares[8..]); q3.CopyTo(squares[12..]);
        }
        else
        {
            squares.Clear();
        }
        for (var lane = 0; i < values.Length; i++, lane++)
        {
            var x = values[i];
            if (double.IsNaN(x)) continue;
            var d = x - mean;
            squares[lane] += d * d;
        }
        var total = 0.0;
        foreach (var square in squares) total += square;
        return total;
    }

    // Multiply and add stay separate instructions (no fused multiply-add): the bits must not depend on the CPU.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector256<double> Square(Vector256<double> x, Vector256<double> mean)
    {
        var d = x - mean;
        return (d * d) & Vector256.Equals(x, x);
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
