using MlOps.Pipelines.Tracking;
using MlOps.Pipelines.Tracking.Rest;

namespace MlOps.Pipelines.Tests.Tracking.Rest;

/// <summary>Error answers (JSON and not), answers that are not MLflow's, and the limits checked before sending.</summary>
public sealed class RestErrorTests : RestTestBase
{
    async Task<TrackingException> FailingCreateAsync() =>
        await Assert.ThrowsAsync<TrackingException>(() => F.Store.CreateExperimentAsync("exp", [], default));

    [Theory]
    [InlineData(400, "BAD_REQUEST")]
    [InlineData(404, "ENDPOINT_NOT_FOUND")]
    [InlineData(405, "HTTP_405")]
    [InlineData(500, "INTERNAL_ERROR")]
    [InlineData(502, "HTTP_502")]
    [InlineData(503, "TEMPORARILY_UNAVAILABLE")]
    [InlineData(504, "DEADLINE_EXCEEDED")]
    [InlineData(401, "UNAUTHENTICATED")]
    [InlineData(403, "PERMISSION_DENIED")]
    [InlineData(418, "HTTP_418")]
    public async Task A_non_json_error_gets_a_code_from_its_status(int status, string code)
    {
        F.Environment[RestTrackingOptions.MaxRetriesVariable] = "0";
        F.Server.Inject(ServerFault.ProxyHtml(status));
        var error = await FailingCreateAsync();
        Assert.Equal(code, error.ErrorCode);
        Assert.Equal(status, error.HttpStatus);
        Assert.Contains($"POST /mlflow/experiments/create answered HTTP {status}", error.Message, StringComparison.Ordinal);
        Assert.Contains("text/html body", error.Message, StringComparison.Ordinal);
        Assert.Contains("nginx", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_json_body_without_error_code_is_treated_as_non_json()
    {
        F.Server.Inject(ServerFault.Answer(400, """{"detail": "no"}"""));
        var error = await FailingCreateAsync();
        Assert.Equal("BAD_REQUEST", error.ErrorCode);
        Assert.Contains("detail", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_json_error_keeps_code_and_message_and_ignores_extra_keys()
    {
        F.Server.Inject(ServerFault.Answer(400, """{"error_code": "INVALID_STATE", "message": "corrupted", "stack_trace": "..."}"""));
        var error = await FailingCreateAsync();
        Assert.Equal("INVALID_STATE", error.ErrorCode);
        Assert.Equal("corrupted", error.Message);
        Assert.Equal(400, error.HttpStatus);
    }

    [Fact]
    public async Task A_real_405_from_the_fake_server()
    {
        // The fake's own routing: the alias endpoint has no PUT; reach it through a raw request to show the shape.
        using var http = new HttpClient();
        var response = await http.PutAsync(F.Server.Url("/api/2.0/mlflow/runs/create"), new StringContent("{}"));
        Assert.Equal(405, (int)response.StatusCode);
        Assert.StartsWith("text/html", response.Content.Headers.ContentType!.ToString(), StringComparison.Ordinal);
        Assert.Equal("POST", string.Join(",", response.Content.Headers.Allow));
    }

    [Theory]
    [InlineData("<html>oops</html>", "text/html")]
    [InlineData("[]", "application/json")]
    [InlineData("\"ok\"", "application/json")]
    [InlineData("", "application/json")]
    [InlineData("{\"experiment_id\": ", "application/json")]
    public async Task A_200_whose_body_is_not_a_json_object_is_an_error(string body, string contentType)
    {
        F.Server.Inject(ServerFault.Answer(200, body, contentType));
        var error = await FailingCreateAsync();
        Assert.Equal("INTERNAL_ERROR", error.ErrorCode);
        Assert.Equal(200, error.HttpStatus);
        Assert.False(error.Transient);
        Assert.Contains("not valid MLflow JSON", error.Message, StringComparison.Ordinal);
        Assert.Single(F.Server.Requests);
    }

    [Fact]
    public async Task A_field_of_the_wrong_type_in_an_answer_is_an_error_not_a_default()
    {
        F.Server.Inject(ServerFault.Answer(200, """{"experiment_id": 12}"""));
        var error = await FailingCreateAsync();
        Assert.Contains("experiment_id", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Absent_fields_in_answers_read_as_empty_and_int64_strings_are_accepted()
    {
        var (_, run) = await F.NewRunAsync();
        var body = "{\"run\": {\"info\": {\"run_id\": \"" + run.RunId + "\", \"start_time\": \"1700000000000\"}}}";
        F.Server.Inject(ServerFault.Answer(200, body), "/runs/get");
        var read = await F.Store.GetRunAsync(run.RunId, default);
        Assert.Equal(new RunInfo(run.RunId, "", "", RunStatus.Running, RestFixture.T0, null, "", ""), read.Info);
        Assert.Empty(read.Metrics);
        Assert.Empty(read.Params);
        Assert.Empty(read.Tags);
    }

    [Fact]
    public async Task A_redirect_is_reported_not_followed()
    {
        F.Server.Inject(new ServerFault(FaultKind.Status, 302, Body: "", ContentType: "text/html"));
        var error = await FailingCreateAsync();
        Assert.Equal("HTTP_302", error.ErrorCode);
        Assert.Single(F.Server.Requests);
    }

    // Limits (spec §2.5), checked before anything is sent.

    static readonly Dictionary<string, Func<ITrackingStore, string, Task>> Calls = new(StringComparer.Ordinal)
    {
        { "metric name: 'a//b'", (s, r) => s.LogBatchAsync(r, [new Metric("a//b", 1, RestFixture.T0, 0)], [], [], default) },
        { "metric name: 'bad:key'", (s, r) => s.LogBatchAsync(r, [new Metric("bad:key", 1, RestFixture.T0, 0)], [], [], default) },
        { "metric name: '/abs'", (s, r) => s.LogBatchAsync(r, [new Metric("/abs", 1, RestFixture.T0, 0)], [], [], default) },
        { "metric name: 'a/./b'", (s, r) => s.LogBatchAsync(r, [new Metric("a/./b", 1, RestFixture.T0, 0)], [], [], default) },
        { "metric name: '..up'", (s, r) => s.LogBatchAsync(r, [new Metric("..up", 1, RestFixture.T0, 0)], [], [], default) },
        { "metric name: 'end/'", (s, r) => s.LogBatchAsync(r, [new Metric("end/", 1, RestFixture.T0, 0)], [], [], default) },
        { "metric name: ''", (s, r) => s.LogBatchAsync(r, [new Metric("", 1, RestFixture.T0, 0)], [], [], default) },
        { "had length 251", (s, r) => s.LogBatchAsync(r, [new Metric(new string('k', 251), 1, RestFixture.T0, 0)], [], [], default) },
        { "timestamp of metric 'sec'", (s, r) => s.LogBatchAsync(r, [new Metric("sec", 1, 1_700_000_000, 0)], [], [], default) },
        { "Param value for key 'long'", (s, r) => s.LogBatchAsync(r, [], [new Param("long", new string('v', 6001))], [], default) },
        { "submitted: ['dup']", (s, r) => s.LogBatchAsync(r, [], [new Param("dup", "1"), new Param("dup", "1")], [], default) },
        { "parameter name: 'p?'", (s, r) => s.LogBatchAsync(r, [], [new Param("p?", "1")], [], default) },
        { "Tag value for key 'long'", (s, r) => s.LogBatchAsync(r, [], [], [new Tag("long", new string('v', 8001))], default) },
        { "at most 1000 metrics. Got 1001", (s, r) => s.LogBatchAsync(r, [.. Enumerable.Range(0, 1001).Select(i => new Metric("m", i, RestFixture.T0, i))], [], [], default) },
        { "at most 100 params. Got 101", (s, r) => s.LogBatchAsync(r, [], [.. Enumerable.Range(0, 101).Select(i => new Param($"p{i}", "v"))], [], default) },
        { "at most 100 tags. Got 101", (s, r) => s.LogBatchAsync(r, [], [], [.. Enumerable.Range(0, 101).Select(i => new Tag($"t{i}", "v"))], default) },
        { "params, and tags. Got 1050", (s, r) => s.LogBatchAsync(r, [.. Enumerable.Range(0, 950).Select(i => new Metric("m", i, RestFixture.T0, i))], [.. Enumerable.Range(0, 100).Select(i => new Param($"p{i}", "v"))], [], default) },
        { "bytes", (s, r) => s.LogBatchAsync(r, [], [.. Enumerable.Range(0, 100).Select(i => new Param($"p{i}", new string('\u00e9', 6000)))], [], default) },
        { "Experiment name exceeds the maximum length of 500", (s, _) => s.CreateExperimentAsync(new string('e', 501), [], default) },
        { "Invalid experiment name: ''", (s, _) => s.CreateExperimentAsync("", [], default) },
        { "Experiment tag value for key 'x'", (s, _) => s.CreateExperimentAsync("e", [new Tag("x", new string('v', 5001))], default) },
        { "tag mlflow.runName", (s, _) => s.CreateRunAsync("0", "a", RestFixture.T0, [new Tag("mlflow.runName", "b")], default) },
        { "start time", (s, _) => s.CreateRunAsync("0", "a", 1_700_000_000_000_000, [], default) },
        { "experiment ID: '../0'", (s, _) => s.CreateRunAsync("../0", "a", RestFixture.T0, [], default) },
        { "run ID: 'x/../y'", (s, _) => s.GetRunAsync("x/../y", default) },
        { "Dataset digest exceeds the maximum length of 36", (s, r) => s.LogInputsAsync(r, [new DatasetInput(new Dataset("d", new string('0', 37), "local", "{}", null, null), [])], default) },
        { "Dataset source cannot be empty (dataset 'd')", (s, r) => s.LogInputsAsync(r, [new DatasetInput(new Dataset("d", "1", "local", "", null, null), [])], default) },
        { "InputTag value for key 'k'", (s, r) => s.LogInputsAsync(r, [new DatasetInput(new Dataset("d", "1", "local", "{}", null, null), [new Tag("k", new string('v', 501))])], default) },
        { "'latest' alias name", (s, _) => s.SetAliasAsync("m", "latest", "1", default) },
        { "alias name 'V12' is reserved", (s, _) => s.SetAliasAsync("m", "V12", "1", default) },
        { "Invalid alias name: 'a b'", (s, _) => s.SetAliasAsync("m", "a b", "1", default) },
        { "alias name cannot be empty", (s, _) => s.DeleteAliasAsync("m", "", default) },
        { "got 'one'", (s, _) => s.GetModelVersionAsync("m", "one", default) },
        { "Model version tag value for key 'k'", (s, r) => s.CreateModelVersionAsync("m", r, "model", [new Tag("k", new string('v', 5001))], default) },
        { "artifact path: '../model'", (s, r) => s.CreateModelVersionAsync("m", r, "../model", [], default) },
    };

    public static TheoryData<string> Violations => [.. Calls.Keys];

    [Theory]
    [MemberData(nameof(Violations))]
    public async Task Limits_are_checked_before_sending_with_a_message_naming_the_item(string named)
    {
        var call = Calls[named];
        var (_, run) = await F.NewRunAsync();
        var before = F.Server.Requests.Count;

        var error = await Assert.ThrowsAsync<TrackingException>(() => call(F.Store, run.RunId));

        Assert.Equal("INVALID_PARAMETER_VALUE", error.ErrorCode);
        Assert.Equal(400, error.HttpStatus);
        Assert.False(error.Transient);
        Assert.Contains(named, error.Message, StringComparison.Ordinal);
        Assert.Equal(before, F.Server.Requests.Count);
    }

    [Fact]
    public async Task Values_at_the_limits_are_accepted_by_client_and_server()
    {
        var (experiment, run) = await F.NewRunAsync();
        await F.Store.LogBatchAsync(run.RunId,
            [.. Enumerable.Range(0, 900).Select(i => new Metric("a/b.c d-e_é", i, RestFixture.T0, i))],
            [.. Enumerable.Range(0, 50).Select(i => new Param($"p{i}", new string('v', 6000)))],
            [new Tag(new string('k', 250), new string('v', 8000)), new Tag("empty", "")],
            default);
        await F.Store.LogInputsAsync(run.RunId, [new DatasetInput(new Dataset(new string('n', 500), new string('0', 36), "local", "{}", null, null), [new Tag(new string('k', 255), new string('v', 500))])], default);
        await F.Store.CreateExperimentAsync(new string('e', 500), [new Tag("x", new string('v', 5000))], default);
        Assert.Equal(900, F.Server.Run(run.RunId).Metrics.Count);
        Assert.NotEmpty(experiment);
    }
}
