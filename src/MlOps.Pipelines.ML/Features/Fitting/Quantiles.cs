using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace MlOps.Pipelines.ML.Features;

/// <summary>
/// Exact quantiles (numpy's default "linear" definition) without sorting or copying the column: a histogram of the
/// values finds the bins that hold the wanted ranks, one more pass gathers only those bins' values, which are sorted
/// (a bin that is still large is narrowed again the same way). Histograms are integer counts and gathered values
/// keep the column's order, so the result does not depend on the thread count.
/// </summary>
internal static class Quantiles
{
    // 4,096 bins: the histogram (16 KB) stays in L1 while the column streams past; the few values of the wanted bins
    // (a few thousand each on 10M rows) are then sorted directly.
    const int Bins = 1 << 12;
    const int SortDirectly = 1 << 12;

    /// <summary>Writes rows [start, start + destination.Length) of the column into <paramref name="destination"/>.</summary>
    internal delegate void Reader(int start, Span<double> destination);

    /// <summary>The <paramref name="probabilities"/> (each in [0, 1]) of the non-NaN values; NaN each when there are none.</summary>
    public static double[] Of(double[] values, IReadOnlyList<double> probabilities, int threads) =>
        Of(values.Length, () => ArrayReader(values), probabilities, threads, moments: null);

    /// <summary>
    /// The <paramref name="probabilities"/> of the non-NaN values of a column of <paramref name="rows"/> values that
    /// <paramref name="open"/> gives a reader for (one per thread, each called block by block, possibly several times
    /// over the column). Known <paramref name="moments"/> of the column spare the pass that finds its range.
    /// </summary>
    public static double[] Of(int rows, Func<Reader> open, IReadOnlyList<double> probabilities, int threads, Moments? moments)
    {
        foreach (var p in probabilities)
            if (p is < 0 or > 1 || double.IsNaN(p)) throw new ArgumentOutOfRangeException(nameof(probabilities), p, "A quantile's probability must be between 0 and 1.");
        // Infinities cannot go into a histogram's arithmetic: they are counted, and the finite values narrowed.
        var range = moments is { IsFinite: true } m ? new Range(m.Count, 0, 0, m.Min, m.Max) : Measure(rows, open, threads);
        var (count, negative, positive) = (range.Finite, range.NegativeInfinities, range.PositiveInfinities);
        var total = count + negative + positive;
        var results = new double[probabilities.Count];
        if (total == 0)
        {
            Array.Fill(results, double.NaN);
            return results;
        }
        // Ranks wanted: floor and ceiling of (n - 1) p for every p.
        var wanted = new SortedSet<long>();
        foreach (var p in probabilities)
        {
            var h = (total - 1) * p;
            wanted.Add((long)Math.Floor(h));
            wanted.Add(Math.Min((long)Math.Floor(h) + 1, total - 1));
        }
        var byRank = new Dictionary<long, double>();
        var finiteRanks = new List<long>();
        foreach (var rank in wanted)
        {
            if (rank < negative) byRank[rank] = double.NegativeInfinity;
            else if (rank >= negative + count) byRank[rank] = double.PositiveInfinity;
            else finiteRanks.Add(rank - negative);
        }
        var selected = new Dictionary<long, double>();
        Select(rows, open, count, range.Min, range.Max, finiteRanks, selected, threads);
        foreach (var (rank, value) in selected) byRank[rank + negative] = value;
        for (var i = 0; i < results.Length; i++)
        {
            var h = (total - 1) * probabilities[i];
            var lo = (long)Math.Floor(h);
            var low = byRank[lo];
            var fraction = h - lo;
            // numpy's lerp: exact at the ends, no 0 × inf.
            results[i] = fraction == 0 ? low : low + fraction * (byRank[Math.Min(lo + 1, total - 1)] - low);
        }
        return results;
    }

    static Reader ArrayReader(double[] values) => (start, destination) => values.AsSpan(start, destination.Length).CopyTo(destination);

    /// <summary>How many values are finite, −∞ and +∞, and the smallest and largest finite one.</summary>
    readonly record struct Range(long Finite, long NegativeInfinities, long PositiveInfinities, double Min, double Max)
    {
        public static Range Empty { get; } = new(0, 0, 0, double.PositiveInfinity, double.NegativeInfinity);

        public Range Merge(Range other) => new(Finite + other.Finite, NegativeInfinities + other.NegativeInfinities, PositiveInfinities + other.PositiveInfinities,
            other.Min < Min ? other.Min : Min, other.Max > Max ? other.Max : Max);
    }

    static Range Measure(int rows, Func<Reader> open, int threads)
    {
        var chunks = new Range[Blocks.ChunkCount(rows)];
        ForEachBlock(rows, open, threads, (chunk, block) =>
        {
            long finite = 0, negative = 0, positive = 0;
            var (min, max) = (double.PositiveInfinity, double.NegativeInfinity);
            foreach (var x in block)
            {
                if (double.IsFinite(x))
                {
                    finite++;
                    if (x < min) min = x;
                    if (x > max) max = x;
                }
                else if (double.IsNegativeInfinity(x)) negative++;
                else if (double.IsPositiveInfinity(x)) positive++;
            }
            chunks[chunk] = chunks[chunk].Merge(new Range(finite, negative, positive, min, max));
        }, chunk => chunks[chunk] = Range.Empty);
        return chunks.Aggregate(Range.Empty, (all, chunk) => all.Merge(chunk));
    }

    /// <summary>
    /// Puts the value of each rank (0-based, ascending, among the <paramref name="count"/> finite values, which lie in
    /// [<paramref name="min"/>, <paramref name="max"/>]) into <paramref name="results"/>.
    /// </summary>
    static void Select(int rows, Func<Reader> open, long count, double min, double max, List<long> ranks, Dictionary<long, double> results, int threads)
    {
        if (ranks.Count == 0) return;
        if (min == max)
        {
            foreach (var rank in ranks) results[rank] = min;
            return;
        }
        if (count <= SortDirectly)
        {
            var all = Gather(rows, open, threads, null, 0, 0, 1)[0];
            Array.Sort(all);
            foreach (var rank in ranks) results[rank] = all[rank];
            return;
        }
        // Halving first keeps the width finite for values near ±double.MaxValue.
        var scale = Bins / (max / 2 - min / 2);
        var counts = Histogram(rows, open, min, scale, threads);
        // For each rank, its bin and the number of values in bins before it.
        var slots = new SortedDictionary<int, (long Before, List<long> Ranks)>();
        long cumulative = 0;
        var r = 0;
        for (var bin = 0; bin < Bins && r < ranks.Count; bin++)
        {
            var next = cumulative + counts[bin];
            while (r < ranks.Count && ranks[r] < next)
            {
                if (!slots.TryGetValue(bin, out var slot)) slots[bin] = slot = (cumulative, []);
                slot.Ranks.Add(ranks[r++]);
            }
            cumulative = next;
        }
        // One more pass gathers the values of every wanted bin; a table indexed by bin keeps it to an array lookup.
        var slotOf = new int[Bins];
        Array.Fill(slotOf, -1);
        var wantedBins = slots.Keys.ToArray();
        for (var w = 0; w < wantedBins.Length; w++) slotOf[wantedBins[w]] = w;
        var members = Gather(rows, open, threads, slotOf, min, scale, wantedBins.Length);
        for (var w = 0; w < wantedBins.Length; w++)
        {
            var (before, binRanks) = slots[wantedBins[w]];
            var bucket = members[w];
            // A bin holding every value cannot narrow further (all but identical values): sort it.
            if (bucket.Length == count)
            {
                Array.Sort(bucket);
                foreach (var rank in binRanks) results[rank] = bucket[rank];
                continue;
            }
            var (low, high) = (double.PositiveInfinity, double.NegativeInfinity);
            foreach (var x in bucket)
            {
                if (x < low) low = x;
                if (x > high) high = x;
            }
            var local = new Dictionary<long, double>();
            Select(bucket.Length, () => ArrayReader(bucket), bucket.Length, low, high, [.. binRanks.Select(rank => rank - before)], local, threads);
            foreach (var rank in binRanks) results[rank] = local[rank - before];
        }
    }

    static int BinOf(double x, double min, double scale) => Math.Min((int)((x / 2 - min / 2) * scale), Bins - 1);

    /// <summary>
    /// The bin of every value of the block (<see cref="BinOf"/>), or <see cref="Bins"/> (a spare bin nobody asks for)
    /// for a value that is not finite. Sixteen at a time on 512-bit vectors where the CPU has them: the same IEEE
    /// operations (x / 2 is x × 0.5 exactly), then truncation of a whole number below <see cref="Bins"/> either way.
    /// </summary>
    static void BinsOf(ReadOnlySpan<double> block, double min, double scale, Span<int> bins)
    {
        var i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            ref var source = ref MemoryMarshal.GetReference(block);
            ref var target = ref MemoryMarshal.GetReference(bins);
            var half = Vector512.Create(0.5);
            var halfMin = Vector512.Create(min / 2);
            var factor = Vector512.Create(scale);
            var last = Vector512.Create((double)(Bins - 1));
            var spare = Vector512.Create((double)Bins);
            var largest = Vector512.Create(double.MaxValue);
            for (; i <= block.Length - 16; i += 16)
            {
                var low = Vector512.LoadUnsafe(ref source, (nuint)i);
                var high = Vector512.LoadUnsafe(ref source, (nuint)(i + 8));
                var lowBins = Vector512.ConditionalSelect(Vector512.LessThanOrEqual(Vector512.Abs(low), largest), Vector512.Min((low * half - halfMin) * factor, last), spare);
                var highBins = Vector512.ConditionalSelect(Vector512.LessThanOrEqual(Vector512.Abs(high), largest), Vector512.Min((high * half - halfMin) * factor, last), spare);
                Vector512.Narrow(Vector512.ConvertToInt64(lowBins), Vector512.ConvertToInt64(highBins)).StoreUnsafe(ref target, (nuint)i);
            }
        }
        for (; i < block.Length; i++) bins[i] = double.IsFinite(block[i]) ? BinOf(block[i], min, scale) : Bins;
    }

    static int[] Histogram(int rows, Func<Reader> open, double min, double scale, int threads)
    {
        var total = new int[Bins + 1];
        if (threads <= 1 || rows < Blocks.ChunkRows * 2)
        {
            var bins = new int[Blocks.BlockRows];
            ForEachBlock(rows, open, 1, (_, block) =>
            {
                BinsOf(block, min, scale, bins);
                foreach (var bin in bins.AsSpan(0, block.Length)) total[bin]++;
            });
            return total;
        }
        // Integer counts add up to the same totals in any order, so per-thread histograms merge deterministically.
        var gate = new object();
        Parallel.For(0, Blocks.ChunkCount(rows), new ParallelOptions { MaxDegreeOfParallelism = threads },
            () => (Counts: new int[Bins + 1], Buffer: new double[Blocks.BlockRows], Bins: new int[Blocks.BlockRows], Read: open()), (chunk, _, local) =>
        {
            var (start, length) = Blocks.Chunk(chunk, rows);
            for (var b = start; b < start + length; b += Blocks.BlockRows)
            {
                var block = local.Buffer.AsSpan(0, Math.Min(Blocks.BlockRows, start + length - b));
                local.Read(b, block);
                BinsOf(block, min, scale, local.Bins);
                foreach (var bin in local.Bins.AsSpan(0, block.Length)) local.Counts[bin]++;
            }
            return local;
        }, local =>
        {
            lock (gate)
                for (var i = 0; i < Bins; i++) total[i] += local.Counts[i];
        });
        return total;
    }

    /// <summary>
    /// The finite values whose bin has a slot (<paramref name="slotOf"/>[bin] ≥ 0; every finite value in slot 0 when
    /// there is no table), per slot in the column's order: chunks gather in parallel and are joined in chunk order.
    /// </summary>
    static double[][] Gather(int rows, Func<Reader> open, int threads, int[]? slotOf, double min, double scale, int slots)
    {
        // A bit per bin (512 bytes) answers "is this bin wanted" for the many values whose bin is not.
        var wanted = new ulong[Bins / 64 + 1];
        if (slotOf is not null)
            for (var bin = 0; bin < Bins; bin++)
                if (slotOf[bin] >= 0) wanted[bin >> 6] |= 1UL << bin;
        var chunks = new List<double>[Blocks.ChunkCount(rows)][];
        ForEachBlock(rows, open, threads, (chunk, block) =>
        {
            var lists = chunks[chunk];
            if (slotOf is null)
            {
                foreach (var x in block) if (double.IsFinite(x)) lists[0].Add(x);
                return;
            }
            Span<int> bins = stackalloc int[block.Length];
            BinsOf(block, min, scale, bins);
            for (var i = 0; i < block.Length; i++)
            {
                var bin = bins[i];
                if ((wanted[bin >> 6] & (1UL << bin)) != 0) lists[slotOf[bin]].Add(block[i]);
            }
        }, chunk => chunks[chunk] = [.. Enumerable.Range(0, slots).Select(_ => new List<double>())]);
        var members = new double[slots][];
        for (var s = 0; s < slots; s++)
        {
            var all = new double[chunks.Sum(c => c[s].Count)];
            var at = 0;
            foreach (var chunk in chunks)
            {
                chunk[s].CopyTo(all, at);
                at += chunk[s].Count;
            }
            members[s] = all;
        }
        return members;
    }

    /// <summary>Reads the column block by block, chunks in parallel; <paramref name="begin"/> runs once per chunk before its blocks.</summary>
    static void ForEachBlock(int rows, Func<Reader> open, int threads, Action<int, ReadOnlySpan<double>> body, Action<int>? begin = null)
    {
        Blocks.ForEachChunk(rows, threads, (start, length) =>
        {
            var chunk = start / Blocks.ChunkRows;
            begin?.Invoke(chunk);
            var read = open();
            var buffer = new double[Math.Min(Blocks.BlockRows, length)];
            for (var b = start; b < start + length; b += Blocks.BlockRows)
            {
                var block = buffer.AsSpan(0, Math.Min(Blocks.BlockRows, start + length - b));
                read(b, block);
                body(chunk, block);
            }
        });
    }
}
