using MlOps.Pipelines.ML.Features;

namespace MlOps.Pipelines.ML.Training;

/// <summary>
/// Rows to learn from: features and one label per row, and optionally a validation set (same columns) that the
/// trainer scores after every iteration and may stop early on. What a label means depends on the trainer's
/// objective (0/1 for binary, a class index for multiclass, a value for regression).
/// </summary>
/// <param name="Features">Training features, one row per label.</param>
/// <param name="Labels">One label per training row.</param>
/// <param name="ValidationFeatures">Held-out features with the same columns, or null.</param>
/// <param name="ValidationLabels">One label per validation row (empty without validation features).</param>
public sealed record TrainingData(
    FeatureMatrix Features,
    ReadOnlyMemory<float> Labels,
    FeatureMatrix? ValidationFeatures = null,
    ReadOnlyMemory<float> ValidationLabels = default)
{
    /// <summary>Throws unless the labels match the rows and the validation set matches the training columns.</summary>
    internal void Validate()
    {
        ArgumentNullException.ThrowIfNull(Features);
        if (Labels.Length != Features.Rows)
            throw new ArgumentException($"{Labels.Length} labels for {Features.Rows} rows.");
        if (Features.Rows == 0) throw new ArgumentException("There are no rows to train on.");
        if (Features.Columns == 0) throw new ArgumentException("There are no features to train on.");
        if (ValidationFeatures is null)
        {
            if (!ValidationLabels.IsEmpty) throw new ArgumentException("Validation labels were given without validation features.");
            return;
        }
        if (ValidationFeatures.Rows == 0) throw new ArgumentException("The validation set has no rows.");
        if (ValidationLabels.Length != ValidationFeatures.Rows)
            throw new ArgumentException($"{ValidationLabels.Length} validation labels for {ValidationFeatures.Rows} validation rows.");
        if (!ValidationFeatures.Names.SequenceEqual(Features.Names, StringComparer.Ordinal))
            throw new ArgumentException("The validation features do not have the training features' columns.");
    }
}

/// <summary>Learns a model from <see cref="TrainingData"/>; the options live in the trainer.</summary>
public interface ITrainer
{
    /// <summary>Fits a model, reporting every iteration's losses to <paramref name="progress"/>.</summary>
    /// <param name="data">Training rows and, optionally, validation rows.</param>
    /// <param name="progress">Receives one report per iteration, or null.</param>
    /// <param name="cancellation">Checked between iterations.</param>
    IModel Fit(TrainingData data, IProgress<TrainingProgress>? progress = null, CancellationToken cancellation = default);
}

/// <summary>One iteration's training loss, reported through <see cref="IProgress{T}"/>.</summary>
/// <param name="Iteration">1-based number of the iteration just finished.</param>
/// <param name="Iterations">Iterations the trainer may run at most.</param>
/// <param name="Loss">The training loss after this iteration (the trainer says which loss).</param>
public readonly record struct TrainingProgress(int Iteration, int Iterations, double Loss)
{
    /// <summary>The same loss on the validation set after this iteration; null when the trainer was given none.</summary>
    public double? ValidationLoss { get; init; }
}

/// <summary>A fitted model: predicts from a feature matrix with the training columns, and saves itself.</summary>
public interface IModel
{
    /// <summary>Columns the model reads; a matrix to predict must have these, by name and in this order.</summary>
    IReadOnlyList<string> FeatureNames { get; }

    /// <summary>Values per row of <see cref="Predict"/>: 1, or the class count of a multiclass model.</summary>
    int OutputsPerRow { get; }

    /// <summary>
    /// Predictions for every row: a probability (binary), a value (regression) or, for multiclass, the class
    /// probabilities of row r at [r × <see cref="OutputsPerRow"/>, (r + 1) × <see cref="OutputsPerRow"/>).
    /// </summary>
    /// <param name="features">Rows to predict, with <see cref="FeatureNames"/> as columns.</param>
    /// <param name="output">Rows × <see cref="OutputsPerRow"/> values.</param>
    void Predict(FeatureMatrix features, Span<double> output);

    /// <summary>Writes the model so that its loader gives back one that predicts bit-identical values.</summary>
    /// <param name="stream">Where to write; left open.</param>
    void Save(Stream stream);
}
