using MlOps.Pipelines.ML.Evaluation;
using MlOps.Pipelines.ML.Training;

namespace MlOps.Pipelines.ML.Tests;

public sealed class LogisticRegressionTraining
{
    /// <summary>Two features: the first raises the odds of a positive, the second is noise.</summary>
    static (float[] Rows, bool[] Labels) Data(int n, int seed)
    {
        var random = new Random(seed);
        var rows = new float[n * 2];
        var labels = new bool[n];
        for (var i = 0; i < n; i++)
        {
            rows[2 * i] = (float)(random.NextDouble() * 4 - 2);
            rows[2 * i + 1] = (float)(random.NextDouble() * 4 - 2);
            labels[i] = random.NextDouble() < 1 / (1 + Math.Exp(-2 * rows[2 * i]));
        }
        return (rows, labels);
    }

    [Fact]
    public void Learns_the_direction_of_an_informative_feature_and_ignores_noise()
    {
        var (rows, labels) = Data(4000, seed: 1);
        var model = LogisticRegression.Fit(rows, 2, labels, new LogisticRegressionOptions(Iterations: 300, LearningRate: 1));
        // The data were drawn with weight 2 on the first feature and 0 on the second.
        Assert.InRange(model.Weights[0], 1.5, 2.5);
        Assert.InRange(Math.Abs(model.Weights[1]), 0, 0.2);
        var auc = BinaryMetrics.RocAuc(model.PredictProbabilities(rows), labels);
        Assert.True(auc > 0.8, $"AUC {auc}");
    }

    [Fact]
    public void Training_loss_falls_and_progress_reports_every_iteration()
    {
        var (rows, labels) = Data(1000, seed: 2);
        var losses = new List<double>();
        LogisticRegression.Fit(rows, 2, labels, new LogisticRegressionOptions(Iterations: 50), new Recorder(losses));
        Assert.Equal(50, losses.Count);
        Assert.Equal(Math.Log(2), losses[0], 6); // all-zero weights predict ½ everywhere
        Assert.True(losses[^1] < losses[0]);
    }

    [Fact]
    public void The_same_data_give_bit_identical_models()
    {
        var (rows, labels) = Data(1000, seed: 3);
        var options = new LogisticRegressionOptions(Iterations: 40);
        var first = LogisticRegression.Fit(rows, 2, labels, options);
        var second = LogisticRegression.Fit(rows, 2, labels, options);
        Assert.Equal(first.Weights, second.Weights);
        Assert.Equal(first.Bias, second.Bias);
    }

    [Fact]
    public void A_strong_l2_penalty_shrinks_the_weights()
    {
        var (rows, labels) = Data(1000, seed: 4);
        var free = LogisticRegression.Fit(rows, 2, labels, new LogisticRegressionOptions(Iterations: 100, L2: 0));
        var shrunk = LogisticRegression.Fit(rows, 2, labels, new LogisticRegressionOptions(Iterations: 100, L2: 1));
        Assert.True(Math.Abs(shrunk.Weights[0]) < Math.Abs(free.Weights[0]) / 2);
    }

    [Fact]
    public void Inconsistent_shapes_are_rejected()
    {
        Assert.Throws<ArgumentException>(() => LogisticRegression.Fit(new float[5], 2, new bool[2], new LogisticRegressionOptions()));
        Assert.Throws<ArgumentException>(() => LogisticRegression.Fit([], 2, [], new LogisticRegressionOptions()));
    }

    sealed class Recorder(List<double> losses) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => losses.Add(value.Loss);
    }
}
