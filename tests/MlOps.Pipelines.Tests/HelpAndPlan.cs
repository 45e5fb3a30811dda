namespace MlOps.Pipelines.Tests;

public sealed class HelpAndPlan : IDisposable
{
    readonly Harness _harness = new();

    public void Dispose() => _harness.Dispose();

    static PipelineHost Host() => new PipelineHost().Add<Chain>(x => x.Publish).Add<Parameterised>();

    [Fact]
    public void Help_groups_targets_and_parameters_by_pipeline()
    {
        _harness.WriteParameters("""{ "LearningRate": 0.05 }""");
        var result = _harness.Run(Host(), "--help", "--threads", "4", "--parallel", "3");
        Assert.Equal(0, result.ExitCode);
        Snapshot.Match(result.Out, "help.txt");
    }

    [Fact]
    public void Help_still_answers_when_a_value_is_invalid_and_says_which()
    {
        var result = _harness.Run(Host(), "--help", "--trees", "lots");
        Assert.Equal(0, result.ExitCode);
        Assert.Matches(@"--trees <int>\s+Boosting rounds\s+= invalid, see below \(command line --trees\)", result.Out);
        Assert.Contains("error: Parameter 'Trees' (from command line --trees): 'lots' is not valid; expected int.", result.Out);
    }

    [Fact]
    public void Plan_prints_the_order_and_writes_a_mermaid_graph_without_running_anything()
    {
        var result = _harness.Run(Host(), "--plan", "--skip", "Validate");
        Assert.Equal(0, result.ExitCode);
        Assert.Empty(RecordingPipeline.Ran(result));
        Snapshot.Match(result.Out, "plan.txt");
        Snapshot.Match(File.ReadAllText(_harness.NukePath("temp/plan.md")), "plan.md");
    }

    [Fact]
    public void The_schema_lists_parameters_types_and_target_names()
    {
        _harness.Run(Host(), "--list");
        Snapshot.Match(File.ReadAllText(_harness.NukePath("build.schema.json")), "build.schema.json");
    }

    [Fact]
    public void The_schema_is_rewritten_only_when_it_would_change()
    {
        var path = _harness.NukePath("build.schema.json");
        _harness.Run(Host(), "--list");
        var written = File.GetLastWriteTimeUtc(path);
        File.SetLastWriteTimeUtc(path, written.AddHours(-1));
        _harness.Run(Host(), "--list");
        Assert.Equal(written.AddHours(-1), File.GetLastWriteTimeUtc(path));

        File.WriteAllText(path, "{}");
        _harness.Run(Host(), "--list");
        Assert.Contains("\"Trees\"", File.ReadAllText(path));
    }
}
