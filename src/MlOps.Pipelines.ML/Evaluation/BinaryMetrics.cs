namespace MlOps.Pipelines.ML.Evaluation;

/// <summary>Metrics of a binary classifier's scores against true labels.</summary>
public static class BinaryMetrics
{
    /// <summary>
    /// Area under the ROC curve: the probability that a random positive scores above a random negative,
    /// ties counting one half (the Mann–Whitney statistic: tied scores share their average rank).
    /// </summary>
    /// <remarks>
    /// NaN when one class is absent (all positives or all negatives): with no pair to compare the ranking cannot
    /// be judged, and 0.5 or 1 would both be misleading. Unlike the newer metrics, empty input also gives NaN
    /// rather than an exception, which existing callers rely on.
    /// </remarks>
    public static double RocAuc(ReadOnlySpan<double> scores, ReadOnlySpan<bool> labels)
    {
        if (scores.Length != labels.Length) throw new ArgumentException("scores and labels differ in length");
        var order = new int[scores.Length];
        for (var i = 0; i < order.Length; i++) order[i] = i;
        var keys = scores.ToArray();
        Array.Sort(keys, order);

        // Sum of the (average) ranks of the positives, walking groups of tied scores.
        double positiveRankSum = 0;
        long positives = 0;
        for (var start = 0; start < keys.Length;)
        {
            var end = start;
            while (end + 1 < keys.Length && keys[end + 1] == keys[start]) end++;
            var averageRank = (start + end) / 2.0 + 1;
            for (var k = start; k <= end; k++)
                if (labels[order[k]])
                {
                    positiveRankSum += averageRank;
                    positives++;
                }
            start = end + 1;
        }
        long negatives = scores.Length - positives;
        if (positives == 0 || negatives == 0) return double.NaN;
        return (positiveRankSum - positives * (positives + 1) / 2.0) / ((double)positives * negatives);
    }

    /// <summary>
    /// Mean negative log-likelihood of the labels under the predicted probabilities (clipped to [1e-15, 1 − 1e-15]
    /// so a confident miss costs a large finite amount). NaN for empty input, which existing callers rely on.
    /// </summary>
    public static double LogLoss(ReadOnlySpan<double> probabilities, ReadOnlySpan<bool> labels)
    {
        if (probabilities.Length != labels.Length) throw new ArgumentException("probabilities and labels differ in length");
        if (probabilities.Length == 0) return double.NaN;
        double sum = 0;
        for (var i = 0; i < probabilities.Length; i++)
        {
            var p = Math.Clamp(probabilities[i], 1e-15, 1 - 1e-15);
            sum -= labels[i] ? Math.Log(p) : Math.Log(1 - p);
        }
        return sum / probabilities.Length;
    }

    /// <summary>
    /// Area under the precision–recall curve as average precision, scikit-learn's <c>average_precision_score</c>:
    /// the sum over distinct score thresholds (high to low) of precision times the recall gained there. Step-wise,
    /// without interpolation, so it is not the trapezoidal area (which overstates a noisy curve).
    /// </summary>
    /// <param name="scores">Higher means more likely positive; NaN is refused.</param>
    /// <param name="labels">True for positives.</param>
    /// <returns>NaN when there is no positive: recall is undefined then (scikit-learn warns and reports 0).</returns>
    /// <exception cref="ArgumentException">Empty input, mismatched lengths or a NaN score.</exception>
    public static double AveragePrecision(ReadOnlySpan<double> scores, ReadOnlySpan<bool> labels)
    {
        MetricInputs.SameNonEmptyLength(scores.Length, labels.Length, nameof(scores), nameof(labels));
        MetricInputs.NotNaN(scores, nameof(scores));
        var positives = 0;
        foreach (var label in labels) if (label) positives++;
        if (positives == 0) return double.NaN;

        var order = new int[scores.Length];
        for (var i = 0; i < order.Length; i++) order[i] = i;
        var keys = scores.ToArray();
        Array.Sort(keys, order);

        // Walk from the highest score down; a group of tied scores is one threshold, so it enters at once
        // (otherwise the result would depend on how the sort happened to order the tie).
        double sum = 0;
        long truePositives = 0, predicted = 0;
        for (var end = keys.Length - 1; end >= 0;)
        {
            var start = end;
            while (start > 0 && keys[start - 1] == keys[end]) start--;
            long gained = 0;
            for (var k = start; k <= end; k++)
                if (labels[order[k]]) gained++;
            truePositives += gained;
            predicted += end - start + 1;
            if (gained > 0) sum += (double)gained / positives * ((double)truePositives / predicted);
            end = start - 1;
        }
        return sum;
    }

    /// <summary>
    /// The confusion counts, accuracy, precision, recall and F1 when rows with probability at or above
    /// <paramref name="threshold"/> are predicted positive.
    /// </summary>
    /// <param name="probabilities">Predicted probabilities (or scores) of the positive class; NaN is refused.</param>
    /// <param name="labels">True for positives.</param>
    /// <param name="threshold">The cut: at or above it is a positive prediction.</param>
    /// <exception cref="ArgumentException">Empty input, mismatched lengths, or a NaN probability or threshold.</exception>
    public static ThresholdMetrics AtThreshold(ReadOnlySpan<double> probabilities, ReadOnlySpan<bool> labels, double threshold = 0.5)
    {
        MetricInputs.SameNonEmptyLength(probabilities.Length, labels.Length, nameof(probabilities), nameof(labels));
        MetricInputs.NotNaN(probabilities, nameof(probabilities));
        if (double.IsNaN(threshold)) throw new ArgumentException("threshold is NaN.", nameof(threshold));
        int tp = 0, fp = 0, tn = 0, fn = 0;
        for (var i = 0; i < probabilities.Length; i++)
        {
            var predicted = probabilities[i] >= threshold;
            if (predicted) { if (labels[i]) tp++; else fp++; }
            else if (labels[i]) fn++;
            else tn++;
        }
        return new ThresholdMetrics(threshold, tp, fp, tn, fn);
    }

    /// <summary>Brier score: the mean squared difference between the probability and the 0/1 outcome (lower is better).</summary>
    /// <param name="probabilities">Predicted probabilities of the positive class, in [0, 1].</param>
    /// <param name="labels">True for positives.</param>
    /// <exception cref="ArgumentException">Empty input, mismatched lengths or a probability outside [0, 1].</exception>
    public static double Brier(ReadOnlySpan<double> probabilities, ReadOnlySpan<bool> labels)
    {
        MetricInputs.SameNonEmptyLength(probabilities.Length, labels.Length, nameof(probabilities), nameof(labels));
        MetricInputs.Probabilities(probabilities, nameof(probabilities));
        double sum = 0;
        for (var i = 0; i < probabilities.Length; i++)
        {
            var error = probabilities[i] - (labels[i] ? 1 : 0);
            sum += error * error;
        }
        return sum / probabilities.Length;
    }

    /// <summary>
    /// A reliability table: <paramref name="bins"/> equal-width bins over [0, 1] (the last one closed), each with its
    /// row count, mean predicted probability and observed positive rate. Empty bins are kept (count 0, NaN means)
    /// so tables of different models line up bin for bin; scikit-learn's <c>calibration_curve</c> drops them.
    /// </summary>
    /// <param name="probabilities">Predicted probabilities of the positive class, in [0, 1].</param>
    /// <param name="labels">True for positives.</param>
    /// <param name="bins">How many bins; at least 1.</param>
    /// <exception cref="ArgumentException">Empty input, mismatched lengths, a probability outside [0, 1] or fewer than one bin.</exception>
    public static IReadOnlyList<CalibrationBin> Calibration(ReadOnlySpan<double> probabilities, ReadOnlySpan<bool> labels, int bins = 10)
    {
        MetricInputs.SameNonEmptyLength(probabilities.Length, labels.Length, nameof(probabilities), nameof(labels));
        MetricInputs.Probabilities(probabilities, nameof(probabilities));
        ArgumentOutOfRangeException.ThrowIfLessThan(bins, 1);
        var counts = new int[bins];
        var predictedSums = new double[bins];
        var positives = new int[bins];
        for (var i = 0; i < probabilities.Length; i++)
        {
            var bin = BinOf(probabilities[i], bins);
            counts[bin]++;
            predictedSums[bin] += probabilities[i];
            if (labels[i]) positives[bin]++;
        }
        var table = new CalibrationBin[bins];
        for (var b = 0; b < bins; b++)
            table[b] = new CalibrationBin((double)b / bins, (double)(b + 1) / bins, counts[b],
                counts[b] == 0 ? double.NaN : predictedSums[b] / counts[b],
                counts[b] == 0 ? double.NaN : (double)positives[b] / counts[b]);
        return table;
    }

    /// <summary>
    /// The bin of <paramref name="p"/>, checked against the edges b / bins themselves: p × bins alone can land a
    /// value that sits exactly on an edge in the bin below (e.g. 0.29 × 100 → 28.999…).
    /// </summary>
    static int BinOf(double p, int bins)
    {
        var bin = Math.Min((int)(p * bins), bins - 1);
        if (bin < bins - 1 && p >= (double)(bin + 1) / bins) bin++;
        else if (bin > 0 && p < (double)bin / bins) bin--;
        return bin;
    }

    /// <summary>The usual binary metrics of one set of rows at once (what <see cref="Slices.Binary"/> reports per slice).</summary>
    /// <param name="probabilities">Predicted probabilities of the positive class, in [0, 1].</param>
    /// <param name="labels">True for positives.</param>
    /// <param name="threshold">The cut for <see cref="AtThreshold"/>.</param>
    /// <exception cref="ArgumentException">Empty input, mismatched lengths or a probability outside [0, 1].</exception>
    public static BinarySummary Summarize(ReadOnlySpan<double> probabilities, ReadOnlySpan<bool> labels, double threshold = 0.5)
    {
        MetricInputs.SameNonEmptyLength(probabilities.Length, labels.Length, nameof(probabilities), nameof(labels));
        MetricInputs.Probabilities(probabilities, nameof(probabilities));
        var positives = 0;
        foreach (var label in labels) if (label) positives++;
        return new BinarySummary(probabilities.Length, positives, RocAuc(probabilities, labels), AveragePrecision(probabilities, labels),
            LogLoss(probabilities, labels), Brier(probabilities, labels), AtThreshold(probabilities, labels, threshold));
    }
}
