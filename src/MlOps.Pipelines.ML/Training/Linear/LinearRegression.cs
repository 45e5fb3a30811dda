using MlOps.Pipelines.ML.Features;
using MlOps.Pipelines.ML.Training.Linear;

namespace MlOps.Pipelines.ML.Training;

/// <summary>Settings of <see cref="LinearRegression"/>.</summary>
/// <param name="L2">
/// λ of the ridge penalty: the fit minimises ½ Σᵢ (yᵢ − b − w·xᵢ)² + ½ λ ‖w‖², the intercept b not penalised; the same
/// solution as scikit-learn's Ridge(alpha=λ). 0 is ordinary least squares (refused when features are collinear).
/// </param>
/// <param name="Threads">Worker threads; 0 = one per processor. The model does not depend on it.</param>
public sealed record LinearRegressionOptions(double L2 = 1, int Threads = 0)
{
    internal void Validate()
    {
        if (!(L2 >= 0) || double.IsInfinity(L2)) throw new ArgumentOutOfRangeException(nameof(L2), L2, "The L2 penalty must be finite and not negative.");
        ArgumentOutOfRangeException.ThrowIfNegative(Threads);
    }

    internal int WorkerThreads => Threads == 0 ? Environment.ProcessorCount : Threads;
}

/// <summary>
/// Ridge regression solved exactly: the normal equations of the centred features (their Gram matrix accumulated in
/// double over fixed chunks of rows, in chunk order) by Cholesky. One pass of statistics, no iterations; the model is
/// bit-identical for any <see cref="LinearRegressionOptions.Threads"/>. Features must be finite (impute them first).
/// Progress: one report, the training RMSE (and the validation RMSE).
/// </summary>
/// <example>
/// <code>
/// var model = new LinearRegression(new LinearRegressionOptions(L2: 0.1)).Fit(new TrainingData(features, values));
/// </code>
/// </example>
public sealed class LinearRegression(LinearRegressionOptions options) : ITrainer
{
    public LinearRegressionOptions Options { get; } = options ?? throw new ArgumentNullException(nameof(options));

    /// <inheritdoc cref="ITrainer.Fit"/>
    public LinearModel Fit(TrainingData data, IProgress<TrainingProgress>? progress = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        Options.Validate();
        data.Validate();
        LinearInputs.CheckFeatures(data.Features, "Training");
        LinearInputs.CheckValues(data.Labels.Span, "Training");
        if (data.ValidationFeatures is { } validation)
        {
            LinearInputs.CheckFeatures(validation, "Validation");
            LinearInputs.CheckValues(data.ValidationLabels.Span, "Validation");
        }
        cancellation.ThrowIfCancellationRequested();
        var (weights, intercept) = NormalEquations.Solve(data.Features, data.Labels.Span, Options.L2, Options.WorkerThreads, cancellation);
        var model = new LinearModel(LinearLink.Identity, [.. data.Features.Names], [weights], [intercept]);
        progress?.Report(new TrainingProgress(1, 1, Rmse(model, data.Features, data.Labels.Span, Options.WorkerThreads))
        {
            ValidationLoss = data.ValidationFeatures is { } v ? Rmse(model, v, data.ValidationLabels.Span, Options.WorkerThreads) : null,
        });
        return model;
    }

    IModel ITrainer.Fit(TrainingData data, IProgress<TrainingProgress>? progress, CancellationToken cancellation) => Fit(data, progress, cancellation);

    static double Rmse(LinearModel model, FeatureMatrix features, ReadOnlySpan<float> labels, int threads)
    {
        var predictions = new double[features.Rows];
        model.Predict(features, predictions, threads);
        double sum = 0;
        for (var i = 0; i < predictions.Length; i++) sum += (predictions[i] - labels[i]) * (predictions[i] - labels[i]);
        return Math.Sqrt(sum / predictions.Length);
    }
}
