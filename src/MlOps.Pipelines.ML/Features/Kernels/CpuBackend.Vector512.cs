using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace MlOps.Pipelines.ML.Features;

/// <summary>
/// The fused chain on 512-bit vectors (AVX-512: eight doubles per instruction), for CPUs that have them. Each value
/// goes through every step in registers: sixteen at a time are loaded, marked missing where the null mask says so,
/// taken through the steps and narrowed into sixteen floats — one 64-byte line of output, stored with one streaming
/// store when the output is big. The steps are composed into one struct type per chain shape (<see cref="Then{TFirst, TSecond}"/>),
/// so the JIT compiles a loop per shape with every step inlined and its constants in registers, instead of
/// dispatching on the step kind for every vector; chains longer than <see cref="MaxComposed"/> steps are
/// interpreted. Every step computes each lane exactly as the 256-bit kernels do (the same IEEE operations in the
/// same order, no fused multiply-add; <see cref="Vector512.Log(Vector512{double})"/> gives the bits of
/// <see cref="Vector256.Log(Vector256{double})"/> lane for lane), so the result depends neither on the width nor on
/// how the chain was compiled.
/// </summary>
internal sealed partial class CpuBackend
{
    const int Wide = 16; // values per iteration: two Vector512<double>, narrowed to one Vector512<float>

    /// <summary>Longest chain compiled to its own loop; each shape used costs one JIT compilation.</summary>
    const int MaxComposed = 4;

    static void RunChainWide(ReadOnlySpan<double> values, ReadOnlySpan<byte> nulls, ReadOnlySpan<ChainStep> steps, Span<float> destination, bool streaming)
    {
        if (steps.Length > MaxComposed) WideLoop(new Interpreted(steps.ToArray()), values, nulls, destination, streaming);
        else Compose(new Identity(), steps, values, nulls, destination, streaming);
    }

    /// <summary>Adds the first of <paramref name="rest"/> to <paramref name="chain"/>'s type, until none is left; then runs the loop.</summary>
    static void Compose<TChain>(TChain chain, ReadOnlySpan<ChainStep> rest, ReadOnlySpan<double> values, ReadOnlySpan<byte> nulls, Span<float> destination, bool streaming)
        where TChain : struct, IWideStep
    {
        if (rest.IsEmpty)
        {
            WideLoop(chain, values, nulls, destination, streaming);
            return;
        }
        ref readonly var step = ref rest[0];
        var next = rest[1..];
        switch (step.Kind)
        {
            case StepKind.FillMissing: Compose(new Then<TChain, FillStep>(chain, new(step.A)), next, values, nulls, destination, streaming); break;
            case StepKind.Affine: Compose(new Then<TChain, AffineStep>(chain, new(step.A, step.B)), next, values, nulls, destination, streaming); break;
            case StepKind.Clip: Compose(new Then<TChain, ClipStep>(chain, new(step.A, step.B)), next, values, nulls, destination, streaming); break;
            case StepKind.Log1p: Compose(new Then<TChain, Log1pStep>(chain, default), next, values, nulls, destination, streaming); break;
            case StepKind.Bucketize: Compose(new Then<TChain, BucketStep>(chain, new(step.Edges!)), next, values, nulls, destination, streaming); break;
            default: Compose(new Then<TChain, CombineStep>(chain, new(step.A, step.Operator, step.ConstantFirst)), next, values, nulls, destination, streaming); break;
        }
    }

    static unsafe void WideLoop<TChain>(TChain chain, ReadOnlySpan<double> values, ReadOnlySpan<byte> nulls, Span<float> destination, bool streaming)
        where TChain : struct, IWideStep
    {
        ref var source = ref MemoryMarshal.GetReference(values);
        ref var mask = ref MemoryMarshal.GetReference(nulls);
        var hasNulls = !nulls.IsEmpty;
        fixed (float* target = destination)
        {
            var i = 0;
            // When streaming, values before the output's first line boundary are done as a partial group, so that every
            // full group after them is one aligned line.
            var head = streaming ? Math.Min(values.Length, StreamingStores.Head(destination)) : 0;
            if (head > 0)
            {
                PartialWide(chain, values[..head], hasNulls ? nulls[..head] : default, destination[..head]);
                i = head;
            }
            for (; i <= values.Length - Wide; i += Wide)
            {
                var low = Vector512.LoadUnsafe(ref source, (nuint)i);
                var high = Vector512.LoadUnsafe(ref source, (nuint)(i + 8));
                if (hasNulls)
                {
                    var bits = ~Vector128.Equals(Vector128.LoadUnsafe(ref mask, (nuint)i), Vector128<byte>.Zero).ExtractMostSignificantBits() & 0xFFFF;
                    if (bits != 0)
                    {
                        low = Missing(low, bits & 0xFF);
                        high = Missing(high, bits >> 8);
                    }
                }
                var narrowed = Vector512.Narrow(chain.Apply(low), chain.Apply(high));
                if (streaming) narrowed.StoreAlignedNonTemporal(target + i);
                else narrowed.Store(target + i);
            }
            if (i < values.Length)
                PartialWide(chain, values[i..], hasNulls ? nulls[i..] : default, destination[i..]);
        }
    }

    /// <summary>Fewer than 16 values, padded with zeros to a whole group: the same lanes, so the same bits as in a full one.</summary>
    static void PartialWide<TChain>(TChain chain, ReadOnlySpan<double> values, ReadOnlySpan<byte> nulls, Span<float> destination)
        where TChain : struct, IWideStep
    {
        Span<double> padded = stackalloc double[Wide];
        padded.Clear();
        values.CopyTo(padded);
        if (!nulls.IsEmpty) ColumnLoader.MarkMissing(nulls, padded);
        var low = chain.Apply(Vector512.Create((ReadOnlySpan<double>)padded));
        var high = chain.Apply(Vector512.Create((ReadOnlySpan<double>)padded[8..]));
        Span<float> narrowed = stackalloc float[Wide];
        Vector512.Narrow(low, high).CopyTo(narrowed);
        narrowed[..values.Length].CopyTo(destination);
    }

    static readonly Vector512<long> LaneBits = Vector512.Create(1L, 2, 4, 8, 16, 32, 64, 128);

    /// <summary>NaN in the lanes whose bit is set in <paramref name="bits"/> (bit k for lane k).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector512<double> Missing(Vector512<double> x, uint bits)
    {
        var missing = ~Vector512.Equals(Vector512.Create((long)bits) & LaneBits, Vector512<long>.Zero);
        return Vector512.ConditionalSelect(missing.AsDouble(), Vector512.Create(double.NaN), x);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector512<double> Apply(Vector512<double> left, Vector512<double> right, BinaryOperator op) => op switch
    {
        BinaryOperator.Add => left + right,
        BinaryOperator.Subtract => left - right,
        BinaryOperator.Multiply => left * right,
        _ => left / right,
    };

    /// <summary>One element-wise step on eight lanes: per lane, exactly the 256-bit kernel of the same step.</summary>
    internal interface IWideStep
    {
        Vector512<double> Apply(Vector512<double> x);
    }

    readonly struct Identity : IWideStep
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector512<double> Apply(Vector512<double> x) => x;
    }

    readonly struct Then<TFirst, TSecond>(TFirst first, TSecond second) : IWideStep
        where TFirst : struct, IWideStep where TSecond : struct, IWideStep
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector512<double> Apply(Vector512<double> x) => second.Apply(first.Apply(x));
    }

    readonly struct FillStep(double fill) : IWideStep
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector512<double> Apply(Vector512<double> x) => Vector512.ConditionalSelect(Vector512.Equals(x, x), x, Vector512.Create(fill));
    }

    readonly struct AffineStep(double shift, double scale) : IWideStep
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector512<double> Apply(Vector512<double> x) => (x - Vector512.Create(shift)) * Vector512.Create(scale);
    }

    readonly struct ClipStep(double min, double max) : IWideStep
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector512<double> Apply(Vector512<double> x)
        {
            var (low, high) = (Vector512.Create(min), Vector512.Create(max));
            x = Vector512.ConditionalSelect(Vector512.LessThan(x, low), low, x);
            return Vector512.ConditionalSelect(Vector512.GreaterThan(x, high), high, x);
        }
    }

    readonly struct Log1pStep : IWideStep
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector512<double> Apply(Vector512<double> x) => Vector512.Log(x + Vector512<double>.One);
    }

    readonly struct BucketStep(double[] edges) : IWideStep
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector512<double> Apply(Vector512<double> x)
        {
            var count = Vector512<double>.Zero;
            foreach (var edge in edges) count += Vector512.GreaterThanOrEqual(x, Vector512.Create(edge)) & Vector512<double>.One;
            // NaN compares false with every edge: keep it NaN (missing) rather than bucket 0.
            return Vector512.ConditionalSelect(Vector512.Equals(x, x), count, x);
        }
    }

    readonly struct CombineStep(double constant, BinaryOperator op, bool constantFirst) : IWideStep
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector512<double> Apply(Vector512<double> x)
        {
            var c = Vector512.Create(constant);
            return constantFirst ? CpuBackend.Apply(c, x, op) : CpuBackend.Apply(x, c, op);
        }
    }

    /// <summary>A chain too long to compose: the steps in a loop, each through the same step types.</summary>
    readonly struct Interpreted(ChainStep[] steps) : IWideStep
    {
        public Vector512<double> Apply(Vector512<double> x)
        {
            foreach (var step in steps)
                x = step.Kind switch
                {
                    StepKind.FillMissing => new FillStep(step.A).Apply(x),
                    StepKind.Affine => new AffineStep(step.A, step.B).Apply(x),
                    StepKind.Clip => new ClipStep(step.A, step.B).Apply(x),
                    StepKind.Log1p => default(Log1pStep).Apply(x),
                    StepKind.Bucketize => new BucketStep(step.Edges!).Apply(x),
                    _ => new CombineStep(step.A, step.Operator, step.ConstantFirst).Apply(x),
                };
            return x;
        }
    }
}
