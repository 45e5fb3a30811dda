using System.Diagnostics;
using System.Globalization;
using MlOps.Pipelines.ML.Evaluation;
using MlOps.Pipelines.ML.Features;
using MlOps.Pipelines.ML.Training;

/// <summary>
/// Gradient-boosted trees, ours (<see cref="GradientBoostedTrees"/>) against XGBoost (hist) and scikit-learn's
/// HistGradientBoostingClassifier from Debian's /usr/bin/python3, all binary logistic with 100 rounds, depth 6,
/// learning rate 0.3, 256 bins, on 2 threads, on two data sets: 1M synthetic training rows × 20 features (nonlinear
/// signal, interactions, noise columns, missing values; 250k test rows), and the flight sample with two categorical
/// columns (<see cref="FlightSample"/>; 160k training flights, 40k held out). Ours and the peers run interleaved
/// (ours, peers, ours, peers, …) so that a change of machine load hits both; fit times are medians, AUCs on the test
/// rows. On the flight sample XGBoost runs twice, with the airport codes as numbers and in its native categorical
/// mode, and scikit-learn treats the codes as categorical; ours takes them as numbers.
/// </summary>
/// <remarks>
/// For development: GBDT_BENCH_DATA=synthetic or flights runs one data set, GBDT_BENCH_ROWS overrides the synthetic
/// training row count, GBDT_BENCH_REPEATS the rounds of the interleaving (default 3 synthetic, 5 flights),
/// GBDT_BENCH_PEERS=0 skips the peers.
/// </remarks>
static class TreeBenchmarks
{
    const int DefaultRows = 1_000_000;
    const int Features = 20;
    const int Threads = 2;
    const ulong Seed = 2024;

    static readonly GradientBoostedTreesOptions Options = new(Rounds: 100, MaxDepth: 6, LearningRate: 0.3, MaxBins: 256, Threads: Threads);

    public static void Run(Dictionary<string, double> results)
    {
        var sets = Environment.GetEnvironmentVariable("GBDT_BENCH_DATA")?.Split(',') ?? ["synthetic", "flights"];
        if (sets.Contains("synthetic")) Synthetic(results);
        if (sets.Contains("flights")) Flights(results);
    }

    static void Synthetic(Dictionary<string, double> results)
    {
        var rows = Environment.GetEnvironmentVariable("GBDT_BENCH_ROWS") is { } text ? int.Parse(text, CultureInfo.InvariantCulture) : DefaultRows;
        var testRows = rows / 4;
        var stopwatch = Stopwatch.StartNew();
        var (train, trainLabels) = Generate(0, rows);
        var (test, testLabels) = Generate(rows, testRows);
        Log($"generated {rows:N0} + {testRows:N0} rows × {Features} features in {stopwatch.Elapsed.TotalSeconds:F2} s, {trainLabels.Average():P1} positive");

        var outcome = Compare("synthetic", train, trainLabels, test, testLabels, categorical: [], Repeats(3));
        var predictions = new double[test.Rows];
        var predictTimes = new List<double>();
        for (var i = 0; i < 3; i++)
        {
            var predict = Stopwatch.StartNew();
            outcome.Model.Predict(test, predictions, Threads);
            predictTimes.Add(predict.Elapsed.TotalSeconds);
        }
        results["gbdt_predict_seconds"] = PeerScripts.Median(predictTimes);
        results["gbdt_fit_seconds"] = outcome.Seconds;
        results["gbdt_fit_fastest_seconds"] = outcome.Times.Min();
        results["gbdt_auc"] = outcome.Auc;
        results["gbdt_rows"] = rows;
        Log($"synthetic, ours: fit {outcome.Seconds:F2} s, AUC {outcome.Auc:F5}, predict {testRows:N0} rows {results["gbdt_predict_seconds"]:F2} s");
        foreach (var (peer, (auc, times)) in outcome.Peers)
        {
            results[$"{peer}_fit_seconds"] = PeerScripts.Median(times);
            results[$"{peer}_fit_fastest_seconds"] = times.Min();
            results[$"{peer}_auc"] = auc;
        }
        Summarise("synthetic", outcome);
    }

    static void Flights(Dictionary<string, double> results)
    {
        var stopwatch = Stopwatch.StartNew();
        if (FlightSample.Load() is not { } sample)
        {
            Log("flights skipped: data/flights-200k.csv not found");
            return;
        }
        Log($"flights: {sample.Train.Rows:N0} training + {sample.Test.Rows:N0} held-out flights × {sample.Train.Columns} features " +
            $"({string.Join(", ", sample.Train.Names)}; categorical: {string.Join(", ", sample.Categorical.Select(c => sample.Train.Names[c]))}) " +
            $"in {stopwatch.Elapsed.TotalSeconds:F2} s, {sample.TrainLabels.Average():P1} / {sample.TestLabels.Average():P1} delayed");
        var outcome = Compare("flights", sample.Train, sample.TrainLabels, sample.Test, sample.TestLabels, sample.Categorical, Repeats(5));
        results["trees_flights_train_rows"] = sample.Train.Rows;
        results["trees_flights_test_rows"] = sample.Test.Rows;
        results["trees_flights_ours_fit_seconds"] = outcome.Seconds;
        results["trees_flights_ours_fit_fastest_seconds"] = outcome.Times.Min();
        results["trees_flights_ours_auc"] = outcome.Auc;
        foreach (var (peer, (auc, times)) in outcome.Peers)
        {
            results[$"trees_flights_{peer}_fit_seconds"] = PeerScripts.Median(times);
            results[$"trees_flights_{peer}_fit_fastest_seconds"] = times.Min();
            results[$"trees_flights_{peer}_auc"] = auc;
        }
        Summarise("flights", outcome);
    }

    static int Repeats(int fallback) =>
        Environment.GetEnvironmentVariable("GBDT_BENCH_REPEATS") is { } r ? int.Parse(r, CultureInfo.InvariantCulture) : fallback;

    /// <summary>Ours: every fit's seconds, the test AUC and the model of the last fit; per peer: its test AUC and every fit's seconds.</summary>
    sealed record Outcome(List<double> Times, double Auc, GradientBoostedTreesModel Model, Dictionary<string, (double Auc, List<double> Times)> Peers)
    {
        /// <summary>Median fit seconds.</summary>
        public double Seconds => PeerScripts.Median(Times);
    }

    /// <summary>Fits ours and the peers on the same rows, <paramref name="repeats"/> times, interleaved.</summary>
    static Outcome Compare(string name, FeatureMatrix train, float[] trainLabels, FeatureMatrix test, float[] testLabels, int[] categorical, int repeats)
    {
        var data = new TrainingData(train, trainLabels);
        // Warm-up on up to 200k rows (all of the flight sample): JIT and tiering (a method is recompiled optimised only
        // after many calls, in the background) and the first touch of arrays of the timed fits' sizes; in no figure.
        var warm = Math.Min(train.Rows, 200_000);
        var warmSlice = Slice(train, warm);
        for (var i = 0; i < 3; i++)
        {
            var warmModel = new GradientBoostedTrees(Options with { Rounds = 20 }).Fit(new TrainingData(warmSlice, trainLabels.AsMemory(0, warm)));
            warmModel.Predict(warmSlice, new double[warm], Threads);
        }

        var peers = Environment.GetEnvironmentVariable("GBDT_BENCH_PEERS") != "0" ? PreparePeers(train, trainLabels, test, testLabels, categorical) : null;
        var ours = new List<double>();
        var peerTimes = new Dictionary<string, List<double>>();
        var peerAucs = new Dictionary<string, double>();
        GradientBoostedTreesModel model = null!;
        try
        {
            for (var round = 0; round < repeats; round++)
            {
                GC.Collect();
                var fit = Stopwatch.StartNew();
                model = new GradientBoostedTrees(Options).Fit(data);
                ours.Add(fit.Elapsed.TotalSeconds);
                Log($"{name} round {round + 1}: ours fit {ours[^1]:F3} s");
                if (peers is null) continue;
                foreach (var (peer, (auc, seconds)) in RunPeers(peers))
                {
                    (peerTimes.TryGetValue(peer, out var list) ? list : peerTimes[peer] = []).Add(seconds);
                    peerAucs[peer] = auc;
                    Log($"{name} round {round + 1}: {peer} fit {seconds:F3} s, AUC {auc:F5}");
                }
            }
        }
        finally
        {
            if (peers is not null) Directory.Delete(peers.Folder, recursive: true);
        }
        var predictions = new double[test.Rows];
        model.Predict(test, predictions, Threads);
        var ourAuc = BinaryMetrics.RocAuc(predictions, [.. testLabels.Select(y => y == 1)]);
        return new Outcome(ours, ourAuc, model, peerTimes.ToDictionary(p => p.Key, p => (peerAucs[p.Key], p.Value)));
    }

    /// <summary>Logs every contestant's fit times (median, fastest) and AUC, and ours against each peer.</summary>
    static void Summarise(string name, Outcome outcome)
    {
        Log($"{name}, ours: fit {outcome.Seconds:F3} s (median of {outcome.Times.Count}; fastest {outcome.Times.Min():F3} s), AUC {outcome.Auc:F5}");
        foreach (var (peer, (auc, times)) in outcome.Peers)
            Log($"{name}, {peer}: fit {PeerScripts.Median(times):F3} s (median of {times.Count}; fastest {times.Min():F3} s), AUC {auc:F5}; " +
                $"ours − {peer} AUC {outcome.Auc - auc:+0.00000;-0.00000}, fit time ours / {peer} {outcome.Seconds / PeerScripts.Median(times):F2} (fastest runs: {outcome.Times.Min() / times.Min():F2})");
    }

    // ---------------------------------------------------------------- data

    /// <summary>
    /// Rows [first, first + count) of an endless deterministic data set: every value is a hash of (seed, row,
    /// feature), so the rows do not depend on how many are made or on which thread. x0–x9 uniform, x10–x14 normal,
    /// x15 log-normal, x16 a small integer, x17–x19 with 10–30% missing (x19's missingness is informative). The label
    /// is drawn from σ(f(x)) with f nonlinear in x0–x4, x10–x12, x15–x17, x19 and the other features noise.
    /// </summary>
    public static (FeatureMatrix Features, float[] Labels) Generate(int first, int count)
    {
        var columns = new float[Features][];
        for (var c = 0; c < Features; c++) columns[c] = new float[count];
        var labels = new float[count];
        Parallel.For(0, (count + 65535) / 65536, block =>
        {
            Span<float> x = stackalloc float[Features];
            for (var i = block * 65536; i < Math.Min(count, (block + 1) * 65536); i++)
            {
                var row = (ulong)(first + i);
                for (var c = 0; c < Features; c++)
                {
                    double u = Unit(row, c), v = Unit(row, c + 100);
                    var normal = Math.Sqrt(-2 * Math.Log(1 - u)) * Math.Cos(2 * Math.PI * v);
                    x[c] = c switch
                    {
                        < 10 => (float)u,
                        < 15 => (float)normal,
                        15 => (float)Math.Exp(normal),
                        16 => (float)Math.Floor(u * 10),
                        17 => v < 0.1 ? float.NaN : (float)normal,
                        18 => v < 0.3 ? float.NaN : (float)u,
                        _ => v < 0.2 ? float.NaN : (float)u,
                    };
                }
                var logit =
                    1.5 * Math.Sin(3 * Math.PI * x[0]) + 2.0 * (x[1] > 0.6 ? 1 : 0) - 4.0 * x[2] * x[3] + 1.2 * x[4] * x[4]
                    + 0.6 * x[10] * x[10] - 0.8 * Math.Abs(x[11]) + (x[4] > 0.5 && x[12] > 0 ? 1.0 : 0)
                    + 0.5 * Math.Log(x[15]) + (x[16] is 2 or 3 or 7 ? 0.9 : 0)
                    + (float.IsNaN(x[17]) ? 0 : 0.7 * x[17]) + (float.IsNaN(x[19]) ? 0.8 : -0.6 * x[19]) - 0.2;
                labels[i] = Unit(row, 999) < 1 / (1 + Math.Exp(-logit)) ? 1 : 0;
                for (var c = 0; c < Features; c++) columns[c][i] = x[c];
            }
        });
        return (FeatureMatrix.FromColumns([.. Enumerable.Range(0, Features).Select(c => $"x{c:00}")], columns), labels);
    }

    static double Unit(ulong row, int feature)
    {
        var z = unchecked(Seed * 0x9E3779B97F4A7C15UL + row * 0xD1B54A32D192ED03UL + (ulong)feature * 0xAEF17502108EF2D9UL);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return ((z ^ (z >> 31)) >> 11) * (1.0 / (1UL << 53));
    }

    static FeatureMatrix Slice(FeatureMatrix matrix, int rows) =>
        FeatureMatrix.FromColumns(matrix.Names, [.. Enumerable.Range(0, matrix.Columns).Select(c => matrix.Column(c)[..rows].ToArray())]);

    // ---------------------------------------------------------------- peers

    /// <summary>The peer script, its data folder, and which of its peers (xgboost, sklearn) /usr/bin/python3 can run.</summary>
    sealed record Peers(string Python, string Script, string Folder, string Installed);

    static Peers? PreparePeers(FeatureMatrix train, float[] trainLabels, FeatureMatrix test, float[] testLabels, int[] categorical)
    {
        var script = PeerScripts.FindScript("gbdt_peers.py");
        if (script is null || !PeerScripts.CanImport("numpy"))
        {
            Log(script is null ? "peers skipped: benchmarks/peers/gbdt_peers.py not found" : "peers skipped: /usr/bin/python3 with numpy not found (Debian's python3-numpy)");
            return null;
        }
        var installed = new List<string>();
        foreach (var (module, package) in new[] { ("xgboost", "python3-xgboost"), ("sklearn", "python3-sklearn") })
            if (PeerScripts.CanImport(module)) installed.Add(module);
            else Log($"peer {module} skipped: /usr/bin/python3 lacks it (Debian's {package})");
        if (installed.Count == 0) return null;
        var folder = PeerScripts.WriteData("gbdt", train, test, new Dictionary<string, float[]> { ["y_train.f32"] = trainLabels, ["y_test.f32"] = testLabels },
            new() { ["names"] = train.Names, ["categorical"] = categorical });
        return new Peers(PeerScripts.Python, script, folder, string.Join(",", installed));
    }

    static IEnumerable<(string Peer, (double Auc, double Seconds))> RunPeers(Peers peers)
    {
        using var document = PeerScripts.RunJson(peers.Python, [peers.Script, peers.Folder, "--threads", Threads.ToString(CultureInfo.InvariantCulture), "--peers", peers.Installed]);
        var list = new List<(string, (double, double))>();
        foreach (var peer in document.RootElement.EnumerateObject())
            list.Add((peer.Name, (peer.Value.GetProperty("auc").GetDouble(), peer.Value.GetProperty("fit_seconds").GetDouble())));
        return list;
    }

    static void Log(string message) => Console.Error.WriteLine("[trees] " + message);
}
