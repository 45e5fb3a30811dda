namespace MlOps.Pipelines.Tests;

public sealed class ParameterErrors : IDisposable
{
    readonly Harness _harness = new();

    public void Dispose() => _harness.Dispose();

    RunResult Run(params string[] args) => _harness.Run(new PipelineHost().Add<Parameterised>(), ["Show", .. args]);

    static void AssertUsageError(RunResult result, string message)
    {
        Assert.Equal(2, result.ExitCode);
        Assert.Contains(message, result.Error);
        Assert.DoesNotContain("ran:", result.Out);
        Assert.DoesNotContain("Trees=", result.Out);
        Assert.DoesNotContain("   at ", result.All);
    }

    [Theory]
    [InlineData("--trees", "abc", "Parameter 'Trees' (from command line --trees): 'abc' is not valid; expected int.")]
    [InlineData("--trees", "2.5", "Parameter 'Trees' (from command line --trees): '2.5' is not valid; expected int.")]
    [InlineData("--trees", "99999999999", "Parameter 'Trees' (from command line --trees): '99999999999' is not valid; expected int.")]
    [InlineData("--learning-rate", "0,1", "Parameter 'LearningRate' (from command line --learning-rate): '0,1' is not valid; expected double (finite, '.' as decimal point).")]
    [InlineData("--learning-rate", "NaN", "Parameter 'LearningRate' (from command line --learning-rate): 'NaN' is not valid; expected double")]
    [InlineData("--fast", "yes", "Parameter 'Fast' (from command line --fast): 'yes' is not valid; expected bool (true|false).")]
    [InlineData("--backend", "gpu", "Parameter 'Backend' (from command line --backend): 'gpu' is not valid; expected one of cpu|simd-wide.")]
    [InlineData("--backend", "1", "expected one of cpu|simd-wide.")]
    public void A_value_that_does_not_convert_names_the_parameter_the_value_and_the_type(string option, string value, string message)
    {
        AssertUsageError(Run(option, value), message);
    }

    [Fact]
    public void A_missing_value_is_an_error()
    {
        AssertUsageError(Run("--trees"), "Parameter 'Trees' (from command line --trees): '' is not valid; a value is missing; expected int.");
        AssertUsageError(Run("--trees", "1", "2"), "2 values were given; expected one int");
        AssertUsageError(Run("--seeds", "1", "x"), "Parameter 'Seeds' (from command line --seeds): '1 x' is not valid; expected int.");
    }

    [Fact]
    public void Every_bad_value_is_reported_at_once()
    {
        var result = Run("--trees", "x", "--max-rows", "y");
        AssertUsageError(result, "Parameter 'Trees'");
        Assert.Contains("Parameter 'MaxRows'", result.Error);
    }

    [Fact]
    public void Bad_values_from_the_environment_and_files_name_their_source()
    {
        _harness.Environment["TREES"] = "many";
        AssertUsageError(Run(), "Parameter 'Trees' (from environment TREES): 'many' is not valid; expected int.");
        _harness.Environment.Clear();
        _harness.WriteParameters("""{ "Trees": "many" }""");
        AssertUsageError(Run(), "Parameter 'Trees' (from .nuke/parameters.json): 'many' is not valid; expected int.");
        _harness.WriteParameters("""{ "Trees": null }""");
        AssertUsageError(Run(), "Parameter 'Trees' (from .nuke/parameters.json): null is not valid; expected int.");
        _harness.WriteParameters("""{ "Trees": { "a": 1 } }""");
        AssertUsageError(Run(), "Parameter 'Trees' (from .nuke/parameters.json): a JSON object cannot be a parameter value; expected int.");
    }

    [Fact]
    public void An_unknown_option_suggests_the_closest()
    {
        AssertUsageError(Run("--treees", "4"), "Unknown option --treees. Did you mean --trees? See ./build.sh --help.");
    }

    [Fact]
    public void An_unknown_key_in_a_parameter_file_names_the_file_and_key()
    {
        _harness.WriteParameters("""{ "Treez": 4 }""");
        AssertUsageError(Run(), ".nuke/parameters.json: unknown parameter 'Treez'. Did you mean 'Trees'?");
    }

    [Fact]
    public void Malformed_json_names_the_file_and_line()
    {
        _harness.WriteParameters("{\n  \"Trees\": 4\n  \"Fast\": true\n}");
        AssertUsageError(Run(), ".nuke/parameters.json: line 3");
    }

    [Fact]
    public void A_missing_profile_file_is_an_error()
    {
        AssertUsageError(Run("--profile", "gpu"), "--profile gpu: .nuke/parameters.gpu.json does not exist.");
    }

    [Fact]
    public void Threads_must_be_at_least_one()
    {
        AssertUsageError(Run("--threads", "0"), "--threads 0 is out of range; expected at least 1.");
    }

    [Fact]
    public void An_option_given_twice_is_an_error()
    {
        AssertUsageError(Run("--trees", "1", "--trees", "2"), "Option --trees is given twice");
    }

    [Fact]
    public void A_required_parameter_that_is_not_set_stops_the_run_before_anything_runs()
    {
        var result = _harness.Run(new PipelineHost().Add<Parameterised>(), "Show", "Deploy");
        AssertUsageError(result, "Target 'Deploy' requires parameter 'RegistryToken'; set --registry-token, REGISTRY_TOKEN in the environment, or \"RegistryToken\" in .nuke/parameters.json.");
    }

    [Fact]
    public void A_required_parameter_of_a_skipped_target_is_not_needed()
    {
        var result = _harness.Run(new PipelineHost().Add<Parameterised>(), "Show", "Deploy", "--skip", "Deploy");
        Assert.Equal(0, result.ExitCode);
    }

    [Fact]
    public void A_root_without_a_nuke_folder_is_an_error()
    {
        var result = _harness.Run(new PipelineHost().Add<Parameterised>(), "--root", Path.GetTempPath());
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("has no .nuke folder", result.Error);
    }
}
