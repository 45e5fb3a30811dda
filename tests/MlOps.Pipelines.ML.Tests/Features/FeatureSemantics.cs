using MlOps.Pipelines.ML.Data.Tables;
using MlOps.Pipelines.ML.Features;

namespace MlOps.Pipelines.ML.Tests.Features;

/// <summary>Each operation on small tables whose answers are worked out by hand.</summary>
public sealed class FeatureSemantics
{
    static float[] One(FeatureSet set, Table training, Table? apply = null) => set.Fit(training).Transform(apply ?? training).Column(0).ToArray();

    static Table Numbers(params double[] x) => new([new Column<double>("x", x, x.Select(double.IsNaN).ToArray())]);

    [Fact]
    public void Standardise_uses_the_training_mean_and_population_deviation()
    {
        // mean 2, deviation sqrt(2/3)
        var z = One(new FeatureSet().Add("z", Feature.Numeric("x").Standardize()), Numbers(1, 2, 3), Numbers(2, 5));
        Assert.Equal(0f, z[0]);
        Assert.Equal((float)(3 / Math.Sqrt(2.0 / 3)), z[1], 1e-5f);
    }

    [Fact]
    public void Min_max_scaling_maps_the_training_range_to_zero_one()
    {
        var scaled = One(new FeatureSet().Add("s", Feature.Numeric("x").MinMaxScale()), Numbers(10, 20, 30), Numbers(10, 15, 40));
        Assert.Equal([0f, 0.25f, 1.5f], scaled);
    }

    [Fact]
    public void Constant_and_all_missing_columns_neither_divide_by_zero_nor_invent_values()
    {
        Assert.Equal([0f, 0f, 1f], One(new FeatureSet().Add("z", Feature.Numeric("x").Standardize()), Numbers(4, 4), Numbers(4, 4, 5)));
        Assert.Equal([0f, 1f], One(new FeatureSet().Add("z", Feature.Numeric("x").MinMaxScale()), Numbers(7, 7), Numbers(7, 8)));
        var empty = Numbers(double.NaN, double.NaN);
        Assert.Equal([0f, 0f], One(new FeatureSet().Add("m", Feature.Numeric("x").ImputeMean()), empty));
        Assert.All(One(new FeatureSet().Add("z", Feature.Numeric("x").Standardize()), empty), v => Assert.True(float.IsNaN(v)));
    }

    [Fact]
    public void Imputation_fills_missing_values_with_a_constant_the_mean_or_the_median()
    {
        var training = Numbers(1, double.NaN, 2, 10);
        Assert.Equal([1f, -1f, 2f, 10f], One(new FeatureSet().Add("c", Feature.Numeric("x").Impute(-1)), training));
        Assert.Equal([1f, 13 / 3f, 2f, 10f], One(new FeatureSet().Add("m", Feature.Numeric("x").ImputeMean()), training));
        Assert.Equal([1f, 2f, 2f, 10f], One(new FeatureSet().Add("m", Feature.Numeric("x").ImputeMedian()), training));
    }

    [Fact]
    public void Arithmetic_follows_ieee_rules_and_missing_values_pass_through()
    {
        var table = new Table([new Column<double>("a", new[] { 6.0, 1, 0, double.NaN }), new Column<long>("b", new long[] { 3, 0, 0, 1 })]);
        var ratio = One(new FeatureSet().Add("r", Feature.Numeric("a") / Feature.Numeric("b") * 2 - 1), table);
        Assert.Equal(3f, ratio[0]);
        Assert.Equal(float.PositiveInfinity, ratio[1]);
        Assert.True(float.IsNaN(ratio[2]));
        Assert.True(float.IsNaN(ratio[3]));
    }

    [Fact]
    public void Log1p_and_clip()
    {
        Assert.Equal([0f, (float)Math.Log(2), float.NegativeInfinity], One(new FeatureSet().Add("l", Feature.Numeric("x").Log1p()), Numbers(0, 1, -1)));
        Assert.Equal([-1f, 0.5f, 2f, float.NaN], One(new FeatureSet().Add("c", Feature.Numeric("x").Clip(-1, 2)), Numbers(-5, 0.5, 9, double.NaN)));
    }

    [Fact]
    public void Fixed_buckets_count_the_edges_at_or_below_each_value()
    {
        var buckets = One(new FeatureSet().Add("b", Feature.Numeric("x").Bucketize(0, 10, 100)), Numbers(-1, 0, 9.99, 10, 1000, double.NaN));
        Assert.Equal([0f, 1f, 1f, 2f, 3f, float.NaN], buckets);
        Assert.Throws<ArgumentException>(() => Feature.Numeric("x").Bucketize(1, 1));
    }

    [Fact]
    public void Quantile_buckets_split_the_training_rows_evenly_and_merge_tied_edges()
    {
        var training = Numbers([.. Enumerable.Range(1, 100).Select(i => (double)i)]);
        var quartiles = One(new FeatureSet().Add("q", Feature.Numeric("x").QuantileBuckets(4)), training);
        Assert.All(Enumerable.Range(0, 4), b => Assert.Equal(25, quartiles.Count(v => v == b)));
        // The quartiles of this column are 1, 1 and 1.25: the tied edges merge, leaving three buckets, not four.
        var tied = One(new FeatureSet().Add("q", Feature.Numeric("x").QuantileBuckets(4)), Numbers(1, 1, 1, 1, 1, 1, 2, 3), Numbers(0, 1, 1.1, 3));
        Assert.Equal([0f, 1f, 1f, 2f], tied);
    }

    static Table Cities(params string?[] city) => new([StringColumn.FromValues("city", city)]);

    [Fact]
    public void One_hot_keeps_the_most_frequent_categories_and_sends_the_rest_unseen_and_missing_to_other()
    {
        var transform = new FeatureSet().Add("c", Feature.Category("city").OneHot(maxCategories: 2)).Fit(Cities("b", "a", "b", "c", "a", "b", null));
        Assert.Equal(["c=a", "c=b", "c=<other>"], transform.OutputNames);
        var matrix = transform.Transform(Cities("a", "b", "c", "zzz", null));
        Assert.Equal([1f, 0f, 0f], matrix.Row(0));
        Assert.Equal([0f, 1f, 0f], matrix.Row(1));
        Assert.Equal([0f, 0f, 1f], matrix.Row(2));
        Assert.Equal([0f, 0f, 1f], matrix.Row(3));
        Assert.Equal([0f, 0f, 1f], matrix.Row(4));
    }

    [Fact]
    public void Ordinal_orders_categories_naturally_and_gives_unseen_the_count()
    {
        var hours = new Table([new Column<long>("h", new long[] { 10, 2, 10, 7 })]);
        var transform = new FeatureSet().Add("h", Feature.Numeric("h").AsCategory().Ordinal()).Fit(hours);
        Assert.Equal([2f, 0f, 2f, 1f, 3f], transform.Transform(new Table([new Column<long>("h", new long[] { 10, 2, 10, 7, 5 })])).Column(0).ToArray());
        Assert.Equal([1f, 0f, 2f, 2f], One(new FeatureSet().Add("c", Feature.Category("city").Ordinal()), Cities("b", "a"), Cities("b", "a", "c", null)));
    }

    [Fact]
    public void Frequency_is_the_training_share_and_zero_when_unseen()
    {
        Assert.Equal([0.75f, 0.25f, 0f, 0f], One(new FeatureSet().Add("f", Feature.Category("city").Frequency()), Cities("a", "b", "a", "a"), Cities("a", "b", "c", null)));
    }

    [Fact]
    public void Hashing_is_fnv1a_of_the_label_and_needs_no_vocabulary()
    {
        // FNV-1a 32 of "a" is 0xE40C292C (published test vector).
        Assert.Equal(0xE40C292Cu, HashedNode.Hash("a"));
        var buckets = One(new FeatureSet().Add("h", Feature.Category("city").Hashed(1000)), Cities("x"), Cities("a", "never-seen", null));
        Assert.Equal([0xE40C292Cu % 1000, HashedNode.Hash("never-seen") % 1000, 1000f], buckets);
    }

    [Fact]
    public void A_cross_is_a_category_per_seen_pair()
    {
        var table = new Table([StringColumn.FromValues("o", ["SEA", "SEA", "LAX", null]), StringColumn.FromValues("d", ["LAX", "SFO", "SEA", "SEA"])]);
        var transform = new FeatureSet().Add("route", Feature.Cross(Feature.Category("o"), Feature.Category("d")).OneHot()).Fit(table);
        Assert.Equal(["route=LAX|SEA", "route=SEA|LAX", "route=SEA|SFO", "route=<other>"], transform.OutputNames);
        var other = new Table([StringColumn.FromValues("d", ["SFO", "SEA"]), StringColumn.FromValues("o", ["SEA", "SFO"])]);
        var matrix = transform.Transform(other); // different dictionaries and column order: labels decide
        Assert.Equal([0f, 0f, 1f, 0f], matrix.Row(0));
        Assert.Equal([0f, 0f, 0f, 1f], matrix.Row(1));
    }

    [Fact]
    public void Date_parts_read_the_timestamp_as_stored()
    {
        var at = new Table([new Column<DateTime>("at", new[] { new DateTime(2024, 3, 17, 23, 59, 0, DateTimeKind.Utc), new DateTime(2024, 12, 2, 0, 0, 0, DateTimeKind.Utc) })]);
        var matrix = new FeatureSet().Add("h", Feature.Hour("at")).Add("d", Feature.DayOfWeek("at")).Add("m", Feature.Month("at")).Fit(at).Transform(at);
        Assert.Equal([23f, 0f, 3f], matrix.Row(0)); // a Sunday in March
        Assert.Equal([0f, 1f, 12f], matrix.Row(1)); // a Monday in December
    }

    [Fact]
    public void Missing_and_mistyped_columns_are_all_named_before_any_work()
    {
        var table = new Table([StringColumn.FromValues("city", ["a"]), new Column<double>("x", new[] { 1.0 })]);
        var set = new FeatureSet()
            .Add("a", Feature.Numeric("city"))
            .Add("b", Feature.Category("x").OneHot())
            .Add("c", Feature.Numeric("nope"))
            .Add("d", Feature.Hour("x"));
        var error = Assert.Throws<InvalidDataException>(() => set.Fit(table));
        Assert.Contains("feature 'a': column 'city' holds String values, not numbers", error.Message);
        Assert.Contains("feature 'b': column 'x' holds Float64 values, not text", error.Message);
        Assert.Contains("feature 'c': the table has no column 'nope'", error.Message);
        Assert.Contains("feature 'd': column 'x' holds Float64 values; hour needs a timestamp", error.Message);
    }

    [Fact]
    public void A_table_that_differs_from_the_training_one_is_refused()
    {
        var transform = new FeatureSet().Add("x", Feature.Numeric("x").Standardize()).Fit(Numbers(1, 2));
        var error = Assert.Throws<InvalidDataException>(() => transform.Transform(new Table([new Column<long>("x", new long[] { 1 })])));
        Assert.Contains("column 'x' holds Int64 values; the transform was fitted on Float64", error.Message);
        var row = Assert.Throws<ArgumentException>(() => transform.TransformRow(new Dictionary<string, object?> { ["y"] = 1.0 }));
        Assert.Contains("no value for column 'x'", row.Message);
    }

    [Fact]
    public void A_fractional_value_used_as_a_category_names_its_row()
    {
        var error = Assert.Throws<InvalidDataException>(() => new FeatureSet().Add("x", Feature.Numeric("x").AsCategory().OneHot()).Fit(Numbers(1, 2, 2.5)));
        Assert.Contains("row 3: x is 2.5", error.Message);
    }

    [Fact]
    public void Feature_names_are_unique()
    {
        var set = new FeatureSet().Add("x", Feature.Numeric("x"));
        Assert.Throws<ArgumentException>(() => set.Add("x", Feature.Numeric("y")));
    }
}
