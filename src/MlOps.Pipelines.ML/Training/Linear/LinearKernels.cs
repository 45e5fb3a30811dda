using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace MlOps.Pipelines.ML.Training.Linear;

/// <summary>
/// The hot loops of the linear trainers, over one chunk of rows of column-major float32 features widened to double.
/// Vector256 (AVX2: four doubles per vector, eight floats per load); products and sums stay separate operations (no
/// fused multiply-add), so a vector lane computes exactly what the scalar tail computes. <see cref="LinearReference"/>
/// is the scalar version the tests compare these with. Every kernel is compiled fully optimised at its first call
/// (AggressiveOptimization) rather than starting as tier-0 code, where each Vector256 operation is a call: a fit runs
/// in the first seconds of a process, and on a busy machine the background recompilation comes late (measured on the
/// flight sample: the first fit of a process took 5–6 s in 4 of 9 runs without it, 0.4–0.9 s warm, and at most 2.1 s
/// in 7 runs with it).
/// </summary>
internal static class LinearKernels
{
    /// <summary>z[i] += w · x[i] for every i.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AddScaled(Span<double> z, ReadOnlySpan<float> x, double w)
    {
        if (z.Length != x.Length) throw new ArgumentException("Spans of different lengths.");
        ref var zr = ref MemoryMarshal.GetReference(z);
        ref var xr = ref MemoryMarshal.GetReference(x);
        var weight = Vector256.Create(w);
        var n = (nuint)x.Length;
        nuint i = 0;
        for (; i + 8 <= n; i += 8)
        {
            var values = Vector256.LoadUnsafe(ref xr, i);
            (Vector256.LoadUnsafe(ref zr, i) + weight * Vector256.WidenLower(values)).StoreUnsafe(ref zr, i);
            (Vector256.LoadUnsafe(ref zr, i + 4) + weight * Vector256.WidenUpper(values)).StoreUnsafe(ref zr, i + 4);
        }
        for (; i < n; i++) Unsafe.Add(ref zr, i) += w * Unsafe.Add(ref xr, i);
    }

    /// <summary>z[i] += w0·x0[i] + w1·x1[i] + w2·x2[i] + w3·x3[i], summed left to right: one pass over z for four columns.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AddScaled4(Span<double> z, ReadOnlySpan<float> x0, ReadOnlySpan<float> x1, ReadOnlySpan<float> x2, ReadOnlySpan<float> x3,
        double w0, double w1, double w2, double w3)
    {
        var n = (nuint)z.Length;
        if (x0.Length != z.Length || x1.Length != z.Length || x2.Length != z.Length || x3.Length != z.Length) throw new ArgumentException("Spans of different lengths.");
        ref var zr = ref MemoryMarshal.GetReference(z);
        ref var a = ref MemoryMarshal.GetReference(x0);
        ref var b = ref MemoryMarshal.GetReference(x1);
        ref var c = ref MemoryMarshal.GetReference(x2);
        ref var d = ref MemoryMarshal.GetReference(x3);
        Vector256<double> v0 = Vector256.Create(w0), v1 = Vector256.Create(w1), v2 = Vector256.Create(w2), v3 = Vector256.Create(w3);
        nuint i = 0;
        for (; i + 8 <= n; i += 8)
        {
            Vector256<float> xa = Vector256.LoadUnsafe(ref a, i), xb = Vector256.LoadUnsafe(ref b, i), xc = Vector256.LoadUnsafe(ref c, i), xd = Vector256.LoadUnsafe(ref d, i);
            var low = Vector256.LoadUnsafe(ref zr, i) + v0 * Vector256.WidenLower(xa) + v1 * Vector256.WidenLower(xb) + v2 * Vector256.WidenLower(xc) + v3 * Vector256.WidenLower(xd);
            var high = Vector256.LoadUnsafe(ref zr, i + 4) + v0 * Vector256.WidenUpper(xa) + v1 * Vector256.WidenUpper(xb) + v2 * Vector256.WidenUpper(xc) + v3 * Vector256.WidenUpper(xd);
            low.StoreUnsafe(ref zr, i);
            high.StoreUnsafe(ref zr, i + 4);
        }
        for (; i < n; i++)
            Unsafe.Add(ref zr, i) = Unsafe.Add(ref zr, i) + w0 * Unsafe.Add(ref a, i) + w1 * Unsafe.Add(ref b, i) + w2 * Unsafe.Add(ref c, i) + w3 * Unsafe.Add(ref d, i);
    }

    /// <summary>Σ r[i]·x[i]: eight running sums (two vectors), added in a fixed order at the end, then the tail.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static double Dot(ReadOnlySpan<double> r, ReadOnlySpan<float> x)
    {
        if (r.Length != x.Length) throw new ArgumentException("Spans of different lengths.");
        ref var rr = ref MemoryMarshal.GetReference(r);
        ref var xr = ref MemoryMarshal.GetReference(x);
        var n = (nuint)x.Length;
        Vector256<double> low = Vector256<double>.Zero, high = Vector256<double>.Zero;
        nuint i = 0;
        for (; i + 8 <= n; i += 8)
        {
            var values = Vector256.LoadUnsafe(ref xr, i);
            low += Vector256.LoadUnsafe(ref rr, i) * Vector256.WidenLower(values);
            high += Vector256.LoadUnsafe(ref rr, i + 4) * Vector256.WidenUpper(values);
        }
        var sum = Vector256.Sum(low + high);
        for (; i < n; i++) sum += Unsafe.Add(ref rr, i) * Unsafe.Add(ref xr, i);
        return sum;
    }

    /// <summary>Σ a[i]·b[i] over doubles: eight running sums, added in a fixed order, then the tail.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static double Dot(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        if (a.Length != b.Length) throw new ArgumentException("Spans of different lengths.");
        ref var ar = ref MemoryMarshal.GetReference(a);
        ref var br = ref MemoryMarshal.GetReference(b);
        var n = (nuint)a.Length;
        Vector256<double> low = Vector256<double>.Zero, high = Vector256<double>.Zero;
        nuint i = 0;
        for (; i + 8 <= n; i += 8)
        {
            low += Vector256.LoadUnsafe(ref ar, i) * Vector256.LoadUnsafe(ref br, i);
            high += Vector256.LoadUnsafe(ref ar, i + 4) * Vector256.LoadUnsafe(ref br, i + 4);
        }
        var sum = Vector256.Sum(low + high);
        for (; i < n; i++) sum += Unsafe.Add(ref ar, i) * Unsafe.Add(ref br, i);
        return sum;
    }

    /// <summary>
    /// Binary log loss: turns margins z into residuals σ(z) − y in place and returns Σ log(1 + e^z) − y·z, computed
    /// as max(z, 0) + log(1 + e^−|z|) − y·z so that it stays finite for any margin.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static double BinaryResiduals(Span<double> z, ReadOnlySpan<double> y)
    {
        if (z.Length != y.Length) throw new ArgumentException("Spans of different lengths.");
        ref var zr = ref MemoryMarshal.GetReference(z);
        ref var yr = ref MemoryMarshal.GetReference(y);
        var n = (nuint)z.Length;
        var one = Vector256.Create(1.0);
        var losses = Vector256<double>.Zero;
        nuint i = 0;
        for (; i + 4 <= n; i += 4)
        {
            var margin = Vector256.LoadUnsafe(ref zr, i);
            var label = Vector256.LoadUnsafe(ref yr, i);
            var e = Vector256.Exp(-Vector256.Abs(margin));
            var onePlus = one + e;
            losses += Vector256.Max(margin, Vector256<double>.Zero) + Vector256.Log(onePlus) - label * margin;
            var p = Vector256.ConditionalSelect(Vector256.GreaterThanOrEqual(margin, Vector256<double>.Zero), one / onePlus, e / onePlus);
            (p - label).StoreUnsafe(ref zr, i);
        }
        var loss = Vector256.Sum(losses);
        for (; i < n; i++) loss += LinearReference.BinaryResidual(ref Unsafe.Add(ref zr, i), Unsafe.Add(ref yr, i));
        return loss;
    }

    /// <summary>
    /// Softmax cross-entropy over a chunk of <paramref name="count"/> rows whose margins lie class by class
    /// (class k's at z[k × <paramref name="stride"/> …]): turns them into residuals p_k − [y = k] in place and returns
    /// Σ log Σ_k e^z_k − z_y, with the row's largest margin subtracted first so that no exponential overflows.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static double SoftmaxResiduals(Span<double> z, int classes, int stride, int count, ReadOnlySpan<double> y)
    {
        if (y.Length != count || z.Length < (classes - 1) * stride + count) throw new ArgumentException("Spans too short.");
        ref var zr = ref MemoryMarshal.GetReference(z);
        ref var yr = ref MemoryMarshal.GetReference(y);
        var losses = Vector256<double>.Zero;
        var i = 0;
        for (; i + 4 <= count; i += 4)
        {
            var label = Vector256.LoadUnsafe(ref yr, (nuint)i);
            var max = Vector256.LoadUnsafe(ref zr, (nuint)i);
            for (var k = 1; k < classes; k++) max = Vector256.Max(max, Vector256.LoadUnsafe(ref zr, (nuint)(k * stride + i)));
            var sum = Vector256<double>.Zero;
            var labelled = Vector256<double>.Zero;
            for (var k = 0; k < classes; k++)
            {
                var at = (nuint)(k * stride + i);
                var margin = Vector256.LoadUnsafe(ref zr, at);
                labelled += Vector256.ConditionalSelect(Vector256.Equals(label, Vector256.Create((double)k)), margin, Vector256<double>.Zero);
                var e = Vector256.Exp(margin - max);
                e.StoreUnsafe(ref zr, at);
                sum += e;
            }
            losses += Vector256.Log(sum) + max - labelled;
            for (var k = 0; k < classes; k++)
            {
                var at = (nuint)(k * stride + i);
                var hit = Vector256.ConditionalSelect(Vector256.Equals(label, Vector256.Create((double)k)), Vector256.Create(1.0), Vector256<double>.Zero);
                (Vector256.LoadUnsafe(ref zr, at) / sum - hit).StoreUnsafe(ref zr, at);
            }
        }
        var loss = Vector256.Sum(losses);
        for (; i < count; i++) loss += LinearReference.SoftmaxResidual(z, classes, stride, i, y[i]);
        return loss;
    }
}

/// <summary>Scalar versions of <see cref="LinearKernels"/>: the tails of the vector loops, and what the tests check them against.</summary>
internal static class LinearReference
{
    public static double BinaryResidual(ref double z, double y)
    {
        var margin = z;
        var e = Math.Exp(-Math.Abs(margin));
        var onePlus = 1 + e;
        z = (margin >= 0 ? 1 / onePlus : e / onePlus) - y;
        return Math.Max(margin, 0) + Math.Log(onePlus) - y * margin;
    }

    public static double SoftmaxResidual(Span<double> z, int classes, int stride, int row, double y)
    {
        var max = z[row];
        for (var k = 1; k < classes; k++) max = Math.Max(max, z[k * stride + row]);
        double sum = 0, labelled = 0;
        for (var k = 0; k < classes; k++)
        {
            ref var margin = ref z[k * stride + row];
            if (y == k) labelled += margin;
            margin = Math.Exp(margin - max);
            sum += margin;
        }
        for (var k = 0; k < classes; k++) z[k * stride + row] = z[k * stride + row] / sum - (y == k ? 1 : 0);
        return Math.Log(sum) + max - labelled;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static double Dot(ReadOnlySpan<double> r, ReadOnlySpan<float> x)
    {
        double sum = 0;
        for (var i = 0; i < r.Length; i++) sum += r[i] * x[i];
        return sum;
    }
}
