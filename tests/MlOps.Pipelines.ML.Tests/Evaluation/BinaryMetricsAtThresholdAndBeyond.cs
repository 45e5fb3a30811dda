using MlOps.Pipelines.ML.Evaluation;

namespace MlOps.Pipelines.ML.Tests.Evaluation;

public sealed class BinaryMetricsAtThresholdAndBeyond
{
    [Fact]
    public void Average_precision_matches_the_classic_scikit_learn_example()
    {
        // Descending: 0.8 (+) P=1 R=½; 0.4 (−) no recall gained; 0.35 (+) P=2/3 R=1; 0.1 (−) nothing gained.
        // AP = ½·1 + ½·⅔ = 0.8333…
        Assert.Equal(5.0 / 6, BinaryMetrics.AveragePrecision([0.1, 0.4, 0.35, 0.8], [false, false, true, true]), 12);
    }

    [Fact]
    public void Tied_scores_enter_average_precision_as_one_threshold_whatever_their_order()
    {
        // Threshold 0.5 takes both tied rows: TP 1 of 2 predicted, recall ½ → ½·½ = ¼.
        // Threshold 0.2: TP 2 of 3, recall gains ½ → ½·⅔ = ⅓. AP = ¼ + ⅓ = 7/12.
        Assert.Equal(7.0 / 12, BinaryMetrics.AveragePrecision([0.5, 0.5, 0.2], [true, false, true]), 12);
        Assert.Equal(7.0 / 12, BinaryMetrics.AveragePrecision([0.5, 0.5, 0.2], [false, true, true]), 12);
        Assert.Equal(7.0 / 12, BinaryMetrics.AveragePrecision([0.2, 0.5, 0.5], [true, true, false]), 12);
    }

    [Fact]
    public void Average_precision_of_a_perfect_ranking_or_all_positives_is_one_and_without_positives_undefined()
    {
        Assert.Equal(1.0, BinaryMetrics.AveragePrecision([0.1, 0.2, 0.8, 0.9], [false, false, true, true]), 12);
        Assert.Equal(1.0, BinaryMetrics.AveragePrecision([0.1, 0.5], [true, true]), 12);
        Assert.True(double.IsNaN(BinaryMetrics.AveragePrecision([0.1, 0.5], [false, false])));
        Assert.Throws<ArgumentException>(() => BinaryMetrics.AveragePrecision([double.NaN, 0.5], [true, false]));
    }

    [Fact]
    public void Counts_and_rates_at_the_default_threshold_include_the_threshold_itself()
    {
        // ≥ 0.5 predicted positive: 0.9 (+) TP, 0.6 (−) FP, 0.5 (+) TP; 0.4 (+) FN, 0.2 (−) TN.
        var m = BinaryMetrics.AtThreshold([0.9, 0.6, 0.5, 0.4, 0.2], [true, false, true, true, false]);
        Assert.Equal((0.5, 2, 1, 1, 1), (m.Threshold, m.TruePositives, m.FalsePositives, m.TrueNegatives, m.FalseNegatives));
        Assert.Equal(5, m.Rows);
        Assert.Equal(0.6, m.Accuracy, 12);           // (2 + 1) / 5
        Assert.Equal(2.0 / 3, m.Precision, 12);      // 2 / (2 + 1)
        Assert.Equal(2.0 / 3, m.Recall, 12);         // 2 / (2 + 1)
        Assert.Equal(2.0 / 3, m.F1, 12);             // 2·2 / (2·2 + 1 + 1)
    }

    [Fact]
    public void A_higher_threshold_trades_recall_for_precision()
    {
        // ≥ 0.7: only 0.9 → TP 1, FP 0, FN 2, TN 2.
        var m = BinaryMetrics.AtThreshold([0.9, 0.6, 0.5, 0.4, 0.2], [true, false, true, true, false], 0.7);
        Assert.Equal(0.6, m.Accuracy, 12);
        Assert.Equal(1.0, m.Precision, 12);
        Assert.Equal(1.0 / 3, m.Recall, 12);
        Assert.Equal(0.5, m.F1, 12);                 // 2 / (2 + 0 + 2)
    }

    [Fact]
    public void Rates_with_nothing_predicted_positive_are_zero_not_NaN()
    {
        var m = BinaryMetrics.AtThreshold([0.9, 0.2], [true, false], 0.95);
        Assert.Equal(0.5, m.Accuracy, 12);
        Assert.Equal(0.0, m.Precision);
        Assert.Equal(0.0, m.Recall);
        Assert.Equal(0.0, m.F1);
    }

    [Fact]
    public void Brier_score_is_the_mean_squared_probability_error()
    {
        // ((0.9 − 1)² + (0.2 − 0)²) / 2 = (0.01 + 0.04) / 2
        Assert.Equal(0.025, BinaryMetrics.Brier([0.9, 0.2], [true, false]), 12);
        Assert.Equal(1.0, BinaryMetrics.Brier([0.0, 1.0], [true, false]), 12);
        Assert.Throws<ArgumentException>(() => BinaryMetrics.Brier([1.5], [true]));
        Assert.Throws<ArgumentException>(() => BinaryMetrics.Brier([double.NaN], [true]));
    }

    [Fact]
    public void Calibration_bins_count_rows_with_their_mean_prediction_and_observed_rate()
    {
        // Four bins of width ¼; 0.75 opens the last bin, 1.0 closes it.
        var table = BinaryMetrics.Calibration([0.1, 0.2, 0.3, 0.6, 0.75, 1.0], [false, false, true, true, false, true], bins: 4);
        Assert.Equal(4, table.Count);
        Assert.Equal(new CalibrationBin(0, 0.25, 2, 0.15, 0), Round(table[0]));
        Assert.Equal(new CalibrationBin(0.25, 0.5, 1, 0.3, 1), Round(table[1]));
        Assert.Equal(new CalibrationBin(0.5, 0.75, 1, 0.6, 1), Round(table[2]));
        Assert.Equal(new CalibrationBin(0.75, 1, 2, 0.875, 0.5), Round(table[3]));
    }

    [Fact]
    public void Calibration_keeps_empty_bins_and_puts_edge_values_in_the_upper_bin()
    {
        var table = BinaryMetrics.Calibration([0.1], [true], bins: 4);
        Assert.Equal([1, 0, 0, 0], table.Select(b => b.Count));
        Assert.True(double.IsNaN(table[3].MeanPredicted) && double.IsNaN(table[3].ObservedRate));
        // 0.29 × 100 is 28.999… in floating point, yet 0.29 is the lower edge of bin 29.
        Assert.Equal(1, BinaryMetrics.Calibration([0.29], [true], bins: 100)[29].Count);
        Assert.Throws<ArgumentOutOfRangeException>(() => BinaryMetrics.Calibration([0.1], [true], bins: 0));
    }

    [Fact]
    public void A_summary_bundles_the_metrics_and_is_undefined_where_they_are()
    {
        var s = BinaryMetrics.Summarize([0.1, 0.4, 0.35, 0.8], [false, false, true, true]);
        Assert.Equal((4, 2), (s.Rows, s.Positives));
        Assert.Equal(0.75, s.RocAuc, 12);
        Assert.Equal(5.0 / 6, s.AveragePrecision, 12);
        // (0.1² + 0.4² + 0.65² + 0.2²) / 4 = (0.01 + 0.16 + 0.4225 + 0.04) / 4
        Assert.Equal(0.158125, s.Brier, 12);
        Assert.Equal(BinaryMetrics.LogLoss([0.1, 0.4, 0.35, 0.8], [false, false, true, true]), s.LogLoss);
        // One class only: ranking metrics have no pair to judge, so NaN rather than a misleading 0.5 or 1.
        var oneClass = BinaryMetrics.Summarize([0.3, 0.6], [false, false]);
        Assert.True(double.IsNaN(oneClass.RocAuc));
        Assert.True(double.IsNaN(oneClass.AveragePrecision));
        Assert.Equal(0.5, oneClass.AtThreshold.Accuracy, 12);
    }

    [Fact]
    public void Empty_or_mismatched_input_is_refused_by_the_new_metrics()
    {
        Assert.Throws<ArgumentException>(() => BinaryMetrics.AveragePrecision([], []));
        Assert.Throws<ArgumentException>(() => BinaryMetrics.AtThreshold([], []));
        Assert.Throws<ArgumentException>(() => BinaryMetrics.Brier([], []));
        Assert.Throws<ArgumentException>(() => BinaryMetrics.Calibration([], []));
        Assert.Throws<ArgumentException>(() => BinaryMetrics.Summarize([], []));
        var e = Assert.Throws<ArgumentException>(() => BinaryMetrics.Brier([0.1, 0.2], [true]));
        Assert.Equal("labels", e.ParamName);
    }

    static CalibrationBin Round(CalibrationBin b) =>
        b with { MeanPredicted = Math.Round(b.MeanPredicted, 12), ObservedRate = Math.Round(b.ObservedRate, 12) };
}
