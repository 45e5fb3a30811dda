using MlOps.Pipelines.Discovery;
using MlOps.Pipelines.Output;
using MlOps.Pipelines.Tests.Tracking.Local;
using MlOps.Pipelines.Tracking;
using MlOps.Pipelines.Tracking.Local;

namespace MlOps.Pipelines.Tests.Tracking.Reporting;

/// <summary>What the MLflow UI can show while a target still runs: its child run, and its metric curve growing.</summary>
public sealed class LiveChildRuns : IAsyncLifetime
{
    readonly TrackingFolder _folder = new();
    readonly SteppedClock _clock = new(DateTimeOffset.FromUnixTimeMilliseconds(TrackingFolder.T0));
    readonly string _root = Directory.CreateTempSubdirectory("live-runs-").FullName;
    LocalTrackingStore _store = null!;
    TrackingSession _session = null!;
    TargetModel _train = null!;

    sealed class Live : MlPipeline
    {
        public Target Train => _ => _.Executes(() => { });
    }

    public Task InitializeAsync()
    {
        var pipeline = new Live { RootDirectory = AbsolutePath.Create(_root) };
        var model = PipelineModel.Discover(pipeline, null, 0);
        _train = model.Targets.Single();
        _store = new LocalTrackingStore(_folder.Root, _clock);
        _session = TrackingSession.Start(_store, AbsolutePath.Create(_root), "inv-1", [_train], new Dictionary<PipelineModel, IReadOnlyList<Param>>(),
            [new Tag("mlflow.user", "alice"), new Tag("mlflow.source.name", "./build.sh Train"), new Tag("mlflow.source.type", "LOCAL"),
                new Tag("mlflow.source.git.commit", new string('a', 40)), new Tag("mlops.git.dirty", "false")],
            new ConsoleOutput(TextWriter.Null, false, false, new SecretMasker()), required: false, _clock);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _session.DisposeAsync();
        _folder.Dispose();
        Directory.Delete(_root, recursive: true);
    }

    IReadOnlyList<TrackingOperation> Journaled() => TrackingJournal.Pending(TrackingSession.JournalRoot(AbsolutePath.Create(_root))).Single().Read();

    /// <summary>Waits for the sender to deliver everything journaled so far (it signals each acknowledgement; bounded).</summary>
    async Task Delivered()
    {
        var last = Journaled()[^1].Sequence;
        Assert.True(await _session.WaitAcknowledgedAsync(last, TimeSpan.FromSeconds(30), default), "the sender did not deliver in time");
    }

    async Task<Run> ChildRun()
    {
        var experiment = await _store.GetExperimentByNameAsync("Live", default);
        var id = (await _store.FindRunsByTagAsync(experiment!.ExperimentId, JournalReplayer.RunKeyTag, "inv-1/Live/Train", default)).Single();
        return await _store.GetRunAsync(id, default);
    }

    [Fact]
    public async Task A_child_run_is_created_when_its_target_starts_and_carries_the_standard_tags()
    {
        _session.Begin(_train);

        var start = Journaled().OfType<StartRun>().Single(s => s.RunKey == "inv-1/Live/Train");
        Assert.Equal("inv-1/Live", start.ParentRunKey);
        await Delivered();
        var run = await ChildRun();
        Assert.Equal(RunStatus.Running, run.Info.Status);
        var tags = run.Tags.ToDictionary(t => t.Key, t => t.Value);
        Assert.Equal("alice", tags["mlflow.user"]);
        Assert.Equal("./build.sh Train", tags["mlflow.source.name"]);
        Assert.Equal("LOCAL", tags["mlflow.source.type"]);
        Assert.Equal(new string('a', 40), tags["mlflow.source.git.commit"]);
        Assert.False(tags.ContainsKey("mlops.git.dirty")); // a fact of the build, on the parent only
        Assert.Contains("user_id: alice", File.ReadAllText(Directory.GetFiles(_folder.Root, "meta.yaml", SearchOption.AllDirectories).Single(f => f.Contains(run.Info.RunId, StringComparison.Ordinal))));
    }

    [Fact]
    public async Task Metric_points_of_a_running_target_are_sent_within_the_flush_interval()
    {
        var tracker = _session.Begin(_train);
        tracker.LogMetric("loss", 0.9, 0);
        tracker.LogMetric("loss", 0.8, 1);

        Assert.DoesNotContain(Journaled().OfType<LogBatch>(), b => b.Metrics.Count > 0); // not yet: points are batched
        _clock.Advance(TargetTracker.FlushInterval - TimeSpan.FromMilliseconds(1));
        Assert.DoesNotContain(Journaled().OfType<LogBatch>(), b => b.Metrics.Count > 0);

        _clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal([0.9, 0.8], Journaled().OfType<LogBatch>().SelectMany(b => b.Metrics).Select(m => m.Value));
        await Delivered();
        var run = await ChildRun();
        Assert.Equal(RunStatus.Running, run.Info.Status);
        Assert.Equal(2, (await _store.GetMetricHistoryAsync(run.Info.RunId, "loss", default)).Count);

        // Nothing new: a tick journals nothing; the next point goes out at the next tick.
        var before = Journaled().Count;
        _clock.Advance(TargetTracker.FlushInterval);
        Assert.Equal(before, Journaled().Count);
        tracker.LogMetric("loss", 0.7, 2);
        _clock.Advance(TargetTracker.FlushInterval);
        Assert.Equal([0.9, 0.8, 0.7], Journaled().OfType<LogBatch>().SelectMany(b => b.Metrics).Select(m => m.Value));
    }

    [Fact]
    public void A_thousand_points_go_out_at_once_without_waiting_for_the_tick()
    {
        var tracker = _session.Begin(_train);
        for (var i = 0; i < 999; i++) tracker.LogMetric("loss", i, i);
        Assert.DoesNotContain(Journaled().OfType<LogBatch>(), b => b.Metrics.Count > 0);

        tracker.LogMetric("loss", 999, 999);
        Assert.Equal(1000, Journaled().OfType<LogBatch>().Single().Metrics.Count);
    }

    [Fact]
    public void Ending_the_target_stops_its_flush_timer_and_sends_what_is_left_once()
    {
        var tracker = _session.Begin(_train);
        Assert.Equal(1, _clock.ActiveTimers);
        tracker.LogMetric("loss", 0.5, 0);

        tracker.End(new Pipelines.Execution.TargetRun(_train, 0) { Status = Pipelines.Execution.TargetStatus.Succeeded }, new Dictionary<string, string>());
        Assert.Equal(0, _clock.ActiveTimers);
        _clock.Advance(TargetTracker.FlushInterval * 3);

        Assert.Single(Journaled().OfType<LogBatch>().SelectMany(b => b.Metrics));
        Assert.IsType<EndRun>(Journaled()[^1]);
    }
}
