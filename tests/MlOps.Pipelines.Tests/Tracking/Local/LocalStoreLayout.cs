using System.Security.Cryptography;
using System.Text;
using MlOps.Pipelines.Tracking;

namespace MlOps.Pipelines.Tests.Tracking.Local;

/// <summary>The files MLflow's FileStore would have written, byte for byte (mlflow-compat.md §6).</summary>
public sealed class LocalStoreLayout : IDisposable
{
    const string ExperimentId = "123456789012345678";
    const string RunId = "4f2a9c0e1b3d4e5f8a7b6c5d4e3f2a1b";
    readonly TrackingFolder _folder = new();
    readonly CancellationToken _none = CancellationToken.None;

    public void Dispose() => _folder.Dispose();

    static string Lines(string text) => text.Replace("\r\n", "\n", StringComparison.Ordinal);

    async Task<RunInfo> CreateRun(string name = "train-1", params Tag[] tags)
    {
        _folder.ExperimentIds.Enqueue(ExperimentId);
        _folder.RunIds.Enqueue(RunId);
        var store = _folder.Open();
        await store.CreateExperimentAsync("churn", [], _none);
        _folder.Clock.Now = _folder.Clock.Now.AddSeconds(5);
        return await store.CreateRunAsync(ExperimentId, name, TrackingFolder.T0 + 1000, tags, _none);
    }

    [Fact]
    public void A_new_root_gets_a_trash_folder_and_the_default_experiment()
    {
        _folder.Open();
        Assert.True(Directory.Exists(_folder.PathOf(".trash")));
        Assert.Equal(Lines($"""
            artifact_location: {_folder.UriOf("0")}
            creation_time: {TrackingFolder.T0}
            experiment_id: '0'
            last_update_time: {TrackingFolder.T0}
            lifecycle_stage: active
            name: Default

            """), _folder.Read("0", "meta.yaml"));
    }

    [Fact]
    public void Opening_an_existing_root_again_rewrites_nothing()
    {
        _folder.Open();
        var before = _folder.Read("0", "meta.yaml");
        _folder.Clock.Now = _folder.Clock.Now.AddDays(1);
        _folder.Open();
        Assert.Equal(before, _folder.Read("0", "meta.yaml"));
    }

    [Fact]
    public async Task An_experiment_has_mlflows_meta_yaml_and_one_file_per_tag()
    {
        _folder.ExperimentIds.Enqueue(ExperimentId);
        var store = _folder.Open();
        _folder.Clock.Now = _folder.Clock.Now.AddSeconds(1);
        var id = await store.CreateExperimentAsync("churn model", [new Tag("team/owner", "ml-platform"), new Tag("mlflow.note.content", "")], _none);

        Assert.Equal(ExperimentId, id);
        Assert.Equal(Lines($"""
            artifact_location: {_folder.UriOf(ExperimentId)}
            creation_time: {TrackingFolder.T0 + 1000}
            experiment_id: '{ExperimentId}'
            last_update_time: {TrackingFolder.T0 + 1000}
            lifecycle_stage: active
            name: churn model

            """), _folder.Read(ExperimentId, "meta.yaml"));
        Assert.Equal("ml-platform", _folder.Read(ExperimentId, "tags", "team", "owner"));
        Assert.Equal("", _folder.Read(ExperimentId, "tags", "mlflow.note.content"));
        Assert.Equal(new Experiment(ExperimentId, "churn model", _folder.UriOf(ExperimentId), "active"), await store.GetExperimentByNameAsync("churn model", _none));
        Assert.Null(await store.GetExperimentByNameAsync("other", _none));
    }

    [Fact]
    public void A_folder_name_with_a_space_is_percent_encoded_in_the_artifact_location()
    {
        using var folder = new TrackingFolder("ml runs");
        folder.Open();
        Assert.Contains("ml%20runs/0", folder.Read("0", "meta.yaml"), StringComparison.Ordinal);
        Assert.Contains($"artifact_location: {folder.UriOf("0")}\n", folder.Read("0", "meta.yaml"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_new_run_has_mlflows_meta_yaml_folders_and_run_name_tag()
    {
        var info = await CreateRun("train-1", new Tag("pipeline.target", "Train"));

        var artifactUri = _folder.UriOf(ExperimentId, RunId, "artifacts");
        Assert.Equal(new RunInfo(RunId, ExperimentId, "train-1", RunStatus.Running, TrackingFolder.T0 + 1000, null, artifactUri, "active"), info);
        Assert.Equal(Lines($"""
            artifact_uri: {artifactUri}
            deleted_time: null
            end_time: null
            entry_point_name: ''
            experiment_id: '{ExperimentId}'
            lifecycle_stage: active
            run_id: {RunId}
            run_name: train-1
            run_uuid: {RunId}
            source_name: ''
            source_type: 4
            source_version: ''
            start_time: {TrackingFolder.T0 + 1000}
            status: 1
            tags: []
            user_id: alice

            """), _folder.Read(ExperimentId, RunId, "meta.yaml"));
        foreach (var folder in new[] { "artifacts", "metrics", "params", "tags" })
            Assert.True(Directory.Exists(_folder.PathOf(ExperimentId, RunId, folder)), folder);
        Assert.Equal("train-1", _folder.Read(ExperimentId, RunId, "tags", "mlflow.runName"));
        Assert.Equal("Train", _folder.Read(ExperimentId, RunId, "tags", "pipeline.target"));
    }

    [Theory]
    [InlineData("bob", "bob")]
    [InlineData("", "alice")] // an empty tag is no user: the store's own
    public async Task A_run_s_user_id_is_its_mlflow_user_tag_as_MLflow_s_client_gives_it(string user, string expected)
    {
        await CreateRun("train-1", new Tag("mlflow.user", user));

        Assert.Contains($"\nuser_id: {expected}\n", _folder.Read(ExperimentId, RunId, "meta.yaml"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Finishing_a_run_writes_the_status_as_an_int_and_drops_deleted_time()
    {
        await CreateRun();
        var store = _folder.Open();
        var info = await store.UpdateRunAsync(RunId, RunStatus.Failed, TrackingFolder.T0 + 9000, _none);

        Assert.Equal(RunStatus.Failed, info.Status);
        Assert.Equal(TrackingFolder.T0 + 9000, info.EndTime);
        var meta = _folder.Read(ExperimentId, RunId, "meta.yaml");
        Assert.Contains($"\nend_time: {TrackingFolder.T0 + 9000}\n", meta, StringComparison.Ordinal);
        Assert.Contains("\nstatus: 4\n", meta, StringComparison.Ordinal);
        Assert.DoesNotContain("deleted_time", meta, StringComparison.Ordinal);
        Assert.Equal(RunStatus.Failed, (await store.GetRunAsync(RunId, _none)).Info.Status);
    }

    [Fact]
    public async Task Metric_lines_follow_mlflows_format()
    {
        await CreateRun();
        var store = _folder.Open();
        double[] values = [0.5, 1e-05, 1.0, 100.0, 1e16, double.NaN, double.PositiveInfinity, double.NegativeInfinity, -2.5e-7];
        await store.LogBatchAsync(RunId, [.. values.Select((v, i) => new Metric("loss", v, TrackingFolder.T0 + i, i))], [], [], _none);
        await store.LogBatchAsync(RunId, [new Metric("loss", 0.25, TrackingFolder.T0 + 100, 12345678901)], [], [], _none);

        Assert.Equal(
            $"{TrackingFolder.T0} 0.5 0\n{TrackingFolder.T0 + 1} 1e-05 1\n{TrackingFolder.T0 + 2} 1.0 2\n{TrackingFolder.T0 + 3} 100.0 3\n" +
            $"{TrackingFolder.T0 + 4} 1e+16 4\n{TrackingFolder.T0 + 5} nan 5\n{TrackingFolder.T0 + 6} inf 6\n{TrackingFolder.T0 + 7} -inf 7\n" +
            $"{TrackingFolder.T0 + 8} -2.5e-07 8\n{TrackingFolder.T0 + 100} 0.25 12345678901\n",
            _folder.Read(ExperimentId, RunId, "metrics", "loss"));
        var history = await store.GetMetricHistoryAsync(RunId, "loss", _none);
        Assert.Equal(10, history.Count);
        Assert.True(double.IsNaN(history[5].Value));
        Assert.Equal(new Metric("loss", 1e16, TrackingFolder.T0 + 4, 4), history[4]);
        Assert.Empty(await store.GetMetricHistoryAsync(RunId, "never-logged", _none));
    }

    [Fact]
    public async Task Params_and_tags_are_raw_files_without_a_trailing_newline()
    {
        await CreateRun();
        var store = _folder.Open();
        await store.LogBatchAsync(RunId, [], [new Param("lr", "0.01"), new Param("note", "two\nlines"), new Param("empty", "")], [new Tag("owner", "ünï")], _none);

        Assert.Equal("0.01"u8.ToArray(), File.ReadAllBytes(_folder.PathOf(ExperimentId, RunId, "params", "lr")));
        Assert.Equal("two\nlines"u8.ToArray(), File.ReadAllBytes(_folder.PathOf(ExperimentId, RunId, "params", "note")));
        Assert.Empty(File.ReadAllBytes(_folder.PathOf(ExperimentId, RunId, "params", "empty")));
        Assert.Equal(Encoding.UTF8.GetBytes("ünï"), File.ReadAllBytes(_folder.PathOf(ExperimentId, RunId, "tags", "owner")));
    }

    [Fact]
    public async Task Keys_with_slashes_become_nested_folders()
    {
        await CreateRun();
        var store = _folder.Open();
        await store.LogBatchAsync(RunId, [new Metric("train/loss", 0.5, TrackingFolder.T0, 1)], [new Param("optimizer/lr", "0.1")], [new Tag("team/owner", "ml")], _none);

        Assert.Equal($"{TrackingFolder.T0} 0.5 1\n", _folder.Read(ExperimentId, RunId, "metrics", "train", "loss"));
        Assert.Equal("0.1", _folder.Read(ExperimentId, RunId, "params", "optimizer", "lr"));
        Assert.Equal("ml", _folder.Read(ExperimentId, RunId, "tags", "team", "owner"));
        var run = await store.GetRunAsync(RunId, _none);
        Assert.Equal([new Metric("train/loss", 0.5, TrackingFolder.T0, 1)], run.Metrics);
        Assert.Equal([new Param("optimizer/lr", "0.1")], run.Params);
        Assert.Contains(new Tag("team/owner", "ml"), run.Tags);
    }

    [Fact]
    public async Task Dataset_and_input_folders_are_named_by_mlflows_md5_ids()
    {
        await CreateRun();
        var store = _folder.Open();
        var dataset = new Dataset("train", "1a2b3c4d", "local", "{\"uri\": \"/data/train.parquet\"}",
            "{\"mlflow_colspec\": [{\"type\": \"double\", \"name\": \"x\", \"required\": true}]}", "{\"num_rows\": 1000}");
        await store.LogInputsAsync(RunId, [new DatasetInput(dataset, [new Tag("mlflow.data.context", "training")])], _none);

#pragma warning disable CA5351 // the id MLflow computes
        var datasetId = Convert.ToHexStringLower(MD5.HashData(Encoding.UTF8.GetBytes("train" + "1a2b3c4d")));
        var inputId = Convert.ToHexStringLower(MD5.HashData(Encoding.UTF8.GetBytes(datasetId + RunId)));
#pragma warning restore CA5351
        Assert.Equal(Lines("""
            digest: 1a2b3c4d
            name: train
            profile: '{"num_rows": 1000}'
            schema: '{"mlflow_colspec": [{"type": "double", "name": "x", "required": true}]}'
            source: '{"uri": "/data/train.parquet"}'
            source_type: local

            """), _folder.Read(ExperimentId, "datasets", datasetId, "meta.yaml"));
        Assert.Equal(Lines($"""
            destination_id: {datasetId}
            destination_type: RUN
            source_id: {datasetId}
            source_type: DATASET
            tags:
              mlflow.data.context: training

            """), _folder.Read(ExperimentId, RunId, "inputs", inputId, "meta.yaml"));

        // The same dataset again, even with other tags, changes nothing; the run is still readable.
        await store.LogInputsAsync(RunId, [new DatasetInput(dataset, [new Tag("mlflow.data.context", "testing")])], _none);
        Assert.Single(Directory.GetDirectories(_folder.PathOf(ExperimentId, RunId, "inputs")));
        Assert.Contains("mlflow.data.context: training", _folder.Read(ExperimentId, RunId, "inputs", inputId, "meta.yaml"), StringComparison.Ordinal);
        Assert.Equal(RunId, (await store.GetRunAsync(RunId, _none)).Info.RunId);
    }

    [Fact]
    public async Task A_dataset_without_schema_and_profile_writes_nulls()
    {
        await CreateRun();
        var store = _folder.Open();
        await store.LogInputsAsync(RunId, [new DatasetInput(new Dataset("eval", "00000001", "local", "{}", null, null), [])], _none);
        var folder = Assert.Single(Directory.GetDirectories(_folder.PathOf(ExperimentId, "datasets")));
        Assert.Equal("digest: '00000001'\nname: eval\nprofile: null\nschema: null\nsource: '{}'\nsource_type: local\n", File.ReadAllText(Path.Combine(folder, "meta.yaml")));
        var input = Assert.Single(Directory.GetDirectories(_folder.PathOf(ExperimentId, RunId, "inputs")));
        Assert.EndsWith("tags: {}\n", File.ReadAllText(Path.Combine(input, "meta.yaml")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Artefacts_are_copied_under_the_run_and_listed_recursively()
    {
        await CreateRun();
        var store = _folder.Open();
        var source = Path.Combine(Path.GetDirectoryName(_folder.Root)!, "model.onnx");
        await File.WriteAllBytesAsync(source, [1, 2, 3, 4]);
        await store.LogArtifactAsync(RunId, source, "model/model.onnx", _none);
        await store.LogArtifactAsync(RunId, source, "model/data/weights.bin", _none);
        await store.LogArtifactAsync(RunId, source, "report.html", _none);

        Assert.Equal([1, 2, 3, 4], File.ReadAllBytes(_folder.PathOf(ExperimentId, RunId, "artifacts", "model", "data", "weights.bin")));
        Assert.Equal(["model/data/weights.bin", "model/model.onnx", "report.html"], await store.ListArtifactsAsync(RunId, null, _none));
        Assert.Equal(["model/data/weights.bin", "model/model.onnx"], await store.ListArtifactsAsync(RunId, "model", _none));
        Assert.Empty(await store.ListArtifactsAsync(RunId, "nothing-here", _none));
    }

    [Fact]
    public async Task No_temporary_file_is_left_behind()
    {
        await CreateRun();
        var store = _folder.Open();
        await store.LogBatchAsync(RunId, [new Metric("m", 1, TrackingFolder.T0, 0)], [new Param("p", "v")], [new Tag("t", "v")], _none);
        await store.UpdateRunAsync(RunId, RunStatus.Finished, TrackingFolder.T0 + 1, _none);
        Assert.Empty(Directory.GetFiles(_folder.PathOf(".trash"), "*", SearchOption.AllDirectories));
        Assert.Equal(["m"], Directory.GetFiles(_folder.PathOf(ExperimentId, RunId, "metrics")).Select(Path.GetFileName));
        Assert.Equal(["p"], Directory.GetFiles(_folder.PathOf(ExperimentId, RunId, "params")).Select(Path.GetFileName));
    }
}
