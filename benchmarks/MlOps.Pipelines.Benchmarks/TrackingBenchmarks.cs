using System.Diagnostics;
using MlOps.Pipelines;
using MlOps.Pipelines.Hosting;
using MlOps.Pipelines.Tests.Tracking.Rest;

/// <summary>
/// Tracking against the strict fake MLflow server of the tests (linked into this project): how many requests
/// 10,000 metric points take, and how much a build with 10,000 points and 5 targets slows down when reported.
/// </summary>
static class TrackingBenchmarks
{
    sealed class Curves : MlPipeline
    {
        public Target Prepare => _ => _.Cached(false).Executes(Work);
        public Target Train => _ => _.Cached(false).DependsOn(Prepare).Executes(context =>
        {
            Work();
            for (var i = 0; i < 10_000; i++) context.LogMetric("loss", 1.0 / (i + 1), i);
        });
        public Target Evaluate => _ => _.Cached(false).DependsOn(Train).Executes(Work);
        public Target Report => _ => _.Cached(false).DependsOn(Evaluate).Executes(Work);
        public Target Publish => _ => _.Cached(false).DependsOn(Report).Executes(Work);

        /// <summary>About 0.2 s of computing per target, a small stand-in for real work.</summary>
        static void Work()
        {
            var stopwatch = Stopwatch.StartNew();
            var x = 0.0;
            while (stopwatch.ElapsedMilliseconds < 200) x += Math.Sqrt(x + 1);
            GC.KeepAlive(x);
        }
    }

    public static void Run(string scratch, Dictionary<string, double> results)
    {
        var server = FakeMlflowServer.StartAsync("").GetAwaiter().GetResult();
        try
        {
            double Build(bool tracked, int repetition)
            {
                var root = Path.Combine(scratch, $"tracking-{tracked}-{repetition}");
                Directory.CreateDirectory(Path.Combine(root, ".nuke"));
                var variables = new Dictionary<string, string> { ["MLFLOW_TRACKING_URI"] = server.BaseUri.AbsoluteUri };
                var environment = new HostEnvironment(TextWriter.Null, TextWriter.Null, variables, root, false, CancellationToken.None);
                var stopwatch = Stopwatch.StartNew();
                var exit = new PipelineHost().Add<Curves>().RunAsync(["Publish", "--tracking", tracked ? "true" : "false"], environment).GetAwaiter().GetResult();
                if (exit != 0) throw new InvalidOperationException($"the tracking benchmark build failed with exit code {exit}");
                return stopwatch.Elapsed.TotalSeconds;
            }

            Build(true, -1); // warm-up: JIT, first connections
            var batchesBefore = server.Requests.Count(r => r.Path.EndsWith("/mlflow/runs/log-batch", StringComparison.Ordinal) && (r.Body ?? "").Contains("\"metrics\"", StringComparison.Ordinal));
            var untracked = new List<double>();
            var tracked = new List<double>();
            for (var i = 0; i < 5; i++)
            {
                untracked.Add(Build(false, i));
                tracked.Add(Build(true, i));
            }
            var batches = server.Requests.Count(r => r.Path.EndsWith("/mlflow/runs/log-batch", StringComparison.Ordinal) && (r.Body ?? "").Contains("\"metrics\"", StringComparison.Ordinal)) - batchesBefore;
            // Each tracked build logs exactly 10,000 points (Train's curve).
            results["tracking_metric_requests_per_10k_points"] = batches / 5.0;
            results["tracking_requests_per_build"] = server.Requests.Count / 6.0;
            results["tracking_build_untracked_seconds"] = PeerScripts.Median(untracked);
            results["tracking_build_tracked_seconds"] = PeerScripts.Median(tracked);
        }
        finally
        {
            server.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }
}
