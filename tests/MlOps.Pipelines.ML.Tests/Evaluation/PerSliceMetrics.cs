using MlOps.Pipelines.ML.Evaluation;

namespace MlOps.Pipelines.ML.Tests.Evaluation;

public sealed class PerSliceMetrics
{
    // Codes index the labels: 0 = ORD, 1 = ATL, 2 = JFK, 3 = SFO (no rows). Row 5 has no slice.
    static readonly int[] Codes = [1, 0, 1, 2, 0, -1, 1];
    static readonly string[] Labels = ["ORD", "ATL", "JFK", "SFO"];

    [Fact]
    public void Each_slice_gets_its_rows_ascending_in_label_order()
    {
        var seen = new List<int[]>();
        var result = Slices.Compute(Codes, Labels, rows =>
        {
            seen.Add(rows);
            return rows.Length * 10 + rows[0];
        });
        Assert.Equal(["ATL", "JFK", "ORD"], result.Select(s => s.Key));
        Assert.Equal([3, 1, 2], result.Select(s => s.Rows));
        Assert.Equal([30.0, 13, 21], result.Select(s => s.Value));
        Assert.Equal(new[] { new[] { 0, 2, 6 }, [3], [1, 4] }, seen);
    }

    [Fact]
    public void Slices_with_too_few_rows_are_flagged_and_not_computed()
    {
        var calls = 0;
        var result = Slices.Compute(Codes, Labels, rows => ++calls, minRows: 2);
        var jfk = Assert.Single(result, s => s.Key == "JFK");
        Assert.True(jfk.TooFewRows);
        Assert.True(double.IsNaN(jfk.Value));
        Assert.Equal(2, calls);
        Assert.All(result.Where(s => s.Key != "JFK"), s => Assert.False(s.TooFewRows));
    }

    [Fact]
    public void Binary_slices_report_rows_positives_and_the_metrics_of_their_own_rows()
    {
        // Slice "b" = rows 0–2: scores 0.1 (−), 0.4 (−), 0.35 (+) → AUC: 0.35 beats 0.1 but not 0.4 = ½.
        // Slice "a" = rows 3–5: all positive → AUC undefined.
        double[] p = [0.1, 0.4, 0.35, 0.8, 0.3, 0.9];
        bool[] y = [false, false, true, true, true, true];
        var result = Slices.Binary([0, 0, 0, 1, 1, 1], ["b", "a"], p, y);
        Assert.Equal(["a", "b"], result.Select(s => s.Key));
        Assert.Equal((3, 3), (result[0].Rows, result[0].Positives));
        Assert.Equal((3, 1), (result[1].Rows, result[1].Positives));
        Assert.True(double.IsNaN(result[0].Metrics!.RocAuc));
        Assert.Equal(0.5, result[1].Metrics!.RocAuc, 12);
        Assert.Equal(BinaryMetrics.Brier([0.1, 0.4, 0.35], [false, false, true]), result[1].Metrics!.Brier);
        Assert.Equal(1, result[1].Metrics!.AtThreshold.FalseNegatives); // 0.35 < 0.5
    }

    [Fact]
    public void Binary_slices_below_the_minimum_keep_their_counts_but_no_metrics()
    {
        var result = Slices.Binary([0, 0, 1], ["x", "y"], [0.2, 0.7, 0.9], [false, true, true], minRows: 2);
        Assert.False(result[0].TooFewRows);
        Assert.True(result[1].TooFewRows);
        Assert.Null(result[1].Metrics);
        Assert.Equal((1, 1), (result[1].Rows, result[1].Positives));
    }

    [Fact]
    public void Bad_slice_input_is_refused()
    {
        Assert.Throws<ArgumentException>(() => Slices.Compute([0, 2], ["a", "b"], r => 0));
        Assert.Throws<ArgumentException>(() => Slices.Compute([0, 1], ["a", "a"], r => 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => Slices.Compute([0], ["a"], r => 0, minRows: 0));
        Assert.Throws<ArgumentException>(() => Slices.Binary([0], ["a"], [0.1, 0.2], [true, false]));
    }
}
