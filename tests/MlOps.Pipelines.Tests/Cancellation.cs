namespace MlOps.Pipelines.Tests;

public sealed class Cancellation : IDisposable
{
    readonly Harness _harness = new();

    public void Dispose() => _harness.Dispose();

    /// <summary>Signals when its long target has started; the target then waits for cancellation.</summary>
    sealed class LongRunning : RecordingPipeline
    {
        public static readonly AsyncLocal<TaskCompletionSource> Started = new();

        public Target Long => _ => _.Executes(async context =>
        {
            Started.Value!.SetResult();
            await Task.Delay(Timeout.Infinite, context.CancellationToken);
        });

        public Target Next => _ => _.DependsOn(Long).Executes(Mark);
        public Target Report => _ => _.After(Long).AssuredAfterFailure().Executes(Mark);
    }

    [Fact]
    public async Task Ctrl_c_stops_the_running_target_runs_nothing_after_it_and_exits_130()
    {
        var started = new TaskCompletionSource();
        LongRunning.Started.Value = started;
        using var cancellation = new CancellationTokenSource();
        var run = _harness.RunAsync(new PipelineHost().Add<LongRunning>(), cancellation.Token, "Next", "Report");
        await started.Task;
        await cancellation.CancelAsync();
        var result = await run;

        Assert.Equal(130, result.ExitCode);
        Assert.Empty(RecordingPipeline.Ran(result));
        Assert.Matches(@"Long\s+Cancelled\s+\d+\.\d\d s\s+cancelled \(Ctrl-C\)", result.Out);
        Assert.Matches(@"Next\s+Not run\s+–\s+cancelled before it started", result.Out);
        Assert.Contains("Cancelled by Ctrl-C; 3 target(s) did not finish.", result.Out);
    }
}
