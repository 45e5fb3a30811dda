using MlOps.Pipelines.ML.Features;
using MlOps.Pipelines.ML.Training;
using static MlOps.Pipelines.ML.Tests.Training.TrainingSamples;

namespace MlOps.Pipelines.ML.Tests.Training;

public sealed class LinearRegressionTraining
{
    // ------------------------------------------------------------------ helpers

    static LinearModel Fit(FeatureMatrix features, float[] labels, double l2, int threads = 1) =>
        new LinearRegression(new LinearRegressionOptions(l2, threads)).Fit(new TrainingData(features, labels));

    /// <summary>Columns of standard normal values and y = 1 + 2·x0 − 3·x1 + 0.5·x2 + N(0, noise²).</summary>
    static (FeatureMatrix Features, float[] Labels) Plane(int rows, double noise, int seed)
    {
        var random = new Random(seed);
        var x = new float[3][];
        for (var c = 0; c < 3; c++) x[c] = new float[rows];
        var y = new float[rows];
        for (var r = 0; r < rows; r++)
        {
            for (var c = 0; c < 3; c++) x[c][r] = (float)Normal(random);
            y[r] = (float)(1 + 2 * x[0][r] - 3 * x[1][r] + 0.5 * x[2][r] + noise * Normal(random));
        }
        return (Matrix(x), y);
    }

    /// <summary>
    /// The ridge solution written independently of the trainer: the uncentred normal equations of [1, x] with the
    /// penalty on every diagonal entry but the intercept's, solved by Gauss–Jordan elimination with partial pivoting.
    /// </summary>
    static double[] ReferenceRidge(float[][] x, float[] y, double lambda)
    {
        var p = x.Length + 1;
        var a = new double[p, p + 1];
        for (var r = 0; r < y.Length; r++)
        {
            var row = new double[p];
            row[0] = 1;
            for (var c = 1; c < p; c++) row[c] = x[c - 1][r];
            for (var i = 0; i < p; i++)
            {
                for (var j = 0; j < p; j++) a[i, j] += row[i] * row[j];
                a[i, p] += row[i] * y[r];
            }
        }
        for (var i = 1; i < p; i++) a[i, i] += lambda;
        for (var col = 0; col < p; col++)
        {
            var pivot = Enumerable.Range(col, p - col).MaxBy(r => Math.Abs(a[r, col]));
            for (var j = 0; j <= p; j++) (a[col, j], a[pivot, j]) = (a[pivot, j], a[col, j]);
            for (var r = 0; r < p; r++)
            {
                if (r == col) continue;
                var factor = a[r, col] / a[col, col];
                for (var j = 0; j <= p; j++) a[r, j] -= factor * a[col, j];
            }
        }
        return [.. Enumerable.Range(0, p).Select(i => a[i, p] / a[i, i])]; // [intercept, w0, w1, ...]
    }

    // ------------------------------------------------------------------ exact solutions

    [Fact]
    public void A_line_through_four_points_is_found_exactly()
    {
        var model = Fit(Matrix([0, 1, 2, 3]), [1, 3, 5, 7], l2: 0);
        Assert.Equal(2, model.Coefficients[0][0], 12);
        Assert.Equal(1, model.Intercepts[0], 12);
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(1)]
    [InlineData(20)]
    public void Ridge_on_one_feature_is_the_hand_solution(double lambda)
    {
        // x̄ = 1.5, ȳ = 3.75, Sxx = Σ(x − x̄)² = 5, Sxy = Σ(x − x̄)(y − ȳ) = 9.5: w = Sxy / (Sxx + λ), b = ȳ − w·x̄.
        var model = Fit(Matrix([0, 1, 2, 3]), [1, 3, 4, 7], lambda);
        var w = 9.5 / (5 + lambda);
        Assert.Equal(w, model.Coefficients[0][0], 12);
        Assert.Equal(3.75 - w * 1.5, model.Intercepts[0], 12);
    }

    [Fact]
    public void Matches_the_normal_equations_solved_independently()
    {
        var random = new Random(5);
        var x = new float[3][];
        for (var c = 0; c < 3; c++) x[c] = [.. Enumerable.Range(0, 500).Select(_ => (float)(random.NextDouble() * 10 + c * 5))];
        var y = x[0].Select((v, r) => (float)(3 + v - 2 * x[1][r] + random.NextDouble())).ToArray();
        var model = Fit(Matrix(x), y, l2: 7.5);
        var expected = ReferenceRidge(x, y, 7.5);
        Assert.Equal(expected[0], model.Intercepts[0], 8);
        for (var j = 0; j < 3; j++) Assert.Equal(expected[j + 1], model.Coefficients[0][j], 9);
    }

    [Fact]
    public void Recovers_known_coefficients_from_noisy_rows()
    {
        var (features, labels) = Plane(20_000, noise: 0.1, seed: 1);
        var model = Fit(features, labels, l2: 0);
        Assert.Equal(2, model.Coefficients[0][0], 1.5e-2);
        Assert.Equal(-3, model.Coefficients[0][1], 1.5e-2);
        Assert.Equal(0.5, model.Coefficients[0][2], 1.5e-2);
        Assert.Equal(1, model.Intercepts[0], 1.5e-2);
        Assert.Equal(LinearLink.Identity, model.Link);
        var predictions = new double[features.Rows];
        model.Predict(features, predictions);
        Assert.Equal(1 + 2 * features[10, 0] - 3 * features[10, 1] + 0.5 * features[10, 2], predictions[10], 0.5);
    }

    [Fact]
    public void A_larger_penalty_shrinks_the_weights_but_not_the_intercept_towards_zero()
    {
        var (features, labels) = Plane(2_000, noise: 0.5, seed: 2);
        var norms = new[] { 0.0, 10, 100, 1_000, 100_000 }.Select(l2 => Fit(features, labels, l2)).Select(m => m.Coefficients[0].Sum(w => w * w)).ToArray();
        for (var i = 1; i < norms.Length; i++) Assert.True(norms[i] < norms[i - 1], $"‖w‖² {norms[i]} after {norms[i - 1]}");
        var heavy = Fit(features, labels, 1e9);
        Assert.True(heavy.Coefficients[0].All(w => Math.Abs(w) < 1e-4));
        Assert.Equal(labels.Average(v => (double)v), heavy.Intercepts[0], 3); // the intercept stays the mean
    }

    [Fact]
    public void Reports_the_training_and_validation_rmse()
    {
        var (features, labels) = Plane(3_000, noise: 0.5, seed: 3);
        var (valid, validLabels) = Plane(1_000, noise: 0.5, seed: 4);
        var reports = new List<TrainingProgress>();
        new LinearRegression(new LinearRegressionOptions(0)).Fit(new TrainingData(features, labels, valid, validLabels), new Recorder(reports));
        var report = Assert.Single(reports);
        Assert.Equal(0.5, report.Loss, 0.05);
        Assert.Equal(0.5, report.ValidationLoss!.Value, 0.05);
    }

    // ------------------------------------------------------------------ refusals

    [Fact]
    public void Collinear_features_without_a_penalty_are_refused_naming_the_feature()
    {
        float[] a = [1, 2, 3, 4, 5], b = [2, 4, 6, 8, 10];
        var error = Assert.Throws<ArgumentException>(() => Fit(FeatureMatrix.FromColumns(["a", "twice_a"], [a, b]), [1, 2, 3, 5, 4], l2: 0));
        Assert.Contains("'twice_a'", error.Message);
        Assert.Contains("L2", error.Message);
        // A penalty makes the solution unique again, and it splits the weight between the two.
        var model = Fit(FeatureMatrix.FromColumns(["a", "twice_a"], [a, b]), [1, 2, 3, 5, 4], l2: 1);
        Assert.True(model.Coefficients[0].All(double.IsFinite));
    }

    [Fact]
    public void Missing_features_and_labels_are_refused_naming_the_column_and_row()
    {
        var error = Assert.Throws<ArgumentException>(() => Fit(FeatureMatrix.FromColumns(["distance"], [[1, float.NaN, 3]]), [1, 2, 3], 0));
        Assert.Contains("'distance'", error.Message);
        Assert.Contains("row 1", error.Message);
        var label = Assert.Throws<ArgumentException>(() => Fit(Matrix([1, 2, 3]), [1, float.PositiveInfinity, 3], 0));
        Assert.Contains("row 1", label.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => Fit(Matrix([1, 2, 3]), [1, 2, 3], l2: -1));
    }

    // ------------------------------------------------------------------ determinism

    [Fact]
    public void One_and_four_threads_give_the_same_model_bytes()
    {
        var (features, labels) = Plane(2 * 8 * 4096 + 3 * 4096 + 77, noise: 1, seed: 6); // groups of 8 chunks of 4096 rows: two full, one partial
        Assert.Equal(Bytes(Fit(features, labels, 0.3, threads: 1)), Bytes(Fit(features, labels, 0.3, threads: 4)));
    }

    sealed class Recorder(List<TrainingProgress> reports) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => reports.Add(value);
    }
}
