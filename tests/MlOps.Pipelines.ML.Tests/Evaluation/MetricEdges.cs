using MlOps.Pipelines.ML.Evaluation;

namespace MlOps.Pipelines.ML.Tests.Evaluation;

/// <summary>Metrics on identical scores, ties, one class only and the probability exactly on the cut.</summary>
public sealed class MetricEdges
{
    [Fact]
    public void Identical_scores_give_a_roc_auc_of_one_half()
    {
        Assert.Equal(0.5, BinaryMetrics.RocAuc([0.3, 0.3, 0.3, 0.3], [true, false, false, true]));
    }

    [Fact]
    public void A_tie_between_a_positive_and_a_negative_counts_one_half()
    {
        // Pairs (positive, negative): (0.5, 0.1) 1, (0.5, 0.5) ½, (0.9, 0.1) 1, (0.9, 0.5) 1: 3.5 of 4.
        Assert.Equal(0.875, BinaryMetrics.RocAuc([0.1, 0.5, 0.5, 0.9], [false, true, false, true]));
        Assert.Equal(0.875, BinaryMetrics.RocAuc([0.9, 0.5, 0.5, 0.1], [true, false, true, false]));
    }

    [Fact]
    public void A_perfect_and_a_reversed_ranking_give_one_and_zero()
    {
        Assert.Equal(1.0, BinaryMetrics.RocAuc([0.1, 0.2, 0.8, 0.9], [false, false, true, true]));
        Assert.Equal(0.0, BinaryMetrics.RocAuc([0.9, 0.8, 0.2, 0.1], [false, false, true, true]));
    }

    [Fact]
    public void One_class_only_makes_roc_auc_undefined()
    {
        Assert.True(double.IsNaN(BinaryMetrics.RocAuc([0.1, 0.9], [true, true])));
        Assert.True(double.IsNaN(BinaryMetrics.RocAuc([0.1, 0.9], [false, false])));
        Assert.True(double.IsNaN(BinaryMetrics.AveragePrecision([0.1, 0.9], [false, false])));
    }

    [Fact]
    public void A_probability_exactly_on_the_threshold_is_a_positive_prediction()
    {
        var metrics = BinaryMetrics.AtThreshold([0.5, Math.BitDecrement(0.5)], [true, true], threshold: 0.5);
        Assert.Equal((1, 1), (metrics.TruePositives, metrics.FalseNegatives));
    }

    [Fact]
    public void Empty_input_is_refused_with_a_message_naming_the_input()
    {
        Assert.Contains("probabilities is empty", Assert.Throws<ArgumentException>(() => BinaryMetrics.AtThreshold([], [])).Message);
        Assert.Contains("scores is empty", Assert.Throws<ArgumentException>(() => BinaryMetrics.AveragePrecision([], [])).Message);
        Assert.True(double.IsNaN(BinaryMetrics.RocAuc([], [])));
    }
}
