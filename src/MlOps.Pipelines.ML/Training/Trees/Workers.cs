namespace MlOps.Pipelines.ML.Training.Trees;

/// <summary>
/// Runs numbered work items on a few workers. Items are defined by the caller independently of the thread count
/// and write only their own results (or, for histograms, integer sums whose order does not matter), so what the
/// workers compute never depends on how many there are or which one took which item.
/// </summary>
internal static class Workers
{
    /// <summary>
    /// Calls <paramref name="body"/>(worker, item) once for every item in [0, <paramref name="count"/>), on at most
    /// <paramref name="threads"/> workers numbered from 0; one worker never runs two items at once, so per-worker
    /// scratch indexed by the worker number needs no lock.
    /// </summary>
    public static void For(int threads, int count, Action<int, int> body)
    {
        var workers = Math.Min(threads, count);
        if (workers <= 1)
        {
            for (var i = 0; i < count; i++) body(0, i);
            return;
        }
        var next = -1;
        Parallel.For(0, workers, new ParallelOptions { MaxDegreeOfParallelism = workers }, worker =>
        {
            int item;
            while ((item = Interlocked.Increment(ref next)) < count) body(worker, item);
        });
    }

    /// <summary>Chunks of <paramref name="size"/> over [0, <paramref name="length"/>): how many.</summary>
    public static int Chunks(int length, int size) => (length + size - 1) / size;
}

/// <summary>SplitMix64: a stateless mix, so any row's or tree's random draw can be made on any thread.</summary>
internal static class Mix
{
    public static ulong Hash(ulong z)
    {
        z += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>A uniform double in [0, 1) from a hash.</summary>
    public static double Unit(ulong hash) => (hash >> 11) * (1.0 / (1UL << 53));
}
