using System.Globalization;
using System.Text.Json.Serialization;
using MlOps.Pipelines.ML.Data.Tables;

namespace MlOps.Pipelines.ML.Features;

/// <summary>
/// A numeric feature expression, before and after fitting (fitted nodes carry their learnt statistics). The same
/// records are the transform's JSON form, so what is saved is exactly what runs.
/// </summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "op")]
[JsonDerivedType(typeof(ColumnNode), "column")]
[JsonDerivedType(typeof(DatePartNode), "date-part")]
[JsonDerivedType(typeof(ConstantNode), "constant")]
[JsonDerivedType(typeof(Log1pNode), "log1p")]
[JsonDerivedType(typeof(BinaryNode), "binary")]
[JsonDerivedType(typeof(ClipNode), "clip")]
[JsonDerivedType(typeof(ImputeNode), "impute")]
[JsonDerivedType(typeof(ScaleNode), "scale")]
[JsonDerivedType(typeof(BucketizeNode), "bucketize")]
internal abstract record NumericNode
{
    /// <summary>A copy with every statistic learnt from the training rows; unchanged when nothing is learnt.</summary>
    internal abstract NumericNode Fit(FitContext context);

    internal abstract bool IsFitted { get; }

    /// <summary>
    /// Writes the values of rows [start, start + destination.Length) into <paramref name="destination"/>, using scratch
    /// buffers from <paramref name="level"/> on (deeper operands use the next ones).
    /// </summary>
    internal abstract void Evaluate(BlockContext block, int start, Span<double> destination, int level);

    /// <summary>How many scratch buffers evaluation needs.</summary>
    internal abstract int Depth { get; }

    internal abstract IEnumerable<string> Columns { get; }

    internal virtual void Check(Table table, string feature, List<string> errors)
    {
    }

    internal abstract string Describe();

    static protected string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}

/// <summary>A numeric, boolean or timestamp column (timestamps as seconds since the Unix epoch).</summary>
internal sealed record ColumnNode(string Column) : NumericNode
{
    internal override NumericNode Fit(FitContext context) => this;
    internal override bool IsFitted => true;
    internal override int Depth => 0;
    internal override IEnumerable<string> Columns => [Column];

    internal override void Evaluate(BlockContext block, int start, Span<double> destination, int level) =>
        ColumnLoader.Load(block.Table[Column], start, destination);

    internal override void Check(Table table, string feature, List<string> errors)
    {
        if (!table.Contains(Column)) errors.Add($"feature '{feature}': the table has no column '{Column}'");
        else if (!ColumnLoader.IsNumeric(table[Column].Type))
            errors.Add($"feature '{feature}': column '{Column}' holds {table[Column].Type} values, not numbers (use Feature.Category for text)");
    }

    internal override string Describe() => Column;
}

/// <summary>A calendar part of a timestamp column (UTC as stored): hour 0–23, day of week 0 (Sunday)–6, month 1–12.</summary>
internal sealed record DatePartNode(string Column, string Part) : NumericNode
{
    internal const string Hour = "hour", DayOfWeek = "day-of-week", Month = "month";

    internal override NumericNode Fit(FitContext context) => this;
    internal override bool IsFitted => true;
    internal override int Depth => 0;
    internal override IEnumerable<string> Columns => [Column];

    internal override void Evaluate(BlockContext block, int start, Span<double> destination, int level)
    {
        var column = (Column<DateTime>)block.Table[Column];
        var times = column.Values.Span.Slice(start, destination.Length);
        switch (Part)
        {
            case Hour:
                for (var i = 0; i < times.Length; i++) destination[i] = times[i].Hour;
                break;
            case DayOfWeek:
                for (var i = 0; i < times.Length; i++) destination[i] = (int)times[i].DayOfWeek;
                break;
            case Month:
                for (var i = 0; i < times.Length; i++) destination[i] = times[i].Month;
                break;
            default:
                throw new InvalidDataException($"Unknown date part '{Part}': use {Hour}, {DayOfWeek} or {Month}.");
        }
        ColumnLoader.MarkMissing(column, start, destination);
    }

    internal override void Check(Table table, string feature, List<string> errors)
    {
        if (!table.Contains(Column)) errors.Add($"feature '{feature}': the table has no column '{Column}'");
        else if (table[Column].Type != ColumnType.Timestamp)
            errors.Add($"feature '{feature}': column '{Column}' holds {table[Column].Type} values; {Part} needs a timestamp");
    }

    internal override string Describe() => $"{Part}({Column})";
}

internal sealed record ConstantNode(double Value) : NumericNode
{
    internal override NumericNode Fit(FitContext context) => this;
    internal override bool IsFitted => true;
    internal override int Depth => 0;
    internal override IEnumerable<string> Columns => [];
    internal override void Evaluate(BlockContext block, int start, Span<double> destination, int level) => destination.Fill(Value);
    internal override string Describe() => Number(Value);
}

internal sealed record Log1pNode(NumericNode Input) : NumericNode
{
    internal override NumericNode Fit(FitContext context) => this with { Input = Input.Fit(context) };
    internal override bool IsFitted => Input.IsFitted;
    internal override int Depth => Input.Depth;
    internal override IEnumerable<string> Columns => Input.Columns;
    internal override void Check(Table table, string feature, List<string> errors) => Input.Check(table, feature, errors);

    internal override void Evaluate(BlockContext block, int start, Span<double> destination, int level)
    {
        Input.Evaluate(block, start, destination, level);
        block.Backend.Log1p(destination);
    }

    internal override string Describe() => $"log1p({Input.Describe()})";
}

internal sealed record BinaryNode(NumericNode Left, BinaryOperator Operator, NumericNode Right) : NumericNode
{
    internal override NumericNode Fit(FitContext context) => this with { Left = Left.Fit(context), Right = Right.Fit(context) };
    internal override bool IsFitted => Left.IsFitted && Right.IsFitted;
    internal override int Depth => Right is ConstantNode || Left is ConstantNode ? Math.Max(Left.Depth, Right.Depth) : Math.Max(Left.Depth, Right.Depth + 1);
    internal override IEnumerable<string> Columns => Left.Columns.Concat(Right.Columns);

    internal override void Check(Table table, string feature, List<string> errors)
    {
        Left.Check(table, feature, errors);
        Right.Check(table, feature, errors);
    }

    internal override void Evaluate(BlockContext block, int start, Span<double> destination, int level)
    {
        // A constant operand needs no block of its own.
        if (Right is ConstantNode right)
        {
            Left.Evaluate(block, start, destination, level);
            block.Backend.Combine(destination, right.Value, Operator, constantFirst: false);
        }
        else if (Left is ConstantNode left)
        {
            Right.Evaluate(block, start, destination, level);
            block.Backend.Combine(destination, left.Value, Operator, constantFirst: true);
        }
        else
        {
            Left.Evaluate(block, start, destination, level);
            var operand = block.Scratch(level, destination.Length);
            Right.Evaluate(block, start, operand, level + 1);
            block.Backend.Combine(destination, operand, Operator);
        }
    }

    internal override string Describe()
    {
        var symbol = Operator switch { BinaryOperator.Add => "+", BinaryOperator.Subtract => "-", BinaryOperator.Multiply => "*", _ => "/" };
        return $"({Left.Describe()} {symbol} {Right.Describe()})";
    }
}

internal sealed record ClipNode(NumericNode Input, double Min, double Max) : NumericNode
{
    internal override NumericNode Fit(FitContext context) => this with { Input = Input.Fit(context) };
    internal override bool IsFitted => Input.IsFitted;
    internal override int Depth => Input.Depth;
    internal override IEnumerable<string> Columns => Input.Columns;
    internal override void Check(Table table, string feature, List<string> errors) => Input.Check(table, feature, errors);

    internal override void Evaluate(BlockContext block, int start, Span<double> destination, int level)
    {
        Input.Evaluate(block, start, destination, level);
        block.Backend.Clip(destination, Min, Max);
    }

    internal override string Describe() => $"clip({Input.Describe()}, {Number(Min)}, {Number(Max)})";
}

/// <summary>Missing values replaced by a constant, or by the training rows' mean or median.</summary>
internal sealed record ImputeNode(NumericNode Input, string Strategy, double? Value) : NumericNode
{
    internal const string Constant = "constant", Mean = "mean", Median = "median";

    internal override NumericNode Fit(FitContext context)
    {
        var input = Input.Fit(context);
        if (Strategy == Constant) return this with { Input = input };
        // A training column with no value at all has no mean or median: it imputes 0.
        var value = Strategy == Mean ? context.Moments(input) is { Count: > 0 } m ? m.Mean : 0 : context.Quantiles(input, [0.5])[0];
        return this with { Input = input, Value = double.IsNaN(value) ? 0 : value };
    }

    internal override bool IsFitted => Input.IsFitted && Value is not null;
    internal override int Depth => Input.Depth;
    internal override IEnumerable<string> Columns => Input.Columns;
    internal override void Check(Table table, string feature, List<string> errors) => Input.Check(table, feature, errors);

    internal override void Evaluate(BlockContext block, int start, Span<double> destination, int level)
    {
        Input.Evaluate(block, start, destination, level);
        block.Backend.FillMissing(destination, Value!.Value);
    }

    internal override string Describe() => $"impute_{Strategy}({Input.Describe()})";
}

/// <summary>
/// (x − shift) × scale with shift and scale learnt from the training rows: standardisation (mean, 1 / standard
/// deviation) or min-max scaling to [0, 1] (min, 1 / range). A constant or empty training column gets scale 1, as
/// scikit-learn does, so it maps to 0 instead of dividing by zero.
/// </summary>
internal sealed record ScaleNode(NumericNode Input, string Method, double? Shift, double? Scale) : NumericNode
{
    internal const string Standardize = "standardize", MinMax = "min-max";

    internal override NumericNode Fit(FitContext context)
    {
        var input = Input.Fit(context);
        var m = context.Moments(input);
        if (m.Count == 0) return this with { Input = input, Shift = 0, Scale = 1 };
        var spread = Method == Standardize ? m.StandardDeviation : m.Max - m.Min;
        return this with
        {
            Input = input,
            Shift = Method == Standardize ? m.Mean : m.Min,
            Scale = spread > 0 && double.IsFinite(spread) ? 1 / spread : 1,
        };
    }

    internal override bool IsFitted => Input.IsFitted && Shift is not null && Scale is not null;
    internal override int Depth => Input.Depth;
    internal override IEnumerable<string> Columns => Input.Columns;
    internal override void Check(Table table, string feature, List<string> errors) => Input.Check(table, feature, errors);

    internal override void Evaluate(BlockContext block, int start, Span<double> destination, int level)
    {
        Input.Evaluate(block, start, destination, level);
        block.Backend.Affine(destination, Shift!.Value, Scale!.Value);
    }

    internal override string Describe() => $"{Method}({Input.Describe()})";
}

/// <summary>
/// The bucket index of each value: the number of edges ≤ it (edges ascending; NaN stays missing). Edges are given,
/// or learnt as the training rows' quantiles at 1/n … (n−1)/n, with repeated edges merged.
/// </summary>
internal sealed record BucketizeNode(NumericNode Input, double[]? Edges, int? QuantileBuckets) : NumericNode
{
    internal override NumericNode Fit(FitContext context)
    {
        var input = Input.Fit(context);
        if (QuantileBuckets is not { } buckets) return this with { Input = input };
        var probabilities = Enumerable.Range(1, buckets - 1).Select(i => (double)i / buckets).ToArray();
        var edges = context.Quantiles(input, probabilities).Where(e => !double.IsNaN(e)).Distinct().ToArray();
        return this with { Input = input, Edges = edges };
    }

    internal override bool IsFitted => Input.IsFitted && Edges is not null;
    internal override int Depth => Input.Depth;
    internal override IEnumerable<string> Columns => Input.Columns;
    internal override void Check(Table table, string feature, List<string> errors) => Input.Check(table, feature, errors);

    internal override void Evaluate(BlockContext block, int start, Span<double> destination, int level)
    {
        Input.Evaluate(block, start, destination, level);
        block.Backend.Bucketize(destination, Edges);
    }

    internal override string Describe() => QuantileBuckets is { } n ? $"quantile_buckets({Input.Describe()}, {n})" : $"buckets({Input.Describe()}, [{string.Join(", ", (Edges ?? []).Select(Number))}])";

    // Arrays compare by reference in a record; the transform compares by content.
    public bool Equals(BucketizeNode? other) =>
        other is not null && Input.Equals(other.Input) && QuantileBuckets == other.QuantileBuckets &&
        (Edges ?? []).AsSpan().SequenceEqual(other.Edges ?? []) && (Edges is null) == (other.Edges is null);

    public override int GetHashCode() => HashCode.Combine(Input, QuantileBuckets, Edges?.Length);
}
