namespace MlOps.Pipelines.ML.Data.Tables;

/// <summary>
/// An immutable columnar table: named, typed columns of equal length with null masks. Row slices and column
/// selections share memory with the table they come from.
/// </summary>
/// <example>
/// <code>
/// var flights = TableIO.ReadParquet("data/flights.parquet");
/// var recent = flights.Slice(flights.RowCount - 1000, 1000).Select("delay", "distance");
/// float[] matrix = recent.ToMatrix();
/// </code>
/// </example>
public sealed class Table
{
    readonly Dictionary<string, int> _index;

    public Table(IReadOnlyList<Column> columns)
    {
        Columns = columns;
        RowCount = columns.Count == 0 ? 0 : columns[0].Length;
        _index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < columns.Count; i++)
        {
            if (columns[i].Length != RowCount)
                throw new ArgumentException($"Column '{columns[i].Name}' has {columns[i].Length} rows; '{columns[0].Name}' has {RowCount}.");
            if (!_index.TryAdd(columns[i].Name, i))
                throw new ArgumentException($"Two columns are named '{columns[i].Name}'.");
        }
    }

    public int RowCount { get; }
    public IReadOnlyList<Column> Columns { get; }
    public IEnumerable<string> ColumnNames => Columns.Select(c => c.Name);

    public Column this[string name] => _index.TryGetValue(name, out var i)
        ? Columns[i]
        : throw new KeyNotFoundException($"The table has no column '{name}'; it has {string.Join(", ", ColumnNames)}.");

    public bool Contains(string name) => _index.ContainsKey(name);

    /// <summary>The typed column <paramref name="name"/>.</summary>
    public Column<T> Get<T>(string name) where T : struct =>
        this[name] as Column<T> ?? throw new InvalidCastException($"Column '{name}' holds {this[name].Type}, not {typeof(T).Name}.");

    public StringColumn GetString(string name) =>
        this[name] as StringColumn ?? throw new InvalidCastException($"Column '{name}' holds {this[name].Type}, not text.");

    /// <summary>These columns, in this order, without copying.</summary>
    public Table Select(params string[] names) => new([.. names.Select(n => this[n])]);

    /// <summary>Rows [start, start + length), without copying.</summary>
    public Table Slice(int start, int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(start);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(start + length, RowCount);
        return new([.. Columns.Select(c => c.Slice(start, length))]);
    }

    /// <summary>The rows at these positions, in this order (a copy).</summary>
    public Table Take(IReadOnlyList<int> rows) => new([.. Columns.Select(c => c.Take(rows))]);

    /// <summary>
    /// The numeric columns as a dense row-major float matrix (what trainers take): missing values become NaN,
    /// booleans 0/1, timestamps seconds since 1970. Text columns are refused: encode them first.
    /// </summary>
    public float[] ToMatrix(params string[] names)
    {
        var columns = names.Length == 0 ? Columns : [.. names.Select(n => this[n])];
        var text = columns.FirstOrDefault(c => c is StringColumn);
        if (text is not null) throw new InvalidOperationException($"Column '{text.Name}' is text; encode it into numbers before making a matrix.");
        var width = columns.Count;
        var matrix = new float[RowCount * width];
        for (var c = 0; c < width; c++)
        {
            var column = columns[c];
            for (var row = 0; row < RowCount; row++) matrix[row * width + c] = (float)column.AsDouble(row);
        }
        return matrix;
    }
}
