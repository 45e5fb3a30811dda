using MlOps.Pipelines.Tests.Tracking.Rest;

namespace MlOps.Pipelines.Tests.Tracking.Reporting;

/// <summary>A journal belongs to the store its build reported to: it is sent there, and nowhere else.</summary>
public sealed class JournalStores : IDisposable
{
    readonly Harness _harness = new();

    public void Dispose() => _harness.Dispose();

    sealed class Tracked : MlPipeline
    {
        public Target Train => _ => _.Cached(false).Executes(context => context.LogMetric("loss", 0.5));
    }

    RunResult Build(params string[] args) => _harness.Run(new PipelineHost().Add<Tracked>(), args);

    string[] Journals() => Directory.GetDirectories(Path.Combine(_harness.Root, ".nuke", "tracking"));

    [Fact]
    public async Task A_later_build_with_another_store_leaves_the_journal_alone_and_SyncRuns_sends_it_to_its_own_store()
    {
        await using var first = await FakeMlflowServer.StartAsync("");
        await using var second = await FakeMlflowServer.StartAsync("");
        first.Inject(ServerFault.DropBeforeHandling(), times: 1);
        _harness.Environment["MLFLOW_TRACKING_URI"] = first.BaseUri.AbsoluteUri;
        _harness.Environment["MLFLOW_HTTP_REQUEST_MAX_RETRIES"] = "0";
        Assert.Equal(0, Build("Train").ExitCode);
        Assert.Single(Journals());

        _harness.Environment["MLFLOW_TRACKING_URI"] = second.BaseUri.AbsoluteUri;
        _harness.Environment["MLFLOW_TRACKING_TOKEN"] = "second-server-token";
        var later = Build("Train");
        Assert.True(later.ExitCode == 0, later.All);
        Assert.Equal(2, second.Runs.Count); // its own parent and child only
        Assert.Empty(first.Runs);
        Assert.Contains($"tracking: journals of earlier builds for {first.BaseUri.AbsoluteUri.TrimEnd('/')} are kept for ./build.sh SyncRuns", later.Out);
        Assert.Single(Journals());

        var sync = Build("SyncRuns");
        Assert.True(sync.ExitCode == 0, sync.All);
        Assert.Matches($@"\S+: \d+ operation\(s\) sent to {System.Text.RegularExpressions.Regex.Escape(first.BaseUri.AbsoluteUri.TrimEnd('/'))}", sync.Out);
        Assert.Equal(2, first.Runs.Count);
        Assert.All(first.Runs, r => Assert.Equal("FINISHED", r.Status));
        Assert.Equal(2, second.Runs.Count);
        // The environment's credentials are for its own server, never sent to another.
        Assert.All(first.Requests, r => Assert.Null(r.Authorization));
        Assert.Contains(second.Requests, r => r.Authorization == "Bearer second-server-token");
        Assert.Empty(Journals());
    }

    [Fact]
    public async Task SyncRuns_says_which_journal_it_cannot_send_now_and_why_and_sends_the_others()
    {
        await using var down = await FakeMlflowServer.StartAsync("");
        await using var up = await FakeMlflowServer.StartAsync("");
        down.Inject(ServerFault.DropBeforeHandling(), times: 1);
        _harness.Environment["MLFLOW_TRACKING_URI"] = down.BaseUri.AbsoluteUri;
        _harness.Environment["MLFLOW_HTTP_REQUEST_MAX_RETRIES"] = "0";
        Assert.Equal(0, Build("Train").ExitCode);
        up.Inject(ServerFault.DropBeforeHandling(), times: 1);
        _harness.Environment["MLFLOW_TRACKING_URI"] = up.BaseUri.AbsoluteUri;
        Assert.Equal(0, Build("Train").ExitCode);
        Assert.Equal(2, Journals().Length);

        down.Inject(ServerFault.DropBeforeHandling(), times: 1); // still down when SyncRuns runs
        var sync = Build("SyncRuns");

        Assert.Equal(1, sync.ExitCode);
        var location = down.BaseUri.AbsoluteUri.TrimEnd('/');
        Assert.Matches($@"error: \S+: not sent to {System.Text.RegularExpressions.Regex.Escape(location)} now: .+; \d+ operation\(s\) still waiting\. It belongs to {System.Text.RegularExpressions.Regex.Escape(location)}, not to this environment's store \({System.Text.RegularExpressions.Regex.Escape(up.BaseUri.AbsoluteUri.TrimEnd('/'))}\)", sync.All);
        Assert.Contains($"set MLFLOW_TRACKING_URI={location} and that server's credentials", sync.All);
        Assert.Equal(2, up.Runs.Count);
        Assert.Empty(down.Runs);
        Assert.Single(Journals());

        var again = Build("SyncRuns"); // the server is back
        Assert.True(again.ExitCode == 0, again.All);
        Assert.Equal(2, down.Runs.Count);
        Assert.Empty(Journals());
    }

    [Fact]
    public void A_journal_for_a_local_store_is_sent_to_that_folder_even_when_the_environment_names_another()
    {
        var elsewhere = Path.Combine(_harness.Root, "other-mlruns");
        var journal = MlOps.Pipelines.Tracking.TrackingJournal.Create(Path.Combine(_harness.Root, ".nuke", "tracking"), "20000101-000000-local", elsewhere);
        journal.Append(new MlOps.Pipelines.Tracking.StartRun("20000101-000000-local/Tracked", "Tracked", "Tracked 20000101-000000-local", 1, [], null));
        journal.Append(new MlOps.Pipelines.Tracking.EndRun("20000101-000000-local/Tracked", MlOps.Pipelines.Tracking.RunStatus.Finished, 2));
        journal.Close();

        var build = Build("Train"); // reports to ./mlruns
        Assert.True(build.ExitCode == 0, build.All);
        Assert.False(Directory.Exists(elsewhere));
        var sync = Build("SyncRuns");

        Assert.True(sync.ExitCode == 0, sync.All);
        Assert.Contains($"20000101-000000-local: 2 operation(s) sent to {elsewhere}", sync.Out);
        Assert.Single(Directory.GetFiles(elsewhere, "mlflow.runName", SearchOption.AllDirectories));
    }

    [Fact]
    public void A_journal_written_before_stores_were_recorded_goes_to_the_current_store()
    {
        var journal = MlOps.Pipelines.Tracking.TrackingJournal.Create(Path.Combine(_harness.Root, ".nuke", "tracking"), "20000101-000000-legacy");
        journal.Append(new MlOps.Pipelines.Tracking.StartRun("20000101-000000-legacy/Tracked", "Tracked", "Tracked 20000101-000000-legacy", 1, [], null));
        journal.Close();

        var sync = Build("SyncRuns");

        Assert.True(sync.ExitCode == 0, sync.All);
        Assert.Contains($"20000101-000000-legacy: 1 operation(s) sent to {Path.Combine(_harness.Root, "mlruns")}", sync.Out);
    }
}
