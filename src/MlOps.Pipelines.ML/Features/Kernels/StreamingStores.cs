using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace MlOps.Pipelines.ML.Features;

/// <summary>
/// Writes finished output values to a feature matrix. A big matrix is written with non-temporal (streaming) stores:
/// an ordinary store first reads the cache line it writes into ("read for ownership"), which for an output far
/// bigger than the caches is a second trip through memory for every byte written; a streaming store fills whole lines
/// in write-combining buffers and sends them out without reading them. Only whole 64-byte lines are streamed — the
/// partial lines at either end are stored normally — so the caller lines its groups up with <see cref="Head"/>.
/// The values are copied unchanged: the choice of store never changes a bit of the result.
/// </summary>
internal static unsafe class StreamingStores
{
    const int Line = 64;
    const int FloatsPerLine = Line / sizeof(float);

    /// <summary>
    /// Outputs from this many bytes on are streamed: well beyond what the caches keep, so a reader of the matrix
    /// could not have found it in cache anyway. Smaller ones (a batch, a single row) are stored normally.
    /// </summary>
    public const long Threshold = 64L << 20;

    /// <summary>How many values of <paramref name="destination"/> come before its first 64-byte line boundary (0 to 15).</summary>
    public static int Head(Span<float> destination)
    {
        fixed (float* target = destination)
            return (int)((Line - ((nuint)target & (Line - 1))) & (Line - 1)) / sizeof(float);
    }

    /// <summary>destination ← source (same length), with streaming stores for the whole lines.</summary>
    public static void Copy(ReadOnlySpan<float> source, Span<float> destination)
    {
        if (source.Length < FloatsPerLine)
        {
            source.CopyTo(destination);
            return;
        }
        fixed (float* target = destination)
        {
            ref var from = ref MemoryMarshal.GetReference(source);
            var i = Math.Min(source.Length, Head(destination));
            source[..i].CopyTo(destination);
            for (; i <= source.Length - FloatsPerLine; i += FloatsPerLine)
            {
                if (Vector512.IsHardwareAccelerated)
                {
                    Vector512.LoadUnsafe(ref from, (nuint)i).StoreAlignedNonTemporal(target + i);
                }
                else
                {
                    Vector256.LoadUnsafe(ref from, (nuint)i).StoreAlignedNonTemporal(target + i);
                    Vector256.LoadUnsafe(ref from, (nuint)(i + 8)).StoreAlignedNonTemporal(target + i + 8);
                }
            }
            source[i..].CopyTo(destination[i..]);
        }
    }

    /// <summary>
    /// Makes this thread's streaming stores visible before it reports its work done (streaming stores are weakly
    /// ordered; the fence drains the write-combining buffers).
    /// </summary>
    public static void Fence()
    {
        if (Sse.IsSupported) Sse.StoreFence();
        else Interlocked.MemoryBarrier();
    }
}
