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
internal sealed class CpuBackend : FeatureBackend
{
    const int Width = 4; // Vector256<double>.Count

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
    /// A chain over a double column, fused: eight values are loaded, taken through every step in registers and
    /// narrowed into the output, so the column is read once and the output written once. The steps are the same
    /// lane-wise operations as the block kernels, and the last partial group is padded to whole vectors, so the bits
    /// equal the block-by-block result (and a row alone equals the row in a batch).
    /// </summary>
    internal override void RunChain(Data.Tables.Column column, int start, ReadOnlySpan<ChainStep> steps, Span<double> buffer, Span<float> destination)
    {
        if (column is not Data.Tables.Column<double> doubles)
        {
            base.RunChain(column, start, steps, buffer, destination);
            return;
        }
        var values = doubles.Values.Span.Slice(start, destination.Length);
        var nulls = doubles.Nulls.IsEmpty ? default : MemoryMarshal.AsBytes(doubles.Nulls.Span.Slice(start, destination.Length));
        ref var source = ref MemoryMarshal.GetReference(values);
        ref var target = ref MemoryMarshal.GetReference(destination);
        Span<double> group = stackalloc double[2 * Width];
        var i = 0;
        for (; i <= values.Length - 2 * Width; i += 2 * Width)
        {
            Vector256<double> low, high;
            if (!nulls.IsEmpty && Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref MemoryMarshal.GetReference(nulls), i)) != 0)
            {
                values.Slice(i, 2 * Width).CopyTo(group);
                for (var j = 0; j < group.Length; j++) if (nulls[i + j] != 0) group[j] = double.NaN;
                low = Vector256.Create((ReadOnlySpan<double>)group[..Width]);
                high = Vector256.Create((ReadOnlySpan<double>)group[Width..]);
            }
            else
            {
                low = Vector256.LoadUnsafe(ref source, (nuint)i);
                high = Vector256.LoadUnsafe(ref source, (nuint)(i + Width));
            }
            Vector256.Narrow(Steps(low, steps), Steps(high, steps)).StoreUnsafe(ref target, (nuint)i);
        }
        if (i == values.Length) return;
        var left = values.Length - i;
        group.Clear();
        values[i..].CopyTo(group);
        if (!nulls.IsEmpty) for (var j = 0; j < left; j++) if (nulls[i + j] != 0) group[j] = double.NaN;
        Span<float> narrowed = stackalloc float[2 * Width];
        Vector256.Narrow(Steps(Vector256.Create((ReadOnlySpan<double>)group[..Width]), steps), Steps(Vector256.Create((ReadOnlySpan<double>)group[Width..]), steps)).CopyTo(narrowed);
        narrowed[..left].CopyTo(destination[i..]);
    }

    static Vector256<double> Steps(Vector256<double> x, ReadOnlySpan<ChainStep> steps)
    {
        foreach (var step in steps)
        {
            switch (step.Kind)
            {
                case StepKind.FillMissing:
                    x = Vector256.ConditionalSelect(Vector256.Equals(x, x), x, Vector256.Create(step.A));
                    break;
                case StepKind.Affine:
                    x = (x - Vector256.Create(step.A)) * Vector256.Create(step.B);
                    break;
                case StepKind.Clip:
                    var low = Vector256.Create(step.A);
                    var high = Vector256.Create(step.B);
                    x = Vector256.ConditionalSelect(Vector256.LessThan(x, low), low, x);
                    x = Vector256.ConditionalSelect(Vector256.GreaterThan(x, high), high, x);
                    break;
                case StepKind.Log1p:
                    x = Vector256.Log(x + Vector256.Create(1.0));
                    break;
                case StepKind.Bucketize:
                    var count = Vector256<double>.Zero;
                    var one = Vector256.Create(1.0);
                    foreach (var edge in step.Edges!) count += Vector256.GreaterThanOrEqual(x, Vector256.Create(edge)) & one;
                    x = Vector256.ConditionalSelect(Vector256.Equals(x, x), count, x);
                    break;
                default:
                    var c = Vector256.Create(step.A);
                    x = step.ConstantFirst ? Apply(c, x, step.Operator) : Apply(x, c, step.Operator);
                    break;
            }
        }
        return x;
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
