namespace MlOps.Pipelines.ML.Evaluation;

/// <summary>Metrics of numeric predictions against true values. Empty input, mismatched lengths and non-finite values are refused.</summary>
public static class RegressionMetrics
{
    /// <summary>Root mean squared error.</summary>
    /// <param name="predicted">The model's predictions.</param>
    /// <param name="actual">The true values, row by row.</param>
    public static double Rmse(ReadOnlySpan<double> predicted, ReadOnlySpan<double> actual)
    {
        Check(predicted, actual);
        return Math.Sqrt(SquaredError(predicted, actual) / predicted.Length);
    }

    /// <summary>Mean absolute error.</summary>
    /// <param name="predicted">The model's predictions.</param>
    /// <param name="actual">The true values, row by row.</param>
    public static double Mae(ReadOnlySpan<double> predicted, ReadOnlySpan<double> actual)
    {
        Check(predicted, actual);
        double sum = 0;
        for (var i = 0; i < predicted.Length; i++) sum += Math.Abs(predicted[i] - actual[i]);
        return sum / predicted.Length;
    }

    /// <summary>
    /// Coefficient of determination as scikit-learn's <c>r2_score</c>: 1 − (residual sum of squares) / (sum of
    /// squares of the actual values about their mean). Negative when the model is worse than predicting the mean.
    /// </summary>
    /// <param name="predicted">The model's predictions.</param>
    /// <param name="actual">The true values, row by row.</param>
    /// <returns>
    /// When <paramref name="actual"/> is constant the ratio is 0/0 or x/0; like scikit-learn (<c>force_finite=True</c>)
    /// this gives 1 for perfect predictions and 0 otherwise, so a report never carries ±∞ or NaN.
    /// </returns>
    public static double RSquared(ReadOnlySpan<double> predicted, ReadOnlySpan<double> actual)
    {
        Check(predicted, actual);
        double mean = 0;
        foreach (var value in actual) mean += value;
        mean /= actual.Length;
        // Deviations from the mean in a second pass: Σy² − n·ȳ² cancels catastrophically for large, close values.
        double total = 0;
        foreach (var value in actual) total += (value - mean) * (value - mean);
        var residual = SquaredError(predicted, actual);
        if (total == 0) return residual == 0 ? 1 : 0;
        return 1 - residual / total;
    }

    static double SquaredError(ReadOnlySpan<double> predicted, ReadOnlySpan<double> actual)
    {
        double sum = 0;
        for (var i = 0; i < predicted.Length; i++)
        {
            var error = predicted[i] - actual[i];
            sum += error * error;
        }
        return sum;
    }

    static void Check(ReadOnlySpan<double> predicted, ReadOnlySpan<double> actual)
    {
        MetricInputs.SameNonEmptyLength(predicted.Length, actual.Length, nameof(predicted), nameof(actual));
        MetricInputs.Finite(predicted, nameof(predicted));
        MetricInputs.Finite(actual, nameof(actual));
    }
}
