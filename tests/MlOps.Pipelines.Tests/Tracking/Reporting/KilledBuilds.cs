using MlOps.Pipelines.Tests.Tracking.Rest;
using MlOps.Pipelines.Tracking;

namespace MlOps.Pipelines.Tests.Tracking.Reporting;

/// <summary>A build killed mid-run leaves its runs open in its journal: the next build or SyncRuns ends them as KILLED.</summary>
public sealed class KilledBuilds : IDisposable
{
    const string Killed = "20000101-000000-killed";
    const long Start = 1_721_450_907_221;
    readonly Harness _harness = new();

    public void Dispose() => _harness.Dispose();

    sealed class Tracked : MlPipeline
    {
        public Target Train => _ => _.Executes(context => context.LogMetric("loss", 0.5));
    }

    RunResult Build(params string[] args) => _harness.Run(new PipelineHost().Add<Tracked>(), args);

    string JournalRoot => Path.Combine(_harness.Root, ".nuke", "tracking");

    /// <summary>
    /// The journal a build killed while Train ran leaves: the parent and Train started, a metric point, no end, not
    /// closed. Written by a journal of this process, then copied: the copy's writer lock is held by no one, as after
    /// the OS released a dead process's lock.
    /// </summary>
    TrackingJournal LeaveKilledJournal(string store)
    {
        var scratch = Path.Combine(_harness.Root, "scratch");
        var writing = TrackingJournal.Create(scratch, Killed, store);
        writing.Append(new StartRun($"{Killed}/Tracked", "Tracked", $"Tracked {Killed}", Start, [], null));
        writing.Append(new StartRun($"{Killed}/Tracked/Train", "Tracked", "Train", Start + 10, [], $"{Killed}/Tracked"));
        writing.Append(new LogBatch($"{Killed}/Tracked/Train", [new Metric("loss", 0.9, Start + 20, 0)], [], []));
        var copy = Path.Combine(JournalRoot, Killed);
        // Not writer.lock: it is locked by the writer; a lock file that is missing is as free as one nobody holds.
        foreach (var file in Directory.GetFiles(writing.Folder, "*", SearchOption.AllDirectories).Where(f => Path.GetFileName(f) != "writer.lock"))
        {
            var target = Path.Combine(copy, Path.GetRelativePath(writing.Folder, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
        Directory.CreateDirectory(Path.Combine(copy, "files"));
        File.SetLastWriteTimeUtc(Path.Combine(copy, "journal.jsonl"), DateTimeOffset.FromUnixTimeMilliseconds(Start + 60_000).UtcDateTime);
        writing.Close();
        return TrackingJournal.Pending(JournalRoot).Single();
    }

    [Fact]
    public void The_next_build_ends_a_killed_build_s_runs_as_KILLED_at_its_journal_s_last_write()
    {
        LeaveKilledJournal(Path.Combine(_harness.Root, "mlruns"));

        var result = Build("Train");

        Assert.True(result.ExitCode == 0, result.All);
        var metas = Directory.GetFiles(Path.Combine(_harness.Root, "mlruns"), "meta.yaml", SearchOption.AllDirectories)
            .Select(File.ReadAllText).Where(m => m.Contains("run_id:", StringComparison.Ordinal)).ToList();
        var killed = metas.Where(m => m.Contains("status: 5", StringComparison.Ordinal)).ToList(); // KILLED
        Assert.Equal(2, killed.Count);
        Assert.All(killed, m => Assert.Contains($"end_time: {Start + 60_000}\n", m, StringComparison.Ordinal));
        Assert.Equal(2, metas.Count(m => m.Contains("status: 3", StringComparison.Ordinal))); // this build's own, FINISHED
        Assert.DoesNotContain(metas, m => m.Contains("status: 1\n", StringComparison.Ordinal)); // nothing left RUNNING
        Assert.Empty(Directory.GetDirectories(JournalRoot)); // both delivered
    }

    [Fact]
    public async Task SyncRuns_ends_a_killed_build_s_runs_as_KILLED_and_keeps_its_metrics()
    {
        await using var server = await FakeMlflowServer.StartAsync("");
        _harness.Environment["MLFLOW_TRACKING_URI"] = server.BaseUri.AbsoluteUri;
        LeaveKilledJournal(server.BaseUri.AbsoluteUri.TrimEnd('/'));

        var sync = Build("SyncRuns");

        Assert.True(sync.ExitCode == 0, sync.All);
        Assert.Contains($"{Killed}: 5 operation(s) sent to {server.BaseUri.AbsoluteUri.TrimEnd('/')} (its build was killed: its open runs are ended as KILLED)", sync.Out);
        Assert.Equal(2, server.Runs.Count);
        Assert.All(server.Runs, r => Assert.Equal(("KILLED", (long?)(Start + 60_000)), (r.Status, r.EndTime)));
        Assert.Equal([0.9], server.Runs.Single(r => r.RunName == "Train").Metrics.Select(m => m.Value));
        Assert.Empty(Directory.GetDirectories(JournalRoot));
    }

    [Fact]
    public void A_killed_run_never_ends_before_it_started()
    {
        var journal = LeaveKilledJournal(Path.Combine(_harness.Root, "mlruns"));
        File.SetLastWriteTimeUtc(Path.Combine(journal.Folder, "journal.jsonl"), DateTimeOffset.FromUnixTimeMilliseconds(Start - 5_000).UtcDateTime); // a clock set back

        Assert.True(journal.CloseIfAbandoned());

        var ends = journal.Read().OfType<EndRun>().ToList();
        Assert.Equal([($"{Killed}/Tracked/Train", Start + 10), ($"{Killed}/Tracked", Start)], ends.Select(e => (e.RunKey, e.EndTime)));
        Assert.All(ends, e => Assert.Equal(RunStatus.Killed, e.Status));
        Assert.True(journal.State.Closed);
    }

    [Fact]
    public void A_journal_whose_build_still_runs_is_left_open_and_a_closed_one_is_not_touched()
    {
        var running = TrackingJournal.Create(JournalRoot, "20000101-000000-running", "store");
        running.Append(new StartRun("20000101-000000-running/Tracked", "Tracked", "Tracked", Start, [], null));
        var seen = TrackingJournal.Pending(JournalRoot).Single();

        Assert.False(seen.CloseIfAbandoned()); // its writer (this process, here) holds the lock
        Assert.False(seen.State.Closed);
        Assert.Single(seen.Read());

        running.Close();
        var closed = TrackingJournal.Pending(JournalRoot).Single();
        Assert.False(closed.CloseIfAbandoned()); // closed by its build: its runs ended the way the build said
        Assert.Single(closed.Read());
    }

    [Fact]
    public void A_journal_another_process_closed_after_we_read_it_is_not_closed_twice()
    {
        var journal = LeaveKilledJournal("store");
        var otherView = TrackingJournal.Pending(JournalRoot).Single();
        Assert.True(otherView.CloseIfAbandoned());

        Assert.False(journal.CloseIfAbandoned()); // its state, read before, said open: it re-reads under the lock
        Assert.Equal(2, TrackingJournal.Pending(JournalRoot).Single().Read().OfType<EndRun>().Count());
    }

    [Fact]
    public void An_abandoned_journal_with_no_operation_is_closed_and_then_deleted_by_the_next_build()
    {
        var writing = TrackingJournal.Create(Path.Combine(_harness.Root, "scratch"), "20000101-000000-empty", Path.Combine(_harness.Root, "mlruns"));
        Directory.CreateDirectory(Path.Combine(JournalRoot, writing.Id, "files"));
        foreach (var file in new[] { "journal.jsonl", "state.json" }) File.Copy(Path.Combine(writing.Folder, file), Path.Combine(JournalRoot, writing.Id, file));
        writing.Close();

        var result = Build("Train");

        Assert.True(result.ExitCode == 0, result.All);
        Assert.Empty(Directory.GetDirectories(JournalRoot));
    }

    [Fact]
    public void An_abandoned_journal_with_every_run_ended_is_only_closed()
    {
        var journal = LeaveKilledJournal("store");
        Assert.True(journal.CloseIfAbandoned());
        var reopened = TrackingJournal.Pending(JournalRoot).Single();
        Assert.False(reopened.CloseIfAbandoned());
        Assert.Equal(5, reopened.Read().Count);
    }
}
