namespace MlOps.Pipelines.ML.Features;

/// <summary>
/// The fixed partition of rows used everywhere: chunks are the unit of parallel work (their boundaries never
/// depend on the thread count, which keeps reductions deterministic), blocks the unit a kernel works on (small
/// enough that a chain of steps stays in the CPU cache, so fused steps need no full-length temporary column).
/// </summary>
internal static class Blocks
{
    public const int ChunkRows = 1 << 16;
    public const int BlockRows = 1 << 11;

    public static int ChunkCount(int rows) => (rows + ChunkRows - 1) / ChunkRows;

    public static (int Start, int Length) Chunk(int chunk, int rows)
    {
        var start = chunk * ChunkRows;
        return (start, Math.Min(ChunkRows, rows - start));
    }

    /// <summary>Runs <paramref name="body"/> for every chunk: in parallel on up to <paramref name="threads"/> threads, or in order on one.</summary>
    public static void ForEachChunk(int rows, int threads, Action<int, int> body)
    {
        var chunks = ChunkCount(rows);
        if (threads <= 1 || chunks <= 1)
        {
            for (var c = 0; c < chunks; c++)
            {
                var (start, length) = Chunk(c, rows);
                body(start, length);
            }
            return;
        }
        Parallel.For(0, chunks, new ParallelOptions { MaxDegreeOfParallelism = threads }, c =>
        {
            var (start, length) = Chunk(c, rows);
            body(start, length);
        });
    }
}
