using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using MlOps.Pipelines.Tracking;
using MlOps.Pipelines.Tracking.Rest;

namespace MlOps.Pipelines.Tests.Tracking.Rest;

public sealed class RestRetryTests : RestTestBase
{
    static TimeSpan S(double seconds) => TimeSpan.FromSeconds(seconds);

    [Fact]
    public async Task A_503_is_retried_first_at_once_then_after_factor_times_two_to_the_n_plus_jitter()
    {
        F.Server.Inject(ServerFault.Unavailable(), "/mlflow/experiments/create", times: 3);
        var id = await F.Store.CreateExperimentAsync("exp", [], default);

        Assert.Equal(4, F.Server.Count("/mlflow/experiments/create"));
        // Retry 1: 0; retry 2: 2·2¹ + 0.5·1; retry 3: 2·2² + 0.5.
        Assert.Equal([S(0), S(4.5), S(8.5)], F.Delays);
        Assert.Equal("exp", F.Server.Experiment("exp").Name);
        Assert.Equal(F.Server.Experiment("exp").Id, id);
    }

    [Fact]
    public async Task After_max_retries_the_last_answer_is_the_error()
    {
        F.Server.Inject(ServerFault.Unavailable(), times: 100);
        var error = await Assert.ThrowsAsync<TrackingException>(() => F.Store.GetRunAsync("0123456789abcdef0123456789abcdef", default));

        Assert.Equal("TEMPORARILY_UNAVAILABLE", error.ErrorCode);
        Assert.Equal(503, error.HttpStatus);
        Assert.True(error.Transient);
        Assert.Equal(8, F.Server.Requests.Count); // 1 + MLFLOW_HTTP_REQUEST_MAX_RETRIES (7)
        // 0, 4, 8, 16, 32, 64, then capped at 120 (each + 0.5 jitter but the first).
        Assert.Equal([S(0), S(4.5), S(8.5), S(16.5), S(32.5), S(64.5), S(120.5)], F.Delays);
    }

    [Fact]
    public async Task Retry_settings_come_from_the_environment()
    {
        F.Environment[RestTrackingOptions.MaxRetriesVariable] = "2";
        F.Environment[RestTrackingOptions.BackoffFactorVariable] = "1";
        F.Environment[RestTrackingOptions.BackoffJitterVariable] = "0";
        F.Server.Inject(ServerFault.ProxyHtml(502), times: 100);

        var error = await Assert.ThrowsAsync<TrackingException>(() => F.Store.GetExperimentByNameAsync("exp", default));

        Assert.Equal("HTTP_502", error.ErrorCode);
        Assert.Equal(3, F.Server.Requests.Count);
        Assert.Equal([S(0), S(2)], F.Delays);
    }

    [Fact]
    public async Task No_retries_at_all_when_max_retries_is_zero()
    {
        F.Environment[RestTrackingOptions.MaxRetriesVariable] = "0";
        F.Server.Inject(ServerFault.Unavailable(), times: 100);
        await Assert.ThrowsAsync<TrackingException>(() => F.Store.GetExperimentByNameAsync("exp", default));
        Assert.Single(F.Server.Requests);
        Assert.Empty(F.Delays);
    }

    [Theory]
    [InlineData(408)]
    [InlineData(429)]
    [InlineData(500)]
    [InlineData(502)]
    [InlineData(503)]
    [InlineData(504)]
    public async Task Every_retried_status_is_retried_for_post_too(int status)
    {
        F.Server.Inject(ServerFault.Answer(status, "{}"), "/mlflow/experiments/create");
        await F.Store.CreateExperimentAsync("exp", [], default);
        Assert.Equal(2, F.Server.Count("/mlflow/experiments/create"));
        Assert.Equal([S(0)], F.Delays);
    }

    [Theory]
    [InlineData(400, "INVALID_PARAMETER_VALUE")]
    [InlineData(401, "UNAUTHENTICATED")]
    [InlineData(403, "PERMISSION_DENIED")]
    [InlineData(404, "RESOURCE_DOES_NOT_EXIST")]
    [InlineData(409, "RESOURCE_CONFLICT")]
    [InlineData(413, "BAD_REQUEST")]
    [InlineData(501, "NOT_IMPLEMENTED")]
    public async Task Other_statuses_are_not_retried(int status, string code)
    {
        F.Server.Inject(ServerFault.Answer(status, $$"""{"error_code": "{{code}}", "message": "injected"}"""));
        var error = await Assert.ThrowsAsync<TrackingException>(() => F.Store.CreateExperimentAsync("exp", [], default));
        Assert.Equal(code, error.ErrorCode);
        Assert.Equal(status, error.HttpStatus);
        Assert.Equal("injected", error.Message);
        Assert.Single(F.Server.Requests);
        Assert.Empty(F.Delays);
    }

    [Fact]
    public async Task Retry_after_seconds_on_429_replaces_the_computed_delay()
    {
        F.Server.Inject(ServerFault.TooManyRequests("7"), times: 3);
        await F.Store.CreateExperimentAsync("exp", [], default);
        Assert.Equal([S(7), S(7), S(7)], F.Delays);
    }

    [Fact]
    public async Task Retry_after_as_an_http_date_on_503_counts_from_now()
    {
        var now = new DateTimeOffset(2015, 10, 21, 7, 27, 50, TimeSpan.Zero);
        F.UtcNow = () => now;
        F.Server.Inject(ServerFault.Unavailable("Wed, 21 Oct 2015 07:28:00 GMT"));
        F.Server.Inject(ServerFault.Unavailable("Wed, 21 Oct 2015 07:00:00 GMT")); // in the past: no wait
        await F.Store.CreateExperimentAsync("exp", [], default);
        Assert.Equal([S(10), S(0)], F.Delays);
    }

    [Fact]
    public async Task Retry_after_is_ignored_when_disabled_and_on_statuses_it_does_not_apply_to()
    {
        F.Environment[RestTrackingOptions.RespectRetryAfterVariable] = "false";
        F.Server.Inject(ServerFault.TooManyRequests("60"), times: 2);
        F.Server.Inject(ServerFault.ProxyHtml(502, retryAfter: "60"));
        await F.Store.CreateExperimentAsync("exp", [], default);
        Assert.Equal([S(0), S(4.5), S(8.5)], F.Delays);
    }

    [Fact]
    public async Task A_413_is_retried_only_with_retry_after()
    {
        F.Server.Inject(ServerFault.Answer(413, "<html>too large</html>", "text/html", retryAfter: "2"));
        F.Server.Inject(ServerFault.Answer(413, "<html>too large</html>", "text/html"));
        var error = await Assert.ThrowsAsync<TrackingException>(() => F.Store.CreateExperimentAsync("exp", [], default));
        Assert.Equal("HTTP_413", error.ErrorCode);
        Assert.Equal(2, F.Server.Requests.Count);
        Assert.Equal([S(2)], F.Delays);
    }

    [Fact]
    public async Task A_connection_dropped_before_handling_is_retried_and_applied_once()
    {
        F.Server.Inject(ServerFault.DropBeforeHandling(), "/mlflow/experiments/create", times: 2);
        await F.Store.CreateExperimentAsync("exp", [], default);
        Assert.Equal(3, F.Server.Count("/mlflow/experiments/create"));
        Assert.Equal([S(0), S(4.5)], F.Delays);
        Assert.Single(F.Server.Requests, r => r.Status == 200); // applied once: Experiment() would throw on two
    }

    // Non-idempotent calls (runs/create, log-batch with metrics, model-versions/create): never repeated blindly when the
    // outcome is unknown; the caller completes them without duplicates.

    [Fact]
    public async Task A_lost_response_to_runs_create_is_not_retried_so_the_one_run_can_be_found_by_tag()
    {
        var experiment = await F.Store.CreateExperimentAsync("exp", [], default);
        F.Server.Inject(ServerFault.DropAfterHandling(), "/mlflow/runs/create");

        var error = await Assert.ThrowsAsync<TrackingException>(() => F.Store.CreateRunAsync(experiment, "run", RestFixture.T0, [new Tag("mlops.attempt", "a1")], default));

        Assert.Equal(RestErrorCodes.ConnectionError, error.ErrorCode);
        Assert.Null(error.HttpStatus);
        Assert.True(error.Transient);
        Assert.True(error.OutcomeUnknown);
        Assert.Contains("1 attempt;", error.Message, StringComparison.Ordinal);
        Assert.Equal(1, F.Server.Count("/mlflow/runs/create"));
        Assert.Empty(F.Delays);
        var run = Assert.Single(F.Server.Runs);
        Assert.Equal([run.RunId], await F.Store.FindRunsByTagAsync(experiment, "mlops.attempt", "a1", default));
    }

    [Fact]
    public async Task A_lost_response_to_log_batch_with_metrics_is_not_retried_so_points_are_not_duplicated()
    {
        var (_, run) = await F.NewRunAsync();
        F.Server.Inject(ServerFault.DropAfterHandling(), "/mlflow/runs/log-batch");

        var error = await Assert.ThrowsAsync<TrackingException>(() =>
            F.Store.LogBatchAsync(run.RunId, [new Metric("loss", 0.5, RestFixture.T0, 1)], [new Param("lr", "0.1")], [], default));

        Assert.Equal(RestErrorCodes.ConnectionError, error.ErrorCode);
        Assert.True(error.Transient);
        Assert.Equal(1, F.Server.Count("/mlflow/runs/log-batch"));
        Assert.Equal([new FakeMetric("loss", 0.5, RestFixture.T0, 1)], F.Server.Run(run.RunId).Metrics);
        Assert.Equal("0.1", F.Server.Run(run.RunId).Params["lr"]);
        Assert.Equal([new Metric("loss", 0.5, RestFixture.T0, 1)], await F.Store.GetMetricHistoryAsync(run.RunId, "loss", default));
    }

    [Fact]
    public async Task A_lost_response_to_log_batch_without_metrics_is_still_retried_params_and_tags_being_idempotent()
    {
        var (_, run) = await F.NewRunAsync();
        F.Server.Inject(ServerFault.DropAfterHandling(), "/mlflow/runs/log-batch");

        await F.Store.LogBatchAsync(run.RunId, [], [new Param("lr", "0.1")], [new Tag("t", "v")], default);

        Assert.Equal(2, F.Server.Count("/mlflow/runs/log-batch"));
        Assert.Equal([S(0)], F.Delays);
        Assert.Equal("0.1", F.Server.Run(run.RunId).Params["lr"]);
        Assert.Equal("v", F.Server.Run(run.RunId).Tags["t"]);
    }

    [Fact]
    public async Task A_lost_response_to_model_versions_create_is_not_retried_so_the_one_version_can_be_found_by_run()
    {
        var (_, run) = await F.NewRunAsync();
        await F.Store.CreateRegisteredModelAsync("model", default);
        F.Server.Inject(ServerFault.DropAfterHandling(), "/mlflow/model-versions/create");

        var error = await Assert.ThrowsAsync<TrackingException>(() => F.Store.CreateModelVersionAsync("model", run.RunId, "model", [new Tag("attempt", "a1")], default));

        Assert.Equal(RestErrorCodes.ConnectionError, error.ErrorCode);
        Assert.True(error.Transient);
        Assert.Equal(1, F.Server.Count("/mlflow/model-versions/create"));
        Assert.Single(F.Server.Model("model").Versions);
        var found = Assert.Single(await F.Store.FindModelVersionsAsync("model", run.RunId, default));
        Assert.Equal(("1", "a1"), (found.Version, found.Tags.Single(t => t.Key == "attempt").Value));
    }

    [Fact]
    public async Task A_connection_lost_before_handling_cannot_be_told_apart_so_runs_create_is_not_retried_either()
    {
        var experiment = await F.Store.CreateExperimentAsync("exp", [], default);
        F.Server.Inject(ServerFault.DropBeforeHandling(), "/mlflow/runs/create");

        var error = await Assert.ThrowsAsync<TrackingException>(() => F.Store.CreateRunAsync(experiment, "run", RestFixture.T0, [], default));

        Assert.True(error.Transient);
        Assert.True(error.OutcomeUnknown);
        Assert.Equal(1, F.Server.Count("/mlflow/runs/create"));
        Assert.Empty(F.Server.Runs);
    }

    [Fact]
    public async Task A_timeout_of_runs_create_is_not_retried()
    {
        var experiment = await F.Store.CreateExperimentAsync("exp", [], default);
        F.Environment[RestTrackingOptions.TimeoutVariable] = "0.3";
        var store = F.CreateStore();
        F.Server.Inject(ServerFault.Latency(TimeSpan.FromSeconds(30)), "/mlflow/runs/create");

        var error = await Assert.ThrowsAsync<TrackingException>(() => store.CreateRunAsync(experiment, "run", RestFixture.T0, [], default));

        Assert.Equal(RestErrorCodes.Timeout, error.ErrorCode);
        Assert.Null(error.HttpStatus);
        Assert.True(error.Transient);
        Assert.True(error.OutcomeUnknown);
        Assert.Contains("1 attempt;", error.Message, StringComparison.Ordinal);
        Assert.Empty(F.Delays); // every retry waits first (the first for 0 s): none was made
    }

    public static TheoryData<string, int> OutcomeUnknownStatuses => new()
    {
        { "runs/create", 500 }, { "runs/create", 502 }, { "runs/create", 503 }, { "runs/create", 504 },
        { "runs/log-batch", 500 }, { "runs/log-batch", 502 }, { "runs/log-batch", 503 }, { "runs/log-batch", 504 },
        { "model-versions/create", 500 }, { "model-versions/create", 502 }, { "model-versions/create", 503 }, { "model-versions/create", 504 },
    };

    [Theory]
    [MemberData(nameof(OutcomeUnknownStatuses))]
    public async Task A_5xx_to_a_non_idempotent_call_is_not_retried_and_says_the_outcome_is_unknown(string endpoint, int status)
    {
        var call = await PrepareNonIdempotentAsync(endpoint);
        var body = status == 502 ? "<html>bad gateway</html>" : $$"""{"error_code": "{{status switch { 504 => "DEADLINE_EXCEEDED", 503 => "TEMPORARILY_UNAVAILABLE", _ => "INTERNAL_ERROR" }}}", "message": "injected"}""";
        // A Retry-After on the 503 does not make it safe to repeat: a proxy may answer so after the backend applied it.
        F.Server.Inject(ServerFault.Answer(status, body, status == 502 ? "text/html" : "application/json", retryAfter: status == 503 ? "3" : null), "/mlflow/" + endpoint);
        var before = F.Server.Count("/mlflow/" + endpoint);

        var error = await Assert.ThrowsAsync<TrackingException>(call);

        Assert.Equal(status switch { 500 => "INTERNAL_ERROR", 502 => "HTTP_502", 503 => "TEMPORARILY_UNAVAILABLE", _ => "DEADLINE_EXCEEDED" }, error.ErrorCode);
        Assert.Equal(status, error.HttpStatus);
        Assert.True(error.Transient);
        Assert.True(error.OutcomeUnknown);
        Assert.Equal(status == 503 ? S(3) : (TimeSpan?)null, error.RetryAfter);
        Assert.Equal(before + 1, F.Server.Count("/mlflow/" + endpoint));
        Assert.Empty(F.Delays);
    }

    public static TheoryData<string, int> UnhandledStatuses => new()
    {
        { "runs/create", 408 }, { "runs/create", 429 },
        { "runs/log-batch", 408 }, { "runs/log-batch", 429 },
        { "model-versions/create", 408 }, { "model-versions/create", 429 },
    };

    [Theory]
    [MemberData(nameof(UnhandledStatuses))]
    public async Task A_408_or_429_to_a_non_idempotent_call_is_still_retried_and_applied_once(string endpoint, int status)
    {
        var call = await PrepareNonIdempotentAsync(endpoint);
        F.Server.Inject(ServerFault.Answer(status, "{}"), "/mlflow/" + endpoint, times: 2);
        var before = F.Server.Count("/mlflow/" + endpoint);

        await call();

        Assert.Equal(before + 3, F.Server.Count("/mlflow/" + endpoint));
        Assert.Equal([S(0), S(4.5)], F.Delays);
        switch (endpoint)
        {
            case "runs/create":
                Assert.Single(F.Server.Runs, r => r.RunName == "second");
                break;
            case "runs/log-batch":
                Assert.Single(F.Server.Runs.Single().Metrics);
                break;
            default:
                Assert.Single(F.Server.Model("model").Versions);
                break;
        }
    }

    [Fact]
    public async Task Retry_after_on_429_is_honoured_for_non_idempotent_calls()
    {
        var (experiment, _) = await F.NewRunAsync();
        F.Server.Inject(ServerFault.TooManyRequests("7"), "/mlflow/runs/create");
        F.Server.Inject(ServerFault.TooManyRequests("3"), "/mlflow/runs/create");

        await F.Store.CreateRunAsync(experiment, "second", RestFixture.T0, [], default);

        Assert.Equal([S(7), S(3)], F.Delays);
        Assert.Equal(2, F.Server.Runs.Count);
    }

    [Fact]
    public async Task A_refused_connection_means_nothing_was_sent_so_runs_create_is_retried()
    {
        int port;
        using (var listener = new TcpListener(IPAddress.Loopback, 0))
        {
            listener.Start();
            port = ((IPEndPoint)listener.LocalEndpoint).Port;
        }
        var store = F.CreateStore(new Dictionary<string, string>
        {
            [RestTrackingOptions.TrackingUriVariable] = $"http://127.0.0.1:{port}",
            [RestTrackingOptions.MaxRetriesVariable] = "2",
        });

        var error = await Assert.ThrowsAsync<TrackingException>(() => store.CreateRunAsync("0", "run", RestFixture.T0, [], default));

        Assert.Equal(RestErrorCodes.ConnectionError, error.ErrorCode);
        Assert.True(error.Transient);
        Assert.Contains("could not reach", error.Message, StringComparison.Ordinal);
        Assert.Contains("3 attempts", error.Message, StringComparison.Ordinal);
        Assert.Equal([S(0), S(4.5)], F.Delays);
    }

    /// <summary>Sets up what the non-idempotent call needs and returns it (it creates run "second", logs one point, or creates version 1).</summary>
    async Task<Func<Task>> PrepareNonIdempotentAsync(string endpoint)
    {
        var (experiment, run) = await F.NewRunAsync();
        switch (endpoint)
        {
            case "runs/create":
                return () => F.Store.CreateRunAsync(experiment, "second", RestFixture.T0, [], default);
            case "runs/log-batch":
                return () => F.Store.LogBatchAsync(run.RunId, [new Metric("loss", 0.5, RestFixture.T0, 1)], [], [], default);
            default:
                await F.Store.CreateRegisteredModelAsync("model", default);
                return () => F.Store.CreateModelVersionAsync("model", run.RunId, "model", [], default);
        }
    }

    [Fact]
    public async Task A_request_that_times_out_is_retried()
    {
        F.Environment[RestTrackingOptions.TimeoutVariable] = "0.3";
        F.Server.Inject(ServerFault.Latency(TimeSpan.FromSeconds(30)), "/mlflow/experiments/create");
        var clock = Stopwatch.StartNew();

        await F.Store.CreateExperimentAsync("exp", [], default);

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), clock.Elapsed.ToString());
        Assert.Equal(2, F.Server.Count("/mlflow/experiments/create"));
        Assert.Equal([S(0)], F.Delays);
    }

    [Fact]
    public async Task Timeouts_every_time_give_deadline_exceeded_without_status()
    {
        F.Environment[RestTrackingOptions.TimeoutVariable] = "0.2";
        F.Environment[RestTrackingOptions.MaxRetriesVariable] = "1";
        F.Server.Inject(ServerFault.Latency(TimeSpan.FromSeconds(30)), times: 2);

        var error = await Assert.ThrowsAsync<TrackingException>(() => F.Store.CreateExperimentAsync("exp", [], default));

        Assert.Equal(RestErrorCodes.Timeout, error.ErrorCode);
        Assert.Null(error.HttpStatus);
        Assert.True(error.Transient);
        Assert.Contains("2 attempts", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task No_server_at_all_is_a_transient_connection_error_after_the_retries()
    {
        int port;
        using (var listener = new TcpListener(IPAddress.Loopback, 0))
        {
            listener.Start();
            port = ((IPEndPoint)listener.LocalEndpoint).Port;
        }
        var store = F.CreateStore(new Dictionary<string, string>
        {
            [RestTrackingOptions.TrackingUriVariable] = $"http://127.0.0.1:{port}",
            [RestTrackingOptions.MaxRetriesVariable] = "2",
        });

        var error = await Assert.ThrowsAsync<TrackingException>(() => store.GetExperimentByNameAsync("exp", default));

        Assert.Equal(RestErrorCodes.ConnectionError, error.ErrorCode);
        Assert.Null(error.HttpStatus);
        Assert.True(error.Transient);
        Assert.Contains($"127.0.0.1:{port}", error.Message, StringComparison.Ordinal);
        Assert.Contains("3 attempts", error.Message, StringComparison.Ordinal);
        Assert.False(error.OutcomeUnknown); // nothing was ever sent
        Assert.Contains("Connection refused", store.LastFailure, StringComparison.Ordinal);
        Assert.Equal([S(0), S(4.5)], F.Delays);
    }

    [Fact]
    public async Task Cancellation_while_waiting_to_retry_stops_at_once()
    {
        using var cancellation = new CancellationTokenSource();
        var store = new RestTrackingStore(
            RestTrackingOptions.FromEnvironment(new Dictionary<string, string> { [RestTrackingOptions.TrackingUriVariable] = F.Server.BaseUri.AbsoluteUri }),
            new RestClientHooks
            {
                Delay = (_, token) =>
                {
                    cancellation.Cancel();
                    token.ThrowIfCancellationRequested();
                    return Task.CompletedTask;
                },
            });
        using (store)
        {
            F.Server.Inject(ServerFault.Unavailable(), times: 100);
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => store.CreateExperimentAsync("exp", [], cancellation.Token));
        }
        Assert.Single(F.Server.Requests);
    }

    [Fact]
    public void Backoff_formula()
    {
        Assert.Equal(TimeSpan.Zero, RestRetryPolicy.Backoff(1, 2, 1, 0.99));
        Assert.Equal(S(4), RestRetryPolicy.Backoff(2, 2, 1, 0));
        Assert.Equal(S(64.25), RestRetryPolicy.Backoff(6, 2, 1, 0.25));
        Assert.Equal(S(120), RestRetryPolicy.Backoff(7, 2, 1, 0));
        Assert.Equal(S(120), RestRetryPolicy.Backoff(9, 2, 0, 0.7));
        Assert.Equal(S(3), RestRetryPolicy.Backoff(3, 0.5, 2, 0.5));
    }
}
