using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace EndToEnd.Tests;

/// <summary>A repository copy on which ./build.sh has run once, as on a fresh clone.</summary>
public sealed class BuiltRepository : IDisposable
{
    internal RepositoryCopy Copy { get; } = new();

    internal BuildResult FirstRun { get; }

    public BuiltRepository() => FirstRun = Copy.Build();

    public void Dispose() => Copy.Dispose();
}

public sealed class ExamplePipeline(BuiltRepository repository) : IClassFixture<BuiltRepository>
{
    readonly RepositoryCopy _copy = repository.Copy;

    string Deployment => _copy.PathOf("artifacts/FlightDelays/deployed/deployment.json");

    [Fact]
    public void The_first_build_on_a_fresh_copy_runs_the_example_pipeline_end_to_end()
    {
        var run = repository.FirstRun;
        AssertSucceeded(run);
        Assert.Matches(@"FetchFullData\s+Skipped\s+–\s+condition false: \(\) => FullData", run.Out);
        foreach (var target in new[] { "Validate", "Features", "Train", "Evaluate", "Deploy" })
            Assert.Matches($@"\n{target}\s+Succeeded\s+\d+\.\d\d s", run.Out);
        Assert.Contains("Build succeeded in", run.Out);
        Assert.True(File.Exists(Deployment));
        using var evaluation = JsonDocument.Parse(File.ReadAllText(_copy.PathOf("artifacts/FlightDelays/evaluation.json")));
        Assert.True(evaluation.RootElement.GetProperty("blessed").GetBoolean());
        Assert.InRange(evaluation.RootElement.GetProperty("roc_auc").GetDouble(), 0.6, 1.0);
    }

    [Fact]
    public void A_second_invocation_does_not_recompile()
    {
        var program = _copy.PathOf(".nuke/bin/build.dll");
        var compiled = File.GetLastWriteTimeUtc(program);
        var help = _copy.Build("--help");
        Assert.Equal(0, help.ExitCode);
        Assert.Contains("FlightDelays (default pipeline)", help.Out);
        Assert.Equal(compiled, File.GetLastWriteTimeUtc(program));
        Assert.Empty(help.Error);
    }

    [Fact]
    public void Deploying_the_same_model_again_changes_nothing()
    {
        var before = File.ReadAllText(Deployment);
        var again = _copy.Build();
        AssertSucceeded(again);
        Assert.Contains("up to date: model", again.Out);
        Assert.Equal(before, File.ReadAllText(Deployment));
    }

    [Fact]
    public void Features_saves_the_fitted_transform_and_the_kernel_backend_is_a_parameter()
    {
        using var transform = JsonDocument.Parse(File.ReadAllText(_copy.PathOf("artifacts/FlightDelays/transform.json")));
        var root = transform.RootElement;
        Assert.Equal("mlops-feature-transform", root.GetProperty("format").GetString());
        var features = root.GetProperty("features").EnumerateArray().Select(f => f.GetProperty("name").GetString()!).ToArray();
        Assert.Equal(["hour", "weekday", "distance_decile", "log_distance", "origin", "destination", "origin_share", "destination_share", "route_share"], features);
        var outputs = root.GetProperty("outputs").EnumerateArray().Select(o => o.GetString()).ToArray();
        Assert.Contains("hour=<other>", outputs);
        Assert.Contains("origin=<other>", outputs);
        // Fitted on the training rows: the deciles of the distance are learnt edges, not a count.
        var decile = root.GetProperty("features")[2].GetProperty("encoded").GetProperty("input").GetProperty("input");
        Assert.Equal(9, decile.GetProperty("edges").GetArrayLength());

        var digest = Regex.Match(repository.FirstRun.Out, @"transform ([0-9a-f]{12})").Groups[1].Value;
        var reference = _copy.Build("Features", "--kernels", "reference");
        AssertSucceeded(reference);
        Assert.Matches(@"\nFeatures\s+Succeeded.*parameter Kernels changed", reference.Out);
        // Statistics do not depend on where the kernels run.
        Assert.Contains($"(reference kernels); transform {digest}", reference.Out);
        var back = _copy.Build("Features");
        AssertSucceeded(back);
        AssertStatus(back, "Cached", "Features");
    }

    [Fact]
    public void The_first_build_is_tracked_in_mlruns_and_registers_the_champion()
    {
        var mlruns = _copy.PathOf("mlruns");
        var experiment = Directory.GetDirectories(mlruns).Single(d => File.Exists(Path.Combine(d, "meta.yaml")) && File.ReadAllText(Path.Combine(d, "meta.yaml")).Contains("name: FlightDelays"));
        var runs = Directory.GetDirectories(experiment).Where(d => Directory.Exists(Path.Combine(d, "tags")))
            .ToDictionary(d => Path.GetFileName(d), d => File.ReadAllText(Path.Combine(d, "tags", "mlflow.runName")));
        // Other tests add runs to this copy: the first build's Train ran (cache miss) with the default 100 trees.
        var train = runs.First(r => r.Value == "Train" && File.ReadAllText(Path.Combine(experiment, r.Key, "tags", "mlops.cache")) == "miss"
            && File.ReadAllText(Path.Combine(experiment, r.Key, "params", "Trees")) == "100").Key;
        Assert.Equal(100, File.ReadAllLines(Path.Combine(experiment, train, "metrics", "train_log_loss")).Length);
        Assert.Equal("1", File.ReadAllText(Path.Combine(experiment, train, "params", "BaselineC")));
        Assert.True(File.Exists(Path.Combine(experiment, train, "artifacts", "model", "MLmodel")));
        var validate = runs.First(r => r.Value == "Validate" && Directory.Exists(Path.Combine(experiment, r.Key, "inputs"))).Key;
        Assert.Single(Directory.GetDirectories(Path.Combine(experiment, validate, "inputs")));
        Assert.Contains("name: flights", File.ReadAllText(Directory.GetFiles(Path.Combine(experiment, "datasets"), "meta.yaml", SearchOption.AllDirectories).Single()));
        var parents = runs.Where(r => r.Value.StartsWith("FlightDelays ", StringComparison.Ordinal)).Select(r => r.Key).ToHashSet();
        Assert.Contains(File.ReadAllText(Path.Combine(experiment, train, "tags", "mlflow.parentRunId")), parents);
        foreach (var child in runs.Keys.Where(r => !parents.Contains(r)))
            Assert.Contains(File.ReadAllText(Path.Combine(experiment, child, "tags", "mlflow.parentRunId")), parents);
        Assert.Equal("1", File.ReadAllText(_copy.PathOf("mlruns/models/FlightDelays/aliases/champion")));
        Assert.Contains(runs, r => r.Value == "Deploy" && File.Exists(Path.Combine(experiment, r.Key, "artifacts", "model", "MLmodel")));
    }

    [Fact]
    public void A_model_worse_than_the_champion_is_refused_and_the_champion_stays()
    {
        var champion = File.ReadAllText(_copy.PathOf("mlruns/models/FlightDelays/aliases/champion"));
        var run = _copy.Build("--trees", "1", "--max-depth", "1", "--min-auc", "0.5", "--min-slice-auc", "0");
        Assert.True(run.ExitCode == 3, run.ToString());
        Assert.Matches(@"it is worse than the champion \(version \d+ of FlightDelays\)", run.Out);
        Assert.Matches(@"test roc_auc not below champion - 0\.005\s+0\.\d+\s+0\.\d+\s+0\.\d+ < 0\.\d+ \(champion 0\.\d+\)", run.Out);
        Assert.Equal(champion, File.ReadAllText(_copy.PathOf("mlruns/models/FlightDelays/aliases/champion")));
        Assert.False(Directory.Exists(_copy.PathOf($"mlruns/models/FlightDelays/version-{int.Parse(champion, System.Globalization.CultureInfo.InvariantCulture) + 1}")));
    }

    [Fact]
    public void A_parameter_that_does_not_convert_exits_2_with_one_clear_message()
    {
        var run = _copy.Build("Train", "--baseline-iterations", "many");
        Assert.Equal(2, run.ExitCode);
        Assert.Equal("error: Parameter 'BaselineIterations' (from command line --baseline-iterations): 'many' is not valid; expected int.\n", run.Error);
        Assert.DoesNotContain("── Train", run.Out);
    }

    [Fact]
    public void An_unknown_target_exits_2_and_suggests_the_closest()
    {
        var run = _copy.Build("Trian");
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("Target 'Trian' does not exist. Did you mean 'Train'?", run.Error);
    }

    [Fact]
    public void A_model_below_the_gate_is_not_deployed_and_the_build_exits_3()
    {
        var before = File.ReadAllText(Deployment);
        var run = _copy.Build("--min-auc", "0.99");
        Assert.True(run.ExitCode == 3, run.ToString());
        Assert.Contains("The evaluation withheld its blessing; the model does not ship. Failed gates:", run.Out);
        Assert.Matches(@"test roc_auc at least 0\.99\s+0\.\d+\s+0\.99\s+0\.\d+ < 0\.99", run.Out);
        Assert.Equal(before, File.ReadAllText(Deployment));
    }

    [Fact]
    public void Validation_fails_on_a_copy_of_the_data_with_a_value_of_the_wrong_type_naming_its_row()
    {
        var faulty = WriteFaultyCopy("faulty-type.csv", (Line: 101, Column: "delay", Value: "abc"));

        var run = _copy.Build("Validate", "--data", faulty);
        Assert.Equal(1, run.ExitCode);
        Assert.Matches(@"FAIL\s+delay:\s+type Int64\s+— holds String: 1 value\(s\) are not whole numbers; e\.g\. row 100: abc", run.Out);
        Assert.Contains("error: Validate failed: faulty-type.csv: 1 check(s) failed; see artifacts/FlightDelays/validation.failed.json.", run.Out);
        Assert.DoesNotContain("   at ", run.All);
    }

    [Fact]
    public void A_ragged_row_a_nul_byte_or_a_directory_as_data_exits_1_with_one_line_naming_line_column_and_value()
    {
        var lines = File.ReadAllLines(_copy.PathOf("data/flights-200k.csv"));
        var original = lines[149_999];
        lines[149_999] = original[..original.LastIndexOf(',')];
        File.WriteAllLines(_copy.PathOf("short-row.csv"), lines);

        var ragged = _copy.Build("Validate", "--data", "short-row.csv");
        Assert.Equal(1, ragged.ExitCode);
        Assert.Matches($@"\nerror: Validate failed: \S*short-row\.csv, line 150000, column 5 \(destination\): missing, the row has 4 field\(s\): ""{Regex.Escape(lines[149_999])}""; expected 5 fields as in the header\.\n", ragged.Out);
        Assert.DoesNotContain("   at ", ragged.All);
        Assert.DoesNotContain("sniffing", ragged.All);

        lines[149_999] = original[..original.LastIndexOf(',')] + ",P\0X";
        File.WriteAllLines(_copy.PathOf("nul.csv"), lines);
        var nul = _copy.Build("Validate", "--data", "nul.csv");
        Assert.Equal(1, nul.ExitCode);
        Assert.Matches(@"\nerror: Validate failed: \S*nul\.csv, line 150000, column 5 \(destination\): a NUL byte at byte offset [\d,]+ in ""P\\0X""; expected text", nul.Out);
        Assert.DoesNotContain('\0', nul.All);

        var directory = _copy.Build("Validate", "--data", "data");
        Assert.Equal(1, directory.ExitCode);
        Assert.Matches(@"\nerror: Validate failed: \S*data: a directory; expected a data file\.\n", directory.Out);
    }

    [Fact]
    public void Validation_reports_implausible_values_with_their_rows_and_can_quarantine_them()
    {
        WriteFaultyCopy("faulty-values.csv", (Line: 50, Column: "distance", Value: "-5"), (Line: 60, Column: "origin", Value: "Seattle"));

        var run = _copy.Build("Validate", "--data", "faulty-values.csv");
        Assert.Equal(1, run.ExitCode);
        // Data rows are counted from 1 after the header: file line 50 is row 49.
        Assert.Matches(@"FAIL\s+distance:\s+within \[1, 10000\]\s+— 1 row\(s\); e\.g\. row 49: -5", run.Out);
        Assert.Matches(@"FAIL\s+origin:\s+matches /\^\[A-Z\]\{3\}\$/\s+— 1 row\(s\); e\.g\. row 59: Seattle", run.Out);
        Assert.Contains("faulty-values.csv: 2 check(s) failed; see artifacts/FlightDelays/validation.failed.json.", run.Out);
        using var report = JsonDocument.Parse(File.ReadAllText(_copy.PathOf("artifacts/FlightDelays/validation.failed.json")));
        Assert.False(report.RootElement.GetProperty("blessed").GetBoolean());

        var quarantined = _copy.Build("Validate", "--data", "faulty-values.csv", "--quarantine");
        AssertSucceeded(quarantined);
        Assert.Contains("warning: 2 failing rows moved to artifacts/FlightDelays/quarantine.csv; validating the other 199,998", quarantined.Out);
        Assert.Equal(3, File.ReadAllLines(_copy.PathOf("artifacts/FlightDelays/quarantine.csv")).Length);
    }

    [Fact]
    public async Task Ctrl_c_stops_a_running_target_cleanly_with_exit_130()
    {
        using var process = _copy.Start("Train", "--skip", "--trees", "100000");
        var trainStarted = new TaskCompletionSource();
        var output = new System.Text.StringBuilder();
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (output) output.AppendLine(e.Data);
            if (e.Data.StartsWith("── Train", StringComparison.Ordinal)) trainStarted.TrySetResult();
        };
        process.BeginOutputReadLine();
        await trainStarted.Task.WaitAsync(TimeSpan.FromMinutes(2));
        using (var kill = Process.Start("kill", ["-INT", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            await kill.WaitForExitAsync();
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        await process.WaitForExitAsync(limit.Token); // also drains the output events

        Assert.Equal(130, process.ExitCode);
        var text = output.ToString();
        Assert.Matches(@"Train\s+Cancelled\s+\d+\.\d\d s\s+cancelled \(Ctrl-C\)", text);
        Assert.Contains("Cancelled by Ctrl-C", text);
    }

    static void AssertSucceeded(BuildResult run) => Assert.True(run.ExitCode == 0, run.ToString());

    static void AssertStatus(BuildResult run, string status, params string[] targets)
    {
        foreach (var target in targets) Assert.Matches($@"\n{target}\s+{status}\s", run.Out);
    }

    [Fact]
    public void A_second_build_with_nothing_changed_restores_every_cacheable_target()
    {
        AssertSucceeded(_copy.Build());
        var stopwatch = Stopwatch.StartNew();
        var again = _copy.Build();
        stopwatch.Stop();
        AssertSucceeded(again);
        AssertStatus(again, "Cached", "Validate", "Features", "Train", "Evaluate");
        Assert.Contains("up to date: model", again.Out);
        Assert.DoesNotContain("── Train ─", again.Out);
    }

    [Fact]
    public void Changing_a_training_parameter_reruns_only_train_and_what_follows()
    {
        AssertSucceeded(_copy.Build());
        var run = _copy.Build("--baseline-c", "0.45");
        AssertSucceeded(run);
        AssertStatus(run, "Cached", "Validate", "Features");
        AssertStatus(run, "Succeeded", "Train", "Evaluate", "Deploy");
        Assert.Matches(@"\nTrain\s+Succeeded\s+\S+ s\s+parameter BaselineC changed 1 → 0\.45", run.Out);
    }

    [Fact]
    public void The_lock_file_is_byte_identical_after_a_full_rerun_on_one_thread()
    {
        AssertSucceeded(_copy.Build());
        var lockFile = _copy.PathOf("pipelines/FlightDelays/FlightDelays.lock.json");
        var before = File.ReadAllBytes(lockFile);
        var rerun = _copy.Build("--no-cache", "--threads", "1", "--parallel", "1");
        AssertSucceeded(rerun);
        AssertStatus(rerun, "Succeeded", "Validate", "Features", "Train", "Evaluate");
        Assert.Equal(before, File.ReadAllBytes(lockFile));
    }

    [Fact]
    public void Editing_a_targets_code_reruns_that_target_but_not_the_others()
    {
        AssertSucceeded(_copy.Build());
        var training = _copy.PathOf("pipelines/FlightDelays/FlightDelays.Training.cs");
        File.WriteAllText(training, File.ReadAllText(training).Replace("\"blessed: the model may ship\"", "\"blessed: this model may ship\"", StringComparison.Ordinal));
        var evaluateEdited = _copy.Build();
        AssertSucceeded(evaluateEdited);
        AssertStatus(evaluateEdited, "Cached", "Validate", "Features", "Train");
        Assert.Matches(@"\nEvaluate\s+Succeeded\s+\S+ s\s+code of Evaluate changed", evaluateEdited.Out);

        File.WriteAllText(training, File.ReadAllText(training).Replace("training log-loss", "training loss", StringComparison.Ordinal));
        var trainEdited = _copy.Build();
        AssertSucceeded(trainEdited);
        AssertStatus(trainEdited, "Cached", "Validate", "Features");
        Assert.Matches(@"\nTrain\s+Succeeded\s+\S+ s\s+code of Train changed", trainEdited.Out);
        // The edit changed a log line, not the model: Evaluate sees the same bytes and stays cached.
        AssertStatus(trainEdited, "Cached", "Evaluate");
    }

    [Fact]
    public async Task Two_builds_at_once_on_one_cache_both_succeed()
    {
        var first = Task.Run(() => _copy.Build("--no-cache", "--verbosity", "minimal"));
        var second = Task.Run(() => _copy.Build("--no-cache", "--verbosity", "minimal"));
        var results = await Task.WhenAll(first, second);
        Assert.All(results, AssertSucceeded);
        var after = _copy.Build();
        AssertStatus(after, "Cached", "Validate", "Features", "Train", "Evaluate");
    }

    [Fact]
    public async Task A_build_killed_in_the_middle_leaves_a_usable_cache()
    {
        using (var process = _copy.Start("--test-fraction", "0.25", "--trees", "100000"))
        {
            var trainStarted = new TaskCompletionSource();
            process.OutputDataReceived += (_, e) =>
            {
                if (e.Data?.StartsWith("── Train", StringComparison.Ordinal) == true) trainStarted.TrySetResult();
            };
            process.BeginOutputReadLine();
            await trainStarted.Task.WaitAsync(TimeSpan.FromMinutes(2));
            process.Kill(entireProcessTree: true); // SIGKILL: no clean-up runs
            await process.WaitForExitAsync();
        }

        var plan = _copy.Build("--test-fraction", "0.25", "--trees", "100000", "--dry-run");
        Assert.Matches(@"\nFeatures\s+cached", plan.Out);
        Assert.Matches(@"\nTrain\s+run\s", plan.Out);
        // Evaluate, not Deploy: this model is not compared with the registered champion here.
        var resumed = _copy.Build("Evaluate", "--test-fraction", "0.25");
        AssertSucceeded(resumed);
        AssertStatus(resumed, "Cached", "Validate", "Features");
        AssertStatus(resumed, "Succeeded", "Train", "Evaluate");
    }

    /// <summary>A copy of the committed sample with the given cells replaced (line numbers count the header as 1).</summary>
    string WriteFaultyCopy(string name, params (int Line, string Column, string Value)[] faults)
    {
        var lines = File.ReadAllLines(_copy.PathOf("data/flights-200k.csv"));
        var header = lines[0].Split(',').ToList();
        foreach (var (line, column, value) in faults)
        {
            var fields = lines[line - 1].Split(',');
            fields[header.IndexOf(column)] = value;
            lines[line - 1] = string.Join(",", fields);
        }
        var path = _copy.PathOf(name);
        File.WriteAllLines(path, lines);
        return path;
    }

    [Fact]
    public void Editing_a_pipeline_recompiles_it_on_the_next_invocation()
    {
        var source = _copy.PathOf("pipelines/FlightDelays/FlightDelays.cs");
        File.WriteAllText(source, File.ReadAllText(source).Replace("Fit gradient-boosted trees (and a logistic-regression baseline)", "Fit trees (edited)", StringComparison.Ordinal));
        var help = _copy.Build("--help");
        AssertSucceeded(help);
        Assert.Contains("Fit trees (edited)", help.Out);
    }
}

public sealed class Bootstrap : IDisposable
{
    readonly RepositoryCopy _copy = new();

    public void Dispose() => _copy.Dispose();

    [Fact]
    public void A_compile_error_shows_the_compiler_output_and_fails()
    {
        File.AppendAllText(_copy.PathOf("pipelines/FlightDelays/FlightDelays.cs"), "\nthis does not compile\n");
        var run = _copy.Build("--help");
        Assert.Equal(1, run.ExitCode);
        Assert.Contains("error CS", run.Error);
        Assert.Contains("build.sh: compiling build/ failed", run.Error);
    }
}
