using MlOps.Pipelines.ML.Features;
using MlOps.Pipelines.ML.Training.Trees;

namespace MlOps.Pipelines.ML.Training.Linear;

/// <summary>
/// The mean log loss of a logistic model over a feature matrix and its gradient, in one fused pass per chunk of rows:
/// margins column by column, residuals in place, then each column's dot product with them while the chunk is still
/// in cache. Chunks have a fixed size whatever the thread count; each writes its own partial sums, which are added in
/// chunk order, so the value and the gradient are bit-identical on any number of threads.
/// </summary>
/// <remarks>
/// Parameters θ are laid out output by output: output k's weights at [k(p + 1), k(p + 1) + p) and its intercept at
/// k(p + 1) + p, for p features. One output for binary (margin = log-odds of class 1), K for softmax.
/// </remarks>
internal sealed class LogisticLoss
{
    /// <summary>Rows per chunk: 4096 rows of 20 float features are 320 KiB, inside a core's L2 for the second read.</summary>
    public const int ChunkRows = 4096;

    readonly FeatureMatrix _features;
    readonly double[] _labels;
    readonly int _outputs;
    readonly int _threads;
    readonly double[][] _partials;
    readonly double[]?[] _margins;

    /// <param name="features">Rows to score (finite values).</param>
    /// <param name="labels">0/1 for one output, class indices for several (checked by the caller).</param>
    /// <param name="outputs">1 (binary) or the class count (softmax).</param>
    /// <param name="threads">Worker threads (at least 1).</param>
    public LogisticLoss(FeatureMatrix features, ReadOnlySpan<float> labels, int outputs, int threads)
    {
        _features = features;
        _labels = new double[labels.Length];
        for (var i = 0; i < labels.Length; i++) _labels[i] = labels[i];
        _outputs = outputs;
        _threads = threads;
        Chunks = Workers.Chunks(features.Rows, ChunkRows);
        _partials = new double[Chunks][];
        _margins = new double[threads][];
    }

    public int Rows => _features.Rows;

    public int Chunks { get; }

    /// <summary>Values of θ: (features + 1) per output.</summary>
    public int Parameters => _outputs * (_features.Columns + 1);

    /// <summary>Mean log loss at <paramref name="theta"/>; the mean's gradient goes to <paramref name="gradient"/> unless it is null.</summary>
    public double Evaluate(double[] theta, double[]? gradient)
    {
        var rows = _features.Rows;
        var width = _features.Columns;
        var stride = width + 1;
        var size = gradient is null ? 1 : 1 + Parameters;
        Workers.For(_threads, Chunks, (worker, chunk) =>
        {
            var first = chunk * ChunkRows;
            var count = Math.Min(ChunkRows, rows - first);
            var margins = _margins[worker] ??= new double[_outputs * ChunkRows];
            var partial = _partials[chunk] is { } p && p.Length == size ? p : _partials[chunk] = new double[size];
            for (var k = 0; k < _outputs; k++)
            {
                var z = margins.AsSpan(k * ChunkRows, count);
                z.Fill(theta[k * stride + width]);
                var weights = theta.AsSpan(k * stride, width);
                var j = 0;
                for (; j + 4 <= width; j += 4)
                    LinearKernels.AddScaled4(z, Column(j, first, count), Column(j + 1, first, count), Column(j + 2, first, count), Column(j + 3, first, count),
                        weights[j], weights[j + 1], weights[j + 2], weights[j + 3]);
                for (; j < width; j++) LinearKernels.AddScaled(z, Column(j, first, count), weights[j]);
            }
            var labels = _labels.AsSpan(first, count);
            partial[0] = _outputs == 1
                ? LinearKernels.BinaryResiduals(margins.AsSpan(0, count), labels)
                : LinearKernels.SoftmaxResiduals(margins, _outputs, ChunkRows, count, labels);
            if (gradient is null) return;
            for (var k = 0; k < _outputs; k++)
            {
                var residuals = margins.AsSpan(k * ChunkRows, count);
                for (var j = 0; j < width; j++) partial[1 + k * stride + j] = LinearKernels.Dot(residuals, Column(j, first, count));
                double sum = 0;
                foreach (var r in residuals) sum += r;
                partial[1 + k * stride + width] = sum;
            }
        });

        // Chunk order, whatever thread computed which chunk.
        double loss = 0;
        if (gradient is not null) Array.Clear(gradient);
        for (var c = 0; c < Chunks; c++)
        {
            var partial = _partials[c];
            loss += partial[0];
            if (gradient is null) continue;
            for (var i = 0; i < gradient.Length; i++) gradient[i] += partial[1 + i];
        }
        if (gradient is not null)
            for (var i = 0; i < gradient.Length; i++) gradient[i] /= rows;
        return loss / rows;
    }

    ReadOnlySpan<float> Column(int column, int first, int count) => _features.Column(column).Slice(first, count);
}
