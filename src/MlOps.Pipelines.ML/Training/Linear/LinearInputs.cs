using MlOps.Pipelines.ML.Features;

namespace MlOps.Pipelines.ML.Training.Linear;

/// <summary>What the linear trainers refuse before they start, with messages that name the column or row.</summary>
internal static class LinearInputs
{
    /// <summary>Every feature finite: a linear model has no rule for a missing value, so the transform must impute it.</summary>
    public static void CheckFeatures(FeatureMatrix features, string set)
    {
        for (var j = 0; j < features.Columns; j++)
        {
            var column = features.Column(j);
            for (var i = 0; i < column.Length; i++)
                if (!float.IsFinite(column[i]))
                    throw new ArgumentException($"{set} feature '{features.Names[j]}' is {column[i]} at row {i}: linear models need finite features (impute missing values in the feature transform).", nameof(TrainingData.Features));
        }
    }

    /// <summary>Labels 0/1 (two classes) or class indices 0 … classes − 1.</summary>
    public static void CheckClasses(ReadOnlySpan<float> labels, int classes, string set)
    {
        for (var i = 0; i < labels.Length; i++)
        {
            var y = labels[i];
            if (!(y >= 0 && y < classes && y == MathF.Floor(y)))
                throw new ArgumentException(classes == 2
                    ? $"{set} label {y} at row {i}: binary logistic regression needs labels 0 or 1."
                    : $"{set} label {y} at row {i}: with {classes} classes a label is a class index 0 … {classes - 1}.", nameof(TrainingData.Labels));
        }
    }

    /// <summary>
    /// At least two classes among the training labels: with one, the unpenalised intercept has no finite optimum (as
    /// scikit-learn, which refuses such data too).
    /// </summary>
    public static void CheckTwoClassesPresent(ReadOnlySpan<float> labels)
    {
        var first = labels[0];
        foreach (var y in labels)
            if (y != first) return;
        throw new ArgumentException($"Every training label is {first}: logistic regression needs rows of at least two classes.", nameof(TrainingData.Labels));
    }

    public static void CheckValues(ReadOnlySpan<float> labels, string set)
    {
        for (var i = 0; i < labels.Length; i++)
            if (!float.IsFinite(labels[i]))
                throw new ArgumentException($"{set} label {labels[i]} at row {i}: regression needs finite labels.", nameof(TrainingData.Labels));
    }
}
