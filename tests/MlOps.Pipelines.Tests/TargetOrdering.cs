namespace MlOps.Pipelines.Tests;

public sealed class TargetOrdering : IDisposable
{
    readonly Harness _harness = new();

    public void Dispose() => _harness.Dispose();

    IReadOnlyList<string> Run(params string[] args)
    {
        var result = _harness.Run(new PipelineHost().Add<Chain>(), args);
        Assert.True(result.ExitCode == 0, result.All);
        return RecordingPipeline.Ran(result);
    }

    [Fact]
    public void Dependencies_run_before_their_dependents()
    {
        Assert.Equal(["Validate", "Features", "Train", "Notify"], Run("Train"));
    }

    [Fact]
    public void Before_orders_without_scheduling()
    {
        // Clean declares Before(Validate): named together, Clean goes first; not named, it does not run.
        Assert.Equal(["Clean", "Validate"], Run("Validate", "Clean"));
        Assert.Equal(["Validate"], Run("Validate"));
    }

    [Fact]
    public void After_orders_without_scheduling()
    {
        Assert.Equal(["Validate", "Features", "Train", "Report", "Notify"], Run("Report", "Train"));
        Assert.Equal(["Report"], Run("Report"));
    }

    [Fact]
    public void Triggers_schedule_the_triggered_target_after_the_trigger()
    {
        var ran = Run("Publish");
        Assert.Equal(["Validate", "Features", "Train", "Notify", "Publish", "Report"], ran);
    }

    [Fact]
    public void TriggeredBy_schedules_the_target_after_the_one_that_triggers_it()
    {
        var ran = Run("Features", "Train");
        Assert.Contains("Notify", ran);
        Assert.True(ran.ToList().IndexOf("Notify") > ran.ToList().IndexOf("Train"));
    }

    [Fact]
    public void Each_target_runs_once_however_often_it_is_needed()
    {
        var ran = Run("Train", "Features", "Train", "Publish");
        Assert.Equal(ran.Distinct().Count(), ran.Count);
    }

    [Fact]
    public void Targets_from_interface_default_members_are_discovered_and_ordered()
    {
        var result = _harness.Run(new PipelineHost().Add<Componentised>(), "Pack", "Compile");
        Assert.Equal(0, result.ExitCode);
        Assert.Equal(["Compile", "Test", "Pack"], RecordingPipeline.Ran(result));
    }
}
