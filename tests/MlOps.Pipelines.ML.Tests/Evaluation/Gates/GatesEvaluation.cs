using MlOps.Pipelines.ML.Evaluation;

namespace MlOps.Pipelines.ML.Tests.Evaluation;

public sealed class GatesEvaluation
{
    static Dictionary<string, double> M(params (string Name, double Value)[] metrics) =>
        metrics.ToDictionary(m => m.Name, m => m.Value, StringComparer.Ordinal);

    static SliceValue S(string key, int rows, double auc) => new(key, rows, M(("roc_auc", auc)));

    [Fact]
    public void Passing_value_gates_bless_and_record_value_threshold_and_reason()
    {
        var blessing = Gates.Define("test").AtLeast("roc_auc", 0.65).AtMost("log_loss", 0.5)
            .Evaluate(M(("roc_auc", 0.7), ("log_loss", 0.4)));

        Assert.True(blessing.Blessed);
        Assert.Equal(
        [
            new GateVerdict("test roc_auc at least 0.65", GateKind.Value, "roc_auc", 0.7, 0.65, true, false, "0.7 >= 0.65"),
            new GateVerdict("test log_loss at most 0.5", GateKind.Value, "log_loss", 0.4, 0.5, true, false, "0.4 <= 0.5"),
        ], blessing.Gates);
        Assert.Equal(M(("log_loss", 0.4), ("roc_auc", 0.7)), blessing.Metrics);
        Assert.Null(blessing.ChampionMetrics);
        Assert.Empty(blessing.FailedGatesTable());
    }

    [Fact]
    public void A_value_below_its_threshold_fails_and_blocks()
    {
        var blessing = Gates.Define("test").AtLeast("roc_auc", 0.65).Evaluate(M(("roc_auc", 0.61234)));

        Assert.False(blessing.Blessed);
        var gate = Assert.Single(blessing.Gates);
        Assert.False(gate.Passed);
        Assert.False(gate.Skipped);
        Assert.True(gate.Failed);
        Assert.Equal("0.6123 < 0.65", gate.Reason);
    }

    [Fact]
    public void A_loss_above_its_bound_fails()
    {
        var gate = Assert.Single(Gates.Define().AtMost("brier", 0.2).Evaluate(M(("brier", 0.25))).Gates);
        Assert.True(gate.Failed);
        Assert.Equal("brier at most 0.2", gate.Name);
        Assert.Equal("0.25 > 0.2", gate.Reason);
    }

    [Fact]
    public void A_missing_metric_fails_a_value_gate_with_a_clear_reason()
    {
        var blessing = Gates.Define().AtLeast("roc_auc", 0.65).Evaluate(M(("log_loss", 0.4)));
        Assert.False(blessing.Blessed);
        var gate = Assert.Single(blessing.Gates);
        Assert.True(double.IsNaN(gate.Value));
        Assert.Equal("no roc_auc metric", gate.Reason);
    }

    [Fact]
    public void A_NaN_metric_fails_value_and_change_gates()
    {
        var blessing = Gates.Define().AtLeast("roc_auc", 0.65).NotWorseThanChampion("roc_auc", 0.005)
            .Evaluate(M(("roc_auc", double.NaN)), champion: M(("roc_auc", 0.7)));
        Assert.False(blessing.Blessed);
        Assert.All(blessing.Gates, g => Assert.True(g.Failed));
        Assert.All(blessing.Gates, g => Assert.Equal("roc_auc is NaN", g.Reason));
    }

    [Fact]
    public void Change_gates_compare_with_the_champion_within_the_tolerance()
    {
        var gates = Gates.Define("test").NotWorseThanChampion("roc_auc", 0.005).NotWorseThanChampion("log_loss", 0.01, higherIsBetter: false);
        var champion = M(("roc_auc", 0.70), ("log_loss", 0.40));

        var close = gates.Evaluate(M(("roc_auc", 0.696), ("log_loss", 0.405)), champion);
        Assert.True(close.Blessed);
        Assert.Equal(["test roc_auc not below champion - 0.005", "test log_loss not above champion + 0.01"], close.Gates.Select(g => g.Name));
        Assert.Equal(0.695, close.Gates[0].Threshold, 12);
        Assert.Equal(0.41, close.Gates[1].Threshold, 12);
        Assert.Equal("0.696 >= 0.695 (champion 0.7)", close.Gates[0].Reason);

        var worse = gates.Evaluate(M(("roc_auc", 0.69), ("log_loss", 0.42)), champion);
        Assert.False(worse.Blessed);
        Assert.All(worse.Gates, g => Assert.True(g.Failed));
        Assert.Equal("0.69 < 0.695 (champion 0.7)", worse.Gates[0].Reason);
        Assert.Equal("0.42 > 0.41 (champion 0.4)", worse.Gates[1].Reason);
        Assert.Equal(champion, worse.ChampionMetrics);
    }

    [Fact]
    public void Without_a_champion_change_gates_are_skipped_and_do_not_block()
    {
        var blessing = Gates.Define().AtLeast("roc_auc", 0.65).NotWorseThanChampion("roc_auc", 0.005).Evaluate(M(("roc_auc", 0.66)));
        Assert.True(blessing.Blessed);
        var change = blessing.Gates[1];
        Assert.Equal(GateKind.Change, change.Kind);
        Assert.True(change.Skipped);
        Assert.False(change.Passed);
        Assert.False(change.Failed);
        Assert.True(double.IsNaN(change.Threshold));
        Assert.Equal(0.66, change.Value);
        Assert.Equal("no champion: skipped", change.Reason);
    }

    [Fact]
    public void A_champion_lacking_the_metric_skips_the_change_gate()
    {
        var blessing = Gates.Define().NotWorseThanChampion("average_precision", 0.01)
            .Evaluate(M(("average_precision", 0.3)), champion: M(("roc_auc", 0.7)));
        Assert.True(blessing.Blessed);
        var gate = Assert.Single(blessing.Gates);
        Assert.True(gate.Skipped);
        Assert.Equal("champion has no average_precision: skipped", gate.Reason);
    }

    [Fact]
    public void A_slice_gate_lists_every_failing_slice_sorted_and_skips_small_ones()
    {
        var gates = Gates.Define("test").ForEverySlice("origin", "roc_auc", atLeast: 0.55, minRows: 200);
        IReadOnlyList<SliceValue> origin = [S("SFO", 300, 0.50), S("ATL", 5000, 0.70), S("XNA", 12, 0.10), S("ORD", 1204, 0.51)];

        var blessing = gates.Evaluate(M(("roc_auc", 0.7)), slices: new Dictionary<string, IReadOnlyList<SliceValue>> { ["origin"] = origin });

        Assert.False(blessing.Blessed);
        var gate = Assert.Single(blessing.Gates);
        Assert.Equal("test roc_auc at least 0.55 in every origin slice of 200+ rows", gate.Name);
        Assert.Equal(GateKind.Slice, gate.Kind);
        Assert.Equal("origin", gate.Dimension);
        Assert.Equal(0.50, gate.Value);
        Assert.Equal(0.55, gate.Threshold);
        Assert.Equal("slice ORD: 0.51 < 0.55 (1,204 rows); slice SFO: 0.5 < 0.55 (300 rows); 1 under 200 rows skipped", gate.Reason);
    }

    [Fact]
    public void A_slice_gate_passes_when_every_large_enough_slice_meets_the_bar()
    {
        var gates = Gates.Define().ForEverySlice("origin", "roc_auc", atLeast: 0.55, minRows: 200);
        IReadOnlyList<SliceValue> origin = [S("ATL", 5000, 0.70), S("XNA", 12, 0.10), S("ORD", 1204, 0.61)];

        var gate = Assert.Single(gates.Evaluate(M(), slices: new Dictionary<string, IReadOnlyList<SliceValue>> { ["origin"] = origin }).Gates);

        Assert.True(gate.Passed);
        Assert.Equal(0.61, gate.Value);
        Assert.Equal("2 slices pass, worst ORD 0.61; 1 under 200 rows skipped", gate.Reason);
    }

    [Fact]
    public void A_slice_with_a_NaN_or_missing_metric_fails_and_missing_slices_fail()
    {
        var gates = Gates.Define().ForEverySlice("origin", "log_loss", atMost: 0.6);
        IReadOnlyList<SliceValue> origin = [new("ATL", 10, M(("log_loss", double.NaN))), new("JFK", 10, M()), new("ORD", 10, M(("log_loss", 0.5)))];

        var gate = Assert.Single(gates.Evaluate(M(), slices: new Dictionary<string, IReadOnlyList<SliceValue>> { ["origin"] = origin }).Gates);
        Assert.True(gate.Failed);
        Assert.Equal("slice ATL: log_loss is NaN (10 rows); slice JFK: no log_loss (10 rows)", gate.Reason);

        var none = Assert.Single(gates.Evaluate(M()).Gates);
        Assert.True(none.Failed);
        Assert.Equal("no origin slices", none.Reason);
    }

    [Fact]
    public void Binary_slices_convert_to_named_slice_metrics()
    {
        int[] codes = [0, 0, 0, 0, 1, 1];
        double[] p = [0.9, 0.8, 0.2, 0.1, 0.7, 0.3];
        bool[] y = [true, true, false, false, false, true];
        var slices = SliceValue.FromBinary(Slices.Binary(codes, ["A", "B"], p, y, minRows: 3));

        Assert.Equal(1.0, slices[0].Metrics["roc_auc"]);
        Assert.Empty(slices[1].Metrics);
        var gate = Assert.Single(Gates.Define().ForEverySlice("s", "roc_auc", atLeast: 0.6, minRows: 2)
            .Evaluate(M(), slices: new Dictionary<string, IReadOnlyList<SliceValue>> { ["s"] = slices }).Gates);
        Assert.Equal("slice B: no roc_auc (2 rows)", gate.Reason);
    }

    [Fact]
    public void Declarations_are_checked()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Gates.Define().AtLeast("roc_auc", double.NaN));
        Assert.Throws<ArgumentOutOfRangeException>(() => Gates.Define().NotWorseThanChampion("roc_auc", -0.1));
        Assert.Throws<ArgumentException>(() => Gates.Define().AtLeast(" ", 0.5));
        Assert.Throws<ArgumentException>(() => Gates.Define().ForEverySlice("origin", "roc_auc"));
        Assert.Throws<ArgumentException>(() => Gates.Define().ForEverySlice("origin", "roc_auc", atLeast: 0.5, atMost: 0.9));
    }

    [Fact]
    public void No_gates_bless()
    {
        Assert.True(Gates.Define().Evaluate(M(("roc_auc", 0.1))).Blessed);
    }
}
