using MlOps.Pipelines.ML.Data.Tables;

namespace MlOps.Pipelines.ML.Data.Validation;

/// <summary>A value with how often it occurs.</summary>
public sealed record ValueCount(string Value, long Count);

/// <summary>A histogram bin [From, To) with its count (the last bin includes its upper edge).</summary>
public sealed record HistogramBin(double From, double To, long Count);

/// <summary>Statistics of one column: the training reference that drift checks compare new data with.</summary>
public sealed record ColumnProfile(
    string Name,
    ColumnType Type,
    long Count,
    long Nulls,
    long Distinct,
    double? Min,
    double? Max,
    double? Mean,
    double? StdDev,
    IReadOnlyDictionary<string, double>? Quantiles,
    IReadOnlyList<ValueCount>? TopValues,
    IReadOnlyList<HistogramBin>? Histogram);

/// <summary>Per-column statistics of a table. Deterministic: the same table gives the same profile.</summary>
public sealed record DataProfile(long Rows, IReadOnlyList<ColumnProfile> Columns)
{
    static readonly double[] QuantileLevels = [0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99];

    public static DataProfile Of(Table table, int topValues = 10, int bins = 10) =>
        new(table.RowCount, [.. table.Columns.Select(c => Profile(c, topValues, bins))]);

    static ColumnProfile Profile(Column column, int topValues, int bins)
    {
        var nulls = column.NullCount;
        if (column is StringColumn text)
        {
            var counts = new long[text.Dictionary.Count];
            foreach (var code in text.Codes.Span)
                if (code >= 0) counts[code]++;
            var top = counts.Select((count, code) => new ValueCount(text.Dictionary[code], count))
                .Where(v => v.Count > 0)
                .OrderByDescending(v => v.Count).ThenBy(v => v.Value, StringComparer.Ordinal)
                .Take(topValues).ToList();
            return new ColumnProfile(column.Name, column.Type, column.Length, nulls, counts.Count(c => c > 0), null, null, null, null, null, top, null);
        }

        var values = new double[column.Length - nulls];
        for (int row = 0, i = 0; row < column.Length; row++)
            if (!column.IsNull(row)) values[i++] = column.AsDouble(row);
        Array.Sort(values);
        if (values.Length == 0)
            return new ColumnProfile(column.Name, column.Type, column.Length, nulls, 0, null, null, null, null, null, null, null);

        // Sums in sorted order: a fixed order makes the result independent of how the table was built.
        double sum = 0;
        foreach (var value in values) sum += value;
        var mean = sum / values.Length;
        double squares = 0;
        foreach (var value in values) squares += (value - mean) * (value - mean);
        var distinct = 1L;
        for (var i = 1; i < values.Length; i++)
            if (values[i] != values[i - 1]) distinct++;

        var quantiles = QuantileLevels.ToDictionary(
            q => $"p{q * 100:0.#}",
            q => values[Math.Clamp((int)Math.Ceiling(q * values.Length) - 1, 0, values.Length - 1)]);
        return new ColumnProfile(column.Name, column.Type, column.Length, nulls, distinct, values[0], values[^1], mean,
            Math.Sqrt(squares / values.Length), quantiles, null, Histogram(values, bins));
    }

    static IReadOnlyList<HistogramBin> Histogram(double[] sorted, int bins)
    {
        var (min, max) = (sorted[0], sorted[^1]);
        if (min == max) return [new HistogramBin(min, max, sorted.Length)];
        var width = (max - min) / bins;
        var counts = new long[bins];
        foreach (var value in sorted) counts[Math.Min(bins - 1, (int)((value - min) / width))]++;
        return [.. counts.Select((count, i) => new HistogramBin(min + i * width, i == bins - 1 ? max : min + (i + 1) * width, count))];
    }
}
