using MlOps.Pipelines.ML.Features;
using MlOps.Pipelines.ML.Training.Trees;

namespace MlOps.Pipelines.ML.Training.Linear;

/// <summary>
/// The ridge solution from the normal equations: with column means m and label mean ȳ, solve
/// (X̃ᵀX̃ + λI) w = X̃ᵀ(y − ȳ) for the centred features X̃ = X − m by Cholesky, then intercept = ȳ − m·w. Centring keeps
/// the intercept out of the penalty and the Gram matrix well conditioned when features sit far from zero. Sums are
/// doubles, made per fixed chunk of rows and added in chunk order, so the solution is the same on any thread count.
/// </summary>
internal static class NormalEquations
{
    const int ChunkRows = 4096;
    const int ChunksPerGroup = 8;

    public static (double[] Weights, double Intercept) Solve(FeatureMatrix features, ReadOnlySpan<float> labels, double lambda, int threads, CancellationToken cancellation)
    {
        var rows = features.Rows;
        var p = features.Columns;
        var chunks = Workers.Chunks(rows, ChunkRows);
        var y = labels.ToArray();

        // Pass 1: means of every column and of the labels.
        var sums = new double[chunks][];
        Workers.For(threads, chunks, (_, chunk) =>
        {
            var (first, count) = Range(chunk, rows);
            var partial = sums[chunk] = new double[p + 1];
            for (var j = 0; j < p; j++) partial[j] = Sum(features.Column(j).Slice(first, count));
            partial[p] = Sum(y.AsSpan(first, count));
        });
        var means = new double[p + 1];
        foreach (var partial in sums)
            for (var j = 0; j <= p; j++) means[j] += partial[j];
        for (var j = 0; j <= p; j++) means[j] /= rows;
        cancellation.ThrowIfCancellationRequested();

        // Pass 2: the centred Gram matrix (upper triangle) and X̃ᵀ(y − ȳ), column p standing for the labels. A work item
        // is a group of consecutive chunks summed in order into one partial: memory stays at a partial per group even
        // when p² is large, and the groups, fixed by the row count alone, are added in order.
        var groups = Workers.Chunks(chunks, ChunksPerGroup);
        var grams = new double[groups][];
        var centred = new double[threads][];
        Workers.For(threads, groups, (worker, group) =>
        {
            var values = centred[worker] ??= new double[(p + 1) * ChunkRows];
            var partial = grams[group] = new double[p * (p + 1)];
            for (var chunk = group * ChunksPerGroup; chunk < Math.Min(chunks, (group + 1) * ChunksPerGroup); chunk++)
            {
                var (first, count) = Range(chunk, rows);
                for (var j = 0; j < p; j++) Centre(features.Column(j).Slice(first, count), means[j], values.AsSpan(j * ChunkRows, count));
                Centre(y.AsSpan(first, count), means[p], values.AsSpan(p * ChunkRows, count));
                for (var j = 0; j < p; j++)
                {
                    var column = values.AsSpan(j * ChunkRows, count);
                    for (var k = j; k <= p; k++) partial[j * (p + 1) + k] += LinearKernels.Dot(column, values.AsSpan(k * ChunkRows, count));
                }
            }
        });
        var gram = new double[p * (p + 1)];
        foreach (var partial in grams)
            for (var i = 0; i < gram.Length; i++) gram[i] += partial[i];
        cancellation.ThrowIfCancellationRequested();

        var a = new double[p, p];
        var b = new double[p];
        for (var j = 0; j < p; j++)
        {
            for (var k = j; k < p; k++) a[j, k] = a[k, j] = gram[j * (p + 1) + k];
            a[j, j] += lambda;
            b[j] = gram[j * (p + 1) + p];
        }
        var weights = Cholesky.Solve(a, b, features.Names);
        var intercept = means[p];
        for (var j = 0; j < p; j++) intercept -= means[j] * weights[j];
        return (weights, intercept);
    }

    static (int First, int Count) Range(int chunk, int rows) => (chunk * ChunkRows, Math.Min(ChunkRows, rows - chunk * ChunkRows));

    static double Sum(ReadOnlySpan<float> values)
    {
        double sum = 0;
        foreach (var v in values) sum += v;
        return sum;
    }

    static void Centre(ReadOnlySpan<float> values, double mean, Span<double> centred)
    {
        for (var i = 0; i < values.Length; i++) centred[i] = values[i] - mean;
    }
}

/// <summary>Solves A x = b for a symmetric positive definite A by its Cholesky factor A = L Lᵀ.</summary>
internal static class Cholesky
{
    /// <param name="a">Symmetric matrix, overwritten by L in its lower triangle.</param>
    /// <param name="b">Right-hand side.</param>
    /// <param name="names">Names of the unknowns, for the message when A is singular.</param>
    public static double[] Solve(double[,] a, double[] b, IReadOnlyList<string> names)
    {
        var n = b.Length;
        for (var j = 0; j < n; j++)
        {
            var diagonal = a[j, j];
            for (var k = 0; k < j; k++) diagonal -= a[j, k] * a[j, k];
            // Relative to the column's own scale: a pivot lost to rounding means the column is a combination of earlier ones.
            if (!(diagonal > 1e-12 * Math.Max(a[j, j], double.Epsilon)))
                throw new ArgumentException($"Feature '{names[j]}' is constant or a linear combination of earlier features, so the least-squares solution is not unique; set an L2 penalty above 0 or drop the feature.");
            var pivot = a[j, j] = Math.Sqrt(diagonal);
            for (var i = j + 1; i < n; i++)
            {
                var value = a[i, j];
                for (var k = 0; k < j; k++) value -= a[i, k] * a[j, k];
                a[i, j] = value / pivot;
            }
        }
        var x = (double[])b.Clone();
        for (var i = 0; i < n; i++)
        {
            for (var k = 0; k < i; k++) x[i] -= a[i, k] * x[k];
            x[i] /= a[i, i];
        }
        for (var i = n - 1; i >= 0; i--)
        {
            for (var k = i + 1; k < n; k++) x[i] -= a[k, i] * x[k];
            x[i] /= a[i, i];
        }
        return x;
    }
}
