using MlOps.Pipelines.ML.Features;

namespace MlOps.Pipelines.ML.Tests.Features;

public sealed class Statistics
{
    /// <summary>numpy's default quantile: sort, then interpolate linearly between the ranks around (n − 1) p.</summary>
    static double Reference(double[] values, double p)
    {
        var sorted = values.Where(v => !double.IsNaN(v)).Order().ToArray();
        if (sorted.Length == 0) return double.NaN;
        var h = (sorted.Length - 1) * p;
        var lo = (int)Math.Floor(h);
        var hi = Math.Min(lo + 1, sorted.Length - 1);
        return h == lo ? sorted[lo] : sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
    }

    static readonly double[] Probabilities = [0, 0.001, 0.1, 0.25, 0.5, 0.75, 0.9, 0.999, 1];

    public static TheoryData<string> Shapes => ["uniform", "ties", "constant", "outlier", "infinities", "nulls", "small", "lognormal"];

    static double[] Data(string shape)
    {
        var random = new Random(shape.Length * 31);
        var n = shape == "small" ? 37 : 300_000;
        return [.. Enumerable.Range(0, n).Select(i => shape switch
        {
            "ties" => random.Next(5),
            "constant" => 3.5,
            "outlier" => i == 17 ? 1e300 : random.NextDouble(),
            "infinities" => i % 1000 == 0 ? double.PositiveInfinity : i % 1000 == 1 ? double.NegativeInfinity : random.NextDouble(),
            "nulls" => i % 3 == 0 ? double.NaN : random.NextDouble() * 100,
            "lognormal" => Math.Exp(4 * (random.NextDouble() + random.NextDouble() - 1)),
            _ => random.NextDouble() * 1000 - 500,
        })];
    }

    [Theory, MemberData(nameof(Shapes))]
    public void Quantiles_equal_sorting_and_interpolating(string shape)
    {
        var values = Data(shape);
        var quantiles = Quantiles.Of(values, Probabilities, threads: 2);
        for (var i = 0; i < Probabilities.Length; i++) Assert.Equal(Reference(values, Probabilities[i]), quantiles[i]);
    }

    [Fact]
    public void Quantiles_of_nothing_are_missing()
    {
        Assert.All(Quantiles.Of([double.NaN, double.NaN], [0.5], threads: 1), q => Assert.True(double.IsNaN(q)));
        Assert.All(Quantiles.Of([], [0.1, 0.9], threads: 1), q => Assert.True(double.IsNaN(q)));
    }

    [Fact]
    public void Quantiles_do_not_depend_on_the_thread_count()
    {
        var values = Data("lognormal");
        Assert.Equal(Quantiles.Of(values, Probabilities, 1), Quantiles.Of(values, Probabilities, 4));
    }

    [Fact]
    public void Moments_match_the_textbook_formulas()
    {
        var values = Data("nulls");
        var present = values.Where(v => !double.IsNaN(v)).ToArray();
        var mean = present.Average();
        var variance = present.Sum(v => (v - mean) * (v - mean)) / present.Length;
        var moments = Enumerable.Range(0, (values.Length + 999) / 1000)
            .Select(b => Moments.Of(values.AsSpan(b * 1000, Math.Min(1000, values.Length - b * 1000))))
            .Aggregate(Moments.Empty, (a, b) => a.Merge(b));
        Assert.Equal(present.Length, moments.Count);
        Assert.Equal(mean, moments.Mean, 1e-9);
        Assert.Equal(variance, moments.Variance, 1e-6);
        Assert.Equal(present.Min(), moments.Min);
        Assert.Equal(present.Max(), moments.Max);
    }

    [Fact]
    public void Moments_of_only_missing_values_are_empty()
    {
        var moments = Moments.Of([double.NaN, double.NaN, double.NaN, double.NaN, double.NaN]);
        Assert.Equal(0, moments.Count);
        Assert.True(double.IsNaN(moments.Variance));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(15)]
    [InlineData(16)]
    [InlineData(17)]
    [InlineData(2047)]
    public void Moments_of_any_length_and_missing_values_anywhere_match_the_textbook_formulas(int length)
    {
        var random = new Random(length);
        var values = Enumerable.Range(0, length).Select(_ => random.Next(7) == 0 ? double.NaN : random.NextDouble() * 10 - 3).ToArray();
        var present = values.Where(v => !double.IsNaN(v)).ToArray();
        var moments = Moments.Of(values);
        Assert.Equal(present.Length, moments.Count);
        if (present.Length == 0) return;
        var mean = present.Average();
        Assert.Equal(mean, moments.Mean, 1e-12);
        Assert.Equal(present.Sum(v => (v - mean) * (v - mean)), moments.SumOfSquares, 1e-9);
        Assert.Equal(present.Min(), moments.Min);
        Assert.Equal(present.Max(), moments.Max);
    }

    /// <summary>The moments of an imputed column come from its input's by a merge; they must be what a pass over the imputed values finds.</summary>
    [Fact]
    public void Moments_of_an_imputed_column_equal_a_pass_over_the_imputed_values()
    {
        var random = new Random(3);
        var rows = 200_000;
        var values = Enumerable.Range(0, rows).Select(_ => random.Next(10) == 0 ? double.NaN : random.NextDouble() * 100).ToArray();
        var table = new MlOps.Pipelines.ML.Data.Tables.Table([new MlOps.Pipelines.ML.Data.Tables.Column<double>("x", values)]);
        var context = new FitContext(table, FeatureBackend.Cpu, 2);
        var imputed = new ImputeNode(new ColumnNode("x"), ImputeNode.Constant, 42.5);
        var merged = context.Moments(imputed);
        var filled = values.Select(v => double.IsNaN(v) ? 42.5 : v).ToArray();
        var mean = filled.Average();
        Assert.Equal(rows, merged.Count);
        Assert.Equal(mean, merged.Mean, 1e-9);
        Assert.Equal(filled.Sum(v => (v - mean) * (v - mean)) / rows, merged.Variance, 1e-6);
        Assert.Equal(filled.Min(), merged.Min);
        Assert.Equal(filled.Max(), merged.Max);
    }

    [Fact]
    public void Moments_of_an_imputed_column_with_infinities_are_measured_not_merged()
    {
        double[] values = [1, double.NaN, double.PositiveInfinity, 3];
        var table = new MlOps.Pipelines.ML.Data.Tables.Table([new MlOps.Pipelines.ML.Data.Tables.Column<double>("x", values)]);
        var imputed = new FitContext(table, FeatureBackend.Reference, 1).Moments(new ImputeNode(new ColumnNode("x"), ImputeNode.Constant, 2));
        var measured = Moments.Of([1, 2, double.PositiveInfinity, 3]);
        Assert.Equal(measured, imputed);
    }

    [Theory, MemberData(nameof(Shapes))]
    public void Quantiles_read_from_a_table_equal_those_of_the_values(string shape)
    {
        var values = Data(shape);
        var table = new MlOps.Pipelines.ML.Data.Tables.Table([new MlOps.Pipelines.ML.Data.Tables.Column<double>("x", values)]);
        foreach (var threads in new[] { 1, 3 })
        {
            var fromTable = new FitContext(table, FeatureBackend.Cpu, threads).Quantiles(new ColumnNode("x"), Probabilities);
            Assert.Equal(Quantiles.Of(values, Probabilities, threads: 1), fromTable);
        }
    }
}
