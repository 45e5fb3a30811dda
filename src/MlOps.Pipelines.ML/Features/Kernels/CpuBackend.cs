using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace MlOps.Pipelines.ML.Features;

/// <summary>
/// The kernels on 256-bit vectors (four doubles per instruction). Arithmetic is exact IEEE per lane, so the
/// vector results equal the scalar reference bit for bit and a partial last vector can be finished in scalar
/// code. The logarithm is a vector approximation that may differ from <see cref="Math.Log(double)"/> in the last
/// bit: its tail is padded to a whole vector instead, so a value's result never depends on where it sits in a
/// block — one row transformed alone gives the same bits as in a batch.
/// </summary>
internal sealed partial class CpuBackend(bool wide = true) : FeatureBackend
{
    const int Width = 4; // Vector256<double>.Count

    /// <summary>Whether fused chains run on 512-bit vectors (where the CPU has them; tests turn it off to check the 256-bit loop).</summary>
    readonly bool _wide = wide && Vector512.IsHardwareAccelerated;

    public override string Name => "cpu";

    internal override bool Parallel => true;

    internal override void Log1p(Span<double> values)
    {
        ref var start = ref MemoryMarshal.GetReference(values);
        var one = Vector256.Create(1.0);
        var i = 0;
        for (; i <= values.Length - Width; i += Width)
            Vector256.Log(Vector256.LoadUnsafe(ref start, (nuint)i) + one).StoreUnsafe(ref start, (nuint)i);
        if (i == values.Length) return;
        Span<double> padded = stackalloc double[Width];
        padded.Clear();
        values[i..].CopyTo(padded);
        Vector256.Log(Vector256.Create((ReadOnlySpan<double>)padded) + one).CopyTo(padded);
        padded[..(values.Length - i)].CopyTo(values[i..]);
    }

    internal override void Affine(Span<double> values, double shift, double scale)
    {
        ref var start = ref MemoryMarshal.GetReference(values);
        var s = Vector256.Create(shift);
        var k = Vector256.Create(scale);
        var i = 0;
        for (; i <= values.Length - Width; i += Width)
            ((Vector256.LoadUnsafe(ref start, (nuint)i) - s) * k).StoreUnsafe(ref start, (nuint)i);
        Reference.Affine(values[i..], shift, scale);
    }

    internal override void Clip(Span<double> values, double min, double max)
    {
        ref var start = ref MemoryMarshal.GetReference(values);
        var low = Vector256.Create(min);
        var high = Vector256.Create(max);
        var i = 0;
        for (; i <= values.Length - Width; i += Width)
        {
            var x = Vector256.LoadUnsafe(ref start, (nuint)i);
            x = Vector256.ConditionalSelect(Vector256.LessThan(x, low), low, x);
            x = Vector256.ConditionalSelect(Vector256.GreaterThan(x, high), high, x);
            x.StoreUnsafe(ref start, (nuint)i);
        }
        Reference.Clip(values[i..], min, max);
    }

    internal override void FillMissing(Span<double> values, double value)
    {
        ref var start = ref MemoryMarshal.GetReference(values);
        var fill = Vector256.Create(value);
        var i = 0;
        for (; i <= values.Length - Width; i += Width)
        {
            var x = Vector256.LoadUnsafe(ref start, (nuint)i);
            Vector256.ConditionalSelect(Vector256.Equals(x, x), x, fill).StoreUnsafe(ref start, (nuint)i);
        }
        Reference.FillMissing(values[i..], value);
    }

    internal override void Combine(Span<double> left, ReadOnlySpan<double> right, BinaryOperator op)
    {
        ref var l = ref MemoryMarshal.GetReference(left);
        ref var r = ref MemoryMarshal.GetReference(right);
        var i = 0;
        for (; i <= left.Length - Width; i += Width)
            Apply(Vector256.LoadUnsafe(ref l, (nuint)i), Vector256.LoadUnsafe(ref r, (nuint)i), op).StoreUnsafe(ref l, (nuint)i);
        Reference.Combine(left[i..], right[i..], op);
    }

    internal override void Combine(Span<double> values, double constant, BinaryOperator op, bool constantFirst)
    {
        ref var start = ref MemoryMarshal.GetReference(values);
        var c = Vector256.Create(constant);
        var i = 0;
        for (; i <= values.Length - Width; i += Width)
        {
            var x = Vector256.LoadUnsafe(ref start, (nuint)i);
            (constantFirst ? Apply(c, x, op) : Apply(x, c, op)).StoreUnsafe(ref start, (nuint)i);
        }
        Reference.Combine(values[i..], constant, op, constantFirst);
    }

    internal override void Bucketize(Span<double> values, ReadOnlySpan<double> edges)
    {
        ref var start = ref MemoryMarshal.GetReference(values);
        var one = Vector256.Create(1.0);
        var i = 0;
        for (; i <= values.Length - Width; i += Width)
        {
            var x = Vector256.LoadUnsafe(ref start, (nuint)i);
            var count = Vector256<double>.Zero;
            foreach (var edge in edges) count += Vector256.GreaterThanOrEqual(x, Vector256.Create(edge)) & one;
            // NaN compares false with every edge: keep it NaN (missing) rather than bucket 0.
            Vector256.ConditionalSelect(Vector256.Equals(x, x), count, x).StoreUnsafe(ref start, (nuint)i);
        }
        Reference.Bucketize(values[i..], edges);
    }

    internal override void Narrow(ReadOnlySpan<double> values, Span<float> destination)
    {
        ref var source = ref MemoryMarshal.GetReference(values);
        ref var target = ref MemoryMarshal.GetReference(destination);
        var i = 0;
        for (; i <= values.Length - 2 * Width; i += 2 * Width)
            Vector256.Narrow(Vector256.LoadUnsafe(ref source, (nuint)i), Vector256.LoadUnsafe(ref source, (nuint)(i + Width))).StoreUnsafe(ref target, (nuint)i);
        Reference.Narrow(values[i..], destination[i..]);
    }

    /// <summary>
    /// A chain over a double column, fused: 64 values at a time (half a kilobyte, in L1) are copied in, taken through
    /// every step and narrowed into the output, so the column is read once and the output written once, and each
    /// step's constants are loaded once per 64 values rather than per vector. The steps are the block kernels
    /// themselves, and a last partial group is padded with zeros to whole vectors, so the bits equal the
    /// block-by-block result (and a row alone equals the row in a batch). When streaming, the first group ends at the
    /// output's first line boundary, so every later group of 64 floats fills four whole lines.
    /// </summary>
    internal override void RunChain(Data.Tables.Column column, int start, ReadOnlySpan<ChainStep> steps, Span<double> buffer, Span<float> destination, bool streaming = false)
    {
        if (column is not Data.Tables.Column<double> doubles)
        {
            base.RunChain(column, start, steps, buffer, destination, streaming);
            return;
        }
        const int group = 64;
        var values = doubles.Values.Span.Slice(start, destination.Length);
        var nulls = doubles.Nulls.IsEmpty ? default : MemoryMarshal.AsBytes(doubles.Nulls.Span.Slice(start, destination.Length));
        if (_wide)
        {
            RunChainWide(values, nulls, steps, destination, streaming);
            return;
        }
        Span<double> block = stackalloc double[group];
        Span<float> narrowed = stackalloc float[group];
        var head = streaming ? StreamingStores.Head(destination) : 0;
        for (var i = 0; i < values.Length;)
        {
            var count = Math.Min(i == 0 && head > 0 ? head : group, values.Length - i);
            var padded = (count + 2 * Width - 1) / (2 * Width) * (2 * Width);
            var work = block[..padded];
            if (count < padded) work.Clear();
            values.Slice(i, count).CopyTo(work);
            if (!nulls.IsEmpty) ColumnLoader.MarkMissing(nulls.Slice(i, count), work);
            foreach (ref readonly var step in steps)
            {
                switch (step.Kind)
                {
                    case StepKind.FillMissing: FillMissing(work, step.A); break;
                    case StepKind.Affine: Affine(work, step.A, step.B); break;
                    case StepKind.Clip: Clip(work, step.A, step.B); break;
                    case StepKind.Log1p: Log1p(work); break;
                    case StepKind.Bucketize: Bucketize(work, step.Edges); break;
                    default: Combine(work, step.A, step.Operator, step.ConstantFirst); break;
                }
            }
            if (streaming)
            {
                Narrow(work[..count], narrowed[..count]);
                StreamingStores.Copy(narrowed[..count], destination.Slice(i, count));
            }
            else
            {
                Narrow(work[..count], destination.Slice(i, count));
            }
            i += count;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector256<double> Apply(Vector256<double> left, Vector256<double> right, BinaryOperator op) => op switch
    {
        BinaryOperator.Add => left + right,
        BinaryOperator.Subtract => left - right,
        BinaryOperator.Multiply => left * right,
        _ => left / right,
    };
}
