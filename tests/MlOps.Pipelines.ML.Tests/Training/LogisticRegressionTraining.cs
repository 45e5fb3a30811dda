using MlOps.Pipelines.ML.Evaluation;
using MlOps.Pipelines.ML.Features;
using MlOps.Pipelines.ML.Training;
using MlOps.Pipelines.ML.Training.Linear;
using static MlOps.Pipelines.ML.Tests.Training.TrainingSamples;

namespace MlOps.Pipelines.ML.Tests.Training;

public sealed class LogisticRegressionTraining
{
    // ------------------------------------------------------------------ helpers

    static double[] Predict(IModel model, FeatureMatrix features, int threads = 0)
    {
        var output = new double[features.Rows * model.OutputsPerRow];
        ((LinearModel)model).Predict(features, output, threads);
        return output;
    }

    static double Sigmoid(double z) => 1 / (1 + Math.Exp(-z));

    /// <summary>Normal features; y ~ Bernoulli(σ(0.5 + 1.5·x0 − 2·x1)), x2 is noise.</summary>
    static (FeatureMatrix Features, float[] Labels) Binary(int rows, int seed)
    {
        var random = new Random(seed);
        var x = new float[3][];
        for (var c = 0; c < 3; c++) x[c] = new float[rows];
        var y = new float[rows];
        for (var r = 0; r < rows; r++)
        {
            for (var c = 0; c < 3; c++) x[c][r] = (float)Normal(random);
            y[r] = random.NextDouble() < Sigmoid(0.5 + 1.5 * x[0][r] - 2 * x[1][r]) ? 1 : 0;
        }
        return (Matrix(x), y);
    }

    static readonly double[][] TrueClassWeights = [[0, 0, 0], [2, 0, 0.3], [0, 2, -0.2]]; // [class][x0, x1, intercept]

    /// <summary>Two normal features; y drawn from the softmax of <see cref="TrueClassWeights"/>.</summary>
    static (FeatureMatrix Features, float[] Labels) ThreeClasses(int rows, int seed)
    {
        var random = new Random(seed);
        float[] x0 = new float[rows], x1 = new float[rows];
        var y = new float[rows];
        for (var r = 0; r < rows; r++)
        {
            x0[r] = (float)Normal(random);
            x1[r] = (float)Normal(random);
            var e = TrueClassWeights.Select(w => Math.Exp(w[0] * x0[r] + w[1] * x1[r] + w[2])).ToArray();
            var u = random.NextDouble() * e.Sum();
            y[r] = u < e[0] ? 0 : u < e[0] + e[1] ? 1 : 2;
        }
        return (Matrix(x0, x1), y);
    }

    static LinearModel Fit(FeatureMatrix features, float[] labels, LogisticRegressionOptions options) =>
        new LogisticRegression(options).Fit(new TrainingData(features, labels));

    sealed class Recorder(Action<TrainingProgress>? also = null) : IProgress<TrainingProgress>
    {
        public List<TrainingProgress> Reports { get; } = [];

        public void Report(TrainingProgress value)
        {
            Reports.Add(value);
            also?.Invoke(value);
        }
    }

    // ------------------------------------------------------------------ learning known structure

    [Fact]
    public void Binary_recovers_the_coefficients_that_drew_the_labels()
    {
        var (features, labels) = Binary(40_000, seed: 1);
        var model = Fit(features, labels, new LogisticRegressionOptions(C: 1e6, Threads: 2));
        Assert.Equal(LinearLink.Logistic, model.Link);
        Assert.Equal(1, model.OutputsPerRow);
        Assert.Equal(1.5, model.Coefficients[0][0], 0.08);
        Assert.Equal(-2, model.Coefficients[0][1], 0.08);
        Assert.Equal(0, model.Coefficients[0][2], 0.05);
        Assert.Equal(0.5, model.Intercepts[0], 0.05);

        var (test, testLabels) = Binary(10_000, seed: 2);
        var probabilities = Predict(model, test);
        var truth = Enumerable.Range(0, test.Rows).Select(r => Sigmoid(0.5 + 1.5 * test[r, 0] - 2 * test[r, 1])).ToArray();
        var bools = testLabels.Select(y => y == 1).ToArray();
        // As good as the model that drew the labels.
        Assert.True(BinaryMetrics.RocAuc(probabilities, bools) > BinaryMetrics.RocAuc(truth, bools) - 0.002);
        Assert.Equal(Sigmoid(model.Intercepts[0] + model.Coefficients[0].Select((w, j) => w * test[7, j]).Sum()), probabilities[7], 12);
    }

    [Fact]
    public void The_fitted_model_is_a_stationary_point_of_the_penalised_loss()
    {
        var (features, labels) = Binary(5_000, seed: 3);
        const double c = 0.05;
        var model = Fit(features, labels, new LogisticRegressionOptions(C: c, Tolerance: 1e-7, MaxIterations: 500));
        // scikit-learn's objective C·Σ log-loss + ½‖w‖², its gradient written out here: C·Σ (p − y)·x + w, and C·Σ (p − y).
        var w = model.Coefficients[0];
        var gradient = w.Select(v => v).ToArray();
        double interceptGradient = 0, initial = 0;
        for (var r = 0; r < features.Rows; r++)
        {
            var p = Sigmoid(model.Intercepts[0] + w[0] * features[r, 0] + w[1] * features[r, 1] + w[2] * features[r, 2]);
            for (var j = 0; j < 3; j++) gradient[j] += c * (p - labels[r]) * features[r, j];
            interceptGradient += c * (p - labels[r]);
            initial = Math.Max(initial, Math.Abs(c * (0.5 - labels[r]) * features[r, 0]));
        }
        var largest = gradient.Append(interceptGradient).Max(Math.Abs);
        // Scaled to the mean objective the solver sees (÷ C·n), the gradient is at or below the tolerance … and tiny
        // next to the gradient at zero: the penalty visibly shrinks w, yet the point is the optimum.
        Assert.True(largest / (c * features.Rows) <= 2e-6, $"largest gradient component {largest}");
        Assert.True(Math.Abs(w[0]) < 1.4, $"w0 = {w[0]}: C = {c} should shrink it below 1.5");
    }

    [Fact]
    public void Multinomial_recovers_three_classes_and_its_probabilities_sum_to_one()
    {
        var (features, labels) = ThreeClasses(30_000, seed: 4);
        var model = Fit(features, labels, new LogisticRegressionOptions(Classes: 3, C: 1e6));
        Assert.Equal(LinearLink.Softmax, model.Link);
        Assert.Equal(3, model.OutputsPerRow);
        // Softmax weights are identified up to a shift common to all classes: compare differences to class 0.
        for (var k = 1; k < 3; k++)
        {
            for (var j = 0; j < 2; j++)
                Assert.Equal(TrueClassWeights[k][j] - TrueClassWeights[0][j], model.Coefficients[k][j] - model.Coefficients[0][j], 0.1);
            Assert.Equal(TrueClassWeights[k][2] - TrueClassWeights[0][2], model.Intercepts[k] - model.Intercepts[0], 0.1);
        }
        var (test, testLabels) = ThreeClasses(5_000, seed: 5);
        var probabilities = Predict(model, test);
        var correct = 0;
        for (var r = 0; r < test.Rows; r++)
        {
            var row = probabilities.AsSpan(r * 3, 3);
            Assert.Equal(1, row[0] + row[1] + row[2], 12);
            Assert.True(row[0] > 0 && row[1] > 0 && row[2] > 0);
            if (row.IndexOf(Math.Max(row[0], Math.Max(row[1], row[2]))) == (int)testLabels[r]) correct++;
        }
        Assert.True(correct > 0.6 * test.Rows, $"accuracy {correct / (double)test.Rows}");
    }

    [Fact]
    public void Separable_data_keeps_finite_coefficients_under_the_penalty()
    {
        float[] x = [.. Enumerable.Range(0, 400).Select(i => (i - 199.5f) / 100)];
        float[] y = [.. x.Select(v => v > 0 ? 1f : 0f)];
        var penalised = Fit(Matrix(x), y, new LogisticRegressionOptions(C: 1));
        Assert.True(double.IsFinite(penalised.Coefficients[0][0]) && penalised.Coefficients[0][0] is > 1 and < 100, $"w = {penalised.Coefficients[0][0]}");
        var barely = Fit(Matrix(x), y, new LogisticRegressionOptions(C: 1e12));
        Assert.True(double.IsFinite(barely.Coefficients[0][0]) && double.IsFinite(barely.Intercepts[0]));
        Assert.All(Predict(barely, Matrix(x)), p => Assert.True(p is >= 0 and <= 1));
        Assert.True(barely.Coefficients[0][0] > penalised.Coefficients[0][0]);
    }

    [Fact]
    public void Reports_every_iteration_with_training_and_validation_losses()
    {
        var (features, labels) = Binary(4_000, seed: 6);
        var (valid, validLabels) = Binary(1_000, seed: 7);
        var recorder = new Recorder();
        new LogisticRegression(new LogisticRegressionOptions(MaxIterations: 50)).Fit(new TrainingData(features, labels, valid, validLabels), recorder);
        Assert.NotEmpty(recorder.Reports);
        Assert.Equal(Enumerable.Range(1, recorder.Reports.Count), recorder.Reports.Select(r => r.Iteration));
        Assert.All(recorder.Reports, r => Assert.Equal(50, r.Iterations));
        Assert.True(recorder.Reports[^1].Loss < recorder.Reports[0].Loss);
        Assert.True(recorder.Reports[0].Loss < Math.Log(2)); // below the loss of the zero model it starts from
        Assert.All(recorder.Reports, r => Assert.True(r.ValidationLoss is > 0 and < 1));
        Assert.True(recorder.Reports[^1].ValidationLoss < recorder.Reports[0].ValidationLoss);
    }

    // ------------------------------------------------------------------ the loss and its gradient

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void The_analytic_gradient_matches_finite_differences(int outputs)
    {
        var random = new Random(8);
        var rows = 4096 + 37; // a full chunk and a partial one with a vector tail
        var columns = Enumerable.Range(0, 5).Select(_ => Enumerable.Range(0, rows).Select(_ => (float)Normal(random)).ToArray()).ToArray();
        var labels = Enumerable.Range(0, rows).Select(_ => (float)random.Next(outputs == 1 ? 2 : outputs)).ToArray();
        var loss = new LogisticLoss(Matrix(columns), labels, outputs, threads: 2);
        var theta = Enumerable.Range(0, loss.Parameters).Select(_ => 0.5 * Normal(random)).ToArray();
        var gradient = new double[theta.Length];
        var value = loss.Evaluate(theta, gradient);

        // The value, written out row by row.
        double expected = 0;
        for (var r = 0; r < rows; r++)
        {
            var margins = Enumerable.Range(0, outputs).Select(k => theta[k * 6 + 5] + Enumerable.Range(0, 5).Sum(j => theta[k * 6 + j] * columns[j][r])).ToArray();
            expected += outputs == 1
                ? Math.Log(1 + Math.Exp(margins[0])) - labels[r] * margins[0]
                : Math.Log(margins.Sum(Math.Exp)) - margins[(int)labels[r]];
        }
        Assert.Equal(expected / rows, value, 12);

        const double h = 1e-5;
        for (var i = 0; i < theta.Length; i++)
        {
            var saved = theta[i];
            theta[i] = saved + h;
            var up = loss.Evaluate(theta, null);
            theta[i] = saved - h;
            var down = loss.Evaluate(theta, null);
            theta[i] = saved;
            Assert.Equal((up - down) / (2 * h), gradient[i], 7);
        }
    }

    [Fact]
    public void Vector_kernels_agree_with_the_scalar_reference()
    {
        var random = new Random(9);
        const int n = 1_003;
        var z = Enumerable.Range(0, n).Select(_ => 30 * Normal(random)).ToArray();
        var y = Enumerable.Range(0, n).Select(_ => (double)random.Next(2)).ToArray();
        var vector = (double[])z.Clone();
        var loss = LinearKernels.BinaryResiduals(vector, y);
        double reference = 0;
        var scalar = (double[])z.Clone();
        for (var i = 0; i < n; i++) reference += LinearReference.BinaryResidual(ref scalar[i], y[i]);
        Assert.Equal(reference, loss, 1e-9 * Math.Abs(reference));
        for (var i = 0; i < n; i++) Assert.Equal(scalar[i], vector[i], 1e-14);

        const int classes = 4, stride = 1_024;
        var margins = Enumerable.Range(0, classes * stride).Select(_ => 20 * Normal(random)).ToArray();
        var classLabels = Enumerable.Range(0, n).Select(_ => (double)random.Next(classes)).ToArray();
        var softVector = (double[])margins.Clone();
        var softLoss = LinearKernels.SoftmaxResiduals(softVector, classes, stride, n, classLabels);
        var softScalar = (double[])margins.Clone();
        double softReference = 0;
        for (var i = 0; i < n; i++) softReference += LinearReference.SoftmaxResidual(softScalar, classes, stride, i, classLabels[i]);
        Assert.Equal(softReference, softLoss, 1e-9 * Math.Abs(softReference));
        for (var k = 0; k < classes; k++)
            for (var i = 0; i < n; i++) Assert.Equal(softScalar[k * stride + i], softVector[k * stride + i], 1e-14);

        var x = Enumerable.Range(0, n).Select(_ => (float)Normal(random)).ToArray();
        Assert.Equal(LinearReference.Dot(z, x), LinearKernels.Dot(z, x), 1e-9 * z.Sum(Math.Abs));
        var added = new double[n];
        LinearKernels.AddScaled4(added, x, x, x, x, 1, 2, 3, 4);
        for (var i = 0; i < n; i++) Assert.Equal(10.0 * x[i], added[i], 1e-12);
    }

    // ------------------------------------------------------------------ determinism and persistence

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void One_and_four_threads_give_the_same_model_bytes(int classes)
    {
        var (features, labels) = classes == 2 ? Binary(3 * 4096 + 123, seed: 10) : ThreeClasses(3 * 4096 + 123, seed: 10);
        var one = Fit(features, labels, new LogisticRegressionOptions(classes, Threads: 1));
        var four = Fit(features, labels, new LogisticRegressionOptions(classes, Threads: 4));
        Assert.Equal(Bytes(one), Bytes(four));
        Assert.Equal(Predict(one, features, threads: 1), Predict(one, features, threads: 4));
    }

    [Fact]
    public void A_saved_and_loaded_model_predicts_the_same_bits()
    {
        var (features, labels) = ThreeClasses(3_000, seed: 11);
        var model = Fit(features, labels, new LogisticRegressionOptions(Classes: 3));
        var bytes = Bytes(model);
        var loaded = LinearModel.Load(new MemoryStream(bytes));
        Assert.Equal(bytes, Bytes(loaded));
        Assert.Equal(model.FeatureNames, loaded.FeatureNames);
        Assert.Equal(LinearLink.Softmax, loaded.Link);
        var (test, _) = ThreeClasses(777, seed: 12);
        Assert.Equal(Predict(model, test).Select(BitConverter.DoubleToInt64Bits), Predict(loaded, test).Select(BitConverter.DoubleToInt64Bits));
        // A row alone predicts what it predicts in a batch.
        var single = FeatureMatrix.FromColumns(test.Names, [[test[500, 0]], [test[500, 1]]]);
        Assert.Equal(Predict(model, test).AsSpan(1500, 3).ToArray(), Predict(model, single));
    }

    [Fact]
    public void Unknown_versions_and_corrupt_files_are_refused()
    {
        var (features, labels) = Binary(200, seed: 13);
        var bytes = Bytes(Fit(features, labels, new LogisticRegressionOptions()));

        var version = (byte[])bytes.Clone();
        version[8] = 2; // the format version follows the 8-byte magic
        Assert.Contains("version 2", Assert.Throws<InvalidDataException>(() => LinearModel.Load(new MemoryStream(version))).Message);
        Assert.Throws<InvalidDataException>(() => LinearModel.Load(new MemoryStream(bytes[..^3])));
        Assert.Throws<InvalidDataException>(() => LinearModel.Load(new MemoryStream([.. "MLOPSGBT"u8, .. bytes[8..]])));
        var link = (byte[])bytes.Clone();
        link[12] = 9;
        Assert.Throws<InvalidDataException>(() => LinearModel.Load(new MemoryStream(link)));
        var nan = (byte[])bytes.Clone();
        BitConverter.GetBytes(double.NaN).CopyTo(nan, nan.Length - 8);
        Assert.Throws<InvalidDataException>(() => LinearModel.Load(new MemoryStream(nan)));
    }

    // ------------------------------------------------------------------ refusals and cancellation

    [Fact]
    public void Bad_input_is_refused_with_the_column_row_or_parameter_named()
    {
        var features = Matrix([1, 2, 3, 4], [0, 1, 0, 1]);
        var label = Assert.Throws<ArgumentException>(() => Fit(features, [0, 1, 2, 1], new LogisticRegressionOptions()));
        Assert.Contains("row 2", label.Message);
        Assert.Contains("0 or 1", label.Message);
        var classIndex = Assert.Throws<ArgumentException>(() => Fit(features, [0, 1, 3, 1.5f], new LogisticRegressionOptions(Classes: 3)));
        Assert.Contains("row 2", classIndex.Message);

        Assert.Contains("two classes", Assert.Throws<ArgumentException>(() => Fit(features, [1, 1, 1, 1], new LogisticRegressionOptions())).Message);

        var missing = FeatureMatrix.FromColumns(["age", "income"], [[1, 2, 3, 4], [5, 6, float.NaN, 8]]);
        var nan = Assert.Throws<ArgumentException>(() => Fit(missing, [0, 1, 0, 1], new LogisticRegressionOptions()));
        Assert.Contains("'income'", nan.Message);
        Assert.Contains("impute", nan.Message);
        var validation = Assert.Throws<ArgumentException>(() => new LogisticRegression(new LogisticRegressionOptions())
            .Fit(new TrainingData(features, new float[] { 0, 1, 0, 1 }, Matrix([1, 2], [float.PositiveInfinity, 1]), new float[] { 0, 1 })));
        Assert.Contains("Validation feature 'x1'", validation.Message);

        var model = Fit(features, [0, 1, 0, 1], new LogisticRegressionOptions());
        var renamed = FeatureMatrix.FromColumns(["x1", "x0"], [[1f], [0f]]);
        var columns = Assert.Throws<ArgumentException>(() => model.Predict(renamed, new double[1]));
        Assert.Contains("x1, x0", columns.Message);
        Assert.Equal("C", Assert.Throws<ArgumentOutOfRangeException>(() => Fit(features, [0, 1, 0, 1], new LogisticRegressionOptions(C: 0))).ParamName);
        Assert.Equal("Classes", Assert.Throws<ArgumentOutOfRangeException>(() => Fit(features, [0, 1, 0, 1], new LogisticRegressionOptions(Classes: 1))).ParamName);
    }

    [Fact]
    public void Cancellation_stops_training_between_iterations()
    {
        var (features, labels) = Binary(5_000, seed: 14);
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => new LogisticRegression(new LogisticRegressionOptions()).Fit(new TrainingData(features, labels), cancellation: cancelled.Token));

        using var later = new CancellationTokenSource();
        var recorder = new Recorder(p =>
        {
            if (p.Iteration == 2) later.Cancel();
        });
        Assert.ThrowsAny<OperationCanceledException>(() => new LogisticRegression(new LogisticRegressionOptions(Tolerance: 0))
            .Fit(new TrainingData(features, labels), recorder, later.Token));
        Assert.Equal(2, recorder.Reports.Count);
    }
}
