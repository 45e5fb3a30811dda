using MlOps.Pipelines.Tests.Tracking.Rest;
using MlOps.Pipelines.Tracking;

namespace MlOps.Pipelines.Tests.Tracking.Journal;

/// <summary>Each way replay completes an operation instead of repeating it, and each way it stops.</summary>
public sealed class ReplayBranches : IAsyncLifetime
{
    const long T0 = RestFixture.T0;

    readonly string _root = Directory.CreateTempSubdirectory("replay-").FullName;
    RestFixture _fixture = null!;

    public async Task InitializeAsync() => _fixture = await RestFixture.StartAsync();

    public async Task DisposeAsync()
    {
        await _fixture.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }

    FakeMlflowServer Server => _fixture.Server;

    JournalReplayer Replayer => new(_fixture.Store);

    static readonly Metric P = new("lr", 0.1, T0, 0);
    static readonly Metric Q = new("lr", 0.05, T0 + 1, 1);

    TrackingJournal Started(string id, params TrackingOperation[] operations)
    {
        var journal = TrackingJournal.Create(_root, id);
        journal.Append(new StartRun($"{id}/P", "P", "run", T0, [], null));
        foreach (var operation in operations) journal.Append(operation);
        journal.Close();
        return journal;
    }

    FakeRun OnlyRun => Server.Runs.Single();

    [Fact]
    public async Task Identical_points_in_one_batch_are_both_delivered_after_a_lost_answer_and_none_twice()
    {
        var journal = Started("j", new LogBatch("j/P", [P, P, Q], [], []));
        Server.Inject(ServerFault.DropAfterHandling(), "/mlflow/runs/log-batch");

        await Replayer.ReplayAsync(journal, CancellationToken.None);

        Assert.Equal([P.Value, P.Value, Q.Value], OnlyRun.Metrics.Select(m => m.Value));
        // Reconciled to nothing left to send: no second log-batch at all.
        Assert.Equal(1, Server.Count("/mlflow/runs/log-batch"));
    }

    [Fact]
    public async Task Identical_points_of_which_the_server_holds_one_are_completed_with_the_other()
    {
        var journal = TrackingJournal.Create(_root, "j");
        journal.Append(new StartRun("j/P", "P", "run", T0, [], null));
        await Replayer.ReplayAsync(journal, CancellationToken.None);
        journal.Append(new LogBatch("j/P", [P, P, Q], [], []));
        await _fixture.Store.LogBatchAsync(OnlyRun.RunId, [P], [], [], CancellationToken.None);
        // As if the process died while the batch was in flight and the server had taken one point of it.
        journal.SaveState(journal.State with { InFlight = 2 });

        await Replayer.ReplayAsync(journal, CancellationToken.None);

        Assert.Equal(2, OnlyRun.Metrics.Count(m => m == new FakeMetric(P.Key, P.Value, P.Timestamp, P.Step)));
        Assert.Single(OnlyRun.Metrics, m => m.Step == Q.Step);
    }

    [Fact]
    public async Task A_run_in_flight_that_never_reached_the_server_is_created_once()
    {
        var journal = Started("j");
        journal.SaveState(journal.State with { InFlight = 1 });

        await Replayer.ReplayAsync(journal, CancellationToken.None);

        Assert.Equal("j/P", OnlyRun.Tags[JournalReplayer.RunKeyTag]);
        Assert.Equal(1, Server.Count("/mlflow/runs/search"));
    }

    [Fact]
    public async Task A_lost_answer_to_creating_the_experiment_or_the_model_finds_the_one_created()
    {
        var folder = Directory.CreateDirectory(Path.Combine(_root, "package")).FullName;
        File.WriteAllText(Path.Combine(folder, "MLmodel"), "flavors: {}\n");
        var journal = Started("j", new RegisterVersion("M", "j/P", "model", [], ["champion"], FolderContent.Sha256(folder)));
        Server.Inject(ServerFault.DropAfterHandling(), "/mlflow/experiments/create");
        Server.Inject(ServerFault.DropAfterHandling(), "/mlflow/registered-models/create");

        await Replayer.ReplayAsync(journal, CancellationToken.None);

        Assert.Empty(journal.State.Rejected);
        Assert.Equal(OnlyRun.ExperimentId, Server.Experiment("P").Id);
        Assert.Equal("1", Assert.Single(Server.Model("M").Versions).Version);
    }

    [Fact]
    public async Task A_second_registration_of_the_same_files_reuses_the_version_and_moves_its_aliases()
    {
        // A registration that waited in an earlier build's journal, then the next build's Deploy of the same package.
        var folder = Directory.CreateDirectory(Path.Combine(_root, "package")).FullName;
        File.WriteAllText(Path.Combine(folder, "model.bin"), "weights");
        var content = FolderContent.Sha256(folder);
        var earlier = Started("a", new RegisterVersion("M", "a/P", "model", [new Tag("build", "a")], ["champion"], content));
        var later = Started("b", new RegisterVersion("M", "b/P", "model", [new Tag("build", "b")], ["champion", "latest-deploy"], content));

        await Replayer.ReplayAsync(earlier, CancellationToken.None);
        await Replayer.ReplayAsync(later, CancellationToken.None);

        var version = Assert.Single(Server.Model("M").Versions);
        Assert.Equal("a", version.Tags["build"]);
        Assert.Equal(content, version.Tags[JournalReplayer.ContentTag]);
        Assert.Equal(new Dictionary<string, string> { ["champion"] = "1", ["latest-deploy"] = "1" }, Server.Model("M").Aliases);
        Assert.Equal("1", later.State.Versions[2]);
    }

    [Fact]
    public async Task Other_files_are_a_new_version()
    {
        var journal = Started("a",
            new RegisterVersion("M", "a/P", "model", [], ["champion"], new string('1', 64)),
            new RegisterVersion("M", "a/P", "model", [], ["champion"], new string('2', 64)));

        await Replayer.ReplayAsync(journal, CancellationToken.None);

        Assert.Equal(["1", "2"], Server.Model("M").Versions.Select(v => v.Version));
        Assert.Equal("2", Server.Model("M").Aliases["champion"]);
    }

    [Fact]
    public async Task An_unknown_outcome_is_resent_after_the_wait_the_server_asked_for()
    {
        var journal = Started("j", new LogBatch("j/P", [P], [], []));
        Server.Inject(ServerFault.ProxyHtmlAfterHandling(503, retryAfter: "9"), "/mlflow/runs/log-batch");

        await Replayer.ReplayAsync(journal, CancellationToken.None);

        Assert.Contains(TimeSpan.FromSeconds(9), _fixture.Delays);
        Assert.Single(OnlyRun.Metrics);
    }

    [Fact]
    public async Task Refused_credentials_stop_replay_with_nothing_acknowledged_or_recorded_as_refused()
    {
        var journal = Started("j", new LogBatch("j/P", [P], [], []));
        Server.RequiredAuthorization = "Bearer right";

        var failure = await Assert.ThrowsAsync<TrackingException>(() => Replayer.ReplayAsync(journal, CancellationToken.None));

        Assert.True(failure.CredentialsRefused);
        Assert.Equal(0, journal.State.Acknowledged);
        Assert.Empty(journal.State.Rejected);
        Assert.Equal(2, journal.Waiting);
    }

    [Fact]
    public async Task An_operation_on_a_run_the_journal_never_started_is_refused_naming_it()
    {
        var journal = TrackingJournal.Create(_root, "j");
        journal.Append(new EndRun("nowhere", RunStatus.Finished, T0));

        var error = await Assert.ThrowsAsync<InvalidDataException>(() => Replayer.ReplayAsync(journal, CancellationToken.None));

        Assert.Contains("'nowhere'", error.Message, StringComparison.Ordinal);
    }
}
