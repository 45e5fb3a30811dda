namespace MlOps.Pipelines.ML.Features;

/// <summary>
/// Exact quantiles (numpy's default "linear" definition) without sorting the column: a histogram of the values
/// finds the bins that hold the wanted ranks, only those bins' values are sorted (a bin that is still large is
/// narrowed again). Histograms are integer counts, so the result does not depend on the thread count.
/// </summary>
internal static class Quantiles
{
    const int Bins = 1 << 16;
    const int SortDirectly = 1 << 12;

    /// <summary>The <paramref name="probabilities"/> (each in [0, 1]) of the non-NaN values; NaN each when there are none.</summary>
    public static double[] Of(ReadOnlySpan<double> values, IReadOnlyList<double> probabilities, int threads)
    {
        foreach (var p in probabilities)
            if (p is < 0 or > 1 || double.IsNaN(p)) throw new ArgumentOutOfRangeException(nameof(probabilities), p, "A quantile's probability must be between 0 and 1.");
        // Infinities cannot go into a histogram's arithmetic: count them and keep the finite values.
        var finite = new double[values.Length];
        var count = 0;
        long negative = 0, positive = 0;
        foreach (var x in values)
        {
            if (double.IsFinite(x)) finite[count++] = x;
            else if (double.IsNegativeInfinity(x)) negative++;
            else if (double.IsPositiveInfinity(x)) positive++;
        }
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
        var finiteRanks = new List<int>();
        foreach (var rank in wanted)
        {
            if (rank < negative) byRank[rank] = double.NegativeInfinity;
            else if (rank >= negative + count) byRank[rank] = double.PositiveInfinity;
            else finiteRanks.Add((int)(rank - negative));
        }
        var selected = new Dictionary<int, double>();
        Select(new ArraySegment<double>(finite, 0, count), finiteRanks, selected, threads);
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

    /// <summary>Puts the value of each rank (0-based, ascending, among <paramref name="values"/>) into <paramref name="results"/>.</summary>
    static void Select(ArraySegment<double> values, List<int> ranks, Dictionary<int, double> results, int threads)
    {
        if (ranks.Count == 0) return;
        if (values.Count <= SortDirectly)
        {
            var sorted = values.ToArray();
            Array.Sort(sorted);
            foreach (var rank in ranks) results[rank] = sorted[rank];
            return;
        }
        var min = double.PositiveInfinity;
        var max = double.NegativeInfinity;
        foreach (var x in values.AsSpan())
        {
            if (x < min) min = x;
            if (x > max) max = x;
        }
        if (min == max)
        {
            foreach (var rank in ranks) results[rank] = min;
            return;
        }
        // Halving first keeps the width finite for values near ±double.MaxValue.
        var scale = Bins / 2 / (max / 2 - min / 2);
        var counts = Histogram(values, min, scale, threads);
        // For each rank, its bin and the number of values in bins before it.
        var slots = new Dictionary<int, (long Before, List<int> Ranks)>();
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
        // One pass gathers the values of every wanted bin; a table indexed by bin keeps that pass to an array lookup.
        var slotOf = new int[Bins];
        Array.Fill(slotOf, -1);
        var wantedBins = slots.Keys.ToArray();
        var members = new double[wantedBins.Length][];
        var filled = new int[wantedBins.Length];
        for (var w = 0; w < wantedBins.Length; w++)
        {
            slotOf[wantedBins[w]] = w;
            members[w] = new double[counts[wantedBins[w]]];
        }
        foreach (var x in values.AsSpan())
        {
            var slot = slotOf[BinOf(x, min, scale)];
            if (slot >= 0) members[slot][filled[slot]++] = x;
        }
        for (var w = 0; w < wantedBins.Length; w++)
        {
            var (before, binRanks) = slots[wantedBins[w]];
            var local = new Dictionary<int, double>();
            var bucket = members[w];
            // A bin holding every value cannot narrow further (all but identical values): sort it.
            if (bucket.Length == values.Count)
            {
                Array.Sort(bucket);
                foreach (var rank in binRanks) results[rank] = bucket[rank];
                continue;
            }
            Select(new ArraySegment<double>(bucket), [.. binRanks.Select(rank => (int)(rank - before))], local, threads);
            foreach (var rank in binRanks) results[rank] = local[(int)(rank - before)];
        }
    }

    static int BinOf(double x, double min, double scale) => Math.Min((int)((x / 2 - min / 2) * scale), Bins - 1);

    static int[] Histogram(ArraySegment<double> values, double min, double scale, int threads)
    {
        var total = new int[Bins];
        if (threads <= 1 || values.Count < Blocks.ChunkRows * 2)
        {
            foreach (var x in values.AsSpan()) total[BinOf(x, min, scale)]++;
            return total;
        }
        // Integer counts add up to the same totals in any order, so per-thread histograms merge deterministically.
        var gate = new object();
        Parallel.For(0, Blocks.ChunkCount(values.Count), new ParallelOptions { MaxDegreeOfParallelism = threads }, () => new int[Bins], (chunk, _, local) =>
        {
            var (start, length) = Blocks.Chunk(chunk, values.Count);
            foreach (var x in values.AsSpan(start, length)) local[BinOf(x, min, scale)]++;
            return local;
        }, local =>
        {
            lock (gate)
                for (var i = 0; i < Bins; i++) total[i] += local[i];
        });
        return total;
    }
}
