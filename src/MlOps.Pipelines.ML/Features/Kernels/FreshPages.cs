using System.Runtime.InteropServices;

namespace MlOps.Pipelines.ML.Features;

/// <summary>
/// Faults in the pages of a freshly allocated output range before it is written. Memory new to the process is
/// mapped on first touch, one page fault (a trap, a zeroed 4 KiB page) per page: for a 2.4 GB matrix that is
/// 600,000 traps, which cost as much as computing its values. Linux (5.14 on) can map a whole range in one call
/// (<c>madvise(MADV_POPULATE_WRITE)</c>), without a trap per page. Memory the GC hands out again is usually mapped
/// already, and asking again is not free (a walk over every page), so a range whose pages are all resident
/// (<c>mincore</c>) is left alone. Elsewhere, or where a call is refused, this does nothing and the writes fault the
/// pages in as before. It never changes a value.
/// </summary>
internal static unsafe partial class FreshPages
{
    const int PopulateWrite = 23; // MADV_POPULATE_WRITE
    const int InvalidArgument = 22; // EINVAL: a kernel older than 5.14
    const int PageSize = 4096;
    const int MaxPages = 4096; // ranges up to 16 MiB; longer ones are left to the writes

    static volatile bool _supported = OperatingSystem.IsLinux();

    [LibraryImport("libc", EntryPoint = "madvise", SetLastError = true)]
    private static partial int Advise(nint address, nuint length, int advice);

    [LibraryImport("libc", EntryPoint = "mincore", SetLastError = true)]
    private static partial int Residency(nint address, nuint length, byte* pages);

    /// <summary>Maps the pages of <paramref name="range"/> (the whole pages it touches) for writing, unless they all are.</summary>
    public static void Populate(Span<float> range)
    {
        if (!_supported || range.IsEmpty) return;
        fixed (float* start = range)
        {
            var (first, end) = Pages(start, range.Length);
            if (IsResident(first, end) is not false) return;
            // Any refusal other than an old kernel's (memory short, say) leaves it to the writes.
            if (Advise(first, (nuint)(end - first), PopulateWrite) != 0 && Marshal.GetLastPInvokeError() == InvalidArgument) _supported = false;
        }
    }

    /// <summary>Whether every page <paramref name="range"/> touches is mapped; null when that cannot be told cheaply.</summary>
    public static bool? IsResident(Span<float> range)
    {
        if (range.IsEmpty) return null;
        fixed (float* start = range)
        {
            var (first, end) = Pages(start, range.Length);
            return IsResident(first, end);
        }
    }

    static bool? IsResident(nint first, nint end)
    {
        var pages = (end - first) / PageSize;
        if (!OperatingSystem.IsLinux() || pages > MaxPages) return null;
        var resident = stackalloc byte[(int)pages];
        if (Residency(first, (nuint)(end - first), resident) != 0) return null;
        for (var p = 0; p < pages; p++)
            if ((resident[p] & 1) == 0) return false;
        return true;
    }

    static (nint First, nint End) Pages(float* start, int length) =>
        ((nint)start & ~(nint)(PageSize - 1), ((nint)(start + length) + PageSize - 1) & ~(nint)(PageSize - 1));
}
