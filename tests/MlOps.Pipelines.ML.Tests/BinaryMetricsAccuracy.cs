using MlOps.Pipelines.ML.Evaluation;

namespace MlOps.Pipelines.ML.Tests;

public sealed class BinaryMetricsAccuracy
{
    [Fact]
    public void Roc_auc_is_the_share_of_positive_negative_pairs_ranked_correctly()
    {
        // Pairs (positive, negative): 0.35>0.1 yes, 0.35>0.4 no, 0.8>0.1 yes, 0.8>0.4 yes → 3 of 4.
        Assert.Equal(0.75, BinaryMetrics.RocAuc([0.1, 0.4, 0.35, 0.8], [false, false, true, true]), 12);
    }

    [Fact]
    public void Tied_scores_count_one_half()
    {
        Assert.Equal(0.5, BinaryMetrics.RocAuc([0.5, 0.5], [true, false]), 12);
        // Pairs: (0.7 vs 0.7) = ½, (0.7 vs 0.2) = 1, (0.9 vs 0.7) = 1, (0.9 vs 0.2) = 1 → 3.5 / 4.
        Assert.Equal(0.875, BinaryMetrics.RocAuc([0.7, 0.7, 0.9, 0.2], [true, false, true, false]), 12);
    }

    [Fact]
    public void Perfect_and_inverted_rankings_give_one_and_zero()
    {
        Assert.Equal(1.0, BinaryMetrics.RocAuc([0.1, 0.2, 0.8, 0.9], [false, false, true, true]), 12);
        Assert.Equal(0.0, BinaryMetrics.RocAuc([0.9, 0.8, 0.2, 0.1], [false, false, true, true]), 12);
    }

    [Fact]
    public void Roc_auc_is_undefined_with_one_class()
    {
        Assert.True(double.IsNaN(BinaryMetrics.RocAuc([0.1, 0.2], [true, true])));
        Assert.True(double.IsNaN(BinaryMetrics.RocAuc([], [])));
    }

    [Fact]
    public void Log_loss_is_the_mean_negative_log_likelihood()
    {
        // −(ln 0.9 + ln 0.8) / 2
        Assert.Equal(0.164252033486018, BinaryMetrics.LogLoss([0.9, 0.2], [true, false]), 12);
    }

    [Fact]
    public void Log_loss_clips_certain_wrong_predictions_to_a_finite_value()
    {
        var loss = BinaryMetrics.LogLoss([0.0], [true]);
        Assert.True(double.IsFinite(loss));
        Assert.Equal(-Math.Log(1e-15), loss, 9);
    }

    [Fact]
    public void Mismatched_lengths_are_rejected()
    {
        Assert.Throws<ArgumentException>(() => BinaryMetrics.RocAuc([0.1], [true, false]));
        Assert.Throws<ArgumentException>(() => BinaryMetrics.LogLoss([0.1], [true, false]));
    }
}
