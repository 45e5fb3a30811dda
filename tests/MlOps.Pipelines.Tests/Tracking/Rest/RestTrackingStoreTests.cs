using System.Text.Json;
using MlOps.Pipelines.Tracking;
using MlOps.Pipelines.Tracking.Rest;

namespace MlOps.Pipelines.Tests.Tracking.Rest;

public sealed class RestTrackingStoreTests : RestTestBase
{
    static string[] Keys(JsonElement body) => [.. body.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal)];

    [Fact]
    public async Task Experiments_are_created_and_found_by_name()
    {
        Assert.Null(await F.Store.GetExperimentByNameAsync("exp", default));
        var id = await F.Store.CreateExperimentAsync("exp", [new Tag("team", "ml")], default);
        var experiment = await F.Store.GetExperimentByNameAsync("exp", default);

        Assert.Equal(new Experiment(id, "exp", $"mlflow-artifacts:/{id}", "active"), experiment);
        Assert.Equal("ml", F.Server.Experiment("exp").Tags["team"]);
        var get = F.Last("/experiments/get-by-name");
        Assert.Equal("GET", get.Method);
        Assert.Equal("?experiment_name=exp", get.Query);
        Assert.Equal(0, get.BodyLength);
        var create = F.Last("/experiments/create");
        Assert.Equal(["name", "tags"], Keys(RestFixture.BodyOf(create)));
        Assert.Equal("application/json", create.ContentType);
    }

    [Fact]
    public async Task A_taken_experiment_name_is_resource_already_exists_with_status_400()
    {
        await F.Store.CreateExperimentAsync("exp", [], default);
        var error = await Assert.ThrowsAsync<TrackingException>(() => F.Store.CreateExperimentAsync("exp", [], default));
        Assert.Equal("RESOURCE_ALREADY_EXISTS", error.ErrorCode);
        Assert.Equal(400, error.HttpStatus);
        Assert.False(error.Transient);
    }

    [Fact]
    public async Task Query_values_are_escaped()
    {
        var name = "a b+c&d=e/é?";
        await F.Store.CreateExperimentAsync(name, [], default);
        Assert.Equal(name, (await F.Store.GetExperimentByNameAsync(name, default))!.Name);
        Assert.DoesNotContain("+", F.Last("/experiments/get-by-name").Query, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_run_is_created_with_name_start_time_and_tags_and_finished_with_end_time()
    {
        var experiment = await F.Store.CreateExperimentAsync("exp", [], default);
        var run = await F.Store.CreateRunAsync(experiment, "train", RestFixture.T0, [new Tag("mlops.target", "Train")], default);

        Assert.Equal(32, run.RunId.Length);
        Assert.Equal(experiment, run.ExperimentId);
        Assert.Equal("train", run.RunName);
        Assert.Equal(RunStatus.Running, run.Status);
        Assert.Equal(RestFixture.T0, run.StartTime);
        Assert.Null(run.EndTime);
        Assert.Equal($"mlflow-artifacts:/{experiment}/{run.RunId}/artifacts", run.ArtifactUri);
        Assert.Equal("active", run.LifecycleStage);
        var body = RestFixture.BodyOf(F.Last("/runs/create"));
        Assert.Equal(["experiment_id", "run_name", "start_time", "tags", "user_id"], Keys(body));
        Assert.Equal(JsonValueKind.Number, body.GetProperty("start_time").ValueKind);
        Assert.Equal("unknown", body.GetProperty("user_id").GetString()); // no mlflow.user tag: MLflow's client says "unknown" too

        var finished = await F.Store.UpdateRunAsync(run.RunId, RunStatus.Finished, RestFixture.T0 + 5000, default);

        Assert.Equal(RunStatus.Finished, finished.Status);
        Assert.Equal(RestFixture.T0 + 5000, finished.EndTime);
        var update = RestFixture.BodyOf(F.Last("/runs/update"));
        Assert.Equal(["end_time", "run_id", "status"], Keys(update));
        Assert.Equal("FINISHED", update.GetProperty("status").GetString());
        Assert.Equal("FINISHED", F.Server.Run(run.RunId).Status);
    }

    [Fact]
    public async Task A_run_s_user_id_is_its_mlflow_user_tag_as_MLflow_s_client_sends_it()
    {
        var experiment = await F.Store.CreateExperimentAsync("exp", [], default);
        var run = await F.Store.CreateRunAsync(experiment, "train", RestFixture.T0, [new Tag("mlflow.user", "alice"), new Tag("mlops.target", "Train")], default);

        Assert.Equal("alice", RestFixture.BodyOf(F.Last("/runs/create")).GetProperty("user_id").GetString());
        Assert.Equal("alice", F.Server.Run(run.RunId).UserId);
    }

    [Theory]
    [InlineData(nameof(RunStatus.Failed), "FAILED")]
    [InlineData(nameof(RunStatus.Killed), "KILLED")]
    [InlineData(nameof(RunStatus.Scheduled), "SCHEDULED")]
    [InlineData(nameof(RunStatus.Running), "RUNNING")]
    public async Task Every_status_has_its_wire_name(string name, string wire)
    {
        var status = Enum.Parse<RunStatus>(name);
        var (_, run) = await F.NewRunAsync();
        var info = await F.Store.UpdateRunAsync(run.RunId, status, RestFixture.T0 + 1, default);
        Assert.Equal(status, info.Status);
        Assert.Equal(wire, F.Server.Run(run.RunId).Status);
    }

    [Fact]
    public async Task Without_a_name_the_server_names_the_run()
    {
        var experiment = await F.Store.CreateExperimentAsync("exp", [], default);
        var run = await F.Store.CreateRunAsync(experiment, "", RestFixture.T0, [], default);
        Assert.StartsWith("fake-run-", run.RunName, StringComparison.Ordinal);
        Assert.False(RestFixture.BodyOf(F.Last("/runs/create")).TryGetProperty("run_name", out _));
    }

    [Fact]
    public async Task Get_run_reads_latest_metrics_params_and_tags()
    {
        var (_, run) = await F.NewRunAsync();
        await F.Store.LogBatchAsync(run.RunId,
            [new Metric("loss", 0.9, RestFixture.T0, 0), new Metric("loss", 0.4, RestFixture.T0 + 10, 1), new Metric("acc", 0.7, RestFixture.T0, 0)],
            [new Param("lr", "0.01"), new Param("empty", "")],
            [new Tag("stage", "a"), new Tag("note", "")],
            default);

        var read = await F.Store.GetRunAsync(run.RunId, default);

        Assert.Equal(run, read.Info);
        Assert.Equal(
            [new Metric("acc", 0.7, RestFixture.T0, 0), new Metric("loss", 0.4, RestFixture.T0 + 10, 1)],
            read.Metrics.OrderBy(m => m.Key, StringComparer.Ordinal));
        Assert.Equal([new Param("empty", ""), new Param("lr", "0.01")], read.Params.OrderBy(p => p.Key, StringComparer.Ordinal));
        Assert.Contains(new Tag("stage", "a"), read.Tags);
        Assert.Contains(new Tag("note", ""), read.Tags);
        Assert.Contains(new Tag("mlflow.runName", "run"), read.Tags);
    }

    [Fact]
    public async Task A_run_without_data_reads_as_empty_lists()
    {
        var (_, run) = await F.NewRunAsync(runName: "bare");
        var read = await F.Store.GetRunAsync(run.RunId, default);
        Assert.Empty(read.Metrics);
        Assert.Empty(read.Params);
        Assert.Equal([new Tag("mlflow.runName", "bare")], read.Tags);
    }

    [Fact]
    public async Task Metric_history_keeps_the_logged_order_and_non_finite_values_travel_as_strings()
    {
        var (_, run) = await F.NewRunAsync();
        double[] values = [double.NaN, double.PositiveInfinity, double.NegativeInfinity, 0.1, -1e-300, double.MaxValue];
        var metrics = values.Select((v, i) => new Metric("m", v, RestFixture.T0 + i, 10 - i)).ToList();

        await F.Store.LogBatchAsync(run.RunId, metrics, [], [], default);
        var history = await F.Store.GetMetricHistoryAsync(run.RunId, "m", default);

        Assert.Equal(metrics, history);
        var sent = RestFixture.BodyOf(F.Last("/runs/log-batch")).GetProperty("metrics").EnumerateArray().ToList();
        Assert.Equal(["NaN", "Infinity", "-Infinity"], sent.Take(3).Select(m => m.GetProperty("value").GetString()));
        Assert.Equal(0.1, sent[3].GetProperty("value").GetDouble());
        Assert.All(sent, m => Assert.Equal(JsonValueKind.Number, m.GetProperty("timestamp").ValueKind));
        Assert.All(sent, m => Assert.Equal(JsonValueKind.Number, m.GetProperty("step").ValueKind));
        Assert.Equal(double.NaN, F.Server.Run(run.RunId).Metrics[0].Value);
    }

    [Fact]
    public async Task Metric_history_follows_page_tokens()
    {
        F.Server.PageSize = 2;
        var (_, run) = await F.NewRunAsync();
        var metrics = Enumerable.Range(0, 5).Select(i => new Metric("m", i, RestFixture.T0 + i, i)).ToList();
        await F.Store.LogBatchAsync(run.RunId, metrics, [], [], default);

        Assert.Equal(metrics, await F.Store.GetMetricHistoryAsync(run.RunId, "m", default));
        Assert.Equal(3, F.Server.Count("/metrics/get-history"));
        Assert.Contains("page_token=", F.Last("/metrics/get-history").Query, StringComparison.Ordinal);
        Assert.Empty(await F.Store.GetMetricHistoryAsync(run.RunId, "other", default));
    }

    [Fact]
    public async Task Params_are_write_once_the_same_value_again_is_fine_a_different_one_is_rejected()
    {
        var (_, run) = await F.NewRunAsync();
        await F.Store.LogBatchAsync(run.RunId, [], [new Param("lr", "0.1")], [], default);
        await F.Store.LogBatchAsync(run.RunId, [], [new Param("lr", "0.1")], [], default);

        var error = await Assert.ThrowsAsync<TrackingException>(() => F.Store.LogBatchAsync(run.RunId, [], [new Param("lr", "0.2")], [], default));

        Assert.Equal("INVALID_PARAMETER_VALUE", error.ErrorCode);
        Assert.Equal(400, error.HttpStatus);
        Assert.Contains("Changing param values is not allowed", error.Message, StringComparison.Ordinal);
        Assert.Equal("0.1", F.Server.Run(run.RunId).Params["lr"]);
    }

    [Fact]
    public async Task Tags_are_overwritten()
    {
        var (_, run) = await F.NewRunAsync();
        await F.Store.LogBatchAsync(run.RunId, [], [], [new Tag("t", "1")], default);
        await F.Store.LogBatchAsync(run.RunId, [], [], [new Tag("t", "2")], default);
        Assert.Equal("2", F.Server.Run(run.RunId).Tags["t"]);
    }

    [Fact]
    public async Task An_empty_batch_sends_only_the_run_id()
    {
        var (_, run) = await F.NewRunAsync();
        await F.Store.LogBatchAsync(run.RunId, [], [], [], default);
        Assert.Equal(["run_id"], Keys(RestFixture.BodyOf(F.Last("/runs/log-batch"))));
    }

    [Fact]
    public async Task Writing_to_a_deleted_run_is_invalid_parameter_value()
    {
        var (_, run) = await F.NewRunAsync();
        F.Server.DeleteRun(run.RunId);
        var error = await Assert.ThrowsAsync<TrackingException>(() => F.Store.LogBatchAsync(run.RunId, [], [], [new Tag("a", "b")], default));
        Assert.Equal("INVALID_PARAMETER_VALUE", error.ErrorCode);
        Assert.Contains("active", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_run_is_resource_does_not_exist_with_status_404()
    {
        var error = await Assert.ThrowsAsync<TrackingException>(() => F.Store.GetRunAsync("0123456789abcdef0123456789abcdef", default));
        Assert.Equal("RESOURCE_DOES_NOT_EXIST", error.ErrorCode);
        Assert.Equal(404, error.HttpStatus);
        Assert.Equal("Run with id=0123456789abcdef0123456789abcdef not found", error.Message);
    }

    [Fact]
    public async Task Dataset_inputs_are_logged_once_per_name_and_digest()
    {
        var (_, run) = await F.NewRunAsync();
        var dataset = new Dataset("train", "abc123", "local", """{"uri": "/data/train.parquet"}""", """{"mlflow_colspec": []}""", """{"num_rows": 10}""");
        var input = new DatasetInput(dataset, [new Tag("mlflow.data.context", "training")]);

        await F.Store.LogInputsAsync(run.RunId, [input], default);
        await F.Store.LogInputsAsync(run.RunId, [input, new DatasetInput(dataset with { Digest = "def", Schema = null, Profile = null }, [])], default);

        var inputs = F.Server.Run(run.RunId).Inputs;
        Assert.Equal(2, inputs.Count);
        Assert.Equal("""{"uri": "/data/train.parquet"}""", inputs[0].Source);
        Assert.Equal("training", inputs[0].Tags["mlflow.data.context"]);
        Assert.Null(inputs[1].Schema);
        var sent = RestFixture.BodyOf(F.Last("/runs/log-inputs")).GetProperty("datasets")[1];
        Assert.Equal(["dataset"], Keys(sent));
        Assert.Equal(["digest", "name", "source", "source_type"], Keys(sent.GetProperty("dataset")));
    }

    [Fact]
    public async Task Runs_are_found_by_tag_exactly()
    {
        var (experiment, a) = await F.NewRunAsync(tags: [new Tag("mlops.key", "k1")]);
        var (_, b) = await F.NewRunAsync(tags: [new Tag("mlops.key", "k1")]);
        await F.NewRunAsync(tags: [new Tag("mlops.key", "k2")]);
        await F.NewRunAsync();
        var other = await F.Store.CreateExperimentAsync("other", [], default);
        await F.Store.CreateRunAsync(other, "x", RestFixture.T0, [new Tag("mlops.key", "k1")], default);

        var found = await F.Store.FindRunsByTagAsync(experiment, "mlops.key", "k1", default);

        Assert.Equal(new[] { a.RunId, b.RunId }.Order(StringComparer.Ordinal), found.Order(StringComparer.Ordinal));
        var body = RestFixture.BodyOf(F.Last("/runs/search"));
        Assert.Equal("tags.`mlops.key` = 'k1'", body.GetProperty("filter").GetString());
        Assert.Equal([experiment], body.GetProperty("experiment_ids").EnumerateArray().Select(e => e.GetString()));
        Assert.Empty(await F.Store.FindRunsByTagAsync(experiment, "mlops.key", "none", default));
    }

    [Theory]
    [InlineData("it's")]
    [InlineData("say \"hi\"")]
    [InlineData("both ' and \"")]
    [InlineData("back\\slash")]
    [InlineData("")]
    public async Task Runs_are_found_by_tag_values_with_quotes(string value)
    {
        var (experiment, a) = await F.NewRunAsync(tags: [new Tag("k", value)]);
        await F.NewRunAsync(tags: [new Tag("k", value + "x")]);
        await F.NewRunAsync(tags: [new Tag("k", "it")]);

        Assert.Equal([a.RunId], await F.Store.FindRunsByTagAsync(experiment, "k", value, default));
    }

    [Fact]
    public void Tag_filters_pick_quotes_mlflow_can_read()
    {
        Assert.Equal("tags.`a b/c` = 'x'", RestTrackingStore.TagFilter("a b/c", "x"));
        Assert.Equal("tags.`k` = \"it's\"", RestTrackingStore.TagFilter("k", "it's"));
        Assert.Null(RestTrackingStore.TagFilter("k", "'\""));
    }

    [Fact]
    public async Task Run_search_follows_page_tokens()
    {
        F.Server.PageSize = 2;
        var tag = new Tag("group", "g");
        var ids = new List<string>();
        string experiment = "";
        for (var i = 0; i < 5; i++)
        {
            var (e, run) = await F.NewRunAsync(tags: [tag]);
            experiment = e;
            ids.Add(run.RunId);
        }

        var found = await F.Store.FindRunsByTagAsync(experiment, "group", "g", default);

        Assert.Equal(ids.Order(StringComparer.Ordinal), found.Order(StringComparer.Ordinal));
        Assert.Equal(3, F.Server.Count("/runs/search"));
        var last = RestFixture.BodyOf(F.Last("/runs/search"));
        Assert.True(last.TryGetProperty("page_token", out _));
        Assert.Equal(1000, last.GetProperty("max_results").GetInt32());
    }

    [Fact]
    public async Task Every_request_says_who_sends_it()
    {
        await F.NewRunAsync();
        Assert.All(F.Server.Requests, r => Assert.Equal($"mlops-pipelines/{RestTransport.Version}", r.UserAgent));
        Assert.All(F.Server.Requests, r => Assert.StartsWith("/api/2.0/mlflow/", r.Path, StringComparison.Ordinal));
        Assert.All(F.Server.Requests.Where(r => r.Method == "POST"), r => Assert.Equal("application/json", r.ContentType));
        Assert.All(F.Server.Requests, r => Assert.Null(r.Authorization));
        Assert.Matches(@"^\d+\.\d+\.\d+", RestTransport.Version);
    }

    [Fact]
    public void Location_is_the_tracking_uri() =>
        Assert.Equal(F.Server.BaseUri.AbsoluteUri.TrimEnd('/'), F.Store.Location);
}
