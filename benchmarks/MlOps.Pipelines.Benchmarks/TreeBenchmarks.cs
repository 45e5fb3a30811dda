using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using MlOps.Pipelines.ML.Evaluation;
using MlOps.Pipelines.ML.Features;
using MlOps.Pipelines.ML.Training;

/// <summary>
/// Gradient-boosted trees on 1M synthetic training rows × 20 features (nonlinear signal, interactions, noise
/// columns, missing values; 250k test rows): our <see cref="GradientBoostedTrees"/> against XGBoost (hist) and
/// scikit-learn's HistGradientBoostingClassifier from Debian's /usr/bin/python3, all binary logistic with 100
/// rounds, depth 6, learning rate 0.3, 256 bins, on 2 threads. Ours and the peers run interleaved (ours, peers,
/// ours, peers, …) so that a change of machine load hits both; fit times are medians, AUCs on the test rows.
/// </summary>
/// <remarks>
/// For development: GBDT_BENCH_ROWS overrides the training row count, GBDT_BENCH_REPEATS the rounds of the
/// interleaving (default 3), GBDT_BENCH_PEERS=0 skips the peers.
/// </remarks>
static class TreeBenchmarks
{
    const int DefaultRows = 1_000_000;
    const int Features = 20;
    const int Threads = 2;
    const ulong Seed = 2024;

    public static void Run(Dictionary<string, double> results)
    {
        var rows = Environment.GetEnvironmentVariable("GBDT_BENCH_ROWS") is { } text ? int.Parse(text, CultureInfo.InvariantCulture) : DefaultRows;
        var repeats = Environment.GetEnvironmentVariable("GBDT_BENCH_REPEATS") is { } r ? int.Parse(r, CultureInfo.InvariantCulture) : 3;
        var testRows = rows / 4;
        var stopwatch = Stopwatch.StartNew();
        var (train, trainLabels) = Generate(0, rows);
        var (test, testLabels) = Generate(rows, testRows);
        Log($"generated {rows:N0} + {testRows:N0} rows × {Features} features in {stopwatch.Elapsed.TotalSeconds:F2} s, {trainLabels.Average():P1} positive");

        var options = new GradientBoostedTreesOptions(Rounds: 100, MaxDepth: 6, LearningRate: 0.3, MaxBins: 256, Threads: Threads);
        var data = new TrainingData(train, trainLabels);
        // Warm-up on a slice: JIT and tiering, not part of any figure.
        var warm = Math.Min(rows, 50_000);
        var warmSlice = Slice(train, warm);
        var warmModel = new GradientBoostedTrees(options with { Rounds = 10 }).Fit(new TrainingData(warmSlice, trainLabels.AsMemory(0, warm)));
        for (var i = 0; i < 3; i++) warmModel.Predict(warmSlice, new double[warm], Threads);

        var peers = Environment.GetEnvironmentVariable("GBDT_BENCH_PEERS") != "0" ? PreparePeers(train, trainLabels, test, testLabels) : null;
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
                model = new GradientBoostedTrees(options).Fit(data);
                ours.Add(fit.Elapsed.TotalSeconds);
                Log($"round {round + 1}: ours fit {ours[^1]:F2} s");
                if (peers is null) continue;
                foreach (var (peer, (auc, seconds)) in RunPeers(peers))
                {
                    (peerTimes.TryGetValue(peer, out var list) ? list : peerTimes[peer] = []).Add(seconds);
                    peerAucs[peer] = auc;
                    Log($"round {round + 1}: {peer} fit {seconds:F2} s, AUC {auc:F5}");
                }
            }
        }
        finally
        {
            if (peers is not null) Directory.Delete(peers.Folder, recursive: true);
        }

        var predictions = new double[test.Rows];
        var predictTimes = new List<double>();
        for (var i = 0; i < 3; i++)
        {
            var predict = Stopwatch.StartNew();
            model.Predict(test, predictions, Threads);
            predictTimes.Add(predict.Elapsed.TotalSeconds);
        }
        results["gbdt_predict_seconds"] = PeerScripts.Median(predictTimes);
        results["gbdt_fit_seconds"] = PeerScripts.Median(ours);
        results["gbdt_auc"] = BinaryMetrics.RocAuc(predictions, [.. testLabels.Select(y => y == 1)]);
        results["gbdt_rows"] = rows;
        Log($"ours: fit {results["gbdt_fit_seconds"]:F2} s (median of {ours.Count}), AUC {results["gbdt_auc"]:F5}, predict {testRows:N0} rows {results["gbdt_predict_seconds"]:F2} s");
        foreach (var (peer, times) in peerTimes)
        {
            results[$"{peer}_fit_seconds"] = PeerScripts.Median(times);
            results[$"{peer}_auc"] = peerAucs[peer];
            Log($"{peer}: fit {PeerScripts.Median(times):F2} s (median of {times.Count}), AUC {peerAucs[peer]:F5}");
        }
        if (peerAucs.TryGetValue("xgboost", out var xgboostAuc))
            Log($"AUC ours − XGBoost: {results["gbdt_auc"] - xgboostAuc:+0.00000;-0.00000}; fit time ours / XGBoost: {results["gbdt_fit_seconds"] / results["xgboost_fit_seconds"]:F2}");
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

    sealed record Peers(string Python, string Script, string Folder);

    static Peers? PreparePeers(FeatureMatrix train, float[] trainLabels, FeatureMatrix test, float[] testLabels)
    {
        const string python = "/usr/bin/python3";
        var script = PeerScripts.FindScript("gbdt_peers.py");
        if (!File.Exists(python) || script is null || PeerScripts.Run(python, ["-c", "import xgboost, sklearn"], out _) != 0)
        {
            Log(script is null ? "peers skipped: benchmarks/peers/gbdt_peers.py not found" : "peers skipped: /usr/bin/python3 lacks xgboost or sklearn");
            return null;
        }
        var folder = Path.Combine(Path.GetTempPath(), "mlops-gbdt-" + Environment.ProcessId);
        Directory.CreateDirectory(folder);
        PeerScripts.WriteRowMajor(Path.Combine(folder, "X_train.f32"), train);
        PeerScripts.WriteRowMajor(Path.Combine(folder, "X_test.f32"), test);
        File.WriteAllBytes(Path.Combine(folder, "y_train.f32"), MemoryMarshal.AsBytes(trainLabels.AsSpan()).ToArray());
        File.WriteAllBytes(Path.Combine(folder, "y_test.f32"), MemoryMarshal.AsBytes(testLabels.AsSpan()).ToArray());
        File.WriteAllText(Path.Combine(folder, "header.json"), JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["train_rows"] = train.Rows, ["test_rows"] = test.Rows, ["features"] = train.Columns, ["names"] = train.Names,
        }));
        return new Peers(python, script, folder);
    }

    static IEnumerable<(string Peer, (double Auc, double Seconds))> RunPeers(Peers peers)
    {
        if (PeerScripts.Run(peers.Python, [peers.Script, peers.Folder, "--threads", Threads.ToString(CultureInfo.InvariantCulture)], out var output) != 0)
            throw new InvalidOperationException($"{peers.Script} failed:\n{output}");
        using var document = JsonDocument.Parse(output.Trim().Split('\n')[^1]);
        var list = new List<(string, (double, double))>();
        foreach (var peer in document.RootElement.EnumerateObject())
            list.Add((peer.Name, (peer.Value.GetProperty("auc").GetDouble(), peer.Value.GetProperty("fit_seconds").GetDouble())));
        return list;
    }

    static void Log(string message) => Console.Error.WriteLine("[trees] " + message);
}
