using MlOps.Pipelines.ML.Packaging;

namespace MlOps.Pipelines.ML.Tests.Packaging;

/// <summary>The MLflow-facing text formats, against what PyYAML 6 and Python 3's json module write.</summary>
public sealed class PackageFormats
{
    [Theory]
    [InlineData("0123456789", "k: 0123456789\n")] // 8 and 9 are not octal digits: a string to YAML 1.1
    [InlineData("1e3", "k: 1e3\n")] // YAML 1.1 floats need a dot
    [InlineData("a: b", "k: 'a: b'\n")]
    [InlineData("-x", "k: -x\n")]
    [InlineData("it's", "k: it's\n")]
    [InlineData("it's: x", "k: 'it''s: x'\n")]
    [InlineData("yes", "k: 'yes'\n")]
    [InlineData("2024-01-01", "k: '2024-01-01'\n")]
    [InlineData("", "k: ''\n")]
    [InlineData("#x", "k: '#x'\n")]
    [InlineData("x #y", "k: 'x #y'\n")]
    [InlineData("a:b", "k: a:b\n")]
    [InlineData("12", "k: '12'\n")]
    [InlineData("null", "k: 'null'\n")]
    public void Strings_are_quoted_as_PyYAML_quotes_them(string value, string expected) =>
        Assert.Equal(expected, MlModelYaml.Write(new Dictionary<string, object?> { ["k"] = value }));

    [Fact]
    public void Mappings_are_sorted_and_nested_by_two()
    {
        var yaml = MlModelYaml.Write(new Dictionary<string, object?>
        {
            ["b"] = new Dictionary<string, object?> { ["z"] = 1, ["a"] = true, ["m"] = new Dictionary<string, object?>() },
            ["a"] = null,
        });
        Assert.Equal("a: null\nb:\n  a: true\n  m: {}\n  z: 1\n", yaml);
    }

    [Fact]
    public void A_long_plain_string_folds_under_its_key()
    {
        var words = string.Join(' ', Enumerable.Range(0, 20).Select(i => $"word{i}"));
        // python3 -c "import yaml; print(yaml.safe_dump({'k': ' '.join(f'word{i}' for i in range(20))}, default_flow_style=False))"
        Assert.Equal(
            "k: word0 word1 word2 word3 word4 word5 word6 word7 word8 word9 word10 word11 word12\n  word13 word14 word15 word16 word17 word18 word19\n",
            MlModelYaml.Write(new Dictionary<string, object?> { ["k"] = words }));
    }

    [Theory]
    [InlineData(1.0, "1.0")]
    [InlineData(1e-05, "1e-05")]
    [InlineData(1e16, "1e+16")]
    [InlineData(123.456, "123.456")]
    [InlineData(0.1, "0.1")]
    [InlineData(-2.5e-07, "-2.5e-07")]
    [InlineData(1234567890123456.0, "1234567890123456.0")]
    [InlineData(1e22, "1e+22")]
    [InlineData(0.0001, "0.0001")]
    [InlineData(5e-324, "5e-324")]
    [InlineData(100.0, "100.0")]
    [InlineData(-0.0, "-0.0")]
    [InlineData(double.NaN, "NaN")]
    [InlineData(double.NegativeInfinity, "-Infinity")]
    public void Floats_are_written_as_Python_repr(double value, string expected) => Assert.Equal(expected, PythonJson.FloatRepr(value));

    [Fact]
    public void Strings_are_escaped_to_ASCII_as_json_dumps_does() =>
        Assert.Equal("""["caf\u00e9", "a\"b\\c\n", "\u007f", {"k": null}]""",
            PythonJson.Write(new object?[] { "café", "a\"b\\c\n", "\u007f", new PythonJson.Obj(("k", null)) }));

    [Fact]
    public void Python_times_have_microseconds_only_when_there_are_some()
    {
        Assert.Equal("2024-05-01 12:00:00", ModelPackage.PythonUtcTime(new DateTime(2024, 5, 1, 12, 0, 0, DateTimeKind.Utc)));
        Assert.Equal("2024-05-01 12:00:00.000001", ModelPackage.PythonUtcTime(new DateTime(2024, 5, 1, 12, 0, 0, DateTimeKind.Utc).AddTicks(19)));
    }
}
