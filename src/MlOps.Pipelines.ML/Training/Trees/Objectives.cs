using System.Runtime.Intrinsics;

namespace MlOps.Pipelines.ML.Training.Trees;

/// <summary>
/// Gradients, hessians and losses of the objectives, as XGBoost defines them. Margins (raw scores) of row r and
/// class k sit at [r × classes + k]; gradients and hessians of class k at [k × rows + r], one tree's slice together.
/// </summary>
internal static class Objectives
{
    /// <summary>Rows per work item: fixed, so results and sums never depend on the thread count.</summary>
    const int ChunkRows = 8192;

    /// <summary>XGBoost's floor on hessians, so that a saturated row never divides by zero.</summary>
    const double MinHessian = 1e-16;

    public static double BaseMargin(GradientBoostedTreesOptions options) => options.Objective switch
    {
        BoostingObjective.BinaryLogistic => Math.Log(options.BaseScore / (1 - options.BaseScore)),
        BoostingObjective.SquaredError => options.BaseScore,
        // A constant added to every class cancels in the softmax.
        _ => 0,
    };

    public static void CheckLabels(GradientBoostedTreesOptions options, ReadOnlySpan<float> labels, string what)
    {
        for (var i = 0; i < labels.Length; i++)
        {
            var y = labels[i];
            var ok = options.Objective switch
            {
                BoostingObjective.BinaryLogistic => y is >= 0 and <= 1,
                BoostingObjective.SquaredError => float.IsFinite(y),
                _ => y >= 0 && y < options.NumClasses && y == MathF.Floor(y),
            };
            if (!ok)
                throw new ArgumentException(options.Objective switch
                {
                    BoostingObjective.BinaryLogistic => $"{what} label {i} is {y}: binary labels must be in [0, 1].",
                    BoostingObjective.SquaredError => $"{what} label {i} is {y}: regression labels must be finite.",
                    _ => $"{what} label {i} is {y}: class labels must be whole numbers in [0, {options.NumClasses}).",
                });
        }
    }

    /// <summary>Fills the gradients and hessians of every row and class at the current margins.</summary>
    public static void Gradients(BoostingObjective objective, int classes, double[] margins, ReadOnlyMemory<float> labels,
        double[] gradients, double[] hessians, int threads)
    {
        var n = labels.Length;
        Workers.For(threads, Workers.Chunks(n, ChunkRows), (_, chunk) =>
        {
            var y = labels.Span;
            var start = chunk * ChunkRows;
            var end = Math.Min(n, start + ChunkRows);
            switch (objective)
            {
                case BoostingObjective.BinaryLogistic:
                    Logistic(margins, y, gradients, hessians, start, end);
                    break;
                case BoostingObjective.SquaredError:
                    for (var r = start; r < end; r++)
                    {
                        gradients[r] = margins[r] - y[r];
                        hessians[r] = 1;
                    }
                    break;
                default:
                    Span<double> p = stackalloc double[classes];
                    for (var r = start; r < end; r++)
                    {
                        Softmax(margins.AsSpan(r * classes, classes), p);
                        var label = (int)y[r];
                        for (var k = 0; k < classes; k++)
                        {
                            gradients[k * n + r] = p[k] - (k == label ? 1 : 0);
                            hessians[k * n + r] = Math.Max(2 * p[k] * (1 - p[k]), MinHessian);
                        }
                    }
                    break;
            }
        });
    }

    /// <summary>p = σ(m), g = p − y, h = p(1 − p), four rows at a time (chunks start at multiples of four, so which rows take the vector path depends on the row count only).</summary>
    static void Logistic(double[] margins, ReadOnlySpan<float> labels, double[] gradients, double[] hessians, int start, int end)
    {
        var one = Vector256<double>.One;
        var floor = Vector256.Create(MinHessian);
        var r = start;
        for (; r <= end - 4; r += 4)
        {
            var m = Vector256.Create(margins, r);
            var p = one / (one + Vector256.Exp(-m));
            var y = Vector256.Create((double)labels[r], labels[r + 1], labels[r + 2], labels[r + 3]);
            (p - y).CopyTo(gradients, r);
            Vector256.Max(p * (one - p), floor).CopyTo(hessians, r);
        }
        for (; r < end; r++)
        {
            var p = 1 / (1 + Math.Exp(-margins[r]));
            gradients[r] = p - labels[r];
            hessians[r] = Math.Max(p * (1 - p), MinHessian);
        }
    }

    /// <summary>
    /// The evaluation metric of the objective at the margins: log loss, RMSE or multiclass log loss. Summed per
    /// fixed chunk and the chunks in order, so the value (and early stopping on it) is the same for any thread count.
    /// </summary>
    public static double Loss(BoostingObjective objective, int classes, double[] margins, ReadOnlyMemory<float> labels, int threads)
    {
        var n = labels.Length;
        if (n == 0) return double.NaN;
        var sums = new double[Workers.Chunks(n, ChunkRows)];
        Workers.For(threads, sums.Length, (_, chunk) =>
        {
            var y = labels.Span;
            var start = chunk * ChunkRows;
            var end = Math.Min(n, start + ChunkRows);
            double sum = 0;
            for (var r = start; r < end; r++)
                sum += objective switch
                {
                    // −[y log σ(m) + (1 − y) log(1 − σ(m))] = log(1 + e^m) − y·m, kept finite for large |m|.
                    BoostingObjective.BinaryLogistic => Math.Max(margins[r], 0) + Math.Log(1 + Math.Exp(-Math.Abs(margins[r]))) - y[r] * margins[r],
                    BoostingObjective.SquaredError => (margins[r] - y[r]) * (margins[r] - y[r]),
                    _ => LogSumExp(margins.AsSpan(r * classes, classes)) - margins[r * classes + (int)y[r]],
                };
            sums[chunk] = sum;
        });
        double total = 0;
        foreach (var s in sums) total += s;
        return objective == BoostingObjective.SquaredError ? Math.Sqrt(total / n) : total / n;
    }

    /// <summary>Turns margins into predictions in place: probabilities (logistic, softmax per row) or values.</summary>
    public static void Transform(BoostingObjective objective, int classes, Span<double> values)
    {
        switch (objective)
        {
            case BoostingObjective.BinaryLogistic:
                for (var i = 0; i < values.Length; i++) values[i] = 1 / (1 + Math.Exp(-values[i]));
                break;
            case BoostingObjective.Softmax:
                for (var r = 0; r < values.Length; r += classes) Softmax(values.Slice(r, classes), values.Slice(r, classes));
                break;
        }
    }

    static void Softmax(ReadOnlySpan<double> margins, Span<double> probabilities)
    {
        var max = double.NegativeInfinity;
        foreach (var m in margins) max = Math.Max(max, m);
        double sum = 0;
        for (var k = 0; k < margins.Length; k++) sum += probabilities[k] = Math.Exp(margins[k] - max);
        for (var k = 0; k < margins.Length; k++) probabilities[k] /= sum;
    }

    static double LogSumExp(ReadOnlySpan<double> margins)
    {
        var max = double.NegativeInfinity;
        foreach (var m in margins) max = Math.Max(max, m);
        double sum = 0;
        foreach (var m in margins) sum += Math.Exp(m - max);
        return max + Math.Log(sum);
    }
}
