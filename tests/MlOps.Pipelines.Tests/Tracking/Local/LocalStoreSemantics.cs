using MlOps.Pipelines.Tracking;
using MlOps.Pipelines.Tracking.Local;
using static MlOps.Pipelines.Tests.Tracking.Local.TrackingAssert;

namespace MlOps.Pipelines.Tests.Tracking.Local;

/// <summary>The local store behaves as the tracking server does: write-once params, mutable tags, errors and limits.</summary>
public sealed class LocalStoreSemantics : IDisposable
{
    readonly TrackingFolder _folder = new();
    readonly LocalTrackingStore _store;
    readonly CancellationToken _none = CancellationToken.None;

    public LocalStoreSemantics() => _store = _folder.Open();

    public void Dispose() => _folder.Dispose();

    async Task<string> NewRun(string experimentId = "0", string name = "run", params Tag[] tags) =>
        (await _store.CreateRunAsync(experimentId, name, TrackingFolder.T0, tags, _none)).RunId;

    [Fact]
    public async Task A_param_logged_again_with_the_same_value_is_accepted()
    {
        var run = await NewRun();
        await _store.LogBatchAsync(run, [], [new Param("lr", "0.1")], [], _none);
        await _store.LogBatchAsync(run, [], [new Param("lr", "0.1")], [], _none);
        Assert.Equal([new Param("lr", "0.1")], (await _store.GetRunAsync(run, _none)).Params);
    }

    [Fact]
    public async Task Changing_a_param_is_refused_with_mlflows_message_and_nothing_of_the_batch_is_written()
    {
        var run = await NewRun();
        await _store.LogBatchAsync(run, [], [new Param("lr", "0.1")], [], _none);

        await Fails("INVALID_PARAMETER_VALUE",
            () => _store.LogBatchAsync(run, [new Metric("loss", 1, TrackingFolder.T0, 0)], [new Param("depth", "3"), new Param("lr", "0.2")], [new Tag("t", "v")], _none),
            $"Changing param values is not allowed. Param with key='lr' was already logged with value='0.1' for run ID='{run}'. Attempted logging new value '0.2'.");

        var stored = await _store.GetRunAsync(run, _none);
        Assert.Equal([new Param("lr", "0.1")], stored.Params);
        Assert.Empty(stored.Metrics);
        Assert.DoesNotContain(stored.Tags, t => t.Key == "t");
    }

    [Fact]
    public async Task Duplicate_param_keys_in_one_batch_are_refused()
    {
        var run = await NewRun();
        await Fails("INVALID_PARAMETER_VALUE", () => _store.LogBatchAsync(run, [], [new Param("a", "1"), new Param("a", "1")], [], _none), "'a'");
    }

    [Fact]
    public async Task Tags_are_overwritten_and_the_last_one_in_a_batch_wins()
    {
        var run = await NewRun();
        await _store.LogBatchAsync(run, [], [], [new Tag("stage", "a")], _none);
        await _store.LogBatchAsync(run, [], [], [new Tag("stage", "b"), new Tag("stage", "c")], _none);
        Assert.Equal("c", _folder.Read("0", run, "tags", "stage"));
        Assert.Contains(new Tag("stage", "c"), (await _store.GetRunAsync(run, _none)).Tags);
    }

    [Fact]
    public async Task The_run_name_comes_from_the_argument_or_the_tag_and_both_must_agree()
    {
        var fromTag = await _store.CreateRunAsync("0", "", TrackingFolder.T0, [new Tag("mlflow.runName", "tagged")], _none);
        Assert.Equal("tagged", fromTag.RunName);
        Assert.Contains("\nrun_name: tagged\n", _folder.Read("0", fromTag.RunId, "meta.yaml"), StringComparison.Ordinal);

        var generated = await _store.CreateRunAsync("0", "", TrackingFolder.T0, [], _none);
        Assert.Matches("^[a-z]+-[a-z]+-[0-9]{1,3}$", generated.RunName);
        Assert.Equal(generated.RunName, _folder.Read("0", generated.RunId, "tags", "mlflow.runName"));

        await Fails("INVALID_PARAMETER_VALUE", () => _store.CreateRunAsync("0", "a", TrackingFolder.T0, [new Tag("mlflow.runName", "b")], _none), "run_name='a'", "mlflow.runName='b'");
    }

    [Fact]
    public async Task Setting_the_run_name_tag_renames_the_run()
    {
        var run = await NewRun(name: "before");
        await _store.LogBatchAsync(run, [], [], [new Tag("mlflow.runName", "after")], _none);
        Assert.Equal("after", (await _store.GetRunAsync(run, _none)).Info.RunName);
        Assert.Contains("\nrun_name: after\n", _folder.Read("0", run, "meta.yaml"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_latest_metric_is_the_highest_step_then_timestamp_then_value()
    {
        var run = await NewRun();
        await _store.LogBatchAsync(run,
        [
            new Metric("acc", 0.3, 5, 1),
            new Metric("acc", 0.1, 1, 2),
            new Metric("acc", 0.2, 1, 2),
            new Metric("acc", 0.15, 1, 2),
            new Metric("acc", 9.0, 99, 0),
        ], [], [], _none);
        Assert.Equal([new Metric("acc", 0.2, 1, 2)], (await _store.GetRunAsync(run, _none)).Metrics);
    }

    [Fact]
    public async Task Writes_to_a_deleted_run_are_refused_but_it_can_still_be_read()
    {
        var run = await NewRun();
        _folder.Clock.Now = _folder.Clock.Now.AddMinutes(1);
        await _store.DeleteRunAsync(run, _none);
        var meta = _folder.Read("0", run, "meta.yaml");
        Assert.Contains("\nlifecycle_stage: deleted\n", meta, StringComparison.Ordinal);
        Assert.StartsWith($"artifact_uri: {_folder.UriOf("0", run, "artifacts")}\ndeleted_time: {TrackingFolder.T0 + 60_000}\n", meta, StringComparison.Ordinal);

        const string message = "must be in the 'active' state";
        await Fails("INVALID_PARAMETER_VALUE", () => _store.LogBatchAsync(run, [new Metric("m", 1, TrackingFolder.T0, 0)], [], [], _none), run, message);
        await Fails("INVALID_PARAMETER_VALUE", () => _store.LogBatchAsync(run, [], [new Param("p", "v")], [], _none), message);
        await Fails("INVALID_PARAMETER_VALUE", () => _store.UpdateRunAsync(run, RunStatus.Finished, TrackingFolder.T0, _none), message);
        await Fails("INVALID_PARAMETER_VALUE", () => _store.LogInputsAsync(run, [new DatasetInput(new Dataset("d", "1", "local", "{}", null, null), [])], _none), message);
        Assert.False(Directory.Exists(_folder.PathOf("0", "datasets")));
        Assert.Empty(Directory.GetFiles(_folder.PathOf("0", run, "metrics")));
        Assert.Equal("deleted", (await _store.GetRunAsync(run, _none)).Info.LifecycleStage);
    }

    [Fact]
    public async Task A_finished_run_still_accepts_writes()
    {
        var run = await NewRun();
        await _store.UpdateRunAsync(run, RunStatus.Finished, TrackingFolder.T0 + 1, _none);
        await _store.LogBatchAsync(run, [new Metric("late", 1, TrackingFolder.T0 + 2, 0)], [], [], _none);
        Assert.Single((await _store.GetRunAsync(run, _none)).Metrics);
    }

    [Fact]
    public async Task Unknown_runs_and_experiments_do_not_exist()
    {
        const string missingRun = "0123456789abcdef0123456789abcdef";
        await Fails("RESOURCE_DOES_NOT_EXIST", () => _store.GetRunAsync(missingRun, _none), missingRun);
        await Fails("RESOURCE_DOES_NOT_EXIST", () => _store.LogBatchAsync(missingRun, [], [], [new Tag("a", "b")], _none), missingRun);
        await Fails("RESOURCE_DOES_NOT_EXIST", () => _store.UpdateRunAsync(missingRun, RunStatus.Finished, 1, _none));
        await Fails("RESOURCE_DOES_NOT_EXIST", () => _store.CreateRunAsync("42", "r", TrackingFolder.T0, [], _none), "42");
        await Fails("RESOURCE_DOES_NOT_EXIST", () => _store.FindRunsByTagAsync("42", "k", "v", _none), "42");
        await Fails("INVALID_PARAMETER_VALUE", () => _store.GetRunAsync("../0", _none), "../0");
        await Fails("INVALID_PARAMETER_VALUE", () => _store.CreateRunAsync("../x", "r", TrackingFolder.T0, [], _none), "../x");
    }

    [Fact]
    public async Task Experiment_names_are_unique()
    {
        await _store.CreateExperimentAsync("churn", [], _none);
        await Fails("RESOURCE_ALREADY_EXISTS", () => _store.CreateExperimentAsync("churn", [], _none), "Experiment 'churn' already exists.");
        await Fails("RESOURCE_ALREADY_EXISTS", () => _store.CreateExperimentAsync("Default", [], _none));
        await Fails("INVALID_PARAMETER_VALUE", () => _store.CreateExperimentAsync("", [], _none));
        await Fails("INVALID_PARAMETER_VALUE", () => _store.CreateExperimentAsync(new string('e', 501), [], _none), "500");
    }

    [Fact]
    public async Task A_folder_with_an_unreadable_meta_yaml_is_skipped_as_mlflow_skips_it()
    {
        Directory.CreateDirectory(_folder.PathOf("999"));
        await File.WriteAllTextAsync(_folder.PathOf("999", "meta.yaml"), "name: [unclosed\n");
        Assert.Equal("0", (await _store.GetExperimentByNameAsync("Default", _none))?.ExperimentId);
        var id = await _store.CreateExperimentAsync("fresh", [], _none);
        Assert.Equal(id, (await _store.GetExperimentByNameAsync("fresh", _none))?.ExperimentId);
    }

    [Fact]
    public async Task Generated_experiment_ids_are_18_digit_integers()
    {
        using var folder = new TrackingFolder();
        var store = new LocalTrackingStore(folder.Root, folder.Clock);
        var id = await store.CreateExperimentAsync("x", [], _none);
        Assert.Matches("^[1-9][0-9]{17}$", id);
        var run = await store.CreateRunAsync(id, "r", TrackingFolder.T0, [], _none);
        Assert.Matches("^[0-9a-f]{32}$", run.RunId);
        Assert.Equal(4, Guid.ParseExact(run.RunId, "N").Version);
    }

    [Fact]
    public async Task Finding_runs_by_tag_scans_the_active_runs_of_one_experiment()
    {
        var other = await _store.CreateExperimentAsync("other", [], _none);
        var a = await NewRun(tags: new Tag("pipeline.key", "abc"));
        var b = await NewRun(tags: new Tag("pipeline.key", "abc"));
        await NewRun(tags: new Tag("pipeline.key", "xyz"));
        await NewRun(other, tags: new Tag("pipeline.key", "abc"));
        var deleted = await NewRun(tags: new Tag("pipeline.key", "abc"));
        await _store.DeleteRunAsync(deleted, _none);

        Assert.Equal(new[] { a, b }.Order(StringComparer.Ordinal), (await _store.FindRunsByTagAsync("0", "pipeline.key", "abc", _none)).Order(StringComparer.Ordinal));
        Assert.Empty(await _store.FindRunsByTagAsync("0", "pipeline.key", "none", _none));
    }

    [Theory]
    [InlineData("bad:key", "Invalid metric name: 'bad:key'")]
    [InlineData("a//b", "Invalid metric name: 'a//b'")]
    [InlineData("a/../b", "would resolve to 'b'")]
    [InlineData("/abs", "Invalid metric name: '/abs'")]
    [InlineData("..", "Invalid metric name: '..'")]
    [InlineData("trailing/", "Invalid metric name: 'trailing/'")]
    [InlineData("", "Invalid metric name: ''")]
    public async Task Invalid_metric_keys_are_refused_naming_the_key(string key, string fragment)
    {
        var run = await NewRun();
        await Fails("INVALID_PARAMETER_VALUE", () => _store.LogBatchAsync(run, [new Metric(key, 1, TrackingFolder.T0, 0)], [], [], _none), fragment);
        Assert.Empty(Directory.GetFileSystemEntries(_folder.PathOf("0", run, "metrics")));
    }

    [Fact]
    public async Task Over_long_keys_and_values_are_refused_naming_the_key()
    {
        var run = await NewRun();
        var longKey = new string('k', 251);
        await Fails("INVALID_PARAMETER_VALUE", () => _store.LogBatchAsync(run, [], [new Param(longKey, "v")], [], _none), longKey[..250], "251", "250");
        await Fails("INVALID_PARAMETER_VALUE", () => _store.LogBatchAsync(run, [], [new Param("big", new string('v', 6001))], [], _none), "'big'", "6001", "6000");
        await Fails("INVALID_PARAMETER_VALUE", () => _store.LogBatchAsync(run, [], [], [new Tag("huge", new string('v', 8001))], _none), "'huge'", "8000");
        await _store.LogBatchAsync(run, [], [new Param("max", new string('v', 6000))], [new Tag("max", new string('v', 8000))], _none);
        await Fails("INVALID_PARAMETER_VALUE", () => _store.LogBatchAsync(run, [new Metric("m", 1, -1, 0)], [], [], _none), "'m'");
        Assert.Equal(["max"], (await _store.GetRunAsync(run, _none)).Params.Select(p => p.Key));
    }

    [Fact]
    public async Task Oversized_batches_are_refused()
    {
        var run = await NewRun();
        var metrics = Enumerable.Range(0, 1001).Select(i => new Metric("m", i, TrackingFolder.T0, i)).ToList();
        await Fails("INVALID_PARAMETER_VALUE", () => _store.LogBatchAsync(run, metrics, [], [], _none), "at most 1000 metrics");
        var parameters = Enumerable.Range(0, 101).Select(i => new Param($"p{i}", "v")).ToList();
        await Fails("INVALID_PARAMETER_VALUE", () => _store.LogBatchAsync(run, [], parameters, [], _none), "at most 100 params");
        var tags = Enumerable.Range(0, 101).Select(i => new Tag($"t{i}", "v")).ToList();
        await Fails("INVALID_PARAMETER_VALUE", () => _store.LogBatchAsync(run, [], [], tags, _none), "at most 100 tags");
        await Fails("INVALID_PARAMETER_VALUE", () => _store.LogBatchAsync(run, metrics[..950], parameters[..60], [], _none), "at most 1000 metrics, params, and tags");
    }

    [Fact]
    public async Task A_key_cannot_be_both_a_file_and_a_folder()
    {
        var run = await NewRun();
        await _store.LogBatchAsync(run, [], [new Param("a", "1")], [], _none);
        await Fails("INVALID_PARAMETER_VALUE", () => _store.LogBatchAsync(run, [], [new Param("a/b", "2")], [], _none), "'a/b'");
        await _store.LogBatchAsync(run, [], [], [new Tag("x/y", "1")], _none);
        await Fails("INVALID_PARAMETER_VALUE", () => _store.LogBatchAsync(run, [], [], [new Tag("x", "2")], _none), "'x'");
    }

    [Fact]
    public async Task Dataset_limits_are_checked_before_anything_is_written()
    {
        var run = await NewRun();
        var tooLongDigest = new Dataset("train", new string('d', 37), "local", "{}", null, null);
        await Fails("INVALID_PARAMETER_VALUE", () => _store.LogInputsAsync(run, [new DatasetInput(tooLongDigest, [])], _none), "digest", "'train'");
        var badTag = new DatasetInput(new Dataset("train", "d", "local", "{}", null, null), [new Tag("mlflow.data.context", new string('v', 501))]);
        await Fails("INVALID_PARAMETER_VALUE", () => _store.LogInputsAsync(run, [badTag], _none), "'mlflow.data.context'");
        Assert.False(Directory.Exists(_folder.PathOf("0", "datasets")));
    }

    [Theory]
    [InlineData("../escape.txt")]
    [InlineData("/etc/passwd")]
    [InlineData("a/../../b")]
    [InlineData("a\\b")]
    [InlineData("dir/")]
    [InlineData("")]
    public async Task Artefact_paths_must_stay_inside_the_run(string artifactPath)
    {
        var run = await NewRun();
        var source = Path.Combine(Path.GetDirectoryName(_folder.Root)!, "file.txt");
        await File.WriteAllTextAsync(source, "x");
        await Fails("INVALID_PARAMETER_VALUE", () => _store.LogArtifactAsync(run, source, artifactPath, _none));
        Assert.Empty(Directory.GetFileSystemEntries(_folder.PathOf("0", run, "artifacts")));
        Assert.False(File.Exists(_folder.PathOf("0", "escape.txt")));
    }

    [Fact]
    public async Task Calls_for_two_runs_at_once_keep_every_point_of_each()
    {
        var a = await NewRun(name: "a");
        var b = await NewRun(name: "b");
        const int batches = 60;
        using var start = new ManualResetEventSlim();
        var workers = new[] { a, b, a, b }.Select((run, worker) => Task.Run(async () =>
        {
            start.Wait();
            for (var i = 0; i < batches; i++)
                await _store.LogBatchAsync(run, [new Metric("loss", i, TrackingFolder.T0 + i, worker * 1000 + i), new Metric($"w{worker}", i, TrackingFolder.T0, i)],
                    [new Param($"p{worker}-{i}", "v")], [new Tag("last", $"{worker}-{i}")], _none);
        })).ToList();
        start.Set();
        await Task.WhenAll(workers);

        foreach (var (run, mine) in new[] { (a, new[] { 0, 2 }), (b, new[] { 1, 3 }) })
        {
            var lines = File.ReadAllLines(_folder.PathOf("0", run, "metrics", "loss"));
            Assert.Equal(2 * batches, lines.Length);
            var steps = lines.Select(l => l.Split(' ')).Select(p => long.Parse(p[2], System.Globalization.CultureInfo.InvariantCulture)).ToHashSet();
            Assert.Equal(mine.SelectMany(w => Enumerable.Range(0, batches).Select(i => (long)(w * 1000 + i))).ToHashSet(), steps);
            var stored = await _store.GetRunAsync(run, _none);
            Assert.Equal(2 * batches, stored.Params.Count);
            Assert.Equal(mine.Select(w => $"w{w}").Append("loss").Order(StringComparer.Ordinal), stored.Metrics.Select(m => m.Key).Order(StringComparer.Ordinal));
        }
    }

    /// <summary>
    /// Runs <paramref name="rounds"/> rounds in which every worker starts its call at the same moment as the others;
    /// after each round, once all calls are done, <paramref name="afterRound"/> runs alone.
    /// </summary>
    static async Task InLockstep(int workers, int rounds, Func<int, int, Task> call, Func<int, Task>? afterRound = null)
    {
        using var barrier = new Barrier(workers);
        await Task.WhenAll(Enumerable.Range(0, workers).Select(worker => Task.Factory.StartNew(() =>
        {
            for (var round = 0; round < rounds; round++)
            {
                barrier.SignalAndWait();
                call(worker, round).GetAwaiter().GetResult();
                barrier.SignalAndWait();
                if (worker == 0 && afterRound is not null) afterRound(round).GetAwaiter().GetResult();
            }
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default)));
    }

    [Fact]
    public async Task Concurrent_conflicting_params_on_one_run_let_exactly_one_value_in()
    {
        var run = await NewRun();
        const int rounds = 100;
        var accepted = new int[rounds];
        var winners = new string[rounds];
        await InLockstep(2, rounds, async (worker, round) =>
        {
            var value = worker.ToString(System.Globalization.CultureInfo.InvariantCulture);
            try
            {
                await _store.LogBatchAsync(run, [], [new Param($"seed{round}", value)], [], _none);
                Interlocked.Increment(ref accepted[round]);
                winners[round] = value;
            }
            catch (TrackingException e) when (e.ErrorCode == "INVALID_PARAMETER_VALUE")
            {
            }
        });

        Assert.All(accepted, count => Assert.Equal(1, count));
        Assert.All(Enumerable.Range(0, rounds), round => Assert.Equal(winners[round], _folder.Read("0", run, "params", $"seed{round}")));
    }

    [Fact]
    public async Task Concurrent_updates_of_one_runs_meta_yaml_lose_nothing()
    {
        var run = await NewRun();
        var lost = new List<string>();
        await InLockstep(2, 100, async (worker, round) =>
        {
            if (worker == 0) await _store.UpdateRunAsync(run, RunStatus.Running, TrackingFolder.T0 + round, _none);
            else await _store.LogBatchAsync(run, [], [], [new Tag("mlflow.runName", $"name-{round}")], _none);
        }, async round =>
        {
            var info = (await _store.GetRunAsync(run, _none)).Info;
            if (info.EndTime != TrackingFolder.T0 + round || info.RunName != $"name-{round}") lost.Add($"round {round}: {info.EndTime} {info.RunName}");
        });

        Assert.Empty(lost);
    }

    [Fact]
    public async Task A_cancelled_call_writes_nothing()
    {
        var run = await NewRun();
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _store.LogBatchAsync(run, [], [new Param("p", "v")], [], cancelled.Token));
        Assert.Empty(Directory.GetFiles(_folder.PathOf("0", run, "params")));
    }
}
