using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace MlOps.Pipelines.ML.Training;

/// <summary>Settings of <see cref="LogisticRegression"/>.</summary>
/// <param name="Iterations">Full-batch gradient steps.</param>
/// <param name="LearningRate">Step size; features should be on unit scale (standardised or 0/1).</param>
/// <param name="L2">Ridge penalty on the weights (not the bias).</param>
public sealed record LogisticRegressionOptions(int Iterations = 200, double LearningRate = 0.5, double L2 = 1e-4);

/// <summary>One iteration's training loss, reported through <see cref="IProgress{T}"/>.</summary>
public readonly record struct TrainingProgress(int Iteration, int Iterations, double Loss)
{
    /// <summary>The same loss on the validation set after this iteration; null when the trainer was given none.</summary>
    public double? ValidationLoss { get; init; }
}

/// <summary>A fitted binary logistic model: P(y = 1 | x) = σ(w·x + b).</summary>
public sealed record LogisticModel(double[] Weights, double Bias)
{
    public double PredictProbability(ReadOnlySpan<float> row)
    {
        var z = Bias;
        for (var j = 0; j < Weights.Length; j++) z += Weights[j] * row[j];
        return 1 / (1 + Math.Exp(-z));
    }

    /// <summary>Probabilities for every row of a row-major matrix with <see cref="Weights"/>.Length columns.</summary>
    public double[] PredictProbabilities(ReadOnlySpan<float> rows)
    {
        var columns = Weights.Length;
        var result = new double[rows.Length / columns];
        for (var i = 0; i < result.Length; i++) result[i] = PredictProbability(rows.Slice(i * columns, columns));
        return result;
    }
}

/// <summary>
/// Binary logistic regression by full-batch gradient descent with an L2 penalty. Single-threaded and so
/// deterministic; a minimal trainer until the trainers of the training issue replace it.
/// </summary>
public static class LogisticRegression
{
    public static LogisticModel Fit(ReadOnlySpan<float> rows, int columns, ReadOnlySpan<bool> labels,
        LogisticRegressionOptions options, IProgress<TrainingProgress>? progress = null, CancellationToken cancellation = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(columns, 1);
        if (rows.Length != labels.Length * columns)
            throw new ArgumentException($"{rows.Length} values do not make {labels.Length} rows of {columns} columns.");
        if (labels.Length == 0) throw new ArgumentException("no rows to train on");

        var weights = new double[columns];
        var gradient = new double[columns];
        double bias = 0;
        var n = labels.Length;
        for (var iteration = 1; iteration <= options.Iterations; iteration++)
        {
            cancellation.ThrowIfCancellationRequested();
            Array.Clear(gradient);
            double biasGradient = 0, loss = 0;
            for (var i = 0; i < n; i++)
            {
                var row = rows.Slice(i * columns, columns);
                var z = bias + Dot(weights, row);
                var p = 1 / (1 + Math.Exp(-z));
                var error = p - (labels[i] ? 1 : 0);
                AddScaled(gradient, row, error);
                biasGradient += error;
                // log(1 + e^z) − y·z, written to stay finite for large |z|.
                loss += Math.Max(z, 0) + Math.Log(1 + Math.Exp(-Math.Abs(z))) - (labels[i] ? z : 0);
            }
            for (var j = 0; j < columns; j++) weights[j] -= options.LearningRate * (gradient[j] / n + options.L2 * weights[j]);
            bias -= options.LearningRate * biasGradient / n;
            progress?.Report(new TrainingProgress(iteration, options.Iterations, loss / n));
        }
        return new LogisticModel(weights, bias);
    }

    // Eight floats widened to two vectors of four doubles, in a fixed order: vectorised and still deterministic.
    static double Dot(double[] weights, ReadOnlySpan<float> row)
    {
        ref var w = ref MemoryMarshal.GetArrayDataReference(weights);
        ref var x = ref MemoryMarshal.GetReference(row);
        var sum = Vector256<double>.Zero;
        var j = 0;
        for (; j <= row.Length - 8; j += 8)
        {
            var values = Vector256.LoadUnsafe(ref x, (nuint)j);
            sum += Vector256.LoadUnsafe(ref w, (nuint)j) * Vector256.WidenLower(values);
            sum += Vector256.LoadUnsafe(ref w, (nuint)(j + 4)) * Vector256.WidenUpper(values);
        }
        var z = Vector256.Sum(sum);
        for (; j < row.Length; j++) z += weights[j] * row[j];
        return z;
    }

    static void AddScaled(double[] gradient, ReadOnlySpan<float> row, double scale)
    {
        ref var g = ref MemoryMarshal.GetArrayDataReference(gradient);
        ref var x = ref MemoryMarshal.GetReference(row);
        var factor = Vector256.Create(scale);
        var j = 0;
        for (; j <= row.Length - 8; j += 8)
        {
            var values = Vector256.LoadUnsafe(ref x, (nuint)j);
            (Vector256.LoadUnsafe(ref g, (nuint)j) + factor * Vector256.WidenLower(values)).StoreUnsafe(ref g, (nuint)j);
            (Vector256.LoadUnsafe(ref g, (nuint)(j + 4)) + factor * Vector256.WidenUpper(values)).StoreUnsafe(ref g, (nuint)(j + 4));
        }
        for (; j < row.Length; j++) gradient[j] += scale * row[j];
    }
}
