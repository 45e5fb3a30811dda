namespace MlOps.Pipelines.Tests;

public sealed class GitHubActionsOutput : IDisposable
{
    readonly Harness _harness = new();

    public GitHubActionsOutput()
    {
        _harness.Environment["GITHUB_ACTIONS"] = "true";
        _harness.Environment["GITHUB_STEP_SUMMARY"] = SummaryPath;
    }

    string SummaryPath => Path.Combine(_harness.Root, "step-summary.md");

    public void Dispose() => _harness.Dispose();

    [Fact]
    public void Targets_become_groups()
    {
        var result = _harness.Run(new PipelineHost().Add<Chain>(), "Features");
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("::group::Validate\nran:Validate\n::endgroup::", result.Out);
        Assert.Contains("::group::Features\nran:Features\n::endgroup::", result.Out);
    }

    [Fact]
    public void Failures_become_error_annotations_with_escaped_data()
    {
        var result = _harness.Run(new PipelineHost().Add<MultiLineFailure>(), "Fail");
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("::error title=Fail failed::ArgumentException: 100%25 broken%0Asecond line", result.Out);
    }

    [Fact]
    public void The_summary_is_appended_to_the_step_summary_as_markdown()
    {
        File.WriteAllText(SummaryPath, "earlier step\n");
        _harness.Run(new PipelineHost().Add<Chain>(), "Features");
        var summary = File.ReadAllText(SummaryPath);
        Assert.StartsWith("earlier step\n### Build succeeded in ", summary);
        Assert.Contains("| Target | Status | Duration | Note |", summary);
        Assert.Matches(@"\| Validate \| Succeeded \| \d+\.\d\d s \|  \|", summary);
        Assert.Matches(@"\| Features \| Succeeded \| \d+\.\d\d s \|  \|", summary);
    }

    [Fact]
    public void Usage_errors_become_error_annotations()
    {
        var result = _harness.Run(new PipelineHost().Add<Chain>(), "Nope");
        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith("::error::Target 'Nope' does not exist.", result.Out);
        Assert.Empty(result.Error);
    }

    [Fact]
    public void Without_github_actions_there_are_no_workflow_commands_and_no_colours_off_a_terminal()
    {
        _harness.Environment.Clear();
        var result = _harness.Run(new PipelineHost().Add<Chain>(), "Features");
        Assert.DoesNotContain("::", result.Out);
        Assert.DoesNotContain("\u001b[", result.Out);
        Assert.Contains("── Validate ──", result.Out);
    }

    [Fact]
    public void Colours_appear_on_a_terminal_unless_no_color_is_set()
    {
        _harness.Environment.Clear();
        _harness.IsTerminal = true;
        Assert.Contains("\u001b[", _harness.Run(new PipelineHost().Add<Chain>(), "Features").Out);
        _harness.Environment["NO_COLOR"] = "1";
        Assert.DoesNotContain("\u001b[", _harness.Run(new PipelineHost().Add<Chain>(), "Features").Out);
    }

    sealed class MultiLineFailure : MlPipeline
    {
        public Target Fail => _ => _.Executes(() => throw new ArgumentException("100% broken\nsecond line"));
    }
}
