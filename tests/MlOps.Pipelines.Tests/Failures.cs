namespace MlOps.Pipelines.Tests;

sealed class Failing : RecordingPipeline
{
    public Target Prepare => _ => _.Executes(Mark);
    public Target Broken => _ => _.DependsOn(Prepare).Executes(() => throw new InvalidOperationException("disk on fire"));
    public Target Tolerated => _ => _.DependsOn(Prepare).ProceedAfterFailure().Executes(() => throw new IOException("flaky mount"));
    public Target AfterBroken => _ => _.DependsOn(Broken).Executes(Mark);
    public Target Independent => _ => _.DependsOn(Prepare).Executes(Mark);
    public Target Cleanup => _ => _.DependsOn(Broken).AssuredAfterFailure().Executes(Mark);
    public Target Gate => _ => _.Executes(() => throw new GateFailedException("test AUC 0.61 < 0.65 (MinAuc)"));
    public Target Conditional => _ => _.OnlyWhen(() => Prepare is null).Executes(Mark);
    public Target Async => _ => _.Executes(async context =>
    {
        await Task.Yield();
        context.Info("ran:Async");
    });
}

public sealed class Failures : IDisposable
{
    readonly Harness _harness = new();

    public void Dispose() => _harness.Dispose();

    RunResult Run(params string[] args) => _harness.Run(new PipelineHost().Add<Failing>(), args);

    [Fact]
    public void A_failure_stops_the_run_and_exits_1_with_the_message_but_no_stack_trace()
    {
        var result = Run("Broken", "Independent", "--parallel", "1");
        Assert.Equal(1, result.ExitCode);
        Assert.Equal(["Prepare"], RecordingPipeline.Ran(result));
        Assert.Contains("error: Broken failed: disk on fire", result.Out);
        Assert.Matches(@"Independent\s+Not run\s+–\s+an earlier target failed", result.Out);
        Assert.Contains("Build failed: Broken.", result.Out);
        Assert.DoesNotContain("   at ", result.Out);
    }

    [Fact]
    public void Verbose_output_includes_the_stack_trace()
    {
        var result = Run("Broken", "--verbosity", "verbose");
        Assert.Contains("   at ", result.Out);
    }

    [Fact]
    public void Proceed_after_failure_lets_independent_targets_run_but_still_fails_the_build()
    {
        var result = Run("Tolerated", "Independent");
        Assert.Equal(1, result.ExitCode);
        Assert.Equal(["Prepare", "Independent"], RecordingPipeline.Ran(result));
        Assert.Matches(@"Tolerated\s+Failed\s+\d+\.\d\d s\s+flaky mount", result.Out);
    }

    [Fact]
    public void Dependents_of_a_failed_target_never_run_but_assured_targets_do()
    {
        var result = Run("AfterBroken", "Cleanup");
        Assert.Equal(1, result.ExitCode);
        Assert.Equal(["Prepare", "Cleanup"], RecordingPipeline.Ran(result));
        Assert.Matches(@"AfterBroken\s+Not run\s+–\s+depends on Broken, which did not succeed", result.Out);
    }

    [Fact]
    public void A_withheld_blessing_exits_3_and_says_which_gate()
    {
        var result = Run("Gate");
        Assert.Equal(3, result.ExitCode);
        Assert.Contains("test AUC 0.61 < 0.65 (MinAuc)", result.Out);
        Assert.Matches(@"Gate\s+Gate failed", result.Out);
        Assert.Contains("a gate withheld its blessing from Gate", result.Out);
    }

    [Fact]
    public void A_plain_failure_outranks_a_gate_in_the_exit_code()
    {
        // Tolerated fails first and proceeds, then the gate withholds its blessing: both failed. One at a time, so the
        // gate (which has no dependencies) cannot fail before Tolerated starts and stop the run.
        var both = Run("Tolerated", "Gate", "--parallel", "1");
        Assert.Matches(@"Tolerated\s+Failed", both.Out);
        Assert.Matches(@"Gate\s+Gate failed", both.Out);
        Assert.Equal(1, both.ExitCode);
    }

    [Fact]
    public void A_false_condition_skips_the_target_and_shows_the_condition_text()
    {
        var result = Run("Conditional");
        Assert.Equal(0, result.ExitCode);
        Assert.Empty(RecordingPipeline.Ran(result));
        Assert.Matches(@"Conditional\s+Skipped\s+–\s+condition false: \(\) => Prepare is null", result.Out);
    }

    [Fact]
    public void Async_targets_are_awaited()
    {
        var result = Run("Async");
        Assert.Equal(0, result.ExitCode);
        Assert.Equal(["Async"], RecordingPipeline.Ran(result));
    }

    [Fact]
    public void Success_exits_0_and_the_summary_lists_every_planned_target_in_order()
    {
        var result = Run("Independent");
        Assert.Equal(0, result.ExitCode);
        Assert.Matches(@"Target\s+Status\s+Duration\s+Note\n(─+\n)?Prepare\s+Succeeded\s+\d+\.\d\d s\nIndependent\s+Succeeded\s+\d+\.\d\d s\n─+\nTotal\s+\d+\.\d\d s", result.Out);
        Assert.Contains("Build succeeded in", result.Out);
    }

    [Fact]
    public void Quiet_verbosity_prints_only_the_verdict()
    {
        var result = Run("Independent", "--verbosity", "quiet");
        Assert.Equal(0, result.ExitCode);
        Assert.StartsWith("Build succeeded in", result.Out);
        Assert.Single(result.Out.Trim().Split('\n'));
    }

    [Fact]
    public void A_fault_of_the_host_itself_exits_70_with_one_error_line_and_the_stack_trace_instead_of_aborting()
    {
        // The host keeps its locks and last-run record under .nuke/temp/: a file there makes it fail, not a target.
        File.WriteAllText(_harness.NukePath("temp"), "not a folder");
        var result = Run("Independent", "--tracking", "false");
        Assert.True(result.ExitCode == 70, result.All);
        Assert.Matches(@"^error: internal error: \w+Exception: .*temp.*This is a bug in MlOps\.Pipelines; the stack trace follows\.\n", result.Error);
        Assert.Contains("   at MlOps.Pipelines.", result.Error);
    }
}
