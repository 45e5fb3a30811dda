using MlOps.Pipelines.ML.Evaluation;
using MlOps.Pipelines.ML.Features;
using MlOps.Pipelines.ML.Training;
using MlOps.Pipelines.ML.Training.Trees;
using static MlOps.Pipelines.ML.Tests.Training.TrainingSamples;

namespace MlOps.Pipelines.ML.Tests.Training;

public sealed class GradientBoostedTreesTraining
{
    // ------------------------------------------------------------------ helpers

    static double[] Predict(IModel model, FeatureMatrix features)
    {
        var output = new double[features.Rows * model.OutputsPerRow];
        model.Predict(features, output);
        return output;
    }

    static double[] Raw(GradientBoostedTreesModel model, FeatureMatrix features)
    {
        var output = new double[features.Rows * model.OutputsPerRow];
        model.PredictRaw(features, output);
        return output;
    }

    static bool[] Bools(float[] labels) => [.. labels.Select(y => y == 1)];

    sealed class Recorder : IProgress<TrainingProgress>
    {
        public List<TrainingProgress> Reports { get; } = [];
        public void Report(TrainingProgress value) => Reports.Add(value);
    }

    /// <summary>y = (x0 &gt; ½) xor (x1 &gt; ½), with two noise columns, one with missing values.</summary>
    static (FeatureMatrix Features, float[] Labels) Xor(int rows, int seed)
    {
        var x = Uniform(rows, 4, seed);
        var labels = new float[rows];
        for (var r = 0; r < rows; r++)
        {
            labels[r] = (x[0][r] > 0.5f) ^ (x[1][r] > 0.5f) ? 1 : 0;
            if (x[3][r] < 0.2f) x[3][r] = float.NaN;
        }
        return (Matrix(x), labels);
    }

    // ------------------------------------------------------------------ learning known structure

    [Fact]
    public void Learns_an_xor_of_two_thresholds()
    {
        var (train, labels) = Xor(5000, seed: 1);
        var (test, testLabels) = Xor(5000, seed: 2);
        var model = new GradientBoostedTrees(new GradientBoostedTreesOptions(Rounds: 30, MaxDepth: 4)).Fit(new TrainingData(train, labels));
        var auc = BinaryMetrics.RocAuc(Predict(model, test), Bools(testLabels));
        Assert.True(auc > 0.95, $"test AUC {auc}");
        // The signal is in x0 and x1: they carry nearly all of the gain.
        var importance = model.FeatureImportance();
        Assert.True(importance[0].Gain + importance[1].Gain > 0.9 * importance.Sum(i => i.Gain));
    }

    [Fact]
    public void Regression_fits_a_step_function()
    {
        static (FeatureMatrix, float[]) Steps(int rows, int seed)
        {
            // x0 on a grid of 100 values: each gets its own bin, so the steps' edges are exact cuts.
            var x = Uniform(rows, 2, seed);
            var noise = new Random(seed + 100);
            var y = new float[rows];
            for (var r = 0; r < rows; r++) x[0][r] = MathF.Floor(x[0][r] * 100) / 100;
            for (var r = 0; r < rows; r++)
                y[r] = (x[0][r] < 0.3f ? 1f : x[0][r] < 0.7f ? 5f : -2f) + (float)(noise.NextDouble() - 0.5) * 0.1f;
            return (Matrix(x), y);
        }
        var (train, labels) = Steps(4000, 3);
        var (test, testLabels) = Steps(2000, 4);
        var model = new GradientBoostedTrees(new GradientBoostedTreesOptions(BoostingObjective.SquaredError, Rounds: 50, MaxDepth: 3)).Fit(new TrainingData(train, labels));
        var predictions = Predict(model, test);
        var rmse = Math.Sqrt(predictions.Select((p, i) => (p - testLabels[i]) * (p - testLabels[i])).Average());
        // Uniform noise of width 0.1 has an RMSE of 0.029: the steps themselves are fitted all but exactly.
        Assert.True(rmse < 0.04, $"test RMSE {rmse}");
    }

    [Fact]
    public void Softmax_separates_three_regions()
    {
        static (FeatureMatrix, float[]) Regions(int rows, int seed)
        {
            var x = Uniform(rows, 3, seed);
            var y = new float[rows];
            for (var r = 0; r < rows; r++) y[r] = x[0][r] < 0.4f ? 0 : x[1][r] < 0.5f ? 1 : 2;
            return (Matrix(x), y);
        }
        var (train, labels) = Regions(3000, 5);
        var (test, testLabels) = Regions(2000, 6);
        var options = new GradientBoostedTreesOptions(BoostingObjective.Softmax, NumClasses: 3, Rounds: 20, MaxDepth: 3);
        var model = new GradientBoostedTrees(options).Fit(new TrainingData(train, labels));
        Assert.Equal(3, model.OutputsPerRow);
        Assert.Equal(60, model.TreeCount);
        var p = Predict(model, test);
        var correct = 0;
        for (var r = 0; r < test.Rows; r++)
        {
            var row = p.AsSpan(r * 3, 3);
            Assert.Equal(1.0, row[0] + row[1] + row[2], 12);
            var predicted = row.IndexOf(Math.Max(row[0], Math.Max(row[1], row[2])));
            if (predicted == (int)testLabels[r]) correct++;
        }
        Assert.True(correct > 0.97 * test.Rows, $"accuracy {correct / (double)test.Rows}");
    }

    [Fact]
    public void Missingness_itself_is_learnt_and_routed_by_the_default_direction()
    {
        // x0 is NaN exactly when the label is 1; its present values are noise. x1 is pure noise.
        static (FeatureMatrix, float[]) Data(int rows, int seed)
        {
            var x = Uniform(rows, 2, seed);
            var random = new Random(seed + 7);
            var y = new float[rows];
            for (var r = 0; r < rows; r++)
            {
                y[r] = random.Next(2);
                if (y[r] == 1) x[0][r] = float.NaN;
            }
            return (Matrix(x), y);
        }
        var (train, labels) = Data(2000, 7);
        var (test, testLabels) = Data(2000, 8);
        var model = new GradientBoostedTrees(new GradientBoostedTreesOptions(Rounds: 5, MaxDepth: 2)).Fit(new TrainingData(train, labels));
        var p = Predict(model, test);
        Assert.Equal(1.0, BinaryMetrics.RocAuc(p, Bools(testLabels)), 12);
        for (var r = 0; r < test.Rows; r++) Assert.True(testLabels[r] == 1 ? p[r] > 0.8 : p[r] < 0.2, $"row {r}: p = {p[r]}, y = {testLabels[r]}");
        var importance = model.FeatureImportance();
        Assert.True(importance[0].Gain > 100 * importance[1].Gain);
    }

    [Fact]
    public void A_missing_value_unseen_in_training_follows_the_larger_child()
    {
        // Three rows left of the cut, one right: a NaN at prediction time goes with the three.
        var x = new float[] { 0, 0, 0, 1 };
        var y = new float[] { 0, 0, 0, 1 };
        var options = new GradientBoostedTreesOptions(BoostingObjective.SquaredError, Rounds: 1, MaxDepth: 1, MinChildWeight: 0, BaseScore: 0);
        var model = new GradientBoostedTrees(options).Fit(new TrainingData(Matrix(x), y));
        var p = Raw(model, Matrix([0f, 1f, float.NaN]));
        Assert.Equal(p[0], p[2]);
        Assert.NotEqual(p[0], p[1]);
    }

    // ------------------------------------------------------------------ the formulas, by hand

    /// <summary>x = 0, 0, 1, 1 with y = 0, 0, 1, 1; squared error from a base of 0: g = −y, h = 1.</summary>
    static double[] Stump(double lambda = 1, double alpha = 0, double gamma = 0, double minChildWeight = 1)
    {
        var options = new GradientBoostedTreesOptions(BoostingObjective.SquaredError, Rounds: 1, MaxDepth: 1, LearningRate: 0.3,
            MinChildWeight: minChildWeight, Lambda: lambda, Alpha: alpha, Gamma: gamma, BaseScore: 0);
        var model = new GradientBoostedTrees(options).Fit(new TrainingData(Matrix([0f, 0f, 1f, 1f]), new float[] { 0, 0, 1, 1 }));
        return Raw(model, Matrix([0f, 1f]));
    }

    [Fact]
    public void Leaf_weights_are_minus_G_over_H_plus_lambda_times_the_learning_rate()
    {
        // Left: G = 0, H = 2 → 0. Right: G = −2, H = 2 → 2/(2 + λ) · 0.3.
        Assert.Equal([0, 2.0 / 3 * 0.3], Stump(lambda: 1));
        Assert.Equal([0, 1.0 * 0.3], Stump(lambda: 0));
        Assert.Equal([0, 2.0 / 12 * 0.3], Stump(lambda: 10), new ToleranceComparer(1e-15));
    }

    [Fact]
    public void Alpha_soft_thresholds_the_gradient_sum()
    {
        // Right leaf: T(−2) = −(2 − α), so the weight is (2 − α)/(2 + 1) · 0.3; a sum below α gives 0.
        Assert.Equal(1.5 / 3 * 0.3, Stump(alpha: 0.5)[1], 15);
        // With α = 1.9 the split still pays (gain 0.1²/3 − 0 > 0) and the right weight is 0.1/3 · 0.3.
        Assert.Equal(0.1 / 3 * 0.3, Stump(alpha: 1.9)[1], 15);
    }

    [Fact]
    public void Gamma_is_the_least_gain_of_a_split()
    {
        // Gain = 0²/3 + 2²/3 − 2²/5 = 8/15 ≈ 0.533. Below it the stump splits; above it the root stays a leaf of
        // weight 2/(4 + 1) · 0.3 = 0.12 for every row.
        Assert.Equal([0, 0.2], Stump(gamma: 0.5), new ToleranceComparer(1e-15));
        Assert.Equal([0.12, 0.12], Stump(gamma: 0.54), new ToleranceComparer(1e-15));
        var model = new GradientBoostedTrees(new GradientBoostedTreesOptions(BoostingObjective.SquaredError, Rounds: 1, MaxDepth: 1, BaseScore: 0))
            .Fit(new TrainingData(Matrix([0f, 0f, 1f, 1f]), new float[] { 0, 0, 1, 1 }));
        Assert.Equal(8.0 / 15, model.FeatureImportance()[0].Gain, 12);
        Assert.Equal(1, model.FeatureImportance()[0].Splits);
    }

    [Fact]
    public void Min_child_weight_bounds_the_hessian_of_each_child()
    {
        Assert.Equal([0, 0.2], Stump(minChildWeight: 2), new ToleranceComparer(1e-15));
        // Children of hessian 2 are too light: no split, one leaf over the root (H = 4).
        Assert.Equal([0.12, 0.12], Stump(minChildWeight: 2.5), new ToleranceComparer(1e-15));
        // Even the root is too light: its weight is 0, the prediction stays at the base score.
        Assert.Equal([0, 0], Stump(minChildWeight: 5));
    }

    [Fact]
    public void Logistic_gradients_start_from_the_base_score()
    {
        // p = ½ everywhere: g = ½ − y, h = ¼. Left: G = 1, H = ½ → −1/1.5 · 0.3 = −0.2; right: +0.2.
        var model = new GradientBoostedTrees(new GradientBoostedTreesOptions(Rounds: 1, MaxDepth: 1, MinChildWeight: 0))
            .Fit(new TrainingData(Matrix([0f, 0f, 1f, 1f]), new float[] { 0, 0, 1, 1 }));
        Assert.Equal([-0.2, 0.2], Raw(model, Matrix([0f, 1f])), new ToleranceComparer(1e-15));
    }

    sealed class ToleranceComparer(double tolerance) : IEqualityComparer<double>
    {
        public bool Equals(double x, double y) => Math.Abs(x - y) <= tolerance;
        public int GetHashCode(double obj) => 0;
    }

    // ------------------------------------------------------------------ determinism and persistence

    /// <summary>Enough rows that nodes span several work chunks (so several workers share one histogram).</summary>
    static (FeatureMatrix Features, float[] Labels) Noisy(int rows, int seed)
    {
        var x = Uniform(rows, 6, seed);
        var random = new Random(seed + 1);
        var y = new float[rows];
        for (var r = 0; r < rows; r++)
        {
            var logit = 3 * (x[0][r] - 0.5) + 2 * Math.Sin(6 * x[1][r]) + (x[2][r] > 0.7 ? 1.5 : 0);
            y[r] = random.NextDouble() < 1 / (1 + Math.Exp(-logit)) ? 1 : 0;
            if (random.Next(10) == 0) x[3][r] = float.NaN;
            if (random.Next(4) == 0) x[2][r] = float.NaN;
        }
        return (Matrix(x), y);
    }

    [Theory]
    [InlineData(BoostingObjective.BinaryLogistic, 0)]
    [InlineData(BoostingObjective.Softmax, 0)]
    [InlineData(BoostingObjective.BinaryLogistic, 12)]
    public void One_and_four_threads_give_bit_identical_models_and_predictions(BoostingObjective objective, int maxLeaves)
    {
        var (x, y) = Noisy(40_000, 9);
        if (objective == BoostingObjective.Softmax)
            for (var r = 0; r < y.Length; r++) y[r] += x.Column(4)[r] > 0.5f ? 1 : 0;
        var options = new GradientBoostedTreesOptions(objective, NumClasses: 3, Rounds: 8, MaxLeaves: maxLeaves, Subsample: 0.8, ColSampleByTree: 0.7, Seed: 3);
        var one = new GradientBoostedTrees(options with { Threads = 1 }).Fit(new TrainingData(x, y));
        var four = new GradientBoostedTrees(options with { Threads = 4 }).Fit(new TrainingData(x, y));
        Assert.Equal(Bytes(one), Bytes(four));
        var p1 = new double[x.Rows * one.OutputsPerRow];
        var p4 = new double[x.Rows * one.OutputsPerRow];
        one.Predict(x, p1, threads: 1);
        one.Predict(x, p4, threads: 4);
        Assert.Equal(p1, p4);
    }

    [Fact]
    public void A_loaded_model_predicts_bit_identical_values()
    {
        var (x, y) = Noisy(5000, 10);
        var model = new GradientBoostedTrees(new GradientBoostedTreesOptions(Rounds: 15)).Fit(new TrainingData(x, y));
        var bytes = Bytes(model);
        var loaded = GradientBoostedTreesModel.Load(new MemoryStream(bytes));
        var (test, _) = Noisy(3000, 11);
        Assert.Equal(Predict(model, test), Predict(loaded, test));
        Assert.Equal(bytes, Bytes(loaded));
        Assert.Equal(model.FeatureImportance(), loaded.FeatureImportance());
        Assert.Throws<InvalidDataException>(() => GradientBoostedTreesModel.Load(new MemoryStream(bytes[..^5])));
        var corrupt = (byte[])bytes.Clone();
        corrupt[0] ^= 1;
        Assert.Throws<InvalidDataException>(() => GradientBoostedTreesModel.Load(new MemoryStream(corrupt)));
    }

    [Fact]
    public void Row_and_column_samples_follow_the_seed()
    {
        var (x, y) = Noisy(5000, 12);
        GradientBoostedTreesModel Fit(ulong seed) =>
            new GradientBoostedTrees(new GradientBoostedTreesOptions(Rounds: 5, Subsample: 0.5, ColSampleByTree: 0.5, Seed: seed)).Fit(new TrainingData(x, y));
        Assert.Equal(Bytes(Fit(1)), Bytes(Fit(1)));
        Assert.NotEqual(Bytes(Fit(1)), Bytes(Fit(2)));
        // Half the columns per tree: a tree of seed 1 never splits on more than 3 of the 6 features.
        var model = Fit(1);
        Assert.True(model.FeatureImportance().Count(i => i.Splits > 0) >= 3);
    }

    [Fact]
    public void Column_sampling_restricts_each_tree_to_its_features()
    {
        var (x, y) = Noisy(5000, 13);
        var options = new GradientBoostedTreesOptions(Rounds: 1, ColSampleByTree: 1.0 / 6);
        var model = new GradientBoostedTrees(options).Fit(new TrainingData(x, y));
        Assert.Single(model.FeatureImportance(), i => i.Splits > 0);
    }

    // ------------------------------------------------------------------ early stopping and progress

    [Fact]
    public void Early_stopping_stops_and_keeps_the_best_round()
    {
        // Labels are coin flips: after a few rounds deep trees only fit noise and the validation loss rises.
        var x = Uniform(2000, 5, 14);
        var random = new Random(15);
        var y = Enumerable.Range(0, 2000).Select(_ => (float)random.Next(2)).ToArray();
        var features = Matrix(x);
        var validX = Matrix(Uniform(1000, 5, 16));
        var validY = Enumerable.Range(0, 1000).Select(_ => (float)random.Next(2)).ToArray();
        var recorder = new Recorder();
        var options = new GradientBoostedTreesOptions(Rounds: 200, MaxDepth: 8, MinChildWeight: 0, EarlyStoppingRounds: 5);
        var model = new GradientBoostedTrees(options).Fit(new TrainingData(features, y, validX, validY), recorder);

        var reports = recorder.Reports;
        Assert.True(reports.Count < 200, "it should have stopped early");
        var best = Enumerable.Range(0, reports.Count).MinBy(i => reports[i].ValidationLoss!.Value);
        Assert.Equal(best, model.BestIteration);
        Assert.Equal(best + 1 + 5, reports.Count);
        Assert.Equal(best + 1, model.Rounds);
        // The kept model is the one of the best round: its validation log loss is the best reported.
        var loss = BinaryMetrics.LogLoss(Predict(model, validX), Bools(validY));
        Assert.Equal(reports[best].ValidationLoss!.Value, loss, 9);
    }

    [Fact]
    public void Progress_reports_every_round_with_falling_training_loss()
    {
        var (x, y) = Noisy(3000, 17);
        var (vx, vy) = Noisy(1000, 18);
        var recorder = new Recorder();
        var model = new GradientBoostedTrees(new GradientBoostedTreesOptions(Rounds: 12, MaxDepth: 3)).Fit(new TrainingData(x, y, vx, vy), recorder);
        Assert.Equal(Enumerable.Range(1, 12), recorder.Reports.Select(r => r.Iteration));
        Assert.All(recorder.Reports, r => Assert.Equal(12, r.Iterations));
        for (var i = 1; i < 12; i++) Assert.True(recorder.Reports[i].Loss < recorder.Reports[i - 1].Loss);
        // The training-time validation loss (binned rows) is exactly the loss of the model's own predictions (thresholds).
        var margins = Raw(model, vx);
        Assert.Equal(recorder.Reports[^1].ValidationLoss, Objectives.Loss(BoostingObjective.BinaryLogistic, 1, margins, vy, 1));
        var trainMargins = Raw(model, x);
        Assert.Equal(recorder.Reports[^1].Loss, Objectives.Loss(BoostingObjective.BinaryLogistic, 1, trainMargins, y, 1));
    }

    [Fact]
    public void Fitting_through_the_trainer_interface_and_cancelling()
    {
        var (x, y) = Noisy(2000, 20);
        ITrainer trainer = new GradientBoostedTrees(new GradientBoostedTreesOptions(Rounds: 3));
        var model = trainer.Fit(new TrainingData(x, y));
        Assert.Equal(x.Names, model.FeatureNames);
        Assert.Equal(1, model.OutputsPerRow);
        Assert.All(Predict(model, x), p => Assert.InRange(p, 0, 1));
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => trainer.Fit(new TrainingData(x, y), cancellation: cancelled.Token));
    }

    // ------------------------------------------------------------------ growth limits and checks

    [Fact]
    public void Loss_guided_growth_stops_at_max_leaves_and_depth_wise_at_max_depth()
    {
        var (x, y) = Noisy(5000, 19);
        var lossGuided = new GradientBoostedTrees(new GradientBoostedTreesOptions(Rounds: 3, MaxDepth: 0, MaxLeaves: 7, MinChildWeight: 0)).Fit(new TrainingData(x, y));
        for (var t = 0; t < 3; t++) Assert.Equal(7, lossGuided.LeafCount(t));
        var depthWise = new GradientBoostedTrees(new GradientBoostedTreesOptions(Rounds: 3, MaxDepth: 2, MinChildWeight: 0)).Fit(new TrainingData(x, y));
        for (var t = 0; t < 3; t++) Assert.Equal(4, depthWise.LeafCount(t));
    }

    [Fact]
    public void Bad_inputs_are_refused()
    {
        var x = Matrix([0f, 1f]);
        var trainer = new GradientBoostedTrees(new GradientBoostedTreesOptions());
        Assert.Throws<ArgumentException>(() => trainer.Fit(new TrainingData(x, new float[] { 0 })));
        Assert.Throws<ArgumentException>(() => trainer.Fit(new TrainingData(x, new float[] { 0, 2 })));
        Assert.Throws<ArgumentException>(() => new GradientBoostedTrees(new GradientBoostedTreesOptions(EarlyStoppingRounds: 3)).Fit(new TrainingData(x, new float[] { 0, 1 })));
        Assert.Throws<ArgumentOutOfRangeException>(() => new GradientBoostedTrees(new GradientBoostedTreesOptions(MaxBins: 300)).Fit(new TrainingData(x, new float[] { 0, 1 })));
        Assert.Throws<ArgumentOutOfRangeException>(() => new GradientBoostedTrees(new GradientBoostedTreesOptions(BoostingObjective.Softmax)).Fit(new TrainingData(x, new float[] { 0, 1 })));
        var model = trainer.Fit(new TrainingData(x, new float[] { 0, 1 }));
        Assert.Throws<ArgumentException>(() => model.Predict(FeatureMatrix.FromColumns(["other"], [[0f]]), new double[1]));
        Assert.Throws<ArgumentException>(() => model.Predict(x, new double[1]));
    }
}
