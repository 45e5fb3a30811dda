namespace MlOps.Pipelines.Tests;

public sealed class TargetSelection : IDisposable
{
    readonly Harness _harness = new();

    public void Dispose() => _harness.Dispose();

    [Fact]
    public void No_target_runs_the_default_target_of_the_first_pipeline_that_has_one()
    {
        var result = _harness.Run(new PipelineHost().Add<Other>().Add<Chain>(x => x.Features));
        Assert.Equal(0, result.ExitCode);
        Assert.Equal(["Validate", "Features"], RecordingPipeline.Ran(result));
    }

    [Fact]
    public void No_target_and_no_default_is_a_usage_error_listing_the_targets()
    {
        var result = _harness.Run(new PipelineHost().Add<Other>());
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("No target given and no default target is set. Available targets are: Train, Lint.", result.Error);
    }

    [Fact]
    public void Target_names_are_matched_without_regard_to_case()
    {
        var result = _harness.Run(new PipelineHost().Add<Chain>(), "features");
        Assert.Equal(["Validate", "Features"], RecordingPipeline.Ran(result));
    }

    [Fact]
    public void An_unknown_target_suggests_the_closest_name_and_lists_the_others()
    {
        var result = _harness.Run(new PipelineHost().Add<Chain>(), "Trian");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("Target 'Trian' does not exist. Did you mean 'Train'? Available targets are: Validate, Features, Train, Report, Clean, Notify, Publish.", result.Error);
        Assert.DoesNotContain("   at ", result.All);
        Assert.Empty(RecordingPipeline.Ran(result));
    }

    [Fact]
    public void An_ambiguous_name_asks_for_the_qualified_one_which_then_works()
    {
        var host = new PipelineHost().Add<Chain>().Add<Other>();
        var ambiguous = _harness.Run(host, "Train");
        Assert.Equal(2, ambiguous.ExitCode);
        Assert.Contains("Target 'Train' is ambiguous; name one of: Chain:Train, Other:Train.", ambiguous.Error);

        var qualified = _harness.Run(new PipelineHost().Add<Chain>().Add<Other>(), "Other:Train");
        Assert.Equal(0, qualified.ExitCode);
        Assert.Equal(["Train"], RecordingPipeline.Ran(qualified));
        Assert.Contains("── Other:Train", qualified.Out);
    }

    [Fact]
    public void A_cycle_is_a_usage_error_that_names_the_cycle()
    {
        var result = _harness.Run(new PipelineHost().Add<Cyclic>(), "Second");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("The targets form a cycle: First → Third → Second → First.", result.Error);
    }

    [Fact]
    public void Skip_without_names_skips_every_target_that_was_not_named()
    {
        var result = _harness.Run(new PipelineHost().Add<Chain>(), "Train", "--skip");
        Assert.Equal(0, result.ExitCode);
        Assert.Equal(["Train"], RecordingPipeline.Ran(result));
        Assert.Matches(@"Validate\s+Skipped\s+–\s+--skip", result.Out);
    }

    [Fact]
    public void Skip_with_names_skips_only_those_and_keeps_their_dependencies()
    {
        var result = _harness.Run(new PipelineHost().Add<Chain>(), "Train", "--skip", "Features");
        Assert.Equal(0, result.ExitCode);
        Assert.Equal(["Validate", "Train", "Notify"], RecordingPipeline.Ran(result));
    }

    [Fact]
    public void Skip_with_an_unknown_name_is_a_usage_error()
    {
        var result = _harness.Run(new PipelineHost().Add<Chain>(), "Train", "--skip", "Featurs");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("Did you mean 'Features'?", result.Error);
    }

    [Fact]
    public void Targets_can_come_from_parameters_json_when_none_are_named()
    {
        _harness.WriteParameters("""{ "Target": ["Features"], "Skip": ["Validate"] }""");
        var result = _harness.Run(new PipelineHost().Add<Chain>(x => x.Train));
        Assert.Equal(["Features"], RecordingPipeline.Ran(result));
    }

    [Fact]
    public void List_prints_one_target_name_a_line()
    {
        var result = _harness.Run(new PipelineHost().Add<Chain>().Add<Other>(), "--list");
        Assert.Equal(0, result.ExitCode);
        Assert.Equal("Validate\nFeatures\nChain:Train\nReport\nClean\nNotify\nPublish\nOther:Train\nLint\n", result.Out);
    }
}
