using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using MlOps.Pipelines.ML.Evaluation;
using MlOps.Pipelines.ML.Features;
using MlOps.Pipelines.ML.Training;

/// <summary>
/// Logistic regression on 1M synthetic training rows × 20 standardised, correlated features (250k test rows): our
/// <see cref="LogisticRegression"/> against scikit-learn's LogisticRegression(solver="lbfgs") from Debian's
/// /usr/bin/python3, binary and multinomial (3 classes), C = 1, at most 100 iterations, 2 threads. Runs are interleaved
/// (ours binary, peer binary, ours multinomial, peer multinomial, …); fit times are medians.
/// </summary>
/// <remarks>
/// Stopping rules: scikit-learn 1.2 applies tol = 1e-4 to the gradient of the summed objective Σ loss + ‖w‖² / (2C),
/// n times the gradient of our mean objective, and SciPy also stops on a relative decrease of 2.2e-9 (factr 1e7). The
/// headline figures run ours with Tolerance = 1e-4 / n, which is the same rule on the same objective; ours with its
/// default Tolerance = 1e-4 (on the mean objective, as newer scikit-learn versions apply tol) is measured alongside.
/// For development: LINEAR_BENCH_ROWS overrides the training row count, LINEAR_BENCH_REPEATS the rounds (default 5),
/// LINEAR_BENCH_PEERS=0 skips the peer.
/// </remarks>
static class LinearBenchmarks
{
    const int DefaultRows = 1_000_000;
    const int Features = 20;
    const int Classes = 3;
    const int Threads = 2;
    const double C = 1;
    const ulong Seed = 4242;

    public static void Run(Dictionary<string, double> results)
    {
        var rows = Environment.GetEnvironmentVariable("LINEAR_BENCH_ROWS") is { } text ? int.Parse(text, CultureInfo.InvariantCulture) : DefaultRows;
        var repeats = Environment.GetEnvironmentVariable("LINEAR_BENCH_REPEATS") is { } r ? int.Parse(r, CultureInfo.InvariantCulture) : 5;
        var testRows = rows / 4;
        var stopwatch = Stopwatch.StartNew();
        var train = Generate(0, rows);
        var test = Generate(rows, testRows);
        Log($"generated {rows:N0} + {testRows:N0} rows × {Features} features in {stopwatch.Elapsed.TotalSeconds:F2} s, {train.Binary.Average():P1} positive");

        var sklearnRule = 1e-4 / rows;
        var cases = new (string Name, int Classes, float[] Labels, float[] TestLabels)[]
        {
            ("binary", 2, train.Binary, test.Binary),
            ("multinomial", Classes, train.Multinomial, test.Multinomial),
        };
        // Warm-up on a slice: JIT and tiering, not part of any figure.
        var warm = Math.Min(rows, 50_000);
        var slice = FeatureMatrix.FromColumns(train.Features.Names, [.. Enumerable.Range(0, Features).Select(c => train.Features.Column(c)[..warm].ToArray())]);
        foreach (var (_, classes, labels, _) in cases)
            new LogisticRegression(new LogisticRegressionOptions(classes, C, Threads: Threads)).Fit(new TrainingData(slice, labels.AsMemory(0, warm)));

        var peers = Environment.GetEnvironmentVariable("LINEAR_BENCH_PEERS") != "0" ? PreparePeers(train, test) : null;
        var peerFolder = peers?.Folder; // deleted at the end even when the peer skips (peers becomes null)
        var times = new Dictionary<string, List<double>>();
        var last = new Dictionary<string, double>();
        void Add(string key, double seconds) => (times.TryGetValue(key, out var list) ? list : times[key] = []).Add(seconds);
        var models = new Dictionary<string, (LinearModel Model, int Iterations)>();
        try
        {
            for (var round = 0; round < repeats; round++)
                foreach (var (name, classes, labels, _) in cases)
                {
                    foreach (var (variant, tolerance) in new[] { ("", sklearnRule), ("_default_tol", 1e-4) })
                    {
                        GC.Collect();
                        var iterations = 0;
                        var fit = Stopwatch.StartNew();
                        var model = new LogisticRegression(new LogisticRegressionOptions(classes, C, Tolerance: tolerance, Threads: Threads))
                            .Fit(new TrainingData(train.Features, labels), new Progress(p => iterations = p.Iteration));
                        Add($"linear_{name}{variant}", fit.Elapsed.TotalSeconds);
                        models[$"linear_{name}{variant}"] = (model, iterations);
                        Log($"round {round + 1}: ours {name}{variant} fit {fit.Elapsed.TotalSeconds:F2} s, {iterations} iterations");
                    }
                    if (peers is null) continue;
                    var peer = RunPeer(peers, name);
                    if (peer is null)
                    {
                        peers = null;
                        continue;
                    }
                    Add($"sklearn_linear_{name}", peer["fit_seconds"]);
                    foreach (var (key, value) in peer) last[$"sklearn_linear_{name}_{key}"] = value;
                    Log($"round {round + 1}: scikit-learn {name} fit {peer["fit_seconds"]:F2} s, {peer["iterations"]:F0} iterations");
                }
        }
        finally
        {
            if (peerFolder is not null) Directory.Delete(peerFolder, recursive: true);
        }

        results["linear_rows"] = rows;
        foreach (var (name, _, _, testLabels) in cases)
        {
            foreach (var variant in new[] { "", "_default_tol" })
            {
                var key = $"linear_{name}{variant}";
                var (model, iterations) = models[key];
                results[$"{key}_fit_seconds"] = PeerScripts.Median(times[key]);
                results[$"{key}_iterations"] = iterations;
                var predictions = new double[test.Features.Rows * model.OutputsPerRow];
                model.Predict(test.Features, predictions, Threads);
                if (model.OutputsPerRow == 1) results[$"{key}_auc"] = BinaryMetrics.RocAuc(predictions, [.. testLabels.Select(y => y == 1)]);
                else
                {
                    results[$"{key}_log_loss"] = LogLoss(predictions, testLabels, model.OutputsPerRow);
                    results[$"{key}_accuracy"] = Accuracy(predictions, testLabels, model.OutputsPerRow);
                }
            }
            var quality = name == "binary" ? "auc" : "log_loss";
            var ours = $"linear_{name}";
            Log($"ours {name}: fit {results[$"{ours}_fit_seconds"]:F2} s (median of {times[ours].Count}), {results[$"{ours}_iterations"]:F0} iterations, {quality} {results[$"{ours}_{quality}"]:F5}; " +
                $"default tolerance: {results[$"{ours}_default_tol_fit_seconds"]:F2} s, {results[$"{ours}_default_tol_iterations"]:F0} iterations, {quality} {results[$"{ours}_default_tol_{quality}"]:F5}");
            if (!times.TryGetValue($"sklearn_{ours}", out var peerTimes)) continue;
            results[$"sklearn_{ours}_fit_seconds"] = PeerScripts.Median(peerTimes);
            foreach (var metric in new[] { "auc", "log_loss", "accuracy", "iterations", "converged" })
                if (last.TryGetValue($"sklearn_{ours}_{metric}", out var value)) results[$"sklearn_{ours}_{metric}"] = value;
            results[$"{ours}_fit_ratio"] = results[$"{ours}_fit_seconds"] / results[$"sklearn_{ours}_fit_seconds"];
            Log($"scikit-learn {name}: fit {results[$"sklearn_{ours}_fit_seconds"]:F2} s (median of {peerTimes.Count}), {results[$"sklearn_{ours}_iterations"]:F0} iterations, {quality} {results[$"sklearn_{ours}_{quality}"]:F5}; " +
                $"{quality} ours − scikit-learn {Signed(results[$"{ours}_{quality}"] - results[$"sklearn_{ours}_{quality}"])}, fit time ours / scikit-learn {results[$"{ours}_fit_ratio"]:F2}");
        }
    }

    /// <summary>A difference with its sign, five decimals; one that rounds to zero prints as +0.00000 (not −0).</summary>
    static string Signed(double difference)
    {
        var rounded = Math.Round(difference, 5);
        return (rounded == 0 ? 0 : rounded).ToString("+0.00000;-0.00000", CultureInfo.InvariantCulture);
    }

    static double LogLoss(double[] probabilities, float[] labels, int classes)
    {
        double sum = 0;
        for (var i = 0; i < labels.Length; i++) sum -= Math.Log(Math.Max(probabilities[i * classes + (int)labels[i]], 1e-15));
        return sum / labels.Length;
    }

    static double Accuracy(double[] probabilities, float[] labels, int classes)
    {
        var correct = 0;
        for (var i = 0; i < labels.Length; i++)
        {
            var row = probabilities.AsSpan(i * classes, classes);
            if (row.IndexOf(Largest(row)) == (int)labels[i]) correct++;
        }
        return correct / (double)labels.Length;
    }

    static double Largest(ReadOnlySpan<double> values)
    {
        var max = double.NegativeInfinity;
        foreach (var v in values) max = Math.Max(max, v);
        return max;
    }

    // ---------------------------------------------------------------- data

    sealed record Data(FeatureMatrix Features, float[] Binary, float[] Multinomial);

    /// <summary>
    /// Rows [first, first + count) of an endless deterministic data set: every value is a hash of (seed, row, feature).
    /// Features are standard normal, neighbours correlated (x_j = (z_j + 0.6 z_{j−1}) / √1.36), the last 8 pure noise
    /// for the labels. Binary labels ~ Bernoulli(σ(β·x − 0.3)); three-class labels from the softmax of fixed random weights.
    /// </summary>
    static Data Generate(int first, int count)
    {
        var columns = new float[Features][];
        for (var c = 0; c < Features; c++) columns[c] = new float[count];
        var binary = new float[count];
        var multinomial = new float[count];
        var beta = Enumerable.Range(0, Features).Select(j => j < 12 ? (j % 2 == 0 ? 1 : -1) * (0.8 - 0.05 * j) : 0).ToArray();
        var weights = Enumerable.Range(0, Classes).Select(k => Enumerable.Range(0, Features).Select(j => j < 12 ? Unit((ulong)k, 500 + j) - 0.5 : 0).ToArray()).ToArray();
        double[] intercepts = [0, 0.2, -0.2];
        Parallel.For(0, (count + 65535) / 65536, block =>
        {
            Span<double> z = stackalloc double[Features];
            Span<double> e = stackalloc double[Classes];
            for (var i = block * 65536; i < Math.Min(count, (block + 1) * 65536); i++)
            {
                var row = (ulong)(first + i);
                // Box–Muller: both normals of each pair of uniforms.
                for (var c = 0; c < Features; c += 2)
                {
                    var radius = Math.Sqrt(-2 * Math.Log(1 - Unit(row, c)));
                    var (sin, cos) = Math.SinCos(2 * Math.PI * Unit(row, c + 100));
                    z[c] = radius * cos;
                    z[c + 1] = radius * sin;
                }
                double logit = -0.3;
                for (var c = 0; c < Features; c++)
                {
                    var x = c == 0 ? z[0] : (z[c] + 0.6 * z[c - 1]) / Math.Sqrt(1.36);
                    columns[c][i] = (float)x;
                    logit += beta[c] * columns[c][i];
                }
                binary[i] = Unit(row, 999) < 1 / (1 + Math.Exp(-logit)) ? 1 : 0;
                double sum = 0;
                for (var k = 0; k < Classes; k++)
                {
                    var margin = intercepts[k];
                    for (var c = 0; c < Features; c++) margin += weights[k][c] * columns[c][i];
                    sum += e[k] = Math.Exp(margin);
                }
                var draw = Unit(row, 998) * sum;
                var label = 0;
                while (label < Classes - 1 && draw >= e[label]) draw -= e[label++];
                multinomial[i] = label;
            }
        });
        return new Data(FeatureMatrix.FromColumns([.. Enumerable.Range(0, Features).Select(c => $"x{c:00}")], columns), binary, multinomial);
    }

    static double Unit(ulong row, int feature)
    {
        var z = unchecked(Seed * 0x9E3779B97F4A7C15UL + row * 0xD1B54A32D192ED03UL + (ulong)feature * 0xAEF17502108EF2D9UL);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return ((z ^ (z >> 31)) >> 11) * (1.0 / (1UL << 53));
    }

    // ---------------------------------------------------------------- peer

    sealed record Peer(string Python, string Script, string Folder);

    static Peer? PreparePeers(Data train, Data test)
    {
        var script = PeerScripts.FindScript("linear_peers.py");
        if (script is null || !PeerScripts.CanImport("sklearn"))
        {
            Log(script is null ? "peer skipped: benchmarks/peers/linear_peers.py not found" : "peer skipped: /usr/bin/python3 lacks sklearn (Debian's python3-sklearn)");
            return null;
        }
        var folder = PeerScripts.WriteData("linear", train.Features, test.Features, new Dictionary<string, float[]>
        {
            ["y2_train.f32"] = train.Binary, ["y2_test.f32"] = test.Binary, ["y3_train.f32"] = train.Multinomial, ["y3_test.f32"] = test.Multinomial,
        }, new() { ["classes"] = Classes });
        return new Peer(PeerScripts.Python, script, folder);
    }

    /// <summary>The peer's figures for one case (booleans as 0/1), or null when it reports that it skipped.</summary>
    static Dictionary<string, double>? RunPeer(Peer peer, string name)
    {
        string[] arguments = [peer.Script, peer.Folder, "--case", name, "--threads", Threads.ToString(CultureInfo.InvariantCulture),
            "--c", C.ToString("R", CultureInfo.InvariantCulture), "--max-iter", "100", "--tol", "1e-4"];
        using var document = PeerScripts.RunJson(peer.Python, arguments);
        if (document.RootElement.TryGetProperty("skipped", out var reason))
        {
            Log("peer skipped: " + reason.GetString());
            return null;
        }
        var figures = new Dictionary<string, double>();
        foreach (var property in document.RootElement.GetProperty("sklearn").EnumerateObject())
            figures[property.Name] = property.Value.ValueKind switch
            {
                JsonValueKind.Number => property.Value.GetDouble(),
                JsonValueKind.True => 1,
                JsonValueKind.False => 0,
                _ => double.NaN,
            };
        figures.Remove("version");
        return figures;
    }

    sealed class Progress(Action<TrainingProgress> report) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => report(value);
    }

    static void Log(string message) => Console.Error.WriteLine("[linear] " + message);
}
