using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace MlOps.Pipelines.ML.Features;

/// <summary>
/// The fused chain on 512-bit vectors (AVX-512: eight doubles per instruction), for CPUs that have them. Each value
/// goes through every step in registers: sixteen at a time are loaded, marked missing where the null mask says so,
/// taken through the steps and narrowed into sixteen floats — one 64-byte line of output, stored with one streaming
/// store when the output is big. Every step computes each lane exactly as the 256-bit kernels do (the same IEEE
/// operations in the same order, no fused multiply-add; <see cref="Vector512.Log(Vector512{double})"/> gives the
/// bits of <see cref="Vector256.Log(Vector256{double})"/> lane for lane), so the result does not depend on the width.
/// </summary>
internal sealed partial class CpuBackend
{
    const int Wide = 16; // values per iteration: two Vector512<double>, narrowed to one Vector512<float>

    static unsafe void RunChainWide(ReadOnlySpan<double> values, ReadOnlySpan<byte> nulls, ReadOnlySpan<ChainStep> steps, Span<float> destination, bool streaming)
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
                PartialWide(values[..head], hasNulls ? nulls[..head] : default, steps, destination[..head]);
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
                foreach (ref readonly var step in steps)
                {
                    low = Apply(in step, low);
                    high = Apply(in step, high);
                }
                var narrowed = Vector512.Narrow(low, high);
                if (streaming) narrowed.StoreAlignedNonTemporal(target + i);
                else narrowed.Store(target + i);
            }
            if (i < values.Length)
                PartialWide(values[i..], hasNulls ? nulls[i..] : default, steps, destination[i..]);
        }
    }

    /// <summary>Fewer than 16 values, padded with zeros to a whole group: the same lanes, so the same bits as in a full one.</summary>
    static void PartialWide(ReadOnlySpan<double> values, ReadOnlySpan<byte> nulls, ReadOnlySpan<ChainStep> steps, Span<float> destination)
    {
        Span<double> padded = stackalloc double[Wide];
        padded.Clear();
        values.CopyTo(padded);
        if (!nulls.IsEmpty) ColumnLoader.MarkMissing(nulls, padded);
        var low = Vector512.Create((ReadOnlySpan<double>)padded);
        var high = Vector512.Create((ReadOnlySpan<double>)padded[8..]);
        foreach (ref readonly var step in steps)
        {
            low = Apply(in step, low);
            high = Apply(in step, high);
        }
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

    /// <summary>One step on eight lanes: per lane, exactly the 256-bit kernel of the same step.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector512<double> Apply(in ChainStep step, Vector512<double> x)
    {
        switch (step.Kind)
        {
            case StepKind.FillMissing:
                return Vector512.ConditionalSelect(Vector512.Equals(x, x), x, Vector512.Create(step.A));
            case StepKind.Affine:
                return (x - Vector512.Create(step.A)) * Vector512.Create(step.B);
            case StepKind.Clip:
                var low = Vector512.Create(step.A);
                var high = Vector512.Create(step.B);
                x = Vector512.ConditionalSelect(Vector512.LessThan(x, low), low, x);
                return Vector512.ConditionalSelect(Vector512.GreaterThan(x, high), high, x);
            case StepKind.Log1p:
                return Vector512.Log(x + Vector512<double>.One);
            case StepKind.Bucketize:
                var one = Vector512<double>.One;
                var count = Vector512<double>.Zero;
                foreach (var edge in step.Edges!) count += Vector512.GreaterThanOrEqual(x, Vector512.Create(edge)) & one;
                return Vector512.ConditionalSelect(Vector512.Equals(x, x), count, x);
            default:
                var c = Vector512.Create(step.A);
                return step.ConstantFirst ? Apply(c, x, step.Operator) : Apply(x, c, step.Operator);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector512<double> Apply(Vector512<double> left, Vector512<double> right, BinaryOperator op) => op switch
    {
        BinaryOperator.Add => left + right,
        BinaryOperator.Subtract => left - right,
        BinaryOperator.Multiply => left * right,
        _ => left / right,
    };
}
