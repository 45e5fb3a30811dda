namespace MlOps.Pipelines.Tests;

public sealed class ParallelExecution
{
    sealed class Rendezvous : RecordingPipeline
    {
        public static readonly AsyncLocal<Barrier> Meeting = new();

        // Each waits for the other: they finish only if both run at the same time.
        public Target First => _ => _.Executes(context =>
        {
            context.Info("first: before");
            Assert.True(Meeting.Value!.SignalAndWait(TimeSpan.FromSeconds(30)), "Second never ran alongside First");
            context.Info("first: after");
        });

        public Target Second => _ => _.Executes(context =>
        {
            context.Info("second: before");
            Assert.True(Meeting.Value!.SignalAndWait(TimeSpan.FromSeconds(30)), "First never ran alongside Second");
            context.Info("second: after");
        });
    }

    [Fact]
    public void Independent_targets_run_at_the_same_time_and_their_output_stays_in_plan_order()
    {
        using var harness = new Harness();
        using var barrier = new Barrier(2);
        Rendezvous.Meeting.Value = barrier;
        var result = harness.Run(new PipelineHost().Add<Rendezvous>(), "First", "Second", "--parallel", "2");
        Assert.Equal(0, result.ExitCode);
        var lines = result.Out.Split('\n').Where(l => l.Contains(": before", StringComparison.Ordinal) || l.Contains(": after", StringComparison.Ordinal)).ToList();
        Assert.Equal(["first: before", "first: after", "second: before", "second: after"], lines);
    }

    [Fact]
    public void Parallel_and_sequential_runs_give_identical_artifacts_and_lock_files()
    {
        using var sequential = new Harness();
        using var parallel = new Harness();
        Assert.Equal(0, sequential.Run(new PipelineHost().Add<Diamond>(), "Join", "--parallel", "1", "--threads", "1").ExitCode);
        Assert.Equal(0, parallel.Run(new PipelineHost().Add<Diamond>(), "Join", "--parallel", "3").ExitCode);

        foreach (var file in new[] { "artifacts/Diamond/left.txt", "artifacts/Diamond/right.txt", "artifacts/Diamond/joined.json", ".nuke/Diamond.lock.json" })
            Assert.Equal(File.ReadAllBytes(Path.Combine(sequential.Root, file)), File.ReadAllBytes(Path.Combine(parallel.Root, file)));
    }

    [Fact]
    public async Task Two_builds_on_one_cache_at_once_both_succeed_and_leave_a_consistent_cache()
    {
        using var harness = new Harness();
        var runs = Enumerable.Range(0, 2)
            .Select(_ => Task.Run(() => harness.RunAsync(new PipelineHost().Add<Diamond>(), CancellationToken.None, "Join", "--no-cache")))
            .ToList();
        var results = await Task.WhenAll(runs);
        Assert.All(results, r => Assert.Equal(0, r.ExitCode));
        var after = harness.Run(new PipelineHost().Add<Diamond>(), "Join");
        Assert.Empty(RecordingPipeline.Ran(after));
    }
}
