using MlOps.Pipelines.Tracking;
using MlOps.Pipelines.Tracking.Local;

namespace MlOps.Pipelines.Tests.Tracking.Local;

/// <summary>The shared limit checks (spec §2.5), independent of any store.</summary>
public sealed class TrackingLimitChecks
{
    static TrackingException Refused(Action check)
    {
        var error = Assert.Throws<TrackingException>(check);
        Assert.Equal("INVALID_PARAMETER_VALUE", error.ErrorCode);
        Assert.Equal(400, error.HttpStatus);
        return error;
    }

    [Theory]
    [InlineData("loss")]
    [InlineData("train/loss")]
    [InlineData("a b.c-d_e")]
    [InlineData("ünïcödé_名前")]
    [InlineData("x²")]
    [InlineData("a/.b")]
    public void Keys_of_word_characters_dots_dashes_spaces_and_slashes_pass(string key) =>
        TrackingLimits.ValidateKey("metric", "Metric name", key);

    [Theory]
    [InlineData("a:b")]
    [InlineData("a\\b")]
    [InlineData("a\nb")]
    [InlineData("tab\t")]
    [InlineData("a//b")]
    [InlineData("a/./b")]
    [InlineData("./a")]
    [InlineData("a/")]
    [InlineData("/a")]
    [InlineData("..")]
    [InlineData("../a")]
    [InlineData(".")]
    [InlineData("")]
    public void Keys_that_are_not_path_normal_or_have_other_characters_fail_naming_the_key(string key) =>
        Assert.Contains($"'{key}'", Refused(() => TrackingLimits.ValidateKey("param", "Param key", key)).Message, StringComparison.Ordinal);

    [Theory]
    [InlineData("", ".")]
    [InlineData("a//b", "a/b")]
    [InlineData("a/./b/", "a/b")]
    [InlineData("a/../..", "..")]
    [InlineData("/../a", "/a")]
    [InlineData("//a", "//a")]
    [InlineData("///a", "/a")]
    public void Paths_normalise_as_pythons_posixpath_does(string path, string expected) =>
        Assert.Equal(expected, TrackingLimits.NormalisePosixPath(path));

    [Fact]
    public void Lengths_count_code_points_as_python_does()
    {
        var emoji = string.Concat(Enumerable.Repeat("😀", 6000)); // 12000 UTF-16 units, 6000 code points
        TrackingLimits.ValidateParam(new Param("p", emoji));
        Refused(() => TrackingLimits.ValidateParam(new Param("p", emoji + "x")));
    }

    [Fact]
    public void Registry_and_experiment_tags_allow_5000_characters()
    {
        TrackingLimits.ValidateExperimentTag(new Tag("k", new string('v', 5000)));
        Assert.Contains("'k'", Refused(() => TrackingLimits.ValidateExperimentTag(new Tag("k", new string('v', 5001)))).Message, StringComparison.Ordinal);
        Assert.Contains("'k'", Refused(() => TrackingLimits.ValidateRegistryTag(new Tag("k", new string('v', 5001)))).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("4f2a9c0e1b3d4e5f8a7b6c5d4e3f2a1b", true)]
    [InlineData("run-1_a", true)]
    [InlineData("-run", false)]
    [InlineData("../x", false)]
    [InlineData("a.b", false)]
    [InlineData("", false)]
    public void Run_ids_are_plain_folder_names(string runId, bool valid)
    {
        if (valid) TrackingLimits.ValidateRunId(runId);
        else Refused(() => TrackingLimits.ValidateRunId(runId));
    }

    [Fact]
    public void Dataset_fields_have_mlflows_limits()
    {
        TrackingLimits.ValidateDatasetInput(new DatasetInput(new Dataset(new string('n', 500), new string('d', 36), "local", "{}", null, null), [new Tag(new string('k', 255), new string('v', 500))]));
        Refused(() => TrackingLimits.ValidateDatasetInput(new DatasetInput(new Dataset(new string('n', 501), "d", "local", "{}", null, null), [])));
        Refused(() => TrackingLimits.ValidateDatasetInput(new DatasetInput(new Dataset("n", "d", "local", new string('s', 65536), null, null), [])));
        Refused(() => TrackingLimits.ValidateDatasetInput(new DatasetInput(new Dataset("n", "d", "local", "{}", new string('s', 1048576), null), [])));
        Refused(() => TrackingLimits.ValidateDatasetInput(new DatasetInput(new Dataset("n", "d", "", "{}", null, null), [])));
        Refused(() => TrackingLimits.ValidateDatasetInput(new DatasetInput(new Dataset("n", "d", "local", "{}", null, null), [new Tag(new string('k', 256), "v")])));
    }
}
