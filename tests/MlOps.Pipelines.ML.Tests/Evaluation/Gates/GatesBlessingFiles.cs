using System.Text;
using System.Text.Json;
using MlOps.Pipelines.ML.Evaluation;

namespace MlOps.Pipelines.ML.Tests.Evaluation;

public sealed class GatesBlessingFiles
{
    static Dictionary<string, double> M(params (string Name, double Value)[] metrics) =>
        metrics.ToDictionary(m => m.Name, m => m.Value, StringComparer.Ordinal);

    static Blessing Mixed() => Gates.Define("test")
        .AtLeast("roc_auc", 0.65)
        .NotWorseThanChampion("roc_auc", 0.005)
        .AtMost("log_loss", 0.5)
        .ForEverySlice("origin", "roc_auc", atLeast: 0.55, minRows: 200)
        .Evaluate(M(("roc_auc", 0.6123), ("log_loss", 0.61), ("brier", double.NaN)), champion: null,
            slices: new Dictionary<string, IReadOnlyList<SliceValue>>
            {
                ["origin"] = [new("ORD", 1204, M(("roc_auc", 0.6))), new("ATL", 50, M(("roc_auc", 0.2)))],
            });

    [Fact]
    public void The_failed_gates_table_aligns_gate_value_threshold_and_reason()
    {
        Assert.Equal(
        [
            "gate                        value   threshold  reason",
            "test roc_auc at least 0.65  0.6123  0.65       0.6123 < 0.65",
            "test log_loss at most 0.5   0.61    0.5        0.61 > 0.5",
        ], Mixed().FailedGatesTable());
    }

    [Fact]
    public void Failed_gates_exclude_passed_and_skipped_ones()
    {
        var blessing = Mixed();
        Assert.False(blessing.Blessed);
        Assert.Equal(["test roc_auc at least 0.65", "test log_loss at most 0.5"], blessing.FailedGates.Select(g => g.Name));
        Assert.Equal([false, true, false, false], blessing.Gates.Select(g => g.Skipped));
        Assert.Equal([false, false, false, true], blessing.Gates.Select(g => g.Passed));
    }

    [Fact]
    public void A_blessing_round_trips_through_json()
    {
        var blessing = Mixed();
        using var stream = new MemoryStream();
        blessing.Save(stream);
        stream.Position = 0;

        var loaded = Blessing.Load(stream);

        Assert.Equal(blessing.Blessed, loaded.Blessed);
        Assert.Equal(blessing.Metrics.Keys, loaded.Metrics.Keys);
        Assert.True(double.IsNaN(loaded.Metrics["brier"]));
        Assert.Equal(0.6123, loaded.Metrics["roc_auc"]);
        Assert.Null(loaded.ChampionMetrics);
        Assert.Equal(blessing.Gates, loaded.Gates); // NaN thresholds compare equal in records (double.Equals)
        Assert.Equal(blessing.FailedGatesTable(), loaded.FailedGatesTable());
    }

    [Fact]
    public void The_json_is_snake_case_and_versioned()
    {
        using var stream = new MemoryStream();
        Mixed().Save(stream);
        using var document = JsonDocument.Parse(stream.ToArray());
        var root = document.RootElement;

        Assert.Equal("mlops-blessing", root.GetProperty("format").GetString());
        Assert.Equal(Blessing.Version, root.GetProperty("version").GetInt32());
        Assert.False(root.GetProperty("blessed").GetBoolean());
        Assert.Equal("NaN", root.GetProperty("metrics").GetProperty("brier").GetString());
        var change = root.GetProperty("gates")[1];
        Assert.Equal("change", change.GetProperty("kind").GetString());
        Assert.Equal("no champion: skipped", change.GetProperty("reason").GetString());
        Assert.True(change.GetProperty("skipped").GetBoolean());
        Assert.Equal("origin", root.GetProperty("gates")[3].GetProperty("dimension").GetString());
        Assert.False(change.TryGetProperty("failed", out _));
    }

    [Fact]
    public void A_blessing_round_trips_through_a_file_with_a_champion()
    {
        var blessing = Gates.Define().NotWorseThanChampion("roc_auc", 0.005).Evaluate(M(("roc_auc", 0.7)), champion: M(("roc_auc", 0.69)));
        var path = Path.Combine(Path.GetTempPath(), $"blessing-{Guid.NewGuid():N}.json");
        try
        {
            blessing.Save(path);
            var loaded = Blessing.Load(path);
            Assert.True(loaded.Blessed);
            Assert.Equal(blessing.ChampionMetrics, loaded.ChampionMetrics);
            Assert.Equal(blessing.Gates, loaded.Gates);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData("{\"format\":\"mlops-blessing\",\"version\":2,\"blessed\":true,\"metrics\":{},\"champion_metrics\":null,\"gates\":[]}", "version 2")]
    [InlineData("{\"format\":\"feature-transform\",\"version\":1,\"blessed\":true,\"metrics\":{},\"champion_metrics\":null,\"gates\":[]}", "not a blessing")]
    [InlineData("{\"format\":\"mlops-blessing\",\"version\":1,\"blessed\":true,\"metrics\":{},\"champion_metrics\":null,\"gates\":[{\"name\":\"x\",\"kind\":\"value\",\"metric\":\"m\",\"value\":0,\"threshold\":1,\"passed\":false,\"skipped\":false,\"reason\":\"0 < 1\",\"dimension\":null}]}", "does not match")]
    [InlineData("{\"format\":\"mlops-blessing\",\"version\":1,\"blessd\":true}", "not a valid blessing")]
    public void Loading_refuses_other_formats_versions_and_tampering(string json, string message)
    {
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(json));
        var error = Assert.Throws<InvalidDataException>(() => Blessing.Load(stream));
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }
}
