using System.Globalization;
using System.Text.Json.Serialization;
using MlOps.Pipelines.ML.Data.Tables;

namespace MlOps.Pipelines.ML.Features;

/// <summary>
/// A categorical value per row of one table: a code per row (−1 when missing) into that table's own labels.
/// Encoders map labels, never codes, to what they learnt, so tables with different dictionaries agree.
/// </summary>
internal sealed record Categories(ReadOnlyMemory<int> Codes, IReadOnlyList<string> Labels);

[JsonPolymorphic(TypeDiscriminatorPropertyName = "op")]
[JsonDerivedType(typeof(CategoryColumnNode), "column")]
[JsonDerivedType(typeof(NumericCategoryNode), "whole-number")]
[JsonDerivedType(typeof(CrossNode), "cross")]
internal abstract record CategoricalNode
{
    internal abstract CategoricalNode Fit(FitContext context);
    internal abstract bool IsFitted { get; }
    internal abstract Categories Evaluate(Table table, FeatureBackend backend, int threads);
    internal abstract IEnumerable<string> Columns { get; }
    internal abstract void Check(Table table, string feature, List<string> errors);
    internal abstract string Describe();
}

/// <summary>A text (string or categorical) column, read through its dictionary: no string per row.</summary>
internal sealed record CategoryColumnNode(string Column) : CategoricalNode
{
    internal override CategoricalNode Fit(FitContext context) => this;
    internal override bool IsFitted => true;
    internal override IEnumerable<string> Columns => [Column];

    internal override Categories Evaluate(Table table, FeatureBackend backend, int threads)
    {
        var column = table.GetString(Column);
        return new Categories(column.Codes, column.Dictionary);
    }

    internal override void Check(Table table, string feature, List<string> errors)
    {
        if (!table.Contains(Column)) errors.Add($"feature '{feature}': the table has no column '{Column}'");
        else if (table[Column] is not StringColumn)
            errors.Add($"feature '{feature}': column '{Column}' holds {table[Column].Type} values, not text (use .AsCategory() on a numeric feature)");
    }

    internal override string Describe() => Column;
}

/// <summary>A numeric feature whose whole-number values (0 … 65535, e.g. an hour or a bucket index) are categories.</summary>
internal sealed record NumericCategoryNode(NumericNode Input) : CategoricalNode
{
    internal const int Limit = 1 << 16;

    internal override CategoricalNode Fit(FitContext context) => this with { Input = Input.Fit(context) };
    internal override bool IsFitted => Input.IsFitted;
    internal override IEnumerable<string> Columns => Input.Columns;
    internal override void Check(Table table, string feature, List<string> errors) => Input.Check(table, feature, errors);

    internal override Categories Evaluate(Table table, FeatureBackend backend, int threads)
    {
        var values = ColumnEvaluator.Evaluate(Input, table, backend, threads);
        var codes = new int[values.Length];
        var largest = -1;
        for (var i = 0; i < values.Length; i++)
        {
            var x = values[i];
            if (double.IsNaN(x))
            {
                codes[i] = -1;
                continue;
            }
            if (x is < 0 or >= Limit || x != Math.Floor(x))
                throw new InvalidDataException($"row {i + 1}: {Input.Describe()} is {x.ToString(CultureInfo.InvariantCulture)}; as a category it must be a whole number from 0 to {Limit - 1}");
            codes[i] = (int)x;
            largest = Math.Max(largest, codes[i]);
        }
        return new Categories(codes, [.. Enumerable.Range(0, largest + 1).Select(v => v.ToString(CultureInfo.InvariantCulture))]);
    }

    internal override string Describe() => Input.Describe();
}

/// <summary>Every combination of two categoricals seen in a table is a category ("a|b"); missing when either is.</summary>
internal sealed record CrossNode(CategoricalNode Left, CategoricalNode Right) : CategoricalNode
{
    internal const string Separator = "|";

    internal override CategoricalNode Fit(FitContext context) => this with { Left = Left.Fit(context), Right = Right.Fit(context) };
    internal override bool IsFitted => Left.IsFitted && Right.IsFitted;
    internal override IEnumerable<string> Columns => Left.Columns.Concat(Right.Columns);

    internal override void Check(Table table, string feature, List<string> errors)
    {
        Left.Check(table, feature, errors);
        Right.Check(table, feature, errors);
    }

    internal override Categories Evaluate(Table table, FeatureBackend backend, int threads)
    {
        var left = Left.Evaluate(table, backend, threads);
        var right = Right.Evaluate(table, backend, threads);
        var leftCodes = left.Codes.Span;
        var rightCodes = right.Codes.Span;
        var codes = new int[leftCodes.Length];
        // Codes in order of first appearance: one pass, the same codes for the same rows.
        var pairs = new Dictionary<long, int>();
        var labels = new List<string>();
        for (var i = 0; i < codes.Length; i++)
        {
            if (leftCodes[i] < 0 || rightCodes[i] < 0)
            {
                codes[i] = -1;
                continue;
            }
            var key = ((long)leftCodes[i] << 32) | (uint)rightCodes[i];
            if (!pairs.TryGetValue(key, out var code))
            {
                code = labels.Count;
                pairs[key] = code;
                labels.Add(left.Labels[leftCodes[i]] + Separator + right.Labels[rightCodes[i]]);
            }
            codes[i] = code;
        }
        return new Categories(codes, labels);
    }

    internal override string Describe() => $"cross({Left.Describe()}, {Right.Describe()})";
}
