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

    [Fact]
    public async Task A_lost_response_to_runs_create_makes_a_second_run_which_find_runs_by_tag_reveals()
    {
        var experiment = await F.Store.CreateExperimentAsync("exp", [], default);
        F.Server.Inject(ServerFault.DropAfterHandling(), "/mlflow/runs/create");

        var run = await F.Store.CreateRunAsync(experiment, "run", RestFixture.T0, [new Tag("mlops.attempt", "a1")], default);

        Assert.Equal(2, F.Server.Count("/mlflow/runs/create"));
        Assert.Equal(2, F.Server.Runs.Count);
        var found = await F.Store.FindRunsByTagAsync(experiment, "mlops.attempt", "a1", default);
        Assert.Equal(2, found.Count);
        Assert.Contains(run.RunId, found);
    }

    [Fact]
    public async Task A_lost_response_to_log_batch_duplicates_metric_points_but_params_stay_idempotent()
    {
        var (_, run) = await F.NewRunAsync();
        F.Server.Inject(ServerFault.DropAfterHandling(), "/mlflow/runs/log-batch");

        await F.Store.LogBatchAsync(run.RunId, [new Metric("loss", 0.5, RestFixture.T0, 1)], [new Param("lr", "0.1")], [], default);

        Assert.Equal(2, F.Server.Count("/mlflow/runs/log-batch"));
        Assert.Equal(2, F.Server.Run(run.RunId).Metrics.Count);
        Assert.Equal("0.1", F.Server.Run(run.RunId).Params["lr"]);
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
