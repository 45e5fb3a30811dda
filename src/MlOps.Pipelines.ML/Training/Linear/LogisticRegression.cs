using MlOps.Pipelines.ML.Training.Linear;

namespace MlOps.Pipelines.ML.Training;

/// <summary>Settings of <see cref="LogisticRegression"/>, with scikit-learn's meanings and defaults (solver="lbfgs").</summary>
/// <param name="Classes">
/// 2: binary, labels 0/1, one weight vector, predictions P(y = 1). 3 or more: multinomial (softmax), labels are class
/// indices, one weight vector per class (as scikit-learn's multinomial lbfgs), predictions are the class probabilities.
/// </param>
/// <param name="C">
/// Inverse strength of the L2 penalty, scikit-learn's C: the fit minimises C · Σᵢ loss(xᵢ, yᵢ) + ½ ‖W‖², the
/// intercepts not penalised. The solver works on that objective divided by C · n (a mean loss plus ‖W‖² / (2 C n)),
/// which has the same minimiser: the same C gives the same model as scikit-learn's.
/// </param>
/// <param name="MaxIterations">L-BFGS iterations at most (max_iter).</param>
/// <param name="Tolerance">
/// Stop when the largest gradient component of the mean objective is at most this (tol, passed to SciPy as gtol), as
/// newer scikit-learn versions do (they divide by n too). The solver also stops when an iteration lowers the objective
/// by a relative 2.2e-9 or less (SciPy's default ftol). scikit-learn 1.2 (Debian 12's) applies tol to the summed
/// objective, whose gradient is n times ours: Tolerance = tol / n stops where it does.
/// </param>
/// <param name="Threads">Worker threads; 0 = one per processor. The model does not depend on it.</param>
public sealed record LogisticRegressionOptions(int Classes = 2, double C = 1, int MaxIterations = 100, double Tolerance = 1e-4, int Threads = 0)
{
    internal void Validate()
    {
        if (Classes is < 2 or > 1 << 16) throw new ArgumentOutOfRangeException(nameof(Classes), Classes, "Logistic regression needs 2 or more classes.");
        if (!(C > 0) || double.IsInfinity(C)) throw new ArgumentOutOfRangeException(nameof(C), C, "C (the inverse penalty strength) must be positive and finite.");
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxIterations, 1);
        if (!(Tolerance >= 0) || double.IsInfinity(Tolerance)) throw new ArgumentOutOfRangeException(nameof(Tolerance), Tolerance, "Must be finite and not negative.");
        ArgumentOutOfRangeException.ThrowIfNegative(Threads);
    }

    internal int Outputs => Classes == 2 ? 1 : Classes;

    internal int WorkerThreads => Threads == 0 ? Environment.ProcessorCount : Threads;
}

/// <summary>
/// L2-penalised logistic regression, binary or multinomial, fitted by L-BFGS with a strong-Wolfe line search from
/// zero coefficients. The loss and its gradient come from one vectorised pass over the column-major features per
/// evaluation, split into fixed chunks of rows whose partial sums are added in order: the fitted model is bit-identical
/// for any <see cref="LogisticRegressionOptions.Threads"/>. Features must be finite (impute them first).
/// Progress: the mean training log loss (without the penalty) after every iteration, and the validation log loss.
/// </summary>
/// <example>
/// <code>
/// var model = new LogisticRegression(new LogisticRegressionOptions(C: 0.5)).Fit(new TrainingData(features, labels));
/// </code>
/// </example>
public sealed class LogisticRegression(LogisticRegressionOptions options) : ITrainer
{
    public LogisticRegressionOptions Options { get; } = options ?? throw new ArgumentNullException(nameof(options));

    /// <inheritdoc cref="ITrainer.Fit"/>
    public LinearModel Fit(TrainingData data, IProgress<TrainingProgress>? progress = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        Options.Validate();
        data.Validate();
        var features = data.Features;
        LinearInputs.CheckFeatures(features, "Training");
        LinearInputs.CheckClasses(data.Labels.Span, Options.Classes, "Training");
        LinearInputs.CheckTwoClassesPresent(data.Labels.Span);
        LogisticLoss? validation = null;
        if (data.ValidationFeatures is { } validationFeatures)
        {
            LinearInputs.CheckFeatures(validationFeatures, "Validation");
            LinearInputs.CheckClasses(data.ValidationLabels.Span, Options.Classes, "Validation");
            validation = new LogisticLoss(validationFeatures, data.ValidationLabels.Span, Options.Outputs, Options.WorkerThreads);
        }
        cancellation.ThrowIfCancellationRequested();

        var loss = new LogisticLoss(features, data.Labels.Span, Options.Outputs, Options.WorkerThreads);
        var width = features.Columns;
        var penalty = 1 / (Options.C * features.Rows);
        double Penalty(double[] theta)
        {
            double sum = 0;
            for (var i = 0; i < theta.Length; i++)
                if (i % (width + 1) != width) sum += theta[i] * theta[i];
            return penalty / 2 * sum;
        }
        double Objective(double[] theta, double[] gradient)
        {
            var value = loss.Evaluate(theta, gradient) + Penalty(theta);
            for (var i = 0; i < theta.Length; i++)
                if (i % (width + 1) != width) gradient[i] += penalty * theta[i];
            return value;
        }

        var theta = new double[loss.Parameters];
        var solver = new Lbfgs { MaxIterations = Options.MaxIterations, GradientTolerance = Options.Tolerance };
        // The solver has written the accepted iterate into theta when it calls back.
        solver.Minimize(Objective, theta, progress is null ? null : (iteration, value) =>
            progress.Report(new TrainingProgress(iteration, Options.MaxIterations, value - Penalty(theta))
            {
                ValidationLoss = validation?.Evaluate(theta, null),
            }), cancellation);
        return Model(theta, [.. features.Names]);
    }

    IModel ITrainer.Fit(TrainingData data, IProgress<TrainingProgress>? progress, CancellationToken cancellation) => Fit(data, progress, cancellation);

    LinearModel Model(double[] theta, string[] names)
    {
        var width = names.Length;
        var outputs = Options.Outputs;
        var coefficients = new double[outputs][];
        var intercepts = new double[outputs];
        for (var k = 0; k < outputs; k++)
        {
            coefficients[k] = theta.AsSpan(k * (width + 1), width).ToArray();
            intercepts[k] = theta[k * (width + 1) + width];
        }
        return new LinearModel(outputs == 1 ? LinearLink.Logistic : LinearLink.Softmax, names, coefficients, intercepts);
    }
}
