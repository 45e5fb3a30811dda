namespace MlOps.Pipelines.ML.Evaluation;

/// <summary>
/// Metrics of predicted class codes against true ones. Classes are the codes 0 … <c>classCount</c> − 1 (for text
/// labels, the codes of a <c>StringColumn</c>); empty input, mismatched lengths and codes out of range are refused.
/// </summary>
public static class MulticlassMetrics
{
    /// <summary>Share of rows whose predicted class is the true one.</summary>
    /// <param name="predicted">Predicted class per row.</param>
    /// <param name="actual">True class per row.</param>
    /// <param name="classCount">Number of classes.</param>
    public static double Accuracy(ReadOnlySpan<int> predicted, ReadOnlySpan<int> actual, int classCount)
    {
        Check(predicted, actual, classCount);
        var correct = 0;
        for (var i = 0; i < predicted.Length; i++) if (predicted[i] == actual[i]) correct++;
        return (double)correct / predicted.Length;
    }

    /// <summary>
    /// Unweighted mean of the per-class F1 scores, as scikit-learn's <c>f1_score(average='macro', zero_division=0)</c>
    /// without an explicit <c>labels</c> list: the mean runs over the classes that occur in <paramref name="actual"/>
    /// or <paramref name="predicted"/>. A class that occurs on one side only has F1 0 and pulls the mean down; a
    /// class absent from both is left out, since it says nothing about the model.
    /// </summary>
    /// <param name="predicted">Predicted class per row.</param>
    /// <param name="actual">True class per row.</param>
    /// <param name="classCount">Number of classes.</param>
    public static double MacroF1(ReadOnlySpan<int> predicted, ReadOnlySpan<int> actual, int classCount)
    {
        var matrix = ConfusionMatrix(predicted, actual, classCount);
        double sum = 0;
        var present = 0;
        for (var c = 0; c < classCount; c++)
        {
            long truePositives = matrix[c, c], actualCount = 0, predictedCount = 0;
            for (var k = 0; k < classCount; k++)
            {
                actualCount += matrix[c, k];
                predictedCount += matrix[k, c];
            }
            if (actualCount == 0 && predictedCount == 0) continue;
            present++;
            // 2·TP / (2·TP + FP + FN), and FP + FN + 2·TP = predicted + actual.
            sum += 2.0 * truePositives / (actualCount + predictedCount);
        }
        return sum / present;
    }

    /// <summary>Counts by true class (first index) and predicted class (second index), as scikit-learn lays it out.</summary>
    /// <param name="predicted">Predicted class per row.</param>
    /// <param name="actual">True class per row.</param>
    /// <param name="classCount">Number of classes: the matrix is classCount × classCount.</param>
    public static int[,] ConfusionMatrix(ReadOnlySpan<int> predicted, ReadOnlySpan<int> actual, int classCount)
    {
        Check(predicted, actual, classCount);
        var matrix = new int[classCount, classCount];
        for (var i = 0; i < predicted.Length; i++) matrix[actual[i], predicted[i]]++;
        return matrix;
    }

    static void Check(ReadOnlySpan<int> predicted, ReadOnlySpan<int> actual, int classCount)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(classCount, 1);
        MetricInputs.SameNonEmptyLength(predicted.Length, actual.Length, nameof(predicted), nameof(actual));
        MetricInputs.Codes(predicted, classCount, nameof(predicted));
        MetricInputs.Codes(actual, classCount, nameof(actual));
    }
}
