namespace MlOps.Pipelines.ML.Features;

/// <summary>
/// The output of a transform: float features stored column by column (each feature's values are contiguous,
/// as kernels write them and as tree learners read them).
/// </summary>
public sealed class FeatureMatrix
{
    readonly float[] _values;
    readonly Dictionary<string, int> _index;

    internal FeatureMatrix(int rows, IReadOnlyList<string> names, float[] values)
    {
        Rows = rows;
        Names = names;
        _values = values;
        _index = names.Select((n, i) => (n, i)).ToDictionary(x => x.n, x => x.i, StringComparer.Ordinal);
    }

    /// <summary>
    /// A matrix of the given columns (copied into one column-major block), for features that come from elsewhere
    /// than a transform: tests, benchmarks, callers with their own arrays.
    /// </summary>
    /// <param name="names">One distinct name per column.</param>
    /// <param name="columns">The columns' values, all of the same length (the row count).</param>
    public static FeatureMatrix FromColumns(IReadOnlyList<string> names, IReadOnlyList<float[]> columns)
    {
        ArgumentNullException.ThrowIfNull(names);
        ArgumentNullException.ThrowIfNull(columns);
        if (names.Count != columns.Count) throw new ArgumentException($"{names.Count} names for {columns.Count} columns.", nameof(names));
        if (names.Distinct(StringComparer.Ordinal).Count() != names.Count) throw new ArgumentException("Column names must be distinct.", nameof(names));
        var rows = columns.Count == 0 ? 0 : columns[0].Length;
        for (var c = 0; c < columns.Count; c++)
            if (columns[c].Length != rows)
                throw new ArgumentException($"Column '{names[c]}' has {columns[c].Length} values, the first has {rows}.", nameof(columns));
        var values = GC.AllocateUninitializedArray<float>(checked(rows * columns.Count));
        for (var c = 0; c < columns.Count; c++) columns[c].CopyTo(values.AsSpan(c * rows, rows));
        return new FeatureMatrix(rows, [.. names], values);
    }

    /// <summary>The column-major storage, for the transform that fills it.</summary>
    internal float[] Values => _values;

    public int Rows { get; }
    public int Columns => Names.Count;
    public IReadOnlyList<string> Names { get; }

    public ReadOnlySpan<float> Column(int column) => _values.AsSpan(column * Rows, Rows);

    public ReadOnlySpan<float> Column(string name) =>
        _index.TryGetValue(name, out var column) ? Column(column) : throw new KeyNotFoundException($"The feature matrix has no column '{name}'.");

    public float this[int row, int column] => _values[column * Rows + row];

    /// <summary>The features of one row, in column order.</summary>
    public float[] Row(int row)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(row);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(row, Rows);
        var values = new float[Columns];
        for (var c = 0; c < values.Length; c++) values[c] = _values[c * Rows + row];
        return values;
    }

    /// <summary>All values row after row (row r's features at [r × Columns, (r + 1) × Columns)), as XGBoost's C API reads them.</summary>
    public float[] ToRowMajor()
    {
        var result = GC.AllocateUninitializedArray<float>(_values.Length);
        for (var c = 0; c < Columns; c++)
        {
            var column = Column(c);
            for (var r = 0; r < Rows; r++) result[r * Columns + c] = column[r];
        }
        return result;
    }
}
