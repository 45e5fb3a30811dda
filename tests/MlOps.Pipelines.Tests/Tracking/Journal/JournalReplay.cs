using MlOps.Pipelines.Tests.Tracking.Rest;
using MlOps.Pipelines.Tracking;

namespace MlOps.Pipelines.Tests.Tracking.Journal;

/// <summary>Replaying a journal against a server that loses responses, refuses or goes away: nothing lost, nothing twice.</summary>
public sealed class JournalReplay : IAsyncLifetime
{
    const long T0 = RestFixture.T0;

    readonly string _root = Directory.CreateTempSubdirectory("journal-").FullName;
    RestFixture _fixture = null!;

    public async Task InitializeAsync() => _fixture = await RestFixture.StartAsync();

    public async Task DisposeAsync()
    {
        await _fixture.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }

    FakeMlflowServer Server => _fixture.Server;

    static Metric[] Points(string key, int count) => [.. Enumerable.Range(0, count).Select(i => new Metric(key, i * 0.5, T0 + i, i))];

    TrackingJournal Journal(int metrics)
    {
        var journal = TrackingJournal.Create(_root, "run-1");
        journal.Append(new StartRun("run-1/P", "P", "parent", T0, [new Tag("mlflow.user", "me")], null));
        journal.Append(new StartRun("run-1/P/Train", "P", "Train", T0, [], "run-1/P"));
        journal.Append(new LogBatch("run-1/P/Train", Points("loss", metrics), [new Param("Rounds", "10")], [new Tag("mlops.cache", "miss")]));
        journal.Append(new EndRun("run-1/P/Train", RunStatus.Finished, T0 + 5));
        journal.Append(new EndRun("run-1/P", RunStatus.Finished, T0 + 6));
        journal.Close();
        return journal;
    }

    FakeRun Child => Server.Runs.Single(r => r.RunName == "Train");

    [Fact]
    public async Task A_journal_becomes_a_parent_run_and_a_child_run_with_its_metrics()
    {
        var journal = Journal(metrics: 900);
        Assert.Equal(5, await new JournalReplayer(_fixture.Store).ReplayAsync(journal, CancellationToken.None));
        var parent = Server.Runs.Single(r => r.RunName == "parent");
        Assert.Equal(parent.RunId, Child.Tags["mlflow.parentRunId"]);
        Assert.Equal("run-1/P/Train", Child.Tags[JournalReplayer.RunKeyTag]);
        Assert.Equal(900, Child.Metrics.Count);
        Assert.Equal("10", Child.Params["Rounds"]);
        Assert.Equal("FINISHED", Child.Status);
        Assert.True(journal.Drained);
        Assert.True(journal.DeleteIfDone());
        Assert.False(Directory.Exists(journal.Folder));
    }

    /// <summary>A store that sends nothing again after an unknown outcome: the journal keeps the rest for later.</summary>
    JournalReplayer WithoutResends() =>
        new(_fixture.CreateStore(new Dictionary<string, string> { [MlOps.Pipelines.Tracking.Rest.RestTrackingOptions.MaxRetriesVariable] = "0" }));

    [Fact]
    public async Task A_lost_response_to_a_batch_is_completed_at_once_neither_losing_nor_duplicating_a_point()
    {
        var journal = Journal(metrics: 900);
        Server.Inject(ServerFault.DropAfterHandling(), "/mlflow/runs/log-batch");

        await new JournalReplayer(_fixture.Store).ReplayAsync(journal, CancellationToken.None);

        Assert.Equal(900, Child.Metrics.Count);
        Assert.Equal(Enumerable.Range(0, 900).Select(i => (long)i), Child.Metrics.Select(m => m.Step).Order());
        Assert.Equal(1, Server.Count("/mlflow/metrics/get-history")); // reconciled before it was sent again
        Assert.True(journal.Drained);
        Assert.Empty(journal.State.Rejected);
    }

    [Fact]
    public async Task A_lost_response_with_no_resend_left_stops_replay_and_the_next_replay_completes_it()
    {
        var journal = Journal(metrics: 900);
        Server.Inject(ServerFault.DropAfterHandling(), "/mlflow/runs/log-batch");
        var failure = await Assert.ThrowsAsync<TrackingException>(() => WithoutResends().ReplayAsync(journal, CancellationToken.None));
        Assert.True(failure.Transient);
        Assert.True(failure.OutcomeUnknown);
        Assert.Equal(900, Child.Metrics.Count); // the server took the batch; the answer was lost
        Assert.Equal(3, journal.State.InFlight);

        await new JournalReplayer(_fixture.Store).ReplayAsync(journal, CancellationToken.None);
        Assert.Equal(900, Child.Metrics.Count);
        Assert.True(journal.Drained);
    }

    [Fact]
    public async Task A_batch_the_server_half_stored_is_completed_with_the_missing_points_only()
    {
        var journal = Journal(metrics: 10);
        Server.Inject(ServerFault.DropBeforeHandling(), "/mlflow/runs/log-batch");
        await Assert.ThrowsAsync<TrackingException>(() => WithoutResends().ReplayAsync(journal, CancellationToken.None));
        // Meanwhile some points reached the server by another way (as a partly applied batch would leave them).
        await _fixture.Store.LogBatchAsync(Child.RunId, Points("loss", 4), [], [], CancellationToken.None);

        await new JournalReplayer(_fixture.Store).ReplayAsync(journal, CancellationToken.None);
        Assert.Equal(10, Child.Metrics.Count);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => (long)i), Child.Metrics.Select(m => m.Step).Order());
    }

    [Fact]
    public async Task A_lost_response_to_creating_a_run_finds_that_run_instead_of_making_another()
    {
        var journal = Journal(metrics: 3);
        Server.Inject(ServerFault.DropAfterHandling(), "/mlflow/runs/create");
        await new JournalReplayer(_fixture.Store).ReplayAsync(journal, CancellationToken.None);
        Assert.Equal(2, Server.Runs.Count);
        Assert.Equal(3, Child.Metrics.Count);
        Assert.Equal(2, Server.Count("/mlflow/runs/create"));
        Assert.Equal(1, Server.Count("/mlflow/runs/search"));
    }

    [Fact]
    public async Task A_proxy_503_after_the_backend_created_the_run_is_reconciled_not_repeated()
    {
        var journal = Journal(metrics: 3);
        Server.Inject(ServerFault.ProxyHtmlAfterHandling(503), "/mlflow/runs/create");
        await new JournalReplayer(_fixture.Store).ReplayAsync(journal, CancellationToken.None);
        Assert.Equal(2, Server.Runs.Count);
        Assert.Equal(1, Server.Count("/mlflow/runs/search"));
    }

    [Fact]
    public async Task A_crash_between_sending_and_recording_is_replayed_without_duplicates()
    {
        var journal = Journal(metrics: 5);
        var replayer = new JournalReplayer(_fixture.Store);
        await replayer.ReplayAsync(journal, CancellationToken.None);
        // As if the process died after the batch (operation 3) reached the server but before the ack was saved.
        journal.SaveState(journal.State with { Acknowledged = 2, InFlight = 3 });
        var reopened = TrackingJournal.Pending(_root).Single();
        Assert.Equal(3, await replayer.ReplayAsync(reopened, CancellationToken.None));
        Assert.Equal(5, Child.Metrics.Count);
        Assert.Equal(2, Server.Runs.Count);
    }

    [Fact]
    public async Task An_operation_the_server_refuses_for_good_is_recorded_and_the_rest_goes_on()
    {
        var journal = TrackingJournal.Create(_root, "run-2");
        journal.Append(new StartRun("k", "P", "run", T0, [], null));
        journal.Append(new LogBatch("k", [], [new Param("Rounds", "10")], []));
        journal.Append(new LogBatch("k", [], [new Param("Rounds", "20")], [])); // params are write-once
        journal.Append(new LogBatch("k", Points("loss", 2), [], []));
        await new JournalReplayer(_fixture.Store).ReplayAsync(journal, CancellationToken.None);
        Assert.Equal([3L], journal.State.Rejected.Keys);
        Assert.Contains("INVALID_PARAMETER_VALUE", journal.State.Rejected[3]);
        Assert.Equal(2, Server.Runs.Single().Metrics.Count);
    }

    [Fact]
    public async Task A_version_registered_before_a_lost_response_is_found_not_registered_again()
    {
        var journal = TrackingJournal.Create(_root, "run-3");
        journal.Append(new StartRun("k", "P", "run", T0, [], null));
        var model = Path.Combine(_root, "MLmodel");
        await File.WriteAllTextAsync(model, "flavors: {}\n");
        journal.Append(new LogArtifact("k", journal.Keep(model), "model/MLmodel"));
        journal.Append(new RegisterVersion("flights", "k", "model", [new Tag("mlops.package_sha256", "abc")], ["champion"]));
        Server.Inject(ServerFault.DropAfterHandling(), "/mlflow/model-versions/create");
        await new JournalReplayer(_fixture.Store).ReplayAsync(journal, CancellationToken.None);
        var registered = Server.Model("flights");
        Assert.Single(registered.Versions);
        Assert.Equal("1", journal.State.Versions[3]);
        var champion = await _fixture.Store.GetModelVersionByAliasAsync("flights", "champion", CancellationToken.None);
        Assert.Equal("1", champion?.Version);
    }

    [Fact]
    public async Task A_line_cut_short_by_a_crash_is_ignored()
    {
        var journal = Journal(metrics: 2);
        await File.AppendAllTextAsync(Path.Combine(journal.Folder, "journal.jsonl"), "{\"op\":\"end-run\",\"runKey\":\"run-1/P\",\"sta");
        Assert.Equal(5, journal.Read().Count);
    }

    /// <summary>A five-operation journal's file, its lines rewritten by <paramref name="edit"/> (each then ended by a newline).</summary>
    string JournalFileEdited(out TrackingJournal journal, Func<string[], IEnumerable<string>> edit)
    {
        journal = Journal(metrics: 2);
        var file = Path.Combine(journal.Folder, "journal.jsonl");
        File.WriteAllText(file, string.Concat(edit(File.ReadAllLines(file)).Select(line => line + "\n")));
        return file;
    }

    [Fact]
    public void A_line_still_being_appended_counts_only_once_its_newline_is_written()
    {
        // Append writes the operation, then its newline: a reader in between (the build's own sender) sees a whole
        // JSON object that is not an operation yet.
        var file = JournalFileEdited(out var journal, lines => lines);
        File.AppendAllText(file, File.ReadAllLines(file)[^1].Replace("\"sequence\":5", "\"sequence\":6", StringComparison.Ordinal));
        Assert.Equal(5, journal.Read().Count);
        File.AppendAllText(file, "\n");
        Assert.Equal(6, journal.Read().Count);
    }

    [Fact]
    public void A_damaged_line_before_the_last_is_refused_naming_the_journal_and_the_line()
    {
        var file = JournalFileEdited(out var journal, lines => lines.Select((line, i) => i == 2 ? line[..20] : line));
        var error = Assert.Throws<InvalidDataException>(() => journal.Read());
        Assert.StartsWith($"{file}, line 3: not a tracking operation", error.Message);
    }
}
