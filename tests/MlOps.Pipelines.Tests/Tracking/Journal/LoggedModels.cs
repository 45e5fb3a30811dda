using System.Text.Json;
using MlOps.Pipelines.Tests.Tracking.Local;
using MlOps.Pipelines.Tests.Tracking.Rest;
using MlOps.Pipelines.Tracking;

namespace MlOps.Pipelines.Tests.Tracking.Journal;

/// <summary>The copy of a model a run logs to MLflow: stamped with the run and its time, recorded with log-model, once.</summary>
public sealed class LoggedModels : IDisposable
{
    internal const string Package = """
        artifact_path: model
        flavors:
          mlops_pipelines:
            format_version: 1
            loader: MlOps.Pipelines.ML.Packaging.ModelPackage
            model_file: model.bin
        model_uuid: 2c4c3f4a1f0b4c8f9d7e6a5b4c3d2e1f
        saved_input_example_info:
          artifact_path: input_example.json
          type: dataframe
        signature:
          inputs: '[{"type": "double", "name": "x", "required": true}]'
          params: null
        utc_time_created: '2000-01-01 00:00:00'

        """;

    // 2024-07-20 04:48:27.221 UTC
    const long LoggedAt = 1_721_450_907_221;
    const string RunId = "4f2a9c0e1b3d4e5f8a7b6c5d4e3f2a1b";
    readonly TrackingFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void Stamping_sets_run_time_and_path_in_sorted_place_and_leaves_every_other_line_as_it_was()
    {
        var (mlmodel, _) = LoggedModel.Stamp(Package.Replace("\n", "\r\n", StringComparison.Ordinal), RunId, "model", LoggedAt);

        Assert.Equal($$"""
            artifact_path: model
            flavors:
              mlops_pipelines:
                format_version: 1
                loader: MlOps.Pipelines.ML.Packaging.ModelPackage
                model_file: model.bin
            model_uuid: 2c4c3f4a1f0b4c8f9d7e6a5b4c3d2e1f
            run_id: {{RunId}}
            saved_input_example_info:
              artifact_path: input_example.json
              type: dataframe
            signature:
              inputs: '[{"type": "double", "name": "x", "required": true}]'
              params: null
            utc_time_created: '2024-07-20 04:48:27.221000'

            """, mlmodel);
    }

    [Fact]
    public void Stamping_a_copy_that_already_names_a_run_replaces_it_and_a_new_path_replaces_the_old()
    {
        var once = LoggedModel.Stamp(Package, "aaaa", "model", LoggedAt).MlModel;
        var (twice, json) = LoggedModel.Stamp(once, RunId, "best model", LoggedAt + 779);

        Assert.Equal(once.Replace("run_id: aaaa", $"run_id: {RunId}", StringComparison.Ordinal)
            .Replace("artifact_path: model\nflavors", "artifact_path: 'best model'\nflavors", StringComparison.Ordinal)
            .Replace("27.221000'", "28'", StringComparison.Ordinal), twice); // a whole second: no fraction, as Python's str(datetime)
        Assert.Equal("best model", JsonDocument.Parse(json).RootElement.GetProperty("artifact_path").GetString());
    }

    [Fact]
    public void An_MLmodel_without_the_keys_gets_them_at_the_end_and_at_the_start()
    {
        var (mlmodel, _) = LoggedModel.Stamp("flavors:\n  x:\n    a: b\n", RunId, "model", LoggedAt);

        Assert.Equal($"artifact_path: model\nflavors:\n  x:\n    a: b\nrun_id: {RunId}\nutc_time_created: '2024-07-20 04:48:27.221000'\n", mlmodel);
    }

    [Fact]
    public void The_json_document_is_the_MLmodel_with_numbers_as_numbers_and_json_strings_kept_as_strings()
    {
        var (_, json) = LoggedModel.Stamp(Package, RunId, "model", LoggedAt);

        var model = JsonDocument.Parse(json).RootElement;
        Assert.Equal(RunId, model.GetProperty("run_id").GetString());
        Assert.Equal("2024-07-20 04:48:27.221000", model.GetProperty("utc_time_created").GetString());
        Assert.Equal(1, model.GetProperty("flavors").GetProperty("mlops_pipelines").GetProperty("format_version").GetInt32());
        Assert.Equal("""[{"type": "double", "name": "x", "required": true}]""", model.GetProperty("signature").GetProperty("inputs").GetString());
        Assert.Equal(JsonValueKind.Null, model.GetProperty("signature").GetProperty("params").ValueKind);
        Assert.StartsWith("""{"artifact_path": "model", "flavors": {"mlops_pipelines": {"format_version": 1, """, json);
    }

    [Theory]
    [InlineData("""{"artifact_path": "m", "flavors": {}, "utc_time_created": "t"}""", "['run_id']")]
    [InlineData("""{"flavors": {}, "run_id": "r"}""", "['artifact_path', 'utc_time_created']")]
    [InlineData("[]", "not a JSON object")]
    [InlineData("{", "Malformed model info")]
    public async Task The_local_store_refuses_a_model_document_as_the_server_does(string json, string fragment)
    {
        var store = _folder.Open();
        var run = await store.CreateRunAsync("0", "r", TrackingFolder.T0, [], default);

        await TrackingAssert.Fails("INVALID_PARAMETER_VALUE", () => store.LogModelAsync(run.RunId, json, default), fragment);
        Assert.False(File.Exists(Path.Combine(_folder.Root, "0", run.RunId, "tags", LoggedModel.HistoryTag)));
    }

    [Fact]
    public async Task The_local_store_appends_each_logged_model_to_the_history_tag()
    {
        var store = _folder.Open();
        var run = await store.CreateRunAsync("0", "r", TrackingFolder.T0, [], default);
        var first = LoggedModel.Stamp(Package, run.RunId, "model", LoggedAt).Json;
        var second = LoggedModel.Stamp(Package, run.RunId, "other", LoggedAt).Json;

        await store.LogModelAsync(run.RunId, first, default);
        await store.LogModelAsync(run.RunId, second, default);

        var history = _folder.Read("0", run.RunId, "tags", LoggedModel.HistoryTag);
        Assert.Equal($"[{first}, {second}]", history);
        Assert.True(LoggedModel.IsRecorded([new Tag(LoggedModel.HistoryTag, history)], second));
        Assert.False(LoggedModel.IsRecorded([new Tag(LoggedModel.HistoryTag, history)], LoggedModel.Stamp(Package, run.RunId, "model", LoggedAt + 1).Json));
        Assert.False(LoggedModel.IsRecorded([], first));
        Assert.False(LoggedModel.IsRecorded([new Tag(LoggedModel.HistoryTag, "not json")], first));
    }

    [Fact]
    public async Task The_REST_store_sends_log_model_and_the_server_keeps_the_history()
    {
        await using var server = await FakeMlflowServer.StartAsync("");
        using var store = new Pipelines.Tracking.Rest.RestTrackingStore(new Pipelines.Tracking.Rest.RestTrackingOptions(server.BaseUri));
        var run = await store.CreateRunAsync("0", "r", TrackingFolder.T0, [], default);
        var json = LoggedModel.Stamp(Package, run.RunId, "model", LoggedAt).Json;

        await store.LogModelAsync(run.RunId, json, default);

        var body = JsonDocument.Parse(server.Requests.Single(r => r.Path.EndsWith("/mlflow/runs/log-model", StringComparison.Ordinal)).Body).RootElement;
        Assert.Equal(run.RunId, body.GetProperty("run_id").GetString());
        Assert.Equal(json, body.GetProperty("model_json").GetString());
        Assert.True(LoggedModel.IsRecorded([.. server.Run(run.RunId).Tags.Select(t => new Tag(t.Key, t.Value))], json));
    }

    [Fact]
    public async Task A_replay_after_an_unknown_outcome_does_not_record_the_model_twice()
    {
        var store = _folder.Open();
        var root = Path.Combine(_folder.Root, "..", "journals");
        var journal = TrackingJournal.Create(root, "inv", store.Location);
        var package = Path.Combine(_folder.Root, "..", "MLmodel");
        File.WriteAllText(package, Package);
        journal.Append(new StartRun("inv/P", "P", "P inv", TrackingFolder.T0, [], null));
        var logged = journal.Append(new LogModel("inv/P", journal.Keep(package), "model", LoggedAt));
        var replayer = new JournalReplayer(store);
        await replayer.ReplayAsync(journal, default);
        // As if the process died after sending log-model but before saving its acknowledgement.
        journal.SaveState(journal.State with { Acknowledged = logged.Sequence - 1, InFlight = logged.Sequence });

        await replayer.ReplayAsync(journal, default);

        var runId = journal.State.Runs["inv/P"];
        var run = Directory.GetDirectories(_folder.Root, runId, SearchOption.AllDirectories).Single();
        var history = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "tags", LoggedModel.HistoryTag))).RootElement;
        Assert.Equal(1, history.GetArrayLength());
        Assert.Equal(runId, history[0].GetProperty("run_id").GetString());
        Assert.Contains($"run_id: {runId}\n", File.ReadAllText(Path.Combine(run, "artifacts", "model", "MLmodel")));
        Assert.Equal(Package, File.ReadAllText(package)); // the package itself is not stamped
    }
}
