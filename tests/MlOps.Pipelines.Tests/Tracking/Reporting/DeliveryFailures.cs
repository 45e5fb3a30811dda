using MlOps.Pipelines.Tests.Tracking.Rest;

namespace MlOps.Pipelines.Tests.Tracking.Reporting;

/// <summary>A build whose tracking server is down or refuses the credentials: it is not held up, and nothing is lost.</summary>
public sealed class DeliveryFailures : IDisposable
{
    const string Closed = "http://127.0.0.1:9"; // the discard port: nothing listens
    readonly Harness _harness = new();

    public void Dispose() => _harness.Dispose();

    sealed class Shipping : MlPipeline
    {
        public Target Train => _ => _
            .Cached(false)
            .Executes(context => context.LogMetric("loss", 0.5));

        public Target Ship => _ => _
            .Cached(false)
            .DependsOn(Train)
            .Executes(async context =>
            {
                var registry = context.Registry!;
                var folder = RootDirectory / "package";
                Directory.CreateDirectory(folder);
                await File.WriteAllTextAsync(folder / "model.txt", "v1");
                var champion = await registry.GetAsync("M", "champion");
                var version = await registry.RegisterAsync("M", folder, new Dictionary<string, string>(), ["champion"]);
                context.Info($"registered {version?.Version} (champion was {champion?.Version ?? "none"})");
            });
    }

    RunResult Build(params string[] args) => _harness.Run(new PipelineHost().Add<Shipping>(), args);

    string JournalText() => string.Concat(Directory.GetFiles(Path.Combine(_harness.Root, ".nuke", "tracking"), "journal.jsonl", SearchOption.AllDirectories).Select(File.ReadAllText));

    [Fact]
    public void With_the_server_down_a_target_that_asks_the_registry_fails_with_one_line_naming_it_and_registers_nothing()
    {
        _harness.Environment["MLFLOW_TRACKING_URI"] = Closed + "/";
        _harness.Environment["MLFLOW_HTTP_REQUEST_MAX_RETRIES"] = "0";

        var result = Build("Ship");

        Assert.True(result.ExitCode == 1, result.All);
        var line = result.Out.Split('\n').First(l => l.Contains("The model registry at", StringComparison.Ordinal));
        Assert.StartsWith("error: Ship failed: The model registry", line, StringComparison.Ordinal);
        Assert.Contains($"The model registry at {Closed} cannot be reached (", line, StringComparison.Ordinal);
        Assert.EndsWith("nothing was registered.", line.TrimEnd(), StringComparison.Ordinal);
        Assert.DoesNotContain("stack trace", result.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", result.Out, StringComparison.Ordinal);
        // Every report is journaled, the registration is not: there was none.
        var journal = JournalText();
        Assert.Contains("\"op\":\"end-run\"", journal, StringComparison.Ordinal);
        Assert.DoesNotContain("register-version", journal, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_build_against_a_server_that_loses_answers_503s_resets_and_rate_limits_reports_everything_once()
    {
        await using var server = await FakeMlflowServer.StartAsync();
        // 40% of all requests: the chance that one request fails ten times in a row (and waits in the journal) is 1e-4.
        server.InjectRandomFaults(new FaultMix(LostResponses: 0.1, Unavailable: 0.1, Resets: 0.1, TooManyRequests: 0.1), seed: 7);
        _harness.Environment["MLFLOW_TRACKING_URI"] = server.BaseUri.AbsoluteUri;
        _harness.Environment["MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR"] = "0";
        _harness.Environment["MLFLOW_HTTP_REQUEST_BACKOFF_JITTER"] = "0";
        _harness.Environment["MLFLOW_HTTP_RESPECT_RETRY_AFTER_HEADER"] = "false";
        _harness.Environment["MLFLOW_HTTP_REQUEST_MAX_RETRIES"] = "9";

        var build = Build("Ship");

        Assert.True(build.ExitCode == 0, build.All);
        Assert.Contains("registered 1 (champion was none)", build.Out, StringComparison.Ordinal);
        Assert.True(server.RandomFaults.Values.Sum() >= 5, $"only {server.RandomFaults.Values.Sum()} faults");
        Assert.Equal(3, server.Runs.Count);
        foreach (var name in new[] { "Train", "Ship" }) Assert.Equal("FINISHED", server.Runs.Single(r => r.RunName == name).Status);
        Assert.Single(server.Runs.Single(r => r.RunName == "Train").Metrics);
        Assert.Equal("1", Assert.Single(server.Model("M").Versions).Version);
        Assert.Equal("1", server.Model("M").Aliases["champion"]);
        Assert.True(Directory.GetDirectories(Path.Combine(_harness.Root, ".nuke", "tracking")).Length == 0, build.All);
    }

    [Fact]
    public async Task Refused_credentials_keep_the_journal_and_SyncRuns_with_the_right_ones_delivers_everything()
    {
        await using var server = await FakeMlflowServer.StartAsync();
        server.RequiredAuthorization = "Bearer right";
        _harness.Environment["MLFLOW_TRACKING_URI"] = server.BaseUri.AbsoluteUri;
        _harness.Environment["MLFLOW_TRACKING_TOKEN"] = "wrong";

        var build = Build("Train");
        Assert.True(build.ExitCode == 0, build.All); // tracking does not fail the build
        Assert.Contains($"the tracking server at {server.BaseUri.AbsoluteUri.TrimEnd('/')} refused the credentials (HTTP 401", build.Out, StringComparison.Ordinal);
        Assert.Contains("./build.sh SyncRuns sends them", build.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("wrong", build.All, StringComparison.Ordinal);
        Assert.Empty(server.Runs);

        var refused = Build("SyncRuns");
        Assert.True(refused.ExitCode == 1, refused.All);
        Assert.Contains("refused the credentials", refused.All, StringComparison.Ordinal);
        Assert.Single(Directory.GetDirectories(Path.Combine(_harness.Root, ".nuke", "tracking")));

        _harness.Environment["MLFLOW_TRACKING_TOKEN"] = "right";
        var sync = Build("SyncRuns");
        Assert.True(sync.ExitCode == 0, sync.All);
        Assert.Equal(2, server.Runs.Count);
        Assert.All(server.Runs, r => Assert.Equal("FINISHED", r.Status));
        Assert.Single(server.Runs.Single(r => r.RunName == "Train").Metrics);
        Assert.Empty(Directory.GetDirectories(Path.Combine(_harness.Root, ".nuke", "tracking")));
    }
}
