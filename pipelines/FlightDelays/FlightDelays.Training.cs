using System.Globalization;
using MlOps.Pipelines;
using MlOps.Pipelines.ML.Evaluation;
using MlOps.Pipelines.ML.Training;

namespace MlOps.Pipelines.Examples;

// Train and Evaluate: a logistic regression on the training features; metrics and the blessing on the held-out ones.
public sealed partial class FlightDelays
{
    sealed record ModelFile(IReadOnlyList<string> Features, double[] Weights, double Bias, int Iterations, double LearningRate, double L2, double TrainLogLoss);

    sealed record Gate(string Name, string Metric, double Value, double Threshold, bool Passed);

    sealed record EvaluationReport(int TestRows, double DelayedShare, double RocAuc, double LogLoss, double Accuracy, bool Blessed, IReadOnlyList<Gate> Gates);

    void TrainModel(TargetContext context)
    {
        var train = context.Load(TrainFeatures);
        var every = Math.Max(1, Iterations / 5);
        var lastLoss = double.NaN;
        // Progress is reported synchronously so lines appear in iteration order.
        var progress = new SynchronousProgress<TrainingProgress>(p =>
        {
            lastLoss = p.Loss;
            context.LogMetric("train_log_loss", p.Loss, p.Iteration);
            if (p.Iteration % every == 0 || p.Iteration == p.Iterations)
                context.Info($"iteration {p.Iteration}/{p.Iterations}: training log-loss {p.Loss:F5}");
        });
        var model = LogisticRegression.Fit(train.Values, train.Columns, train.Labels,
            new LogisticRegressionOptions(Iterations, LearningRate, L2), progress, context.CancellationToken);
        context.Save(Model, new ModelFile(train.Features, model.Weights, model.Bias, Iterations, LearningRate, L2, lastLoss));
        context.LogArtifact(Model);
    }

    void EvaluateModel(TargetContext context)
    {
        var stored = context.Load(Model);
        var test = context.Load(TestFeatures);
        var probabilities = new LogisticModel(stored.Weights, stored.Bias).PredictProbabilities(test.Values);
        var auc = BinaryMetrics.RocAuc(probabilities, test.Labels);
        var accuracy = probabilities.Select((p, i) => p >= 0.5 == test.Labels[i]).Count(x => x) / (double)test.Rows;
        var gates = new[] { new Gate("test ROC-AUC at least MinAuc", "roc_auc", auc, MinAuc, auc >= MinAuc) };
        var report = new EvaluationReport(test.Rows, test.Labels.Count(l => l) / (double)test.Rows, auc,
            BinaryMetrics.LogLoss(probabilities, test.Labels), accuracy, gates.All(g => g.Passed), gates);
        context.Save(Evaluation, report);
        context.LogMetric("test_roc_auc", auc);
        context.LogMetric("test_log_loss", report.LogLoss);
        context.LogMetric("test_accuracy", accuracy);
        context.LogArtifact(Evaluation);

        context.Info($"{test.Rows:N0} held-out flights, {report.DelayedShare:P1} delayed");
        context.Info($"ROC-AUC {auc:F4}   log-loss {report.LogLoss:F4}   accuracy {accuracy:F4}");
        foreach (var gate in gates)
            context.Info($"{(gate.Passed ? "pass" : "FAIL")}  {gate.Name}: {Format(gate.Value)} {(gate.Passed ? ">=" : "<")} {Format(gate.Threshold)}");
        context.Info(report.Blessed ? "blessed: the model may ship" : "not blessed: Deploy will refuse this model");
    }

    static string Format(double value) => value.ToString("0.####", CultureInfo.InvariantCulture);

    /// <summary>An <see cref="IProgress{T}"/> that calls back on the reporting thread (unlike <see cref="Progress{T}"/>).</summary>
    sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
