using MlOps.Pipelines.ML.Evaluation;

namespace MlOps.Pipelines.ML.Tests.Evaluation;

/// <summary>
/// Gates on their edges: a metric exactly on its threshold passes, the nearest double on the wrong side fails; a
/// challenger exactly equal to the champion passes a change gate of no tolerance; with no champion the change
/// gate is skipped whatever the challenger's metric. Each would catch a gate comparing with &gt; instead of &gt;=.
/// </summary>
public sealed class GateEdges
{
    static Dictionary<string, double> M(string name, double value) => new(StringComparer.Ordinal) { [name] = value };

    static GateVerdict Single(Gates gates, double value, double? champion = null) =>
        Assert.Single(gates.Evaluate(M("m", value), champion is { } c ? M("m", c) : null).Gates);

    [Fact]
    public void At_least_passes_exactly_on_the_threshold_and_fails_one_ulp_below()
    {
        var gates = Gates.Define().AtLeast("m", 0.65);
        Assert.True(Single(gates, 0.65).Passed);
        Assert.Equal("0.65 >= 0.65", Single(gates, 0.65).Reason);
        Assert.False(Single(gates, Math.BitDecrement(0.65)).Passed);
        Assert.True(Single(gates, Math.BitIncrement(0.65)).Passed);
    }

    [Fact]
    public void At_most_passes_exactly_on_the_threshold_and_fails_one_ulp_above()
    {
        var gates = Gates.Define().AtMost("m", 0.5);
        Assert.True(Single(gates, 0.5).Passed);
        Assert.Equal("0.5 <= 0.5", Single(gates, 0.5).Reason);
        Assert.False(Single(gates, Math.BitIncrement(0.5)).Passed);
        Assert.True(Single(gates, Math.BitDecrement(0.5)).Passed);
    }

    [Fact]
    public void A_challenger_equal_to_the_champion_passes_a_change_gate_of_no_tolerance_either_way()
    {
        var higher = Gates.Define().NotWorseThanChampion("m");
        Assert.True(Single(higher, 0.8, champion: 0.8).Passed);
        Assert.Equal("0.8 >= 0.8 (champion 0.8)", Single(higher, 0.8, champion: 0.8).Reason);
        Assert.False(Single(higher, Math.BitDecrement(0.8), champion: 0.8).Passed);

        var lower = Gates.Define().NotWorseThanChampion("m", higherIsBetter: false);
        Assert.True(Single(lower, 0.3, champion: 0.3).Passed);
        Assert.False(Single(lower, Math.BitIncrement(0.3), champion: 0.3).Passed);
    }

    [Fact]
    public void A_challenger_exactly_the_tolerance_worse_passes_and_one_ulp_more_fails()
    {
        // 0.75 − 0.25 and 0.25 + 0.25 are exact in binary, so the bound is exactly 0.5 both ways.
        var higher = Gates.Define().NotWorseThanChampion("m", tolerance: 0.25);
        Assert.Equal(0.5, Single(higher, 0.5, champion: 0.75).Threshold);
        Assert.True(Single(higher, 0.5, champion: 0.75).Passed);
        Assert.False(Single(higher, Math.BitDecrement(0.5), champion: 0.75).Passed);

        var lower = Gates.Define().NotWorseThanChampion("m", tolerance: 0.25, higherIsBetter: false);
        Assert.True(Single(lower, 0.5, champion: 0.25).Passed);
        Assert.False(Single(lower, Math.BitIncrement(0.5), champion: 0.25).Passed);
    }

    [Fact]
    public void Without_a_champion_the_change_gate_is_skipped_even_for_a_nan_or_missing_metric()
    {
        var gates = Gates.Define().NotWorseThanChampion("m");
        foreach (var verdict in new[] { Single(gates, double.NaN), Assert.Single(gates.Evaluate(M("other", 1)).Gates) })
        {
            Assert.True(verdict.Skipped);
            Assert.False(verdict.Failed);
            Assert.Equal("no champion: skipped", verdict.Reason);
        }
        Assert.True(gates.Evaluate(M("m", double.NaN)).Blessed);
        // With a champion, the same NaN blocks.
        Assert.False(gates.Evaluate(M("m", double.NaN), M("m", 0.7)).Blessed);
    }

    [Fact]
    public void A_slice_of_exactly_min_rows_is_judged_and_one_exactly_on_the_bar_passes()
    {
        var gates = Gates.Define().ForEverySlice("origin", "m", atLeast: 0.5, minRows: 100);
        IReadOnlyDictionary<string, IReadOnlyList<SliceValue>> Slices(params SliceValue[] values) =>
            new Dictionary<string, IReadOnlyList<SliceValue>> { ["origin"] = values };

        var onTheBar = Assert.Single(gates.Evaluate(M("m", 1), slices: Slices(new SliceValue("SEA", 100, M("m", 0.5)))).Gates);
        Assert.True(onTheBar.Passed);
        Assert.False(onTheBar.Skipped);
        var below = Assert.Single(gates.Evaluate(M("m", 1), slices: Slices(new SliceValue("SEA", 100, M("m", Math.BitDecrement(0.5))))).Gates);
        Assert.True(below.Failed);
        var tooSmall = Assert.Single(gates.Evaluate(M("m", 1), slices: Slices(new SliceValue("SEA", 99, M("m", 0)))).Gates);
        Assert.True(tooSmall.Skipped);

        var atMost = Gates.Define().ForEverySlice("origin", "m", atMost: 0.5);
        Assert.True(Assert.Single(atMost.Evaluate(M("m", 1), slices: Slices(new SliceValue("SEA", 1, M("m", 0.5)))).Gates).Passed);
        Assert.True(Assert.Single(atMost.Evaluate(M("m", 1), slices: Slices(new SliceValue("SEA", 1, M("m", Math.BitIncrement(0.5))))).Gates).Failed);
    }

    [Fact]
    public void The_worst_slice_is_the_lowest_score_or_the_highest_loss()
    {
        IReadOnlyDictionary<string, IReadOnlyList<SliceValue>> slices = new Dictionary<string, IReadOnlyList<SliceValue>>
        {
            ["origin"] = [new SliceValue("A", 10, M("m", 0.7)), new SliceValue("B", 10, M("m", 0.6)), new SliceValue("C", 10, M("m", 0.9))],
        };
        Assert.Equal(0.6, Assert.Single(Gates.Define().ForEverySlice("origin", "m", atLeast: 0.1).Evaluate(M("m", 1), slices: slices).Gates).Value);
        Assert.Equal(0.9, Assert.Single(Gates.Define().ForEverySlice("origin", "m", atMost: 1).Evaluate(M("m", 1), slices: slices).Gates).Value);
    }
}
