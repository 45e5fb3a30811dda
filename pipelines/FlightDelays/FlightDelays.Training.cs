using System.Globalization;
using MlOps.Pipelines;
using MlOps.Pipelines.ML.Data.Tables;
using MlOps.Pipelines.ML.Evaluation;
using MlOps.Pipelines.ML.Features;
using MlOps.Pipelines.ML.Packaging;
using MlOps.Pipelines.ML.Training;

namespace MlOps.Pipelines.Examples;

// Train: gradient-boosted trees written as a model package (model + fitted transform + training profile + lineage),
// and a logistic-regression baseline. Evaluate: the package's predictor scores the raw held-out flights (the
// serving path), metrics and the blessing.
public sealed partial class FlightDelays
{
    sealed record EvaluationReport(int TestRows, double DelayedShare, double RocAuc, double AveragePrecision, double LogLoss, double Brier, double Accuracy,
        double BaselineRocAuc, string PackageSha256, bool Blessed, IReadOnlyList<GateVerdict> Gates, IReadOnlyList<BinarySlice> Origins);

    /// <summary>
    /// The gates Evaluate applies (cached with it: they depend only on this model and data). The comparison with the
    /// registered champion is made by Deploy, because the champion changes outside the cache's view.
    /// </summary>
    Gates EvaluationGates => Gates.Define("test")
        .AtLeast("roc_auc", MinAuc)
        .ForEverySlice("origin", "roc_auc", atLeast: MinSliceAuc, minRows: SliceMinRows);

    void TrainModel(TargetContext context)
    {
        var train = context.Load(TrainFeatures);
        var features = train.Matrix();
        var labels = train.LabelValues();
        var every = Math.Max(1, Trees / 5);
        var trees = new GradientBoostedTrees(new GradientBoostedTreesOptions(BoostingObjective.BinaryLogistic,
            Rounds: Trees, MaxDepth: MaxDepth, LearningRate: Eta, Seed: (ulong)Seed, Threads: context.Threads));
        var model = trees.Fit(new TrainingData(features, labels), new SynchronousProgress<TrainingProgress>(p =>
        {
            context.LogMetric("train_log_loss", p.Loss, p.Iteration);
            if (p.Iteration % every == 0 || p.Iteration == p.Iterations)
                context.Info($"tree {p.Iteration}/{p.Iterations}: training log-loss {p.Loss:F5}");
        }), context.CancellationToken);

        // The baseline reads the same matrix as the trees (one-hot, standardised and frequency columns, all finite).
        var last = new TrainingProgress(0, BaselineIterations, double.NaN);
        var baseline = new LogisticRegression(new LogisticRegressionOptions(C: BaselineC, MaxIterations: BaselineIterations, Threads: context.Threads))
            .Fit(new TrainingData(features, labels), new SynchronousProgress<TrainingProgress>(p => last = p), context.CancellationToken);
        context.Save(Baseline, baseline);
        context.LogMetric("baseline_train_log_loss", last.Loss);
        context.Info($"baseline logistic regression (C = {Format(BaselineC)}): training log-loss {last.Loss:F5} after {last.Iteration} L-BFGS iterations");

        var dataset = context.Load(DatasetIdentity);
        var flights = context.Load(CleanFlights);
        var parameters = new Dictionary<string, string>
        {
            [nameof(Trees)] = Trees.ToString(CultureInfo.InvariantCulture),
            [nameof(MaxDepth)] = MaxDepth.ToString(CultureInfo.InvariantCulture),
            [nameof(Eta)] = Eta.ToString("R", CultureInfo.InvariantCulture),
            [nameof(Seed)] = Seed.ToString(CultureInfo.InvariantCulture),
            [nameof(DelayThreshold)] = DelayThreshold.ToString(CultureInfo.InvariantCulture),
            [nameof(TestFraction)] = TestFraction.ToString("R", CultureInfo.InvariantCulture),
            [nameof(TopAirports)] = TopAirports.ToString(CultureInfo.InvariantCulture),
        };
        // Reproducible packages: the id comes from the content and the time is the epoch (as SOURCE_DATE_EPOCH would
        // pin it); the commit is on the MLflow run that logs the package, not in it, so a cached package stays valid.
        using var modelBytes = new MemoryStream();
        model.Save(modelBytes);
        var uuid = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(modelBytes.ToArray()))[..32];
        var hash = ModelPackage.Write(context.PathOf(Model), model, context.Load(Transform), new PackageInfo(ModelKinds.GradientBoostedTrees,
            new PackageLineage("", dataset.Sha256, parameters))
        {
            Profile = context.Load(Profile),
            InputExample = [.. Enumerable.Range(0, 3).Select(i => Row(flights, i))],
            ModelUuid = uuid,
            CreatedUtc = DateTime.UnixEpoch,
        });
        context.LogArtifact(Model);
        context.Info($"model package {hash[..12]}: gradient-boosted trees, the fitted transform, the training profile and lineage");
    }

    /// <summary>Row <paramref name="i"/> of a table as column → value, as a scoring request sends it.</summary>
    static IReadOnlyDictionary<string, object?> Row(Table table, int i) => table.Columns.ToDictionary(c => c.Name, c => c switch
    {
        _ when c.IsNull(i) => null,
        Column<DateTime> t => t[i],
        Column<long> l => l[i],
        Column<double> d => d[i],
        StringColumn s => (object?)s[i],
        _ => c.AsDouble(i),
    });

    void EvaluateModel(TargetContext context)
    {
        var package = ModelPackage.Load(context.PathOf(Model));
        var flights = context.Load(TestFlights);
        var probabilities = package.Predictor.Predict(flights);
        var delay = flights.Get<long>("delay").Values.Span;
        var labels = new bool[flights.RowCount];
        for (var i = 0; i < labels.Length; i++) labels[i] = delay[i] > DelayThreshold;
        var summary = BinaryMetrics.Summarize(probabilities, labels);
        var origin = flights.GetString("origin");
        var origins = Slices.Binary(origin.Codes.Span, origin.Dictionary, probabilities, labels, minRows: SliceMinRows);

        var test = context.Load(TestFeatures);
        var baseline = context.Load(Baseline);
        var baselineProbabilities = new double[test.Rows];
        baseline.Predict(test.Matrix(), baselineProbabilities, context.Threads);
        var baselineAuc = BinaryMetrics.RocAuc(baselineProbabilities, test.Labels);

        var blessing = EvaluationGates.Evaluate(GateMetrics.Binary(summary), champion: null,
            new Dictionary<string, IReadOnlyList<SliceValue>> { ["origin"] = SliceValue.FromBinary(origins) });
        var report = new EvaluationReport(labels.Length, labels.Count(l => l) / (double)labels.Length, summary.RocAuc, summary.AveragePrecision,
            summary.LogLoss, summary.Brier, summary.AtThreshold.Accuracy, baselineAuc, package.Hash, blessing.Blessed, blessing.Gates, origins);
        context.Save(Evaluation, report);
        context.LogMetric("test_roc_auc", summary.RocAuc);
        context.LogMetric("test_average_precision", summary.AveragePrecision);
        context.LogMetric("test_log_loss", summary.LogLoss);
        context.LogMetric("test_brier", summary.Brier);
        context.LogMetric("test_accuracy", summary.AtThreshold.Accuracy);
        context.LogMetric("baseline_test_roc_auc", baselineAuc);
        context.LogArtifact(Evaluation);

        context.Info($"{labels.Length:N0} held-out flights, {report.DelayedShare:P1} delayed, scored through package {package.Hash[..12]}");
        context.Info($"ROC-AUC {summary.RocAuc:F4}   PR-AUC {summary.AveragePrecision:F4}   log-loss {summary.LogLoss:F4}   accuracy {summary.AtThreshold.Accuracy:F4}   (logistic baseline ROC-AUC {baselineAuc:F4})");
        foreach (var gate in blessing.Gates)
            context.Info($"{(gate.Passed ? "pass" : gate.Skipped ? "skip" : "FAIL")}  {gate.Name}: {gate.Reason}");
        context.Info(report.Blessed ? "blessed: the model may ship" : "not blessed: Deploy will refuse this model");
    }

    static string Format(double value) => value.ToString("0.####", CultureInfo.InvariantCulture);

    /// <summary>An <see cref="IProgress{T}"/> that calls back on the reporting thread (unlike <see cref="Progress{T}"/>).</summary>
    sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
