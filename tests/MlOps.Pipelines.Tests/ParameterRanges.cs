namespace MlOps.Pipelines.Tests;

/// <summary>Ranges declared on [Parameter]: checked at binding, before any target, on every bound and from every source.</summary>
public sealed class ParameterRanges : IDisposable
{
    readonly Harness _harness = new();

    public void Dispose() => _harness.Dispose();

    sealed class Bounded : RecordingPipeline
    {
        [Parameter("Boosting rounds", Minimum = 1, Maximum = 10_000)] readonly int Trees = 100;
        [Parameter("Step size", ExclusiveMinimum = 0, Maximum = 1)] readonly double Eta = 0.3;
        [Parameter("Share held out", ExclusiveMinimum = 0, ExclusiveMaximum = 1)] readonly double TestFraction = 0.2;
        [Parameter("Rows", Minimum = 0)] readonly long Rows = 10;
        [Parameter("Depths to try", Minimum = 0, Maximum = 30)] readonly int[] Depths = [6];
        [Parameter("Open range")] readonly int Anything = -5;

        public Target Train => _ => _.Executes(context =>
        {
            Mark(context);
            context.Info(FormattableString.Invariant($"Trees={Trees} Eta={Eta} TestFraction={TestFraction} Rows={Rows} Depths={string.Join(",", Depths)} Anything={Anything}"));
        });
    }

    sealed class RangeOnText : MlPipeline
    {
        [Parameter("Label", Minimum = 1)] readonly string Label = "x";

        public Target Show => _ => _.Executes(context => context.Info(Label));
    }

    RunResult Run(params string[] args) => _harness.Run(new PipelineHost().Add<Bounded>(), ["Train", .. args]);

    [Theory]
    [InlineData("--trees", "0", "--trees 0 is out of range; expected from 1 to 10000.")]
    [InlineData("--trees", "10001", "--trees 10001 is out of range; expected from 1 to 10000.")]
    [InlineData("--eta", "0", "--eta 0 is out of range; expected greater than 0 and at most 1.")]
    [InlineData("--eta", "1.0000001", "--eta 1.0000001 is out of range; expected greater than 0 and at most 1.")]
    [InlineData("--test-fraction", "1", "--test-fraction 1 is out of range; expected greater than 0 and less than 1.")]
    [InlineData("--test-fraction", "1.5", "--test-fraction 1.5 is out of range; expected greater than 0 and less than 1.")]
    [InlineData("--test-fraction", "-0", "--test-fraction -0 is out of range; expected greater than 0 and less than 1.")]
    [InlineData("--rows", "-1", "--rows -1 is out of range; expected at least 0.")]
    public void A_value_outside_the_range_is_a_usage_error_naming_the_option_and_the_range_before_anything_runs(string option, string value, string message)
    {
        var result = Run(option, value);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("error: " + message, result.Error);
        Assert.Empty(RecordingPipeline.Ran(result));
        Assert.DoesNotContain("   at ", result.All);
    }

    [Fact]
    public void The_bounds_themselves_are_allowed_where_they_are_inclusive()
    {
        var result = Run("--trees", "1", "--eta", "1", "--test-fraction", "0.999", "--rows", "0", "--depths", "0", "30", "--anything", "-2147483648");
        Assert.True(result.ExitCode == 0, result.All);
        Assert.Contains("Trees=1 Eta=1 TestFraction=0.999 Rows=0 Depths=0,30 Anything=-2147483648", result.Out);
        Assert.Contains("Trees=10000", Run("--trees", "10000").Out);
    }

    [Fact]
    public void Each_element_of_an_array_is_checked()
    {
        var result = Run("--depths", "3", "31", "1000");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--depths 31 is out of range; expected from 0 to 30.", result.Error);
    }

    [Fact]
    public void Every_value_out_of_range_is_reported_at_once_whatever_its_source()
    {
        _harness.Environment["ETA"] = "0";
        _harness.WriteParameters("""{ "TestFraction": 2 }""");
        var result = Run("--trees", "0");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--trees 0 is out of range", result.Error);
        Assert.Contains("--eta 0 (from environment ETA) is out of range; expected greater than 0 and at most 1.", result.Error);
        Assert.Contains("--test-fraction 2 (from .nuke/parameters.json) is out of range; expected greater than 0 and less than 1.", result.Error);
    }

    [Fact]
    public void Help_and_the_schema_show_the_range()
    {
        var help = _harness.Run(new PipelineHost().Add<Bounded>(), "--help");
        Assert.Matches(@"--trees <int>\s+Boosting rounds \(from 1 to 10000\)\s+= 100 \(default\)", help.Out);
        Assert.Matches(@"--test-fraction <double>\s+Share held out \(greater than 0 and less than 1\)", help.Out);
        var schema = File.ReadAllText(_harness.NukePath("build.schema.json"));
        Assert.Matches(@"""Trees"": \{\s+""type"": ""integer"",\s+""minimum"": 1,\s+""maximum"": 10000,", schema);
        Assert.Matches(@"""Eta"": \{\s+""type"": ""number"",\s+""exclusiveMinimum"": 0,\s+""maximum"": 1,", schema);
        Assert.Matches(@"""Depths"": \{\s+""type"": ""array"",\s+""items"": \{\s+""type"": ""integer"",\s+""minimum"": 0,\s+""maximum"": 30", schema);
    }

    [Fact]
    public void A_range_on_a_parameter_that_is_not_a_number_is_refused()
    {
        var result = _harness.Run(new PipelineHost().Add<RangeOnText>(), "Show");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("Parameter 'RangeOnText.Label' has type String but declares a range", result.Error);
    }
}
