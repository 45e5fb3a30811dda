using MlOps.Pipelines.ML.Features;
using MlOps.Pipelines.ML.Training.Trees;

namespace MlOps.Pipelines.ML.Tests.Training;

public sealed class QuantileBinning
{
    static float[] Cuts(float[] values, int valueBins) =>
        Binning.Cuts(values, valueBins, new float[values.Length], new float[values.Length]);

    [Fact]
    public void Few_distinct_values_get_a_bin_each()
    {
        Assert.Equal([1f, 2.5f, 7f], Cuts([7, 1, float.NaN, -3, 2.5f, 1, 7], valueBins: 255));
        Assert.Empty(Cuts([float.NaN, float.NaN], 255));
        Assert.Empty(Cuts([4, 4, 4], 255));
    }

    [Fact]
    public void Many_values_are_cut_at_equal_ranks()
    {
        // 0 … 999 into 4 bins: cuts at ranks 250, 500, 750.
        var values = Enumerable.Range(0, 1000).Select(i => (float)((i * 7919) % 1000)).ToArray();
        Assert.Equal([250f, 500f, 750f], Cuts(values, 4));
        // Negative values, infinities and signed zeros sort correctly.
        Assert.Equal([-1f, 0f, 2f, float.PositiveInfinity], Cuts([float.PositiveInfinity, 2, -0f, 0f, float.NegativeInfinity, -1], 255));
    }

    [Fact]
    public void Binned_rows_agree_with_the_thresholds()
    {
        var random = new Random(3);
        var column = Enumerable.Range(0, 5000).Select(_ => random.Next(10) == 0 ? float.NaN : (float)Math.Round(random.NextDouble() * 100, 1)).ToArray();
        var matrix = FeatureMatrix.FromColumns(["a"], [column]);
        var layout = Binning.FindCuts(matrix, maxBins: 16, threads: 2);
        Assert.True(layout.Cuts[0].Length <= 14);
        var binned = Binning.Apply(matrix, layout, threads: 2, columnMajor: true);
        for (var r = 0; r < column.Length; r++)
        {
            var bin = binned.Bins[r];
            Assert.Equal(bin, binned.Columns![r]);
            if (float.IsNaN(column[r])) Assert.Equal(0, bin);
            else
                for (var b = 0; b < layout.BinCount(0) - 1; b++)
                    Assert.Equal(bin <= b, column[r] < layout.Threshold(0, b));
        }
    }
}
