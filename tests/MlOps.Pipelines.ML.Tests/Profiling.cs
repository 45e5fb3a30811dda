using MlOps.Pipelines.ML.Data.Tables;
using MlOps.Pipelines.ML.Data.Validation;

namespace MlOps.Pipelines.ML.Tests;

public sealed class Profiling
{
    static readonly Table Data = new([
        new Column<double>("x", new[] { 4.0, 2, 0, 1, 3 }, new[] { false, false, true, false, false }),
        StringColumn.FromValues("origin", ["SEA", "LAX", "SEA", "Seattle", "ORD"]),
        new Column<int>("constant", new[] { 7, 7, 7, 7, 7 }),
    ]);

    [Fact]
    public void Numeric_columns_get_counts_moments_quantiles_and_a_histogram()
    {
        var x = DataProfile.Of(Data).Columns[0];
        Assert.Equal((5L, 1L, 4L), (x.Count, x.Nulls, x.Distinct));
        Assert.Equal((1.0, 4.0, 2.5), (x.Min!.Value, x.Max!.Value, x.Mean!.Value));
        Assert.Equal(Math.Sqrt(1.25), x.StdDev!.Value, 12); // population deviation of 1, 2, 3, 4
        Assert.Equal(2.0, x.Quantiles!["p50"]); // nearest rank: the 2nd of 4
        Assert.Equal(4.0, x.Quantiles["p99"]);
        // Ten bins of width 0.3 from 1 to 4: 1 → bin 0, 2 → bin 3, 3 → bin 6, 4 → the last bin.
        Assert.Equal([1L, 0, 0, 1, 0, 0, 1, 0, 0, 1], x.Histogram!.Select(b => b.Count));
        Assert.Equal(4.0, x.Histogram![^1].To);
    }

    [Fact]
    public void Text_columns_get_their_most_frequent_values()
    {
        var origin = DataProfile.Of(Data, topValues: 3).Columns[1];
        Assert.Equal(4, origin.Distinct);
        Assert.Equal([new ValueCount("SEA", 2), new ValueCount("LAX", 1), new ValueCount("ORD", 1)], origin.TopValues!);
        Assert.Null(origin.Mean);
    }

    [Fact]
    public void A_constant_column_has_one_bin_and_the_same_table_gives_the_same_profile()
    {
        var constant = DataProfile.Of(Data).Columns[2];
        Assert.Equal([new HistogramBin(7, 7, 5)], constant.Histogram!);
        Assert.Equal(0, constant.StdDev);
        Assert.Equal(
            System.Text.Json.JsonSerializer.Serialize(DataProfile.Of(Data)),
            System.Text.Json.JsonSerializer.Serialize(DataProfile.Of(Data.Slice(0, 5))));
    }
}
