using MlOps.Pipelines.ML.Evaluation;

namespace MlOps.Pipelines.ML.Tests.Evaluation;

public sealed class RegressionAndMulticlassMetrics
{
    // scikit-learn's documentation example: y_true = [3, −0.5, 2, 7], y_pred = [2.5, 0, 2, 8].
    static readonly double[] Predicted = [2.5, 0.0, 2, 8];
    static readonly double[] Actual = [3, -0.5, 2, 7];

    [Fact]
    public void Rmse_and_mae_match_hand_computed_errors()
    {
        // Errors −0.5, 0.5, 0, 1: MSE = (0.25 + 0.25 + 0 + 1) / 4 = 0.375; MAE = (0.5 + 0.5 + 0 + 1) / 4 = 0.5.
        Assert.Equal(Math.Sqrt(0.375), RegressionMetrics.Rmse(Predicted, Actual), 12);
        Assert.Equal(0.5, RegressionMetrics.Mae(Predicted, Actual), 12);
    }

    [Fact]
    public void R_squared_matches_scikit_learn()
    {
        // Mean 2.875; SS_tot = 0.125² + 3.375² + 0.875² + 4.125² = 29.1875; SS_res = 1.5 → 1 − 1.5 / 29.1875.
        Assert.Equal(0.948608137044967, RegressionMetrics.RSquared(Predicted, Actual), 12);
        // Worse than the mean goes negative: SS_res = 4 + 0 + 4 = 8, SS_tot = 2 → 1 − 4.
        Assert.Equal(-3.0, RegressionMetrics.RSquared([3, 2, 1], [1, 2, 3]), 12);
    }

    [Fact]
    public void R_squared_of_constant_truth_is_one_when_perfect_and_zero_otherwise()
    {
        Assert.Equal(1.0, RegressionMetrics.RSquared([2, 2, 2], [2, 2, 2]));
        Assert.Equal(0.0, RegressionMetrics.RSquared([1, 2, 3], [2, 2, 2]));
    }

    [Fact]
    public void Regression_metrics_refuse_empty_mismatched_and_non_finite_input()
    {
        Assert.Throws<ArgumentException>(() => RegressionMetrics.Rmse([], []));
        Assert.Throws<ArgumentException>(() => RegressionMetrics.Mae([1], [1, 2]));
        var e = Assert.Throws<ArgumentException>(() => RegressionMetrics.RSquared([1, 2], [1, double.NaN]));
        Assert.Equal("actual", e.ParamName);
    }

    // scikit-learn's f1_score example: y_true = [0, 1, 2, 0, 1, 2], y_pred = [0, 2, 1, 0, 0, 1].
    static readonly int[] Truth = [0, 1, 2, 0, 1, 2];
    static readonly int[] Guess = [0, 2, 1, 0, 0, 1];

    [Fact]
    public void Multiclass_accuracy_and_confusion_matrix_match_hand_counts()
    {
        Assert.Equal(2.0 / 6, MulticlassMetrics.Accuracy(Guess, Truth, 3), 12);
        // Rows are the true class: 0 → predicted 0, 0; 1 → 2, 0; 2 → 1, 1.
        Assert.Equal(new int[,] { { 2, 0, 0 }, { 1, 0, 1 }, { 0, 2, 0 } }, MulticlassMetrics.ConfusionMatrix(Guess, Truth, 3));
    }

    [Fact]
    public void Macro_f1_matches_scikit_learn_and_skips_classes_absent_from_both_sides()
    {
        // Class 0: TP 2, FP 1, FN 0 → 4/5. Classes 1 and 2: TP 0 → 0. Mean over 3 = 0.2666…
        Assert.Equal(0.8 / 3, MulticlassMetrics.MacroF1(Guess, Truth, 3), 12);
        // A fourth class that never occurs changes nothing.
        Assert.Equal(0.8 / 3, MulticlassMetrics.MacroF1(Guess, Truth, 4), 12);
        // A class only predicted counts with F1 0: class 0 = 2·1 / (2·1 + 0 + 1) = ⅔, class 1 = 0 → ⅓.
        Assert.Equal(1.0 / 3, MulticlassMetrics.MacroF1([0, 1], [0, 0], 2), 12);
        Assert.Equal(1.0, MulticlassMetrics.MacroF1([1, 0, 1], [1, 0, 1], 2), 12);
    }

    [Fact]
    public void Multiclass_metrics_refuse_codes_out_of_range_and_empty_input()
    {
        var e = Assert.Throws<ArgumentException>(() => MulticlassMetrics.Accuracy([0, 3], [0, 1], 3));
        Assert.Equal("predicted", e.ParamName);
        Assert.Throws<ArgumentException>(() => MulticlassMetrics.MacroF1([0], [-1], 3));
        Assert.Throws<ArgumentException>(() => MulticlassMetrics.ConfusionMatrix([], [], 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => MulticlassMetrics.Accuracy([0], [0], 0));
    }
}
