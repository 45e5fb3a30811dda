namespace MlOps.Pipelines.ML.Features;

/// <summary>
/// Where feature expressions start: columns of a table, calendar parts of a timestamp, crosses of categoricals.
/// <code>
/// new FeatureSet()
///     .Add("log_distance", Feature.Numeric("distance").Log1p().Standardize())
///     .Add("hour", Feature.Hour("departure").AsCategory().OneHot())
///     .Add("route", Feature.Cross(Feature.Category("origin"), Feature.Category("destination")).Hashed(1024));
/// </code>
/// </summary>
public static class Feature
{
    /// <summary>A numeric, boolean (0/1) or timestamp (seconds since 1970) column; nulls are missing (NaN).</summary>
    public static NumericFeature Numeric(string column) => new(new ColumnNode(Name(column)));

    /// <summary>A text column as a categorical.</summary>
    public static CategoricalFeature Category(string column) => new(new CategoryColumnNode(Name(column)));

    /// <summary>The hour (0–23) of a timestamp column.</summary>
    public static NumericFeature Hour(string column) => new(new DatePartNode(Name(column), DatePartNode.Hour));

    /// <summary>The day of the week of a timestamp column: 0 Sunday … 6 Saturday.</summary>
    public static NumericFeature DayOfWeek(string column) => new(new DatePartNode(Name(column), DatePartNode.DayOfWeek));

    /// <summary>The month (1–12) of a timestamp column.</summary>
    public static NumericFeature Month(string column) => new(new DatePartNode(Name(column), DatePartNode.Month));

    /// <summary>Each seen combination of the two categoricals as a category of its own ("a|b").</summary>
    public static CategoricalFeature Cross(CategoricalFeature left, CategoricalFeature right) => new(new CrossNode(left.Node, right.Node));

    static string Name(string column)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(column);
        return column;
    }
}

/// <summary>
/// A numeric expression over table columns. Steps that learn something (imputing a mean or median, scaling,
/// quantile buckets) learn it from the table passed to <see cref="FeatureSet.Fit"/> — the training rows only.
/// Missing values are NaN and pass through every step except imputation.
/// </summary>
public sealed class NumericFeature
{
    internal NumericFeature(NumericNode node) => Node = node;

    internal NumericNode Node { get; }

    public static implicit operator NumericFeature(double value) => new(new ConstantNode(value));

    public static NumericFeature operator +(NumericFeature left, NumericFeature right) => new(new BinaryNode(left.Node, BinaryOperator.Add, right.Node));
    public static NumericFeature operator -(NumericFeature left, NumericFeature right) => new(new BinaryNode(left.Node, BinaryOperator.Subtract, right.Node));
    public static NumericFeature operator *(NumericFeature left, NumericFeature right) => new(new BinaryNode(left.Node, BinaryOperator.Multiply, right.Node));

    /// <summary>A ratio; IEEE rules for a zero divisor (±∞, or NaN for 0/0).</summary>
    public static NumericFeature operator /(NumericFeature left, NumericFeature right) => new(new BinaryNode(left.Node, BinaryOperator.Divide, right.Node));

    /// <summary>log(1 + x): NaN below −1, −∞ at −1.</summary>
    public NumericFeature Log1p() => new(new Log1pNode(Node));

    /// <summary>Values below <paramref name="min"/> become min, above <paramref name="max"/> become max.</summary>
    public NumericFeature Clip(double min, double max)
    {
        if (double.IsNaN(min) || double.IsNaN(max) || min > max)
            throw new ArgumentException($"Clip needs min ≤ max (got {min} and {max}).");
        return new(new ClipNode(Node, min, max));
    }

    /// <summary>Missing values replaced by <paramref name="value"/>.</summary>
    public NumericFeature Impute(double value) => new(new ImputeNode(Node, ImputeNode.Constant, value));

    /// <summary>Missing values replaced by the training mean (0 when training has no value).</summary>
    public NumericFeature ImputeMean() => new(new ImputeNode(Node, ImputeNode.Mean, null));

    /// <summary>Missing values replaced by the training median (0 when training has no value).</summary>
    public NumericFeature ImputeMedian() => new(new ImputeNode(Node, ImputeNode.Median, null));

    /// <summary>(x − mean) / standard deviation of the training values (population); a constant column maps to x − mean.</summary>
    public NumericFeature Standardize() => new(new ScaleNode(Node, ScaleNode.Standardize, null, null));

    /// <summary>(x − min) / (max − min) of the training values, so training values fall in [0, 1].</summary>
    public NumericFeature MinMaxScale() => new(new ScaleNode(Node, ScaleNode.MinMax, null, null));

    /// <summary>The bucket index: how many of the ascending <paramref name="edges"/> are ≤ x (0 … edges.Length).</summary>
    public NumericFeature Bucketize(params double[] edges)
    {
        ArgumentNullException.ThrowIfNull(edges);
        for (var i = 0; i < edges.Length; i++)
            if (double.IsNaN(edges[i]) || (i > 0 && edges[i] <= edges[i - 1]))
                throw new ArgumentException($"Bucket edges must be strictly ascending numbers; edge {i} is {edges[i]}.", nameof(edges));
        return new(new BucketizeNode(Node, [.. edges], null));
    }

    /// <summary>The bucket index among <paramref name="buckets"/> buckets of equal training frequency (edges at the training quantiles; tied edges merge).</summary>
    public NumericFeature QuantileBuckets(int buckets)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(buckets, 2);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(buckets, 1000);
        return new(new BucketizeNode(Node, null, buckets));
    }

    /// <summary>Whole-number values (0 … 65535: an hour, a bucket) as categories, for one-hot or other encodings.</summary>
    public CategoricalFeature AsCategory() => new(new NumericCategoryNode(Node));

    public override string ToString() => Node.Describe();
}

/// <summary>A categorical expression; it becomes numbers through one of its encodings.</summary>
public sealed class CategoricalFeature
{
    internal CategoricalFeature(CategoricalNode node) => Node = node;

    internal CategoricalNode Node { get; }

    /// <summary>A 0/1 column for each of the <paramref name="maxCategories"/> most frequent training categories, and one ("&lt;other&gt;") for the rest, unseen and missing.</summary>
    public EncodedFeature OneHot(int maxCategories = 100)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxCategories, 1);
        return new(new OneHotNode(Node, maxCategories, null));
    }

    /// <summary>The index among the training categories in natural order (numeric labels by value); unseen and missing get their count.</summary>
    public EncodedFeature Ordinal() => new(new OrdinalNode(Node, null));

    /// <summary>The category's share of the training rows; 0 when unseen or missing.</summary>
    public EncodedFeature Frequency() => new(new FrequencyNode(Node, null, null));

    /// <summary>A stable hash bucket 0 … buckets − 1 (missing: <paramref name="buckets"/>), for high cardinality.</summary>
    public EncodedFeature Hashed(int buckets)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(buckets, 1);
        return new(new HashedNode(Node, buckets));
    }

    public override string ToString() => Node.Describe();
}

/// <summary>A categorical with its encoding, ready to add to a <see cref="FeatureSet"/>.</summary>
public sealed class EncodedFeature
{
    internal EncodedFeature(EncodedNode node) => Node = node;

    internal EncodedNode Node { get; }

    public override string ToString() => Node.Describe();
}
