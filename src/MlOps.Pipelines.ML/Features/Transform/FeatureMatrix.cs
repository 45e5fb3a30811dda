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

    /// <summary>All values row after row (row r's features at [r × Columns, (r + 1) × Columns)), as linear models read them.</summary>
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
