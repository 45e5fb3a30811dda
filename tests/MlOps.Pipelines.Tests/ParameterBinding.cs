namespace MlOps.Pipelines.Tests;

public sealed class ParameterBinding : IDisposable
{
    readonly Harness _harness = new();

    public void Dispose() => _harness.Dispose();

    Dictionary<string, string> Show(params string[] args)
    {
        var result = _harness.Run(new PipelineHost().Add<Parameterised>(), ["Show", .. args]);
        Assert.True(result.ExitCode == 0, result.All);
        return result.Out.Split('\n').Where(l => l.Contains('=', StringComparison.Ordinal) && !l.StartsWith("──", StringComparison.Ordinal))
            .Select(l => l.Split('=', 2)).Where(p => !p[0].Contains(' ', StringComparison.Ordinal)).ToDictionary(p => p[0], p => p[1]);
    }

    [Fact]
    public void Defaults_are_the_members_initial_values()
    {
        var values = Show();
        Assert.Equal("200", values["Trees"]);
        Assert.Equal("0.1", values["LearningRate"]);
        Assert.Equal("<null>", values["RunName"]);
        Assert.Equal("False", values["Fast"]);
        Assert.Equal("Cpu", values["Backend"]);
        Assert.Equal("batch", values["Mode"]);
        Assert.Equal(Environment.ProcessorCount.ToString(System.Globalization.CultureInfo.InvariantCulture), values["Threads"]);
    }

    [Fact]
    public void Every_supported_type_converts_from_the_command_line()
    {
        var values = Show("--trees", "400", "--learning-rate", "0.25", "--run-name", "nightly", "--fast", "--max-rows", "5000000000",
            "--backend", "simd-wide", "--data", "data/x.csv", "--drop", "a", "b", "--seeds", "1", "-2", "--mode", "stream", "--threads", "3");
        Assert.Equal("400", values["Trees"]);
        Assert.Equal("0.25", values["LearningRate"]);
        Assert.Equal("nightly", values["RunName"]);
        Assert.Equal("True", values["Fast"]);
        Assert.Equal("5000000000", values["MaxRows"]);
        Assert.Equal("SimdWide", values["Backend"]);
        Assert.Equal(Path.Combine(_harness.Root, "data", "x.csv"), values["Data"]);
        Assert.Equal("a,b", values["Drop"]);
        Assert.Equal("1,-2", values["Seeds"]);
        Assert.Equal("stream", values["Mode"]);
        Assert.Equal("3", values["Threads"]);
    }

    [Fact]
    public void Name_equals_value_works_and_an_explicit_false_turns_a_flag_off()
    {
        _harness.WriteParameters("""{ "Fast": true }""");
        var values = Show("--trees=7", "--fast", "false");
        Assert.Equal("7", values["Trees"]);
        Assert.Equal("False", values["Fast"]);
    }

    [Fact]
    public void Parameters_json_overrides_the_default()
    {
        _harness.WriteParameters("""{ "Trees": 300, "LearningRate": 0.05, "Drop": ["x"], "Backend": "simd-wide", "Data": "data/in.csv" }""");
        var values = Show();
        Assert.Equal("300", values["Trees"]);
        Assert.Equal("0.05", values["LearningRate"]);
        Assert.Equal("x", values["Drop"]);
        Assert.Equal("SimdWide", values["Backend"]);
        // Relative paths in parameter files resolve against the repository root.
        Assert.Equal(Path.Combine(_harness.Root, "data", "in.csv"), values["Data"]);
    }

    [Fact]
    public void A_profile_file_overrides_parameters_json()
    {
        _harness.WriteParameters("""{ "Trees": 300, "LearningRate": 0.05 }""");
        _harness.WriteParameters("""{ "Trees": 50 }""", profile: "ci");
        var values = Show("--profile", "ci");
        Assert.Equal("50", values["Trees"]);
        Assert.Equal("0.05", values["LearningRate"]);
    }

    [Fact]
    public void The_environment_overrides_parameter_files()
    {
        _harness.WriteParameters("""{ "Trees": 300 }""");
        _harness.WriteParameters("""{ "Trees": 50 }""", profile: "ci");
        _harness.Environment["TREES"] = "70";
        _harness.Environment["LEARNING_RATE"] = "0.5";
        _harness.Environment["DROP"] = "p q";
        var values = Show("--profile", "ci");
        Assert.Equal("70", values["Trees"]);
        Assert.Equal("0.5", values["LearningRate"]);
        Assert.Equal("p,q", values["Drop"]);
    }

    [Fact]
    public void The_command_line_overrides_everything()
    {
        _harness.WriteParameters("""{ "Trees": 300 }""");
        _harness.WriteParameters("""{ "Trees": 50 }""", profile: "ci");
        _harness.Environment["TREES"] = "70";
        Assert.Equal("9", Show("--profile", "ci", "--trees", "9")["Trees"]);
    }

    [Fact]
    public void An_empty_environment_variable_counts_as_unset()
    {
        _harness.Environment["TREES"] = "";
        Assert.Equal("200", Show()["Trees"]);
    }

    [Fact]
    public void Target_and_skip_are_never_read_from_the_environment()
    {
        _harness.Environment["TARGET"] = "Deploy";
        _harness.Environment["SKIP"] = "Show";
        var result = _harness.Run(new PipelineHost().Add<Parameterised>(x => x.Show));
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("Trees=200", result.Out);
    }

    [Fact]
    public void Help_shows_each_value_with_its_source()
    {
        _harness.WriteParameters("""{ "LearningRate": 0.05 }""");
        _harness.Environment["MAX_ROWS"] = "10";
        var result = _harness.Run(new PipelineHost().Add<Parameterised>(), "--help", "--trees", "9");
        Assert.Equal(0, result.ExitCode);
        Assert.Matches(@"--trees <int>\s+Boosting rounds\s+= 9 \(command line --trees\)", result.Out);
        Assert.Matches(@"--learning-rate <double>\s+Step size\s+= 0.05 \(\.nuke/parameters\.json\)", result.Out);
        Assert.Matches(@"--max-rows <long>\s+Rows to read\s+= 10 \(environment MAX_ROWS\)", result.Out);
        Assert.Matches(@"--mode <string>\s+A property parameter\s+= batch \(default\)", result.Out);
    }
}
