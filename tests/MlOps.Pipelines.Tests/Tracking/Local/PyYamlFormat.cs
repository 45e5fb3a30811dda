using MlOps.Pipelines.Tracking.Local;

namespace MlOps.Pipelines.Tests.Tracking.Local;

/// <summary>Expected texts are what PyYAML 6 (CSafeDumper, MLflow's <c>write_yaml</c> settings) writes for the same data.</summary>
public sealed class PyYamlFormat
{
    static string One(object? value) => PyYamlWriter.Write(new Dictionary<string, object?> { ["k"] = value });

    [Theory]
    [InlineData("", "k: ''\n")]
    [InlineData("0", "k: '0'\n")]
    [InlineData("123456789012345678", "k: '123456789012345678'\n")]
    [InlineData("1.0", "k: '1.0'\n")]
    [InlineData("1e5", "k: 1e5\n")]
    [InlineData("0129", "k: 0129\n")]
    [InlineData("0127", "k: '0127'\n")]
    [InlineData("0x1F", "k: '0x1F'\n")]
    [InlineData("1_000", "k: '1_000'\n")]
    [InlineData("12:30", "k: '12:30'\n")]
    [InlineData(".inf", "k: '.inf'\n")]
    [InlineData("null", "k: 'null'\n")]
    [InlineData("~", "k: '~'\n")]
    [InlineData("None", "k: None\n")]
    [InlineData("yes", "k: 'yes'\n")]
    [InlineData("On", "k: 'On'\n")]
    [InlineData("y", "k: y\n")]
    [InlineData("true", "k: 'true'\n")]
    [InlineData("2024-01-01", "k: '2024-01-01'\n")]
    [InlineData("active", "k: active\n")]
    [InlineData("4f2a9c0e1b3d4e5f8a7b6c5d4e3f2a1b", "k: 4f2a9c0e1b3d4e5f8a7b6c5d4e3f2a1b\n")]
    [InlineData("file:///tmp/mlruns/0", "k: file:///tmp/mlruns/0\n")]
    [InlineData("wistful-ant-659", "k: wistful-ant-659\n")]
    [InlineData("a b", "k: a b\n")]
    [InlineData(" a", "k: ' a'\n")]
    [InlineData("a ", "k: 'a '\n")]
    [InlineData("it's", "k: it's\n")]
    [InlineData("'x", "k: '''x'\n")]
    [InlineData("- a", "k: '- a'\n")]
    [InlineData("-a", "k: -a\n")]
    [InlineData("a: b", "k: 'a: b'\n")]
    [InlineData("a:b", "k: a:b\n")]
    [InlineData("a #b", "k: 'a #b'\n")]
    [InlineData("a#b", "k: a#b\n")]
    [InlineData("a,b", "k: a,b\n")]
    [InlineData("[x", "k: '[x'\n")]
    [InlineData("@x", "k: '@x'\n")]
    [InlineData("%x", "k: '%x'\n")]
    [InlineData("---", "k: '---'\n")]
    [InlineData("{\"uri\": \"/data/train.parquet\"}", "k: '{\"uri\": \"/data/train.parquet\"}'\n")]
    [InlineData("a\nb", "k: 'a\n\n  b'\n")]
    [InlineData("a\tb", "k: \"a\\tb\"\n")]
    [InlineData("a\n b", "k: \"a\\n b\"\n")]
    [InlineData("x\u007f", "k: \"x\\x7F\"\n")]
    [InlineData("\ufeffx", "k: \"\\uFEFFx\"\n")]
    [InlineData("é ü", "k: é ü\n")]
    [InlineData("😀", "k: \"\\U0001F600\"\n")]
    public void Strings_are_quoted_only_when_yaml_would_read_them_otherwise(string value, string expected) =>
        Assert.Equal(expected, One(value));

    [Fact]
    public void Long_strings_fold_at_a_space_past_column_80()
    {
        var text = new string('x', 30) + " " + new string('y', 60) + " z z";
        Assert.Equal($"k: {new string('x', 30)} {new string('y', 60)}\n  z z\n", One(text));
        var quoted = "'" + string.Concat(Enumerable.Repeat("q ", 50));
        Assert.Equal("k: '''q q q q q q q q q q q q q q q q q q q q q q q q q q q q q q q q q q q q q q\n  q q q q q q q q q q q q '\n", One(quoted));
    }

    [Fact]
    public void A_document_has_sorted_keys_block_lists_and_nested_mappings()
    {
        var text = PyYamlWriter.Write(new Dictionary<string, object?>
        {
            ["tags"] = new Dictionary<string, string?> { ["mlflow.data.context"] = "training", ["a"] = "1" },
            ["n"] = null,
            ["status"] = 3,
            ["time"] = 1721450907221L,
            ["flag"] = true,
            ["aliases"] = new[] { "champion", "v-next" },
            ["empty_list"] = Array.Empty<string>(),
            ["empty_map"] = new Dictionary<string, string?>(),
            ["Upper"] = "first",
        });
        Assert.Equal("""
            Upper: first
            aliases:
            - champion
            - v-next
            empty_list: []
            empty_map: {}
            flag: true
            n: null
            status: 3
            tags:
              a: '1'
              mlflow.data.context: training
            time: 1721450907221

            """.Replace("\r\n", "\n", StringComparison.Ordinal), text);
    }

    [Fact]
    public void A_mapping_key_longer_than_128_bytes_is_written_as_a_complex_key()
    {
        var key = new string('k', 130);
        var text = PyYamlWriter.Write(new Dictionary<string, object?> { ["tags"] = new Dictionary<string, string?> { [key] = "v", [""] = "e" } });
        Assert.Equal($"tags:\n  '': e\n  ? {key}\n  : v\n", text);
    }

    public static TheoryData<string> AwkwardStrings => new()
    {
        "", "null", "~", "0", "1.0", "it's", "a\nb", "a\n\nb", "a\n b", "a \nb", "\ttab", "x\u0085y", "x\u2028y", "line\r\nbreak",
        "😀 emoji", "\"quoted\"", "back\\slash", "  two leading", "trailing  ", "a" + new string(' ', 3) + "b",
        string.Join(" ", Enumerable.Repeat("word", 60)), string.Join("  ", Enumerable.Repeat("w", 80)),
        "{\"mlflow_colspec\": [" + string.Join(", ", Enumerable.Range(0, 20).Select(i => $"{{\"type\": \"double\", \"name\": \"x{i}\", \"required\": true}}")) + "]}",
        "tab\there " + string.Concat(Enumerable.Repeat("w ", 50)),
    };

    [Theory]
    [MemberData(nameof(AwkwardStrings))]
    public void What_is_written_reads_back_unchanged(string value)
    {
        var text = PyYamlWriter.Write(new Dictionary<string, object?>
        {
            ["value"] = value,
            ["list"] = new[] { value, "x" },
            ["nested"] = new Dictionary<string, string?> { ["k"] = value, [value] = "v" },
            ["after"] = "end",
        });
        var read = PyYamlReader.Read(text);
        Assert.Equal(value, read["value"] as string ?? (read["value"] is null ? PlainNull(value) : null));
        Assert.Equal([value, "x"], ((List<object?>)read["list"]!).Select(v => v as string ?? PlainNull(value)));
        Assert.Equal(value, ((Dictionary<string, object?>)read["nested"]!)["k"]);
        Assert.Equal("v", ((Dictionary<string, object?>)read["nested"]!)[value]);
        Assert.Equal("end", read["after"]);
    }

    // A quoted '' or 'null' is a string; the reader must not confuse it with a plain null.
    static string? PlainNull(string value) => value is "" or "null" or "~" ? "<plain null: quoting lost>" : null;

    [Fact]
    public void A_meta_yaml_written_by_mlflow_is_read()
    {
        const string text = """
            artifact_uri: file:///tmp/mlruns/1/4f2a9c0e1b3d4e5f8a7b6c5d4e3f2a1b/artifacts
            end_time: null
            entry_point_name: ''
            experiment_id: '1'
            lifecycle_stage: active
            run_id: 4f2a9c0e1b3d4e5f8a7b6c5d4e3f2a1b
            run_name: a very long run name that goes on and on and on and on until it has to fold over
              onto the next line
            source_type: 4
            status: 3
            tags: []
            user_id: alice

            """;
        var meta = PyYamlReader.Read(text);
        Assert.Equal("file:///tmp/mlruns/1/4f2a9c0e1b3d4e5f8a7b6c5d4e3f2a1b/artifacts", meta.GetString("artifact_uri"));
        Assert.Null(meta["end_time"]);
        Assert.Equal("", meta.GetString("entry_point_name"));
        Assert.Equal("1", meta.GetString("experiment_id"));
        Assert.Equal("a very long run name that goes on and on and on and on until it has to fold over onto the next line", meta.GetString("run_name"));
        Assert.Equal(3, meta.GetInt64("status"));
        Assert.Empty((List<object?>)meta["tags"]!);
        Assert.Equal("alice", meta.GetString("user_id"));
    }
}
