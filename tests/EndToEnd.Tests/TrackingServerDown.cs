using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using MlOps.Pipelines.Tests.Tracking.Rest;

namespace EndToEnd.Tests;

/// <summary>./build.sh with its MLflow server down: not held up, Deploy fails naming the server, SyncRuns delivers later.</summary>
public sealed class TrackingServerDown : IDisposable
{
    readonly RepositoryCopy _copy = new();

    public void Dispose() => _copy.Dispose();

    /// <summary>A port on 127.0.0.1 nobody listens on: bound, then released.</summary>
    static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    (BuildResult Result, TimeSpan Wall) Timed(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var clock = Stopwatch.StartNew();
        var result = _copy.Build(environment, args);
        return (result, clock.Elapsed);
    }

    [Fact]
    public async Task The_build_finishes_within_30_s_of_an_untracked_one_and_SyncRuns_then_delivers_every_run_once()
    {
        Assert.Equal(0, _copy.Build("--help").ExitCode); // compiles build/ once, outside the timings
        var (untracked, untrackedWall) = Timed(new Dictionary<string, string>(), "--tracking", "false", "--no-cache");
        Assert.True(untracked.ExitCode == 0, untracked.ToString());

        var port = ClosedPort();
        var down = $"http://127.0.0.1:{port}";
        var (build, wall) = Timed(new Dictionary<string, string> { ["MLFLOW_TRACKING_URI"] = down }, "--no-cache");

        Assert.True(build.ExitCode == 1, build.ToString());
        Assert.True(wall <= untrackedWall + TimeSpan.FromSeconds(30), $"untracked {untrackedWall.TotalSeconds:0.0} s, server down {wall.TotalSeconds:0.0} s");
        var failure = build.Out.Split('\n').Single(l => l.StartsWith("error: Deploy failed: ", StringComparison.Ordinal));
        Assert.StartsWith($"error: Deploy failed: The model registry at {down} ", failure, StringComparison.Ordinal);
        Assert.EndsWith("nothing was registered.", failure.TrimEnd(), StringComparison.Ordinal);
        Assert.DoesNotContain("stack trace", build.All, StringComparison.Ordinal);
        Assert.Contains($"the tracking store at {down} is unreachable", build.All, StringComparison.Ordinal);
        Assert.Contains("./build.sh SyncRuns sends them", build.All, StringComparison.Ordinal);
        var journals = _copy.PathOf(".nuke/tracking");
        var kept = Path.Combine(Path.GetTempPath(), "mlops-e2e-journal-" + Guid.NewGuid().ToString("N"));
        CopyDirectory(journals, kept);

        try
        {
            // The server comes back where it was (a journal belongs to its store), and SyncRuns delivers.
            var environment = new Dictionary<string, string> { ["MLFLOW_TRACKING_URI"] = down };
            string delivered;
            await using (var server = await FakeMlflowServer.StartAsync(port: port))
            {
                var sync = _copy.Build(environment, "SyncRuns");
                Assert.True(sync.ExitCode == 0, sync.ToString());
                Assert.Empty(Directory.GetDirectories(journals));
                var targets = new[] { "Validate", "Features", "Train", "Evaluate", "Deploy" };
                Assert.Equal(targets.Length + 1, server.Runs.Count);
                foreach (var target in targets) Assert.Single(server.Runs, r => r.RunName == target);
                Assert.Equal("FAILED", server.Runs.Single(r => r.RunName == "Deploy").Status);
                Assert.Equal("FAILED", server.Runs.Single(r => r.RunName.StartsWith("FlightDelays ", StringComparison.Ordinal)).Status);
                Assert.NotEmpty(server.Runs.Single(r => r.RunName == "Train").Metrics);
                delivered = server.DumpState();
                Assert.DoesNotContain("model FlightDelays", delivered, StringComparison.Ordinal); // nothing registered
            }

            // The same journal again, to a server that loses answers, answers 503 and resets connections.
            CopyDirectory(kept, journals);
            await using var faulty = await FakeMlflowServer.StartAsync(port: port);
            faulty.InjectRandomFaults(new FaultMix(LostResponses: 0.2, Unavailable: 0.2, Resets: 0.1), seed: 12);
            environment["MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR"] = "0";
            environment["MLFLOW_HTTP_REQUEST_BACKOFF_JITTER"] = "0";
            environment["MLFLOW_HTTP_REQUEST_MAX_RETRIES"] = "9";
            var faultySync = _copy.Build(environment, "SyncRuns");
            Assert.True(faultySync.ExitCode == 0, faultySync.ToString());
            Assert.True(faulty.RandomFaults.Values.Sum() >= 5, $"only {faulty.RandomFaults.Values.Sum()} faults");
            Assert.Equal(delivered, faulty.DumpState());
        }
        finally
        {
            Directory.Delete(kept, recursive: true);
        }
    }

    static void CopyDirectory(string from, string to)
    {
        foreach (var file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target, overwrite: true);
        }
        Directory.CreateDirectory(to);
    }
}
