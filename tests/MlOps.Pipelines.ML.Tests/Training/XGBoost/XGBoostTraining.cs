using System.Runtime.InteropServices;
using MlOps.Pipelines.ML.Evaluation;
using MlOps.Pipelines.ML.Features;
using MlOps.Pipelines.ML.Training;
using static MlOps.Pipelines.ML.Tests.Training.TrainingSamples;

namespace MlOps.Pipelines.ML.Tests.Training;

public sealed class XGBoostTraining
{
    /// <summary>y = (x0 &gt; ½) xor (x1 &gt; ½), with two noise columns, one with missing values.</summary>
    static (FeatureMatrix Features, float[] Labels) Xor(int rows, int seed)
    {
        var x = Uniform(rows, 4, seed);
        var labels = new float[rows];
        for (var r = 0; r < rows; r++)
        {
            labels[r] = (x[0][r] > 0.5f) ^ (x[1][r] > 0.5f) ? 1 : 0;
            if (r % 7 == 0) x[3][r] = float.NaN;
        }
        return (Matrix(x), labels);
    }

    /// <summary>Three classes by which third of [0, 1) x0 falls in.</summary>
    static (FeatureMatrix Features, float[] Labels) Thirds(int rows, int seed)
    {
        var x = Uniform(rows, 2, seed);
        return (Matrix(x), [.. x[0].Select(v => (float)Math.Min(2, (int)(v * 3)))]);
    }

    static double[] Predict(IModel model, FeatureMatrix features)
    {
        var output = new double[features.Rows * model.OutputsPerRow];
        model.Predict(features, output);
        return output;
    }

    sealed class Recorder : IProgress<TrainingProgress>
    {
        public List<TrainingProgress> Reports { get; } = [];
        public void Report(TrainingProgress value) => Reports.Add(value);
    }

    static readonly GradientBoostedTreesOptions Small = new(Rounds: 30, MaxDepth: 3, Threads: 1);

    [XGBoostFact]
    public void Reports_the_native_library_version()
    {
        Assert.True(XGBoost.Version >= new Version(1, 0));
    }

    [XGBoostFact]
    public void Learns_xor_and_reports_every_round()
    {
        var (train, labels) = Xor(2000, 1);
        var (test, testLabels) = Xor(1000, 2);
        var recorder = new Recorder();
        using var model = new XGBoostTrainer(Small).Fit(new TrainingData(train, labels, test, testLabels), recorder);

        var auc = BinaryMetrics.RocAuc(Predict(model, test), [.. testLabels.Select(y => y == 1)]);
        Assert.True(auc > 0.95, $"AUC {auc}");
        Assert.Equal(Enumerable.Range(1, 30), recorder.Reports.Select(p => p.Iteration));
        Assert.All(recorder.Reports, p => Assert.NotNull(p.ValidationLoss));
        Assert.True(recorder.Reports[^1].Loss < recorder.Reports[0].Loss / 2, $"log loss {recorder.Reports[0].Loss} → {recorder.Reports[^1].Loss}");
        Assert.Equal(["x0", "x1", "x2", "x3"], model.FeatureNames);
    }

    [XGBoostFact]
    public void Predicts_the_same_after_save_and_load()
    {
        var (train, labels) = Xor(1000, 3);
        var (test, _) = Xor(500, 4);
        using var model = new XGBoostTrainer(Small with { Subsample = 0.8, ColSampleByTree = 0.75 }).Fit(new TrainingData(train, labels));
        using var stream = new MemoryStream();
        model.Save(stream);
        stream.Position = 0;
        using var loaded = XGBoostModel.Load(stream);

        Assert.Equal(Predict(model, test), Predict(loaded, test));
        Assert.Equal(model.FeatureNames, loaded.FeatureNames);
        Assert.Equal(model.OutputsPerRow, loaded.OutputsPerRow);
        Assert.Throws<InvalidDataException>(() => XGBoostModel.Load(new MemoryStream([1, 2, 3, 4, 5, 6, 7, 8, 9])));
    }

    [XGBoostFact]
    public void The_same_seed_gives_the_same_predictions()
    {
        var (train, labels) = Xor(1000, 5);
        var (test, _) = Xor(300, 6);
        var options = Small with { Subsample = 0.5, ColSampleByTree = 0.5, Seed = 42 };
        using var first = new XGBoostTrainer(options).Fit(new TrainingData(train, labels));
        using var second = new XGBoostTrainer(options).Fit(new TrainingData(train, labels));
        using var other = new XGBoostTrainer(options with { Seed = 7 }).Fit(new TrainingData(train, labels));

        Assert.Equal(Predict(first, test), Predict(second, test));
        Assert.NotEqual(Predict(first, test), Predict(other, test));
    }

    [XGBoostFact]
    public void Multiclass_gives_class_probabilities_per_row()
    {
        var (train, labels) = Thirds(900, 7);
        var (test, testLabels) = Thirds(300, 8);
        using var model = new XGBoostTrainer(Small with { Objective = BoostingObjective.Softmax, NumClasses = 3 }).Fit(new TrainingData(train, labels));

        Assert.Equal(3, model.OutputsPerRow);
        var p = Predict(model, test);
        Assert.Equal(900, p.Length);
        var correct = 0;
        for (var r = 0; r < test.Rows; r++)
        {
            var row = p.AsSpan(r * 3, 3);
            Assert.Equal(1.0, row[0] + row[1] + row[2], 5);
            if (row.IndexOf(Max(row)) == (int)testLabels[r]) correct++;
        }
        Assert.True(correct > 280, $"{correct} of 300 right");
        Assert.Throws<ArgumentException>(() => model.Predict(test, new double[test.Rows]));

        static double Max(ReadOnlySpan<double> values) => Math.Max(values[0], Math.Max(values[1], values[2]));
    }

    [XGBoostFact]
    public void Stops_early_and_keeps_the_best_round()
    {
        // Pure noise: the validation loss stops improving quickly.
        var train = Matrix(Uniform(500, 3, 9));
        var valid = Matrix(Uniform(500, 3, 10));
        var random = new Random(11);
        float[] labels = [.. Enumerable.Range(0, 500).Select(_ => (float)random.Next(2))];
        float[] validLabels = [.. Enumerable.Range(0, 500).Select(_ => (float)random.Next(2))];
        var recorder = new Recorder();
        var options = Small with { Rounds = 200, MaxDepth = 6, EarlyStoppingRounds = 5 };
        using var model = new XGBoostTrainer(options).Fit(new TrainingData(train, labels, valid, validLabels), recorder);

        Assert.InRange(recorder.Reports.Count, 6, 199);
        var losses = recorder.Reports.Select(p => p.ValidationLoss!.Value).ToList();
        var best = losses.IndexOf(losses.Min());
        Assert.Equal(best + 1 + 5, recorder.Reports.Count);

        // The kept model is the best round's: refit exactly that many rounds and compare.
        using var refit = new XGBoostTrainer(options with { Rounds = best + 1, EarlyStoppingRounds = null }).Fit(new TrainingData(train, labels));
        Assert.Equal(Predict(refit, valid), Predict(model, valid));
    }

    [XGBoostFact]
    public void An_invalid_parameter_surfaces_xgboosts_message()
    {
        var (train, labels) = Xor(100, 12);
        var trainer = new XGBoostTrainer(Small, new Dictionary<string, string> { ["tree_method"] = "no-such-method" });
        var error = Assert.Throws<XGBoostException>(() => trainer.Fit(new TrainingData(train, labels)));
        Assert.Contains("no-such-method", error.Message, StringComparison.Ordinal);
    }

    [XGBoostFact]
    public void Creating_and_freeing_a_thousand_times_does_not_leak()
    {
        var (features, labels) = Xor(5000, 13);
        using var model = new XGBoostTrainer(Small with { Rounds = 3 }).Fit(new TrainingData(features, labels));
        using var stream = new MemoryStream();
        model.Save(stream);
        var saved = stream.ToArray();
        var expected = Predict(model, features);

        long Run(int times)
        {
            for (var i = 0; i < times; i++)
            {
                using var loaded = XGBoostModel.Load(new MemoryStream(saved));
                Assert.Equal(expected, Predict(loaded, features)); // a DMatrix per prediction
            }
            return NativeHeap.InUse();
        }

        var warm = Run(100);
        var after = Run(1000);
        // A leaked DMatrix (5000 × 4, ≥ 160 kB) or booster per cycle would add far more than 10 MB over 1000 cycles.
        Assert.True(after - warm < 10 << 20, $"malloc'd memory grew by {(after - warm) >> 10} kB over 1000 cycles");
    }
}

/// <summary>Bytes the C heap (glibc malloc, all arenas) holds for live allocations, which the .NET GC does not touch.</summary>
static class NativeHeap
{
    [StructLayout(LayoutKind.Sequential)]
    struct MallInfo2
    {
        public nuint Arena, OrdBlks, SmBlks, HBlks, HBlkHd, UsmBlks, FsmBlks, UordBlks, FordBlks, KeepCost;
    }

#pragma warning disable SYSLIB1054 // LibraryImport needs unsafe code, which the test project does not allow.
    [DllImport("libc", EntryPoint = "mallinfo2")]
    static extern MallInfo2 Info();
#pragma warning restore SYSLIB1054

    /// <summary>Allocated bytes (uordblks + hblkhd) on glibc; the working set elsewhere.</summary>
    public static long InUse()
    {
        if (OperatingSystem.IsLinux())
            try
            {
                var info = Info();
                return (long)(info.UordBlks + info.HBlkHd);
            }
            catch (EntryPointNotFoundException) { } // musl or glibc before 2.33
        using var process = System.Diagnostics.Process.GetCurrentProcess();
        return process.WorkingSet64;
    }
}
