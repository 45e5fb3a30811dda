namespace MlOps.Pipelines.ML.Evaluation;

/// <summary>
/// Confusion counts at one threshold and the rates derived from them. A rate whose denominator is zero is 0, as
/// scikit-learn gives with <c>zero_division=0</c> (e.g. precision when nothing is predicted positive).
/// </summary>
/// <param name="Threshold">Rows with probability at or above it were predicted positive.</param>
/// <param name="TruePositives">Predicted positive, labelled positive.</param>
/// <param name="FalsePositives">Predicted positive, labelled negative.</param>
/// <param name="TrueNegatives">Predicted negative, labelled negative.</param>
/// <param name="FalseNegatives">Predicted negative, labelled positive.</param>
public sealed record ThresholdMetrics(double Threshold, int TruePositives, int FalsePositives, int TrueNegatives, int FalseNegatives)
{
    public int Rows => TruePositives + FalsePositives + TrueNegatives + FalseNegatives;

    public double Accuracy => Ratio(TruePositives + TrueNegatives, Rows);

    public double Precision => Ratio(TruePositives, TruePositives + FalsePositives);

    public double Recall => Ratio(TruePositives, TruePositives + FalseNegatives);

    /// <summary>2·TP / (2·TP + FP + FN): the harmonic mean of precision and recall, written so it needs no special case when one of them is 0/0.</summary>
    public double F1 => Ratio(2L * TruePositives, 2L * TruePositives + FalsePositives + FalseNegatives);

    static double Ratio(long numerator, long denominator) => denominator == 0 ? 0 : (double)numerator / denominator;
}

/// <summary>One bin of a calibration table: rows whose probability lies in [<paramref name="Lower"/>, <paramref name="Upper"/>).</summary>
/// <param name="Lower">Lower edge (inclusive).</param>
/// <param name="Upper">Upper edge (exclusive, except 1 for the last bin).</param>
/// <param name="Count">Rows in the bin.</param>
/// <param name="MeanPredicted">Mean predicted probability of those rows; NaN when the bin is empty.</param>
/// <param name="ObservedRate">Share of those rows that are positive; NaN when the bin is empty.</param>
public sealed record CalibrationBin(double Lower, double Upper, int Count, double MeanPredicted, double ObservedRate);

/// <summary>The binary metrics of one set of rows.</summary>
/// <param name="Rows">How many rows.</param>
/// <param name="Positives">How many of them are positive.</param>
/// <param name="RocAuc">See <see cref="BinaryMetrics.RocAuc"/>; NaN when one class is absent.</param>
/// <param name="AveragePrecision">See <see cref="BinaryMetrics.AveragePrecision"/>; NaN without positives.</param>
/// <param name="LogLoss">See <see cref="BinaryMetrics.LogLoss"/>.</param>
/// <param name="Brier">See <see cref="BinaryMetrics.Brier"/>.</param>
/// <param name="AtThreshold">Counts and rates at the chosen threshold.</param>
public sealed record BinarySummary(int Rows, int Positives, double RocAuc, double AveragePrecision, double LogLoss, double Brier, ThresholdMetrics AtThreshold);
