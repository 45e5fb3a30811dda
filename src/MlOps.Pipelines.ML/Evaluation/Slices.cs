namespace MlOps.Pipelines.ML.Evaluation;

/// <summary>
/// Metrics per slice of the rows (e.g. per origin airport), to find where a model that looks fine overall is not.
/// Slices are given as dictionary codes, as a <c>StringColumn</c> holds them: <c>Codes.Span</c> and <c>Dictionary</c>.
/// </summary>
/// <remarks>
/// Results come in ordinal order of the slice label, so reports and diffs are stable. Rows whose code is negative
/// (missing) belong to no slice, and labels without rows are left out. Slices with fewer rows than
/// <c>minRows</c> are still listed, with their row count, but their metrics are not computed: a metric of three
/// rows is noise that would top or tail every ranking.
/// </remarks>
/// <example>
/// <code>
/// var origin = table.GetString("origin");
/// foreach (var slice in Slices.Binary(origin.Codes.Span, origin.Dictionary, probabilities, labels, minRows: 200))
///     Console.WriteLine($"{slice.Key}: {slice.Metrics?.RocAuc}");
/// </code>
/// </example>
public static class Slices
{
    /// <summary>Any metric per slice: <paramref name="metric"/> gets the slice's row numbers, ascending.</summary>
    /// <param name="sliceCodes">Per row, the index of its slice label, or negative when it has none.</param>
    /// <param name="sliceLabels">The slice labels (distinct).</param>
    /// <param name="metric">Computes the metric of the given rows.</param>
    /// <param name="minRows">Slices with fewer rows get <see cref="SliceMetric.TooFewRows"/> and a NaN value.</param>
    public static IReadOnlyList<SliceMetric> Compute(ReadOnlySpan<int> sliceCodes, IReadOnlyList<string> sliceLabels, Func<int[], double> metric, int minRows = 1)
    {
        ArgumentNullException.ThrowIfNull(metric);
        var slices = Group(sliceCodes, sliceLabels, minRows);
        return [.. slices.Select(s => s.Rows.Length < minRows
            ? new SliceMetric(s.Key, s.Rows.Length, true, double.NaN)
            : new SliceMetric(s.Key, s.Rows.Length, false, metric(s.Rows)))];
    }

    /// <summary>The binary metrics of <see cref="BinaryMetrics.Summarize"/> per slice.</summary>
    /// <param name="sliceCodes">Per row, the index of its slice label, or negative when it has none.</param>
    /// <param name="sliceLabels">The slice labels (distinct).</param>
    /// <param name="probabilities">Predicted probabilities of the positive class, per row, in [0, 1].</param>
    /// <param name="labels">True for positives, per row.</param>
    /// <param name="minRows">Slices with fewer rows get no <see cref="BinarySlice.Metrics"/>.</param>
    /// <param name="threshold">The cut for the counts at a threshold.</param>
    public static IReadOnlyList<BinarySlice> Binary(ReadOnlySpan<int> sliceCodes, IReadOnlyList<string> sliceLabels,
        ReadOnlySpan<double> probabilities, ReadOnlySpan<bool> labels, int minRows = 1, double threshold = 0.5)
    {
        MetricInputs.SameNonEmptyLength(probabilities.Length, labels.Length, nameof(probabilities), nameof(labels));
        if (sliceCodes.Length != labels.Length)
            throw new ArgumentException($"sliceCodes has {sliceCodes.Length} rows but labels has {labels.Length}.", nameof(sliceCodes));
        var slices = Group(sliceCodes, sliceLabels, minRows);
        var results = new BinarySlice[slices.Count];
        for (var s = 0; s < slices.Count; s++)
        {
            var rows = slices[s].Rows;
            var p = new double[rows.Length];
            var y = new bool[rows.Length];
            var positives = 0;
            for (var i = 0; i < rows.Length; i++)
            {
                p[i] = probabilities[rows[i]];
                y[i] = labels[rows[i]];
                if (y[i]) positives++;
            }
            results[s] = new BinarySlice(slices[s].Key, rows.Length, positives,
                rows.Length < minRows ? null : BinaryMetrics.Summarize(p, y, threshold));
        }
        return results;
    }

    /// <summary>The non-empty slices, ordered by label, each with its rows ascending.</summary>
    static List<(string Key, int[] Rows)> Group(ReadOnlySpan<int> sliceCodes, IReadOnlyList<string> sliceLabels, int minRows)
    {
        ArgumentNullException.ThrowIfNull(sliceLabels);
        ArgumentOutOfRangeException.ThrowIfLessThan(minRows, 1);
        if (sliceLabels.Distinct(StringComparer.Ordinal).Count() != sliceLabels.Count)
            throw new ArgumentException("sliceLabels has duplicates; two slices with one name could not be told apart.", nameof(sliceLabels));
        var counts = new int[sliceLabels.Count];
        for (var i = 0; i < sliceCodes.Length; i++)
        {
            var code = sliceCodes[i];
            if (code >= sliceLabels.Count)
                throw new ArgumentException($"sliceCodes[{i}] is {code} but there are only {sliceLabels.Count} labels.", nameof(sliceCodes));
            if (code >= 0) counts[code]++;
        }
        var rows = new int[sliceLabels.Count][];
        for (var c = 0; c < rows.Length; c++) rows[c] = new int[counts[c]];
        var filled = new int[sliceLabels.Count];
        for (var i = 0; i < sliceCodes.Length; i++)
            if (sliceCodes[i] >= 0) rows[sliceCodes[i]][filled[sliceCodes[i]]++] = i;
        return [.. Enumerable.Range(0, sliceLabels.Count)
            .Where(c => counts[c] > 0)
            .OrderBy(c => sliceLabels[c], StringComparer.Ordinal)
            .Select(c => (sliceLabels[c], rows[c]))];
    }
}

/// <summary>One slice's value of a metric.</summary>
/// <param name="Key">The slice label.</param>
/// <param name="Rows">Rows in the slice.</param>
/// <param name="TooFewRows">True when the slice had fewer rows than asked for, so the metric was not computed.</param>
/// <param name="Value">The metric; NaN when <paramref name="TooFewRows"/>.</param>
public sealed record SliceMetric(string Key, int Rows, bool TooFewRows, double Value);

/// <summary>One slice's binary metrics.</summary>
/// <param name="Key">The slice label.</param>
/// <param name="Rows">Rows in the slice.</param>
/// <param name="Positives">Positive rows in the slice.</param>
/// <param name="Metrics">The metrics; null when the slice had fewer rows than asked for.</param>
public sealed record BinarySlice(string Key, int Rows, int Positives, BinarySummary? Metrics)
{
    /// <summary>True when the slice had too few rows for its metrics to be computed.</summary>
    public bool TooFewRows => Metrics is null;
}
