using MlOps.Pipelines.Tests.Tracking.Rest;

namespace MlOps.Pipelines.Tests.Tracking.Reporting;

/// <summary>What a build reports: to ./mlruns by default, to a server when configured, kept for SyncRuns when it is down.</summary>
public sealed class ReportedRuns : IDisposable
{
    const string Token = "tr4ck-s3cret";
    readonly Harness _harness = new();

    public void Dispose() => _harness.Dispose();

    sealed class Tracked : MlPipeline
    {
        [Parameter("Training rounds")] readonly int Rounds = 3;
        [Parameter("A token")][Secret] readonly string? Token;
        [Parameter("Read by no target")] readonly int Unread = 1;

        readonly Artifact<string> Model = Artifact.Text("model");

        public Target Train => _ => _
            .Produces(Model)
            .Executes(context =>
            {
                for (var i = 0; i < Rounds; i++) context.LogMetric("loss", 1.0 / (i + 1), i);
                context.Info(Token is null ? "no token" : "token " + Token);
                context.Save(Model, $"model of {Rounds} rounds");
                context.LogArtifact(Model);
            });

        public Target Evaluate => _ => _
            .DependsOn(Train)
            .Executes(context => context.LogMetric("auc", 0.75 + Unread * 0));

        public Target Diverge => _ => _
            .Executes(context =>
            {
                for (var i = 0; i < Rounds; i++) context.LogMetric("loss", i + 1.0, i);
                throw new InvalidOperationException($"diverged after {Rounds} rounds (token {Token})");
            });
    }

    RunResult Build(params string[] args) => _harness.Run(new PipelineHost().Add<Tracked>(), args);

    /// <summary>Every run folder of the local store's experiment "Tracked", by run name.</summary>
    Dictionary<string, string> LocalRuns()
    {
        var mlruns = Path.Combine(_harness.Root, "mlruns");
        var experiment = Directory.GetDirectories(mlruns).Single(d => File.Exists(Path.Combine(d, "meta.yaml")) && File.ReadAllText(Path.Combine(d, "meta.yaml")).Contains("name: Tracked"));
        return Directory.GetDirectories(experiment).Where(d => Directory.Exists(Path.Combine(d, "tags")))
            .GroupBy(d => File.ReadAllText(Path.Combine(d, "tags", "mlflow.runName")))
            .ToDictionary(g => g.Key, g => g.OrderBy(d => File.ReadAllText(Path.Combine(d, "meta.yaml"))).Last());
    }

    static string Read(string run, string path) => File.ReadAllText(Path.Combine(run, path));

    [Fact]
    public void With_no_configuration_a_build_leaves_a_parent_run_and_a_child_run_per_target_in_mlruns()
    {
        var result = Build("Evaluate", "--rounds", "5", "--token", Token);
        Assert.True(result.ExitCode == 0, result.All);
        Assert.Contains("Tracked in ", result.Out);
        var runs = LocalRuns();
        var parent = runs.Single(r => r.Key.StartsWith("Tracked ", StringComparison.Ordinal)).Value;
        Assert.Equal("5", Read(parent, "params/Rounds"));
        Assert.Equal("1", Read(parent, "params/Unread"));
        Assert.False(File.Exists(Path.Combine(parent, "params", "Token")));
        Assert.True(File.Exists(Path.Combine(parent, "artifacts", "Tracked.lock.json")));

        var train = runs["Train"];
        Assert.Equal(Path.GetFileName(parent), Read(train, "tags/mlflow.parentRunId"));
        Assert.Equal(["Rounds"], Directory.GetFiles(Path.Combine(train, "params")).Select(Path.GetFileName));
        Assert.Equal(5, File.ReadAllLines(Path.Combine(train, "metrics", "loss")).Length);
        Assert.Equal("model of 5 rounds", Read(train, "artifacts/model.txt"));
        Assert.Equal("miss", Read(train, "tags/mlops.cache"));
        Assert.Contains("status: 3", Read(train, "meta.yaml")); // FINISHED
        Assert.Single(File.ReadAllLines(Path.Combine(runs["Evaluate"], "metrics", "auc")));
        Assert.DoesNotContain(Token, string.Join("\n", Directory.GetFiles(Path.Combine(_harness.Root, "mlruns"), "*", SearchOption.AllDirectories).Select(File.ReadAllText)));
        Assert.Empty(Directory.GetDirectories(Path.Combine(_harness.Root, ".nuke", "tracking"))); // delivered: the journal is gone
    }

    /// <summary>Every run folder of the local store's experiment "Tracked".</summary>
    string[] AllLocalRuns() => [.. Directory.GetDirectories(Path.GetDirectoryName(LocalRuns().First().Value)!).Where(d => Directory.Exists(Path.Combine(d, "tags")))];

    [Fact]
    public void A_cached_target_has_no_child_run_of_its_own_the_parent_names_the_run_that_produced_it()
    {
        var first = Build("Train");
        Assert.Equal(0, first.ExitCode);
        var producer = LocalRuns()["Train"];
        var second = Build("Train");
        Assert.Matches(@"Train\s+Cached", second.Out);
        var invocation = System.Text.RegularExpressions.Regex.Match(second.Out, @"from run (\S+)\)").Groups[1].Value;

        var runs = AllLocalRuns();
        Assert.Equal(3, runs.Length); // two parents, one Train: the cached Train made no copy
        var parent = runs.Single(d => Read(d, "tags/mlflow.runName") != "Train" && !Read(d, "tags/mlflow.runName").EndsWith(invocation, StringComparison.Ordinal));
        Assert.Equal(Path.GetFileName(producer), Read(parent, "tags/mlops.cached.Train"));
        Assert.Equal($"{invocation}/Tracked/Train", Read(parent, "tags/mlops.cached.Train.run_key"));
        Assert.Equal(Read(producer, "tags/mlops.run_key"), Read(parent, "tags/mlops.cached.Train.run_key"));
    }

    [Fact]
    public void A_cached_target_whose_producer_is_not_in_the_store_says_so_instead_of_an_id()
    {
        Assert.Equal(0, Build("Train").ExitCode);
        Directory.Delete(Path.Combine(_harness.Root, "mlruns"), recursive: true); // the producer's run is gone from the store

        Assert.Equal(0, Build("Train").ExitCode);
        var parent = LocalRuns().Single().Value;
        Assert.StartsWith("(not in ", Read(parent, "tags/mlops.cached.Train"));
        Assert.EndsWith($": run key {Read(parent, "tags/mlops.cached.Train.run_key")})", Read(parent, "tags/mlops.cached.Train"));
    }

    [Fact]
    public void A_failed_target_keeps_the_parameters_it_read_and_its_metrics()
    {
        var result = Build("Diverge", "--rounds", "4", "--token", Token);

        Assert.Equal(1, result.ExitCode);
        var run = LocalRuns()["Diverge"];
        Assert.Contains("status: 4", Read(run, "meta.yaml")); // FAILED
        Assert.Equal(["Rounds"], Directory.GetFiles(Path.Combine(run, "params")).Select(Path.GetFileName)); // not the secret it read
        Assert.Equal("4", Read(run, "params/Rounds"));
        Assert.Equal(4, File.ReadAllLines(Path.Combine(run, "metrics", "loss")).Length);
        Assert.StartsWith("diverged after 4 rounds", Read(run, "tags/mlops.note"));
    }

    [Fact]
    public void Child_runs_carry_the_user_and_source_of_the_build()
    {
        _harness.Environment["USER"] = "carol";
        Assert.Equal(0, Build("Train").ExitCode);

        var train = LocalRuns()["Train"];
        Assert.Equal("carol", Read(train, "tags/mlflow.user"));
        Assert.Equal("./build.sh Train", Read(train, "tags/mlflow.source.name"));
        Assert.Equal("LOCAL", Read(train, "tags/mlflow.source.type"));
        Assert.Contains("\nuser_id: carol\n", Read(train, "meta.yaml"));
    }

    [Fact]
    public async Task With_the_server_down_the_build_goes_on_and_SyncRuns_delivers_everything_once()
    {
        await using var server = await FakeMlflowServer.StartAsync("");
        server.Inject(ServerFault.DropBeforeHandling()); // down for the build: its first request gets no answer
        _harness.Environment["MLFLOW_TRACKING_URI"] = server.BaseUri.AbsoluteUri;
        _harness.Environment["MLFLOW_HTTP_REQUEST_MAX_RETRIES"] = "0";
        var result = Build("Evaluate", "--rounds", "2500", "--token", Token);
        Assert.True(result.ExitCode == 0, result.All);
        Assert.Contains("unreachable", result.Out);
        Assert.Contains("./build.sh SyncRuns sends them", result.Out);
        Assert.Single(Directory.GetDirectories(Path.Combine(_harness.Root, ".nuke", "tracking")));
        Assert.Empty(server.Runs);

        var sync = Build("SyncRuns");
        Assert.True(sync.ExitCode == 0, sync.All);
        var train = server.Runs.Single(r => r.RunName == "Train");
        Assert.Equal(2500, train.Metrics.Count(m => m.Key == "loss"));
        Assert.Equal(3, server.Runs.Count);
        Assert.All(server.Runs, r => Assert.Equal("FINISHED", r.Status));
        // 2,500 points in batches of at most 1,000.
        Assert.InRange(server.Count("/mlflow/runs/log-batch"), 3, 6);
        Assert.DoesNotContain(server.Requests, r => (r.Body ?? "").Contains(Token, StringComparison.Ordinal));
        Assert.Empty(Directory.GetDirectories(Path.Combine(_harness.Root, ".nuke", "tracking")));

        var again = Build("SyncRuns");
        Assert.Equal(0, again.ExitCode);
        Assert.Equal(3, server.Runs.Count);
    }

    [Fact]
    public async Task Ten_thousand_metric_points_take_ten_requests()
    {
        await using var server = await FakeMlflowServer.StartAsync("");
        _harness.Environment["MLFLOW_TRACKING_URI"] = server.BaseUri.AbsoluteUri;
        var result = Build("Train", "--rounds", "10000");
        Assert.True(result.ExitCode == 0, result.All);
        var train = server.Runs.Single(r => r.RunName == "Train");
        Assert.Equal(10_000, train.Metrics.Count);
        var batches = server.Requests.Where(r => r.Path.EndsWith("/mlflow/runs/log-batch", StringComparison.Ordinal) && (r.Body ?? "").Contains(train.RunId, StringComparison.Ordinal)).ToList();
        Assert.Equal(10, batches.Count(r => (r.Body ?? "").Contains("\"metrics\"", StringComparison.Ordinal)));
    }

    [Fact]
    public void With_tracking_required_an_unreachable_server_fails_the_build()
    {
        _harness.Environment["MLFLOW_TRACKING_URI"] = "http://127.0.0.1:9/";
        _harness.Environment["MLFLOW_HTTP_REQUEST_MAX_RETRIES"] = "0";
        var result = Build("Train", "--tracking-required");
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("--tracking-required:", result.Out);
    }

    void Git(params string[] arguments)
    {
        var start = new System.Diagnostics.ProcessStartInfo("git") { WorkingDirectory = _harness.Root, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        using var process = System.Diagnostics.Process.Start(start)!;
        process.StandardOutput.ReadToEnd();
        process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, "git " + string.Join(' ', arguments));
    }

    [Fact]
    public void The_parent_run_records_the_commit_and_whether_the_tree_was_dirty()
    {
        Git("init", "-q", "-b", "main");
        Git("-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-q", "--allow-empty", "-m", "start");
        File.WriteAllText(Path.Combine(_harness.Root, ".gitignore"), "mlruns/\n.nuke/\n");
        Git("add", ".gitignore");
        Git("-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-q", "-m", "ignore outputs");
        Build("Train");
        var first = LocalRuns().Where(r => r.Key.StartsWith("Tracked ", StringComparison.Ordinal)).Select(r => r.Value).Single();
        Assert.Equal("false", File.ReadAllText(Path.Combine(first, "tags", "mlops.git.dirty")));
        Assert.Equal("main", File.ReadAllText(Path.Combine(first, "tags", "mlflow.source.git.branch")));
        Assert.Matches("^[0-9a-f]{40}$", File.ReadAllText(Path.Combine(first, "tags", "mlflow.source.git.commit")));

        File.WriteAllText(Path.Combine(_harness.Root, "notes.txt"), "uncommitted");
        var second = Build("Train");
        Assert.Equal(0, second.ExitCode);
        var parents = Directory.GetDirectories(Path.GetDirectoryName(first)!)
            .Where(d => File.Exists(Path.Combine(d, "tags", "mlops.git.dirty"))).Select(d => File.ReadAllText(Path.Combine(d, "tags", "mlops.git.dirty"))).Order().ToArray();
        Assert.Equal(["false", "true"], parents);
    }

    [Fact]
    public void The_lock_file_the_build_rewrites_does_not_make_the_tree_dirty()
    {
        Git("init", "-q", "-b", "main");
        File.WriteAllText(Path.Combine(_harness.Root, ".gitignore"), "mlruns/\nartifacts/\n.nuke/*\n!.nuke/Tracked.lock.json\n");
        Git("add", ".gitignore");
        Git("-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-q", "-m", "start");
        Assert.Equal(0, Build("Train", "--rounds", "2").ExitCode);
        Git("add", ".nuke/Tracked.lock.json");
        Git("-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-q", "-m", "lock");
        Assert.Equal(0, Build("Train", "--rounds", "3").ExitCode); // rewrites the committed lock file

        Assert.Equal(0, Build("Train", "--rounds", "3").ExitCode);
        Assert.Equal(["false", "false", "false"], DirtyFlagsInOrder());

        Git("rm", "-q", "--cached", ".gitignore"); // staged deletion, and .gitignore now untracked: both are changes
        Assert.Equal(0, Build("Train", "--rounds", "3").ExitCode);
        Assert.Equal(["false", "false", "false", "true"], DirtyFlagsInOrder());
    }

    /// <summary>The parent runs' mlops.git.dirty, oldest build first (by start_time: invocation ids of one second do not sort).</summary>
    string[] DirtyFlagsInOrder()
    {
        var experiment = Path.GetDirectoryName(LocalRuns().First().Value)!;
        return [.. Directory.GetDirectories(experiment).Where(d => File.Exists(Path.Combine(d, "tags", "mlops.git.dirty")))
            .OrderBy(d => long.Parse(System.Text.RegularExpressions.Regex.Match(Read(d, "meta.yaml"), @"start_time: (\d+)").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture))
            .ThenBy(d => Read(d, "tags/mlops.git.dirty"), StringComparer.Ordinal) // same millisecond: "false" was first
            .Select(d => Read(d, "tags/mlops.git.dirty"))];
    }

    [Theory]
    [InlineData("1 .M N... 100644 100644 100644 0123 0123 a b.txt", "a b.txt")]
    [InlineData("? new file.txt", "new file.txt")]
    [InlineData("u UU N... 100644 100644 100644 100644 01 02 03 conflicted.txt", "conflicted.txt")]
    [InlineData("! ignored.txt", null)]
    [InlineData("# branch.oid 0123", null)]
    public void Git_status_entries_name_their_path(string entry, string? path) =>
        Assert.Equal(path is null ? [] : [path], MlOps.Pipelines.Tracking.TrackingStores.ChangedPaths([entry]));

    [Fact]
    public void No_git_status_entries_name_no_path() => Assert.Empty(MlOps.Pipelines.Tracking.TrackingStores.ChangedPaths([]));

    [Fact]
    public void A_renamed_file_names_both_its_new_and_its_original_path() =>
        Assert.Equal(["new name.txt", "old.txt", "after.txt"], MlOps.Pipelines.Tracking.TrackingStores.ChangedPaths(
            ["2 R. N... 100644 100644 100644 0123 0123 R100 new name.txt", "old.txt", "1 .M N... 100644 100644 100644 0123 0123 after.txt"]));

    [Fact]
    public void A_journal_an_earlier_build_left_broken_is_kept_with_a_warning_and_this_build_is_still_reported()
    {
        // An earlier build's journal that logs to a run it never started (as a hand-edited or damaged journal
        // could), and a journal folder a build killed at its very start left without files.
        var broken = MlOps.Pipelines.Tracking.TrackingJournal.Create(Path.Combine(_harness.Root, ".nuke", "tracking"), "20000101-000000-broken");
        broken.Append(new MlOps.Pipelines.Tracking.EndRun("20000101-000000-broken/Tracked/Train", MlOps.Pipelines.Tracking.RunStatus.Finished, 1));
        broken.Close();
        Directory.CreateDirectory(Path.Combine(_harness.Root, ".nuke", "tracking", "20000101-000001-empty"));

        var result = Build("Train");
        Assert.True(result.ExitCode == 0, result.All);
        Assert.Matches(@"warning: tracking: journal 20000101-000000-broken left by an earlier build could not be replayed \(The tracking journal logs to run '[^']+' before starting it\.\); it is kept for \./build\.sh SyncRuns\.", result.Out);
        Assert.Contains("Tracked in ", result.Out);
        Assert.Equal("miss", Read(LocalRuns()["Train"], "tags/mlops.cache"));
        Assert.Equal(["20000101-000000-broken", "20000101-000001-empty"],
            Directory.GetDirectories(Path.Combine(_harness.Root, ".nuke", "tracking")).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Ctrl_c_while_SyncRuns_sends_exits_130_and_keeps_the_journal()
    {
        var journal = MlOps.Pipelines.Tracking.TrackingJournal.Create(Path.Combine(_harness.Root, ".nuke", "tracking"), "20000101-000000-left");
        journal.Append(new MlOps.Pipelines.Tracking.StartRun("20000101-000000-left/Tracked", "Tracked", "Tracked 20000101-000000-left", 1, [], null));
        journal.Close();
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        var result = await _harness.RunAsync(new PipelineHost().Add<Tracked>(), cancelled.Token, "SyncRuns");
        Assert.True(result.ExitCode == 130, result.All);
        Assert.Equal("error: Cancelled by Ctrl-C.\n", result.Error);
        Assert.True(Directory.Exists(journal.Folder));
    }

    [Fact]
    public void Tracking_can_be_turned_off()
    {
        var result = Build("Train", "--tracking", "false");
        Assert.Equal(0, result.ExitCode);
        Assert.False(Directory.Exists(Path.Combine(_harness.Root, "mlruns")));
    }
}
