using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace MlOps.Pipelines.Tests.Tracking.Rest;

/// <summary>The fake server itself is strict, so that a client mistake cannot pass unnoticed. Raw HTTP, no store.</summary>
public sealed class FakeMlflowServerTests : IAsyncLifetime
{
    FakeMlflowServer _server = null!;
    readonly HttpClient _http = new();

    public async Task InitializeAsync() => _server = await FakeMlflowServer.StartAsync();

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _server.DisposeAsync();
    }

    Uri Url(string path) => _server.Url(path);

    async Task<(int Status, string ContentType, string Body)> SendAsync(string method, string path, string? json = null, string contentType = "application/json")
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), Url(path));
        if (json is not null) request.Content = new StringContent(json, Encoding.UTF8, MediaTypeHeaderValue.Parse(contentType));
        using var response = await _http.SendAsync(request);
        return ((int)response.StatusCode, response.Content.Headers.ContentType?.MediaType ?? "", await response.Content.ReadAsStringAsync());
    }

    static (string Code, string Message) ErrorOf(string body)
    {
        using var document = JsonDocument.Parse(body);
        return (document.RootElement.GetProperty("error_code").GetString()!, document.RootElement.GetProperty("message").GetString()!);
    }

    async Task<string> CreateRunAsync()
    {
        var (status, _, body) = await SendAsync("POST", "/api/2.0/mlflow/runs/create", """{"experiment_id": "0", "start_time": 1700000000000}""");
        Assert.Equal(200, status);
        using var document = JsonDocument.Parse(body);
        return document.RootElement.GetProperty("run").GetProperty("info").GetProperty("run_id").GetString()!;
    }

    async Task AssertInvalidAsync(string method, string path, string? json, string messagePart, string contentType = "application/json")
    {
        var (status, type, body) = await SendAsync(method, path, json, contentType);
        Assert.Equal(400, status);
        Assert.Equal("application/json", type);
        var (code, message) = ErrorOf(body);
        Assert.Equal("INVALID_PARAMETER_VALUE", code);
        Assert.Contains(messagePart, message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("GET", "/api/2.0/mlflow/nope")]
    [InlineData("POST", "/ajax-api/2.0/mlflow/runs/create")]
    [InlineData("GET", "/api/2.1/mlflow/runs/get?run_id=x")]
    public async Task Unknown_paths_are_html_404(string method, string path)
    {
        var (status, type, body) = await SendAsync(method, path, method == "POST" ? "{}" : null);
        Assert.Equal(404, status);
        Assert.Equal("text/html", type);
        Assert.Contains("<title>404 Not Found</title>", body, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("GET", "/api/2.0/mlflow/runs/create")]
    [InlineData("POST", "/api/2.0/mlflow/runs/get")]
    [InlineData("PATCH", "/api/2.0/mlflow/registered-models/alias")]
    [InlineData("POST", "/api/2.0/mlflow-artifacts/artifacts")]
    public async Task Wrong_methods_are_html_405(string method, string path)
    {
        var (status, type, _) = await SendAsync(method, path, method == "GET" ? null : "{}");
        Assert.Equal(405, status);
        Assert.Equal("text/html", type);
    }

    [Fact]
    public async Task Health_and_version_answer_text()
    {
        Assert.Equal((200, "text/plain", "OK"), await SendAsync("GET", "/health"));
        Assert.Equal(200, (await SendAsync("GET", "/version")).Status);
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("application/x-www-form-urlencoded")]
    public async Task A_post_body_must_be_json(string contentType) =>
        await AssertInvalidAsync("POST", "/api/2.0/mlflow/experiments/create", """{"name": "x"}""", "Content-Type must be one of", contentType);

    [Fact]
    public async Task A_delete_body_must_be_json_too() =>
        await AssertInvalidAsync("DELETE", "/api/2.0/mlflow/registered-models/alias", """{"name": "m", "alias": "a"}""", "Content-Type", "text/plain");

    [Fact]
    public async Task A_charset_parameter_is_fine()
    {
        var (status, _, _) = await SendAsync("POST", "/api/2.0/mlflow/experiments/create", """{"name": "x"}""", "application/json; charset=utf-8");
        Assert.Equal(200, status);
    }

    [Theory]
    [InlineData("/api/2.0/mlflow/experiments/create", """{"name": "x", "nmae": "y"}""", "Unknown field 'nmae'")]
    [InlineData("/api/2.0/mlflow/runs/create", """{"experiment_id": "0", "start_time": 1, "run_uuid": "x"}""", "Unknown field 'run_uuid'")]
    [InlineData("/api/2.0/mlflow/runs/create", """{"experiment_id": "0", "start_time": 1, "tags": [{"key": "a", "value": "b", "extra": 1}]}""", "Unknown field 'tags[0].extra'")]
    [InlineData("/api/2.0/mlflow/runs/log-inputs", """{"run_id": "r", "datasets": [{"dataset": {"name": "n", "digest": "d", "source_type": "s", "source": "x", "schma": "{}"}}]}""", "Unknown field 'datasets[0].dataset.schma'")]
    public async Task Unknown_fields_are_rejected(string path, string json, string message) =>
        await AssertInvalidAsync("POST", path, json, message);

    [Fact]
    public async Task Unknown_query_parameters_are_rejected() =>
        await AssertInvalidAsync("GET", "/api/2.0/mlflow/runs/get?run_id=x&runid=y", null, "Unknown query parameter 'runid'");

    [Theory]
    [InlineData("/api/2.0/mlflow/experiments/create", """{}""", "'name'")]
    [InlineData("/api/2.0/mlflow/experiments/create", """{"name": ""}""", "'name'")]
    [InlineData("/api/2.0/mlflow/runs/create", """{"experiment_id": "0"}""", "'start_time'")]
    [InlineData("/api/2.0/mlflow/runs/log-batch", """{"run_id": "r", "params": [{"key": "k"}]}""", "'params[0].value'")]
    [InlineData("/api/2.0/mlflow/runs/log-batch", """{"run_id": "r", "metrics": [{"key": "k", "value": 1}]}""", "'metrics[0].timestamp'")]
    [InlineData("/api/2.0/mlflow/runs/log-batch", """{"run_id": "r", "tags": [{"key": "", "value": "v"}]}""", "'tags[0].key'")]
    public async Task Required_fields_must_be_there_and_empty_strings_count_as_missing(string path, string json, string field) =>
        await AssertInvalidAsync("POST", path, json, "Missing value for required parameter " + field);

    [Theory]
    [InlineData("""{"experiment_id": "0", "start_time": "1700000000000"}""", "'start_time'")]
    [InlineData("""{"experiment_id": 0, "start_time": 1}""", "'experiment_id'")]
    [InlineData("""{"experiment_id": "0", "start_time": 1.5}""", "'start_time'")]
    [InlineData("""{"experiment_id": "0", "start_time": 1, "tags": {"a": "b"}}""", "'tags'")]
    [InlineData("""{"experiment_id": null, "start_time": 1}""", "'experiment_id'")]
    public async Task Field_types_are_checked(string json, string field) =>
        await AssertInvalidAsync("POST", "/api/2.0/mlflow/runs/create", json, "for parameter " + field);

    [Theory]
    [InlineData("true")]
    [InlineData("\"1.5\"")]
    [InlineData("\"nan\"")]
    public async Task Metric_values_are_numbers_or_the_three_non_finite_strings(string value)
    {
        var run = await CreateRunAsync();
        await AssertInvalidAsync("POST", "/api/2.0/mlflow/runs/log-batch", $$"""{"run_id": "{{run}}", "metrics": [{"key": "m", "value": {{value}}, "timestamp": 1}]}""", "'metrics[0].value'");
    }

    [Fact]
    public async Task Limits_are_enforced()
    {
        var run = await CreateRunAsync();
        await AssertInvalidAsync("POST", "/api/2.0/mlflow/runs/log-batch", $$"""{"run_id": "{{run}}", "params": [{"key": "a//b", "value": "1"}]}""", "normalized");
        await AssertInvalidAsync("POST", "/api/2.0/mlflow/runs/log-batch", $$"""{"run_id": "{{run}}", "params": [{"key": "a:b", "value": "1"}]}""", "Names may only contain");
        await AssertInvalidAsync("POST", "/api/2.0/mlflow/runs/log-batch", $$"""{"run_id": "{{run}}", "params": [{"key": "p", "value": "{{new string('v', 6001)}}"}]}""", "6000");
        await AssertInvalidAsync("POST", "/api/2.0/mlflow/runs/log-batch", $$"""{"run_id": "{{run}}", "tags": [{"key": "t", "value": "{{new string('v', 8001)}}"}]}""", "8000");
        await AssertInvalidAsync("POST", "/api/2.0/mlflow/runs/log-batch", $$"""{"run_id": "{{run}}", "params": [{"key": "p", "value": "1"}, {"key": "p", "value": "1"}]}""", "Duplicate parameter keys");
        var metrics = string.Join(",", Enumerable.Range(0, 1001).Select(i => $$"""{"key": "m", "value": {{i}}, "timestamp": 1}"""));
        await AssertInvalidAsync("POST", "/api/2.0/mlflow/runs/log-batch", $$"""{"run_id": "{{run}}", "metrics": [{{metrics}}]}""", "at most 1000 metrics");
        await AssertInvalidAsync("POST", "/api/2.0/mlflow/experiments/create", $$"""{"name": "{{new string('e', 501)}}"}""", "500");
        Assert.Empty(_server.Run(run).Params);
        Assert.Empty(_server.Run(run).Metrics);
    }

    [Fact]
    public async Task A_run_name_differing_from_the_run_name_tag_is_rejected() =>
        await AssertInvalidAsync("POST", "/api/2.0/mlflow/runs/create",
            """{"experiment_id": "0", "start_time": 1, "run_name": "a", "tags": [{"key": "mlflow.runName", "value": "b"}]}""", "different values");

    [Fact]
    public async Task Alias_rules_are_enforced()
    {
        await SendAsync("POST", "/api/2.0/mlflow/registered-models/create", """{"name": "m"}""");
        foreach (var alias in new[] { "latest", "LATEST", "v1", "V22", "a b", "a.b" })
            await AssertInvalidAsync("POST", "/api/2.0/mlflow/registered-models/alias", $$"""{"name": "m", "alias": "{{alias}}", "version": "1"}""", "alias");
        var (status, _, body) = await SendAsync("GET", "/api/2.0/mlflow/registered-models/alias?name=m&alias=champion");
        Assert.Equal(400, status);
        Assert.Equal(("INVALID_PARAMETER_VALUE", "Registered model alias champion not found."), ErrorOf(body));
    }

    [Fact]
    public async Task Model_version_search_understands_only_name_and_run_id_clauses()
    {
        const string Search = "/api/2.0/mlflow/model-versions/search";
        var run = await CreateRunAsync();
        await SendAsync("POST", "/api/2.0/mlflow/registered-models/create", """{"name": "m"}""");
        await SendAsync("POST", "/api/2.0/mlflow/model-versions/create", $$"""{"name": "m", "source": "mlflow-artifacts:/0/{{run}}/artifacts/model", "run_id": "{{run}}"}""");

        var filter = Uri.EscapeDataString($"name = 'm' AND run_id = '{run}'");
        var (status, _, body) = await SendAsync("GET", $"{Search}?filter={filter}&max_results=5");
        Assert.Equal(200, status);
        using (var document = JsonDocument.Parse(body))
            Assert.Equal("1", document.RootElement.GetProperty("model_versions").EnumerateArray().Single().GetProperty("version").GetString());
        Assert.Equal((200, "{}"), ((await SendAsync("GET", $"{Search}?filter={Uri.EscapeDataString("run_id = 'none'")}")).Status, (await SendAsync("GET", $"{Search}?filter={Uri.EscapeDataString("run_id = 'none'")}")).Body));

        await AssertInvalidAsync("GET", $"{Search}?filter={Uri.EscapeDataString("tags.k = 'v'")}", null, "Invalid filter");
        await AssertInvalidAsync("GET", $"{Search}?filter={Uri.EscapeDataString("run_id = 'a' OR name = 'm'")}", null, "expected AND");
        await AssertInvalidAsync("GET", $"{Search}?order_by=name", null, "default order");
        await AssertInvalidAsync("GET", $"{Search}?max_results=0", null, "max_results");
        await AssertInvalidAsync("GET", $"{Search}?run_id={run}", null, "Unknown query parameter 'run_id'");
        await AssertInvalidAsync("GET", $"{Search}?page_token=nope", null, "Invalid page token");
    }

    [Fact]
    public async Task Errors_use_mlflows_statuses()
    {
        var (status, _, body) = await SendAsync("GET", "/api/2.0/mlflow/runs/get?run_id=abc");
        Assert.Equal((404, "RESOURCE_DOES_NOT_EXIST"), (status, ErrorOf(body).Code));
        await SendAsync("POST", "/api/2.0/mlflow/experiments/create", """{"name": "x"}""");
        (status, _, body) = await SendAsync("POST", "/api/2.0/mlflow/experiments/create", """{"name": "x"}""");
        Assert.Equal((400, "RESOURCE_ALREADY_EXISTS"), (status, ErrorOf(body).Code));
    }

    [Fact]
    public async Task Absent_fields_are_omitted_from_answers()
    {
        var run = await CreateRunAsync();
        var (_, _, body) = await SendAsync("GET", $"/api/2.0/mlflow/runs/get?run_id={run}");
        using var document = JsonDocument.Parse(body);
        var runJson = document.RootElement.GetProperty("run");
        Assert.False(runJson.GetProperty("info").TryGetProperty("end_time", out _));
        Assert.False(runJson.GetProperty("data").TryGetProperty("params", out _));
        Assert.False(runJson.GetProperty("data").TryGetProperty("metrics", out _));
        Assert.Equal("{}", (await SendAsync("POST", "/api/2.0/mlflow/runs/log-batch", $$"""{"run_id": "{{run}}"}""")).Body);
    }

    [Fact]
    public async Task Dropping_after_handling_applies_the_request_but_loses_the_answer()
    {
        _server.Inject(ServerFault.DropAfterHandling(), "/experiments/create");
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => SendAsync("POST", "/api/2.0/mlflow/experiments/create", """{"name": "lost"}"""));
        Assert.Equal("lost", _server.Experiment("lost").Name);
        var recorded = _server.Requests.Single();
        Assert.Equal(0, recorded.Status);
        Assert.Equal(FaultKind.DropAfterHandling, recorded.Fault);
    }

    [Fact]
    public async Task Dropping_before_handling_applies_nothing()
    {
        _server.Inject(ServerFault.DropBeforeHandling());
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => SendAsync("POST", "/api/2.0/mlflow/experiments/create", """{"name": "lost"}"""));
        Assert.Throws<InvalidOperationException>(() => _server.Experiment("lost"));
    }

    [Fact]
    public async Task Faults_apply_in_order_to_matching_endpoints_only()
    {
        _server.Inject(ServerFault.Unavailable("5"), "/experiments/create", times: 2);
        _server.Inject(ServerFault.TooManyRequests("1"), "/experiments/create");
        Assert.Equal(200, (await SendAsync("GET", "/api/2.0/mlflow/experiments/get?experiment_id=0")).Status);
        var statuses = new List<int>();
        for (var i = 0; i < 4; i++) statuses.Add((await SendAsync("POST", "/api/2.0/mlflow/experiments/create", $$"""{"name": "e{{i}}"}""")).Status);
        Assert.Equal([503, 503, 429, 200], statuses);
        Assert.Equal(0, _server.PendingFaults);
    }

    [Fact]
    public async Task Latency_delays_then_handles()
    {
        _server.Inject(ServerFault.Latency(TimeSpan.FromMilliseconds(200)));
        var clock = System.Diagnostics.Stopwatch.StartNew();
        Assert.Equal(200, (await SendAsync("GET", "/api/2.0/mlflow/experiments/get?experiment_id=0")).Status);
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(180), clock.Elapsed.ToString());
    }
}
