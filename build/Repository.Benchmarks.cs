using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using MlOps.Pipelines;

namespace Build;

// Benchmark: wall-clock figures of whole ./build.sh invocations, written to docs/benchmarks.md.
sealed partial class Repository
{
    [Parameter("Repetitions of each timed command in Benchmark")]
    readonly int BenchmarkRuns = 20;

    async Task RunBenchmarks(TargetContext context)
    {
        var buildScript = RootDirectory / "build.sh";
        var rows = new List<(string Command, string What, double[] Seconds, string Goal)>();

        async Task Measure(string arguments, string what, string goal, int runs)
        {
            await TimeAsync(buildScript, arguments, context); // warm-up: compile if needed, fill the OS cache
            var seconds = new double[runs];
            for (var i = 0; i < runs; i++) seconds[i] = await TimeAsync(buildScript, arguments, context);
            rows.Add(($"./build.sh {arguments}".TrimEnd(), what, seconds, goal));
            context.Info($"{what}: median {Median(seconds) * 1000:F0} ms over {runs} runs");
        }

        await Measure("--help", "Warm start: help with nothing changed", "< 300 ms", BenchmarkRuns);
        await Measure("", "No-op rerun of the example pipeline: every cacheable target restored", "< 500 ms", BenchmarkRuns);
        // Tracked and untracked runs alternate (A B A B), so a change of machine load hits both.
        const string tracked = "Evaluate --no-cache --verbosity quiet", untracked = tracked + " --tracking false";
        await TimeAsync(buildScript, tracked, context);
        var pairs = Math.Max(3, BenchmarkRuns * 2 / 5); // runs of this command vary by ±15% here: a few pairs cannot show 5%
        var trackedSeconds = new double[pairs];
        var untrackedSeconds = new double[pairs];
        for (var i = 0; i < pairs; i++)
        {
            trackedSeconds[i] = await TimeAsync(buildScript, tracked, context);
            untrackedSeconds[i] = await TimeAsync(buildScript, untracked, context);
        }
        var overhead = Median(trackedSeconds) / Median(untrackedSeconds) - 1;
        rows.Add(($"./build.sh {tracked}", "Example pipeline on the 200k sample, validate → evaluate, nothing cached, tracked in ./mlruns (runs alternate with the next row)",
            trackedSeconds, $"tracking overhead {overhead * 100:F1}% (goal < 5%)"));
        rows.Add(($"./build.sh {untracked}", "The same with tracking off", untrackedSeconds, ""));
        context.Info($"example pipeline: tracked {Median(trackedSeconds) * 1000:F0} ms, untracked {Median(untrackedSeconds) * 1000:F0} ms, overhead {overhead * 100:F1}%");

        // The cache's file work, measured in-process by benchmarks/MlOps.Pipelines.Benchmarks.
        var project = RootDirectory / "benchmarks" / "MlOps.Pipelines.Benchmarks";
        await context.RunAsync("dotnet", ["build", project, "-c", "Release", "--nologo", "-v", "q"]);
        var micro = new StringBuilder();
        await ProcessOutput("dotnet", ["run", "--no-build", "--project", project, "-c", "Release"], micro, context);
        var figures = System.Text.Json.JsonSerializer.Deserialize<Dictionary<string, double>>(micro.ToString().Trim().Split('\n')[^1])!;
        const string microCommand = "dotnet run --project benchmarks/MlOps.Pipelines.Benchmarks -c Release";
        rows.Add((microCommand, "First SHA-256 of a 1 GiB input file (in the page cache)", [figures["hash_1gib_first_seconds"]], "≥ 1 GB/s (< 1074 ms)"));
        rows.Add((microCommand, "Re-check of that unchanged file (median of 1000)", [figures["recheck_1gib_unchanged_seconds"]], "< 1 ms"));
        rows.Add((microCommand, "Restore of a 100 MiB artefact, first (reads it once to verify)", [figures["restore_100mib_first_seconds"]], ""));
        rows.Add((microCommand, "Restore of a 100 MiB artefact (median of 19 more)", [figures["restore_100mib_seconds"]], "< 50 ms"));
        rows.Add((microCommand, $"Table binary format: save ({Milliseconds(figures["table_format_save_1m_x24_seconds"])}) + load ({Milliseconds(figures["table_format_load_1m_x24_seconds"])}) of 1M rows × 24 columns, 180 MB, medians of 5",
            [figures["table_format_save_load_1m_x24_seconds"]], "< 200 ms"));
        rows.Add((microCommand, $"Validate 1M rows × 24 columns against {figures["validation_checks"]:F0} checks (the same checks as one DuckDB SQL query: {Milliseconds(figures["validate_1m_rows_duckdb_sql_seconds"])})",
            [figures["validate_1m_rows_seconds"]], "at least as fast as SQL"));
        foreach (var format in new[] { "parquet", "csv" })
        {
            var intoTable = figures[$"read_{format}_1m_x24_into_table_seconds"];
            var alone = figures[$"read_{format}_1m_x24_duckdb_alone_seconds"];
            rows.Add((microCommand, $"Read 1M × 24 {format} into a Table (DuckDB alone into its own table: {Milliseconds(alone)}; overhead {(intoTable / alone - 1) * 100:F0}%)", [intoTable], "overhead ≤ 20%"));
        }

        // The standard feature set (impute + standardise 20, log1p 5, quantile-bucketise 5, one-hot 2 + ordinal 1: 61
        // float columns) on 10M generated rows × 20 numeric + 3 categorical columns, against a triad loop and the same
        // transforms as DuckDB SQL and numpy, all in the same run.
        const string featuresCommand = microCommand + " -- --only features";
        var featureRows = figures["features_rows"];
        var fit = figures["features_fit_10m_seconds"];
        var transform = figures["features_transform_10m_seconds"];
        var ours = fit + transform;
        rows.Add((featuresCommand, $"Feature fit, standard set on 10M rows × 23 columns (61 outputs), all cores, median of 3: {Rate(featureRows / fit)} (1 thread: {Milliseconds(figures["features_fit_10m_1thread_seconds"])})",
            [fit], ""));
        rows.Add((featuresCommand, $"Feature transform into the matrix of an earlier call (TransformInto: nothing allocated, as the triad writes into its arrays), median of 3: " +
            $"{Rate(featureRows / figures["features_transform_into_10m_seconds"])}, {figures["features_transform_into_gbps"]:F1} GB/s = {figures["features_transform_into_triad_ratio"] * 100:F0}% of the triad's {figures["triad_gbps"]:F1} GB/s",
            [figures["features_transform_into_10m_seconds"]], "≥ 50% of triad"));
        rows.Add((featuresCommand, $"Feature transform of those rows to a 10M × 61 float matrix, median of 3: {Rate(featureRows / transform)}, " +
            $"{figures["features_transform_gbps"]:F1} GB/s ({figures["features_transform_bytes_per_row"]:F0} B read + written per row) = {figures["features_transform_triad_ratio"] * 100:F0}% of a triad loop's {figures["triad_gbps"]:F1} GB/s in the same run. " +
            $"Each call allocates its 2.4 GB matrix: the first call, on memory fresh from the OS, took {Milliseconds(figures["features_transform_10m_first_seconds"])}; 1 thread: {Milliseconds(figures["features_transform_10m_1thread_seconds"])}",
            [transform], "≥ 50% of triad"));
        // Like against like: DuckDB's second queries against our medians, and the first calls of each on the 10M table.
        var oursFirst = figures["features_fit_10m_first_seconds"] + figures["features_transform_10m_first_seconds"];
        var duckDb = figures["duckdb_fit_seconds"] + figures["duckdb_transform_seconds"];
        var duckDbFirst = figures["duckdb_fit_first_seconds"] + figures["duckdb_transform_first_seconds"];
        rows.Add((featuresCommand, $"Feature fit + transform vs the same as DuckDB SQL in-process, 10M rows, each query run twice (fit {Milliseconds(figures["duckdb_fit_seconds"])} + transform {Milliseconds(figures["duckdb_transform_seconds"])} the second time): " +
            $"{duckDb / ours:F1}× faster. First calls on the 10M table (ours after a warm-up on a 200k-row slice; DuckDB {Milliseconds(figures["duckdb_fit_first_seconds"])} + {Milliseconds(figures["duckdb_transform_first_seconds"])}, " +
            $"ours {Milliseconds(figures["features_fit_10m_first_seconds"])} + {Milliseconds(figures["features_transform_10m_first_seconds"])}): {duckDbFirst / oursFirst:F1}× faster", [ours], "≥ 20× faster than DuckDB"));
        if (figures.TryGetValue("numpy_fit_seconds", out var numpyFit) && figures.TryGetValue("numpy_transform_seconds", out var numpyTransform))
            rows.Add((featuresCommand, $"Feature fit + transform vs the same in numpy (/usr/bin/python3, fit {Milliseconds(numpyFit)} + transform {Milliseconds(numpyTransform)}, once, 10M rows): " +
                $"{(numpyFit + numpyTransform) / ours:F1}× faster ({(numpyFit + numpyTransform) / oursFirst:F1}× against our first calls)", [ours], "≥ 5× faster than numpy"));
        else
            rows.Add((featuresCommand, "Feature fit + transform vs the same in numpy: not measured, numpy not installed (Debian's python3-numpy for /usr/bin/python3)", [ours], "≥ 5× faster than numpy"));

        // Trees: ours against XGBoost (hist) and scikit-learn's HistGradientBoosting, same rows, hyperparameters and threads.
        const string treesCommand = microCommand + " -- --only trees";
        if (figures.TryGetValue("gbdt_fit_seconds", out var gbdtFit))
        {
            var peers = figures.TryGetValue("xgboost_fit_seconds", out var xgbFit)
                ? $"XGBoost 1.7 hist {Milliseconds(xgbFit)} (AUC {figures["xgboost_auc"]:F4}), scikit-learn {Milliseconds(figures.GetValueOrDefault("sklearn_fit_seconds", double.NaN))} (AUC {figures.GetValueOrDefault("sklearn_auc", double.NaN):F4}); " +
                  $"AUC ours − XGBoost {figures["gbdt_auc"] - figures["xgboost_auc"]:+0.0000;-0.0000}, fit time ours / XGBoost {gbdtFit / xgbFit:F2}{FastestRatio(figures, "gbdt", "xgboost")}"
                : "peers not installed (python3-xgboost, python3-sklearn)";
            rows.Add((treesCommand, $"Gradient-boosted trees, {figures["gbdt_rows"] / 1e6:F0}M synthetic rows × 20 features, 100 rounds, depth 6, eta 0.3, 2 threads, medians of interleaved runs: fit (AUC {figures["gbdt_auc"]:F4}); {peers}",
                [gbdtFit], "AUC within 0.003 of XGBoost, fit no slower"));
        }

        // The flight sample with its airports as categorical codes: ours takes the codes as numbers; XGBoost runs with
        // them as numbers and in its native categorical mode (the slower one here), scikit-learn with them categorical.
        if (figures.TryGetValue("trees_flights_ours_fit_seconds", out var flightsFit))
            rows.AddRange(FlightTreeRows(figures, flightsFit, treesCommand));

        // Logistic regression: ours against scikit-learn's lbfgs, same rows, C, iteration limit and stopping rule, 2 threads.
        const string linearCommand = microCommand + " -- --only linear";
        foreach (var (name, quality, goal) in new[] { ("binary", "auc", "AUC within 0.001 of scikit-learn, fit no slower"), ("multinomial", "log_loss", "fit no slower than scikit-learn") })
        {
            if (!figures.TryGetValue($"linear_{name}_fit_seconds", out var linearFit)) continue;
            string Quality(string prefix) => quality == "auc"
                ? $"AUC {figures[$"{prefix}_auc"]:F4}"
                : $"log-loss {figures[$"{prefix}_log_loss"]:F4}, accuracy {figures[$"{prefix}_accuracy"]:F4}";
            var key = $"linear_{name}";
            var peer = figures.TryGetValue($"sklearn_{key}_fit_seconds", out var peerFit)
                ? $"scikit-learn lbfgs {Milliseconds(peerFit)} ({figures[$"sklearn_{key}_iterations"]:F0} iterations, {Quality($"sklearn_{key}")}); " +
                  $"{(quality == "auc" ? "AUC" : "log-loss")} ours − scikit-learn {Math.Round(figures[$"{key}_{quality}"] - figures[$"sklearn_{key}_{quality}"], 5) + 0.0:+0.00000;-0.00000;+0.00000}, fit time ours / scikit-learn {linearFit / peerFit:F2}"
                : "peer not installed (python3-sklearn)";
            rows.Add((linearCommand, $"Logistic regression, {(name == "binary" ? "binary" : "multinomial (3 classes)")}, {figures["linear_rows"] / 1e6:F0}M synthetic rows × 20 features, L2 with C = 1, L-BFGS ≤ 100 iterations " +
                $"and scikit-learn 1.2's stopping rule, 2 threads, medians of interleaved runs: fit ({figures[$"{key}_iterations"]:F0} iterations, {Quality(key)}; " +
                $"{Milliseconds(figures[$"{key}_default_tol_fit_seconds"])} with our default tolerance, {figures[$"{key}_default_tol_iterations"]:F0} iterations); {peer}",
                [linearFit], goal));
        }

        // Tracking: requests and overhead against the tests' strict fake MLflow server.
        const string trackingCommand = microCommand + " -- --only tracking";
        if (figures.TryGetValue("tracking_metric_requests_per_10k_points", out var requests))
        {
            var trackedBuild = figures["tracking_build_tracked_seconds"];
            var untrackedBuild = figures["tracking_build_untracked_seconds"];
            rows.Add((trackingCommand, $"Tracking to an MLflow REST server: a 5-target build logging 10,000 metric points, tracked vs not ({Milliseconds(untrackedBuild)}): overhead {(trackedBuild / untrackedBuild - 1) * 100:F1}%; " +
                $"{requests:F1} log-batch requests per 10,000 metric points, {figures["tracking_requests_per_build"]:F0} requests per build", [trackedBuild], "overhead < 5%; ≤ 10 requests per 10,000 points"));
        }

        var text = new StringBuilder();
        text.Append("# Benchmarks\n\n");
        text.Append("Produced by `./build.sh Benchmark` (wall clock of whole `./build.sh` processes, each after one warm-up run).\n\n");
        text.Append($"Machine: {Machine()}.\n\n");
        var table = new StringBuilder("| command | what | median | min | max | runs | goal |\n| --- | --- | ---: | ---: | ---: | ---: | --- |\n");
        foreach (var (command, what, seconds, goal) in rows)
            table.Append(CultureInfo.InvariantCulture, $"| `{command}` | {what} | {Milliseconds(Median(seconds))} | {Milliseconds(seconds.Min())} | {Milliseconds(seconds.Max())} | {seconds.Length} | {goal} |\n");
        text.Append(table);
        var path = RootDirectory / "docs" / "benchmarks.md";
        Directory.CreateDirectory(path.Parent!);
        // Sections after this marker (the soundness campaign's figures, measured by their own command) are kept.
        const string kept = "<!-- Sections below are not regenerated by ./build.sh Benchmark. -->";
        var previous = File.Exists(path) ? await File.ReadAllTextAsync(path) : "";
        if (previous.IndexOf(kept, StringComparison.Ordinal) is var at and >= 0) text.Append('\n').Append(previous[at..]);
        await File.WriteAllTextAsync(path, text.ToString());
        await ReplaceReadmeTable(table.ToString());
        context.Info($"written {path.RelativeTo(RootDirectory)} and the table in README.md");
    }

    /// <summary>
    /// The trees on the flight sample: ours, with the goals judged against XGBoost's faster configuration (and its
    /// better AUC), then one row per peer configuration measured.
    /// </summary>
    static IEnumerable<(string Command, string What, double[] Seconds, string Goal)> FlightTreeRows(Dictionary<string, double> figures, double oursFit, string command)
    {
        var oursAuc = figures["trees_flights_ours_auc"];
        (string Key, string Name)[] configurations =
        [
            ("xgboost", "XGBoost 1.7 hist, codes as numbers"),
            ("xgboost_categorical", "XGBoost 1.7 hist, native categorical (enable_categorical, feature_types 'c')"),
            ("sklearn", "scikit-learn HistGradientBoosting, categorical_features"),
        ];
        var measured = configurations
            .Where(c => figures.ContainsKey($"trees_flights_{c.Key}_fit_seconds"))
            .Select(c => (c.Key, c.Name, Fit: figures[$"trees_flights_{c.Key}_fit_seconds"], Auc: figures[$"trees_flights_{c.Key}_auc"]))
            .ToList();
        var xgboost = measured.Where(c => c.Key.StartsWith("xgboost", StringComparison.Ordinal)).ToList();
        var what = $"Gradient-boosted trees on the flight sample, {figures["trees_flights_train_rows"] / 1000:F0}k flights, latest {figures["trees_flights_test_rows"] / 1000:F0}k held out: " +
            "hour, weekday, distance, flights on the route, origin and destination as categorical codes; 100 rounds, depth 6, eta 0.3, 2 threads, medians of interleaved runs. " +
            $"Ours, codes as numbers: fit (AUC {oursAuc:F4})";
        if (xgboost.Count > 0)
        {
            var faster = xgboost.MinBy(c => c.Fit);
            var best = xgboost.MaxBy(c => c.Auc);
            what += $"; AUC ours − XGBoost's faster configuration (codes {(faster.Key == "xgboost" ? "as numbers" : "categorical")}) {oursAuc - faster.Auc:+0.0000;-0.0000}" +
                (best.Key == faster.Key ? "" : $", − its better AUC {oursAuc - best.Auc:+0.0000;-0.0000}") +
                $"; fit time ours / XGBoost's faster configuration {oursFit / faster.Fit:F2}{FastestRatio(figures, "trees_flights_ours", "trees_flights_" + faster.Key)}";
        }
        else what += "; XGBoost not installed (python3-xgboost)";
        yield return (command, what, [oursFit], "AUC within 0.003 of XGBoost, fit no slower than XGBoost's faster configuration");
        foreach (var (key, name, fit, auc) in measured)
            yield return (command, $"The same, {name}: fit (AUC {auc:F4}); fit time ours / this {oursFit / fit:F2}{FastestRatio(figures, "trees_flights_ours", "trees_flights_" + key)}", [fit], "");
    }

    /// <summary>
    /// ", fastest runs …": the ratio of the two fastest fits. OpenMP peers slow down far more than ours when another
    /// process takes a core, so on a busy machine the medians flatter ours; the fastest runs come closer to an idle one.
    /// </summary>
    static string FastestRatio(Dictionary<string, double> figures, string ours, string peer) =>
        figures.TryGetValue(ours + "_fit_fastest_seconds", out var a) && figures.TryGetValue(peer + "_fit_fastest_seconds", out var b)
            ? $" (fastest runs: {Milliseconds(a)} / {Milliseconds(b)} = {a / b:F2})"
            : "";

    /// <summary>Keeps README.md's benchmark table equal to the latest measurement.</summary>
    async Task ReplaceReadmeTable(string table)
    {
        const string start = "<!-- benchmarks:start -->", end = "<!-- benchmarks:end -->";
        var readme = RootDirectory / "README.md";
        var text = await File.ReadAllTextAsync(readme);
        var from = text.IndexOf(start, StringComparison.Ordinal);
        var to = text.IndexOf(end, StringComparison.Ordinal);
        if (from < 0 || to < from) throw new InvalidDataException($"README.md has no {start} ... {end} section for the benchmark table.");
        await File.WriteAllTextAsync(readme, text[..(from + start.Length)] + "\n" + table + text[to..]);
    }

    static async Task ProcessOutput(string program, string[] arguments, StringBuilder output, TargetContext context)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        output.Append(await process.StandardOutput.ReadToEndAsync(context.CancellationToken));
        await process.WaitForExitAsync(context.CancellationToken);
        if (process.ExitCode != 0) throw new InvalidOperationException($"{program} {string.Join(" ", arguments)} exited with {process.ExitCode}.");
    }

    static async Task<double> TimeAsync(string script, string arguments, TargetContext context)
    {
        var start = new ProcessStartInfo(script) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries)) start.ArgumentList.Add(argument);
        var stopwatch = Stopwatch.StartNew();
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync(context.CancellationToken);
        var errors = process.StandardError.ReadToEndAsync(context.CancellationToken);
        await process.WaitForExitAsync(context.CancellationToken);
        var elapsed = stopwatch.Elapsed.TotalSeconds;
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"./build.sh {arguments} exited with {process.ExitCode}:\n{await output}{await errors}");
        return elapsed;
    }

    static double Median(double[] values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    static string Rate(double rowsPerSecond) => (rowsPerSecond / 1e6).ToString("F1", CultureInfo.InvariantCulture) + "M rows/s";

    static string Milliseconds(double seconds) => seconds >= 0.01
        ? (seconds * 1000).ToString("F0", CultureInfo.InvariantCulture) + " ms"
        : (seconds * 1000).ToString("0.###", CultureInfo.InvariantCulture) + " ms";

    static string Machine()
    {
        var cpu = File.Exists("/proc/cpuinfo")
            ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim()
            : null;
        return $"{Environment.ProcessorCount} cores{(cpu is null ? "" : $" ({cpu})")}, {RuntimeInformation.OSDescription}, .NET {Environment.Version}";
    }
}
