namespace MlOps.Pipelines.ML.Data.Tables;

/// <summary>The kinds of values a <see cref="Column"/> holds.</summary>
public enum ColumnType
{
    Boolean,
    Int32,
    Int64,
    Float32,
    Float64,
    Timestamp,

    /// <summary>Text, stored as a dictionary of distinct values and a code per row.</summary>
    String,

    /// <summary>Text from a fixed set of categories (same storage as <see cref="String"/>).</summary>
    Categorical,
}

/// <summary>
/// One immutable column of a <see cref="Table"/>: typed values plus a null mask. Slices share the memory of the
/// column they come from.
/// </summary>
public abstract class Column
{
    private protected Column(string name, ColumnType type, ReadOnlyMemory<bool> nulls, int length)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (!nulls.IsEmpty && nulls.Length != length)
            throw new ArgumentException($"Column '{name}': the null mask has {nulls.Length} entries for {length} rows.");
        Name = name;
        Type = type;
        Nulls = nulls;
        Length = length;
    }

    public string Name { get; }
    public ColumnType Type { get; }
    public int Length { get; }

    /// <summary>True at the rows whose value is missing; empty when none is.</summary>
    public ReadOnlyMemory<bool> Nulls { get; }

    public bool IsNull(int row) => !Nulls.IsEmpty && Nulls.Span[row];

    public int NullCount
    {
        get
        {
            var count = 0;
            foreach (var isNull in Nulls.Span) if (isNull) count++;
            return count;
        }
    }

    /// <summary>Rows [start, start + length) without copying.</summary>
    public abstract Column Slice(int start, int length);

    /// <summary>The values at these rows, in this order (a copy).</summary>
    public abstract Column Take(IReadOnlyList<int> rows);

    private protected ReadOnlyMemory<bool> TakeNulls(IReadOnlyList<int> rows)
    {
        if (Nulls.IsEmpty) return Nulls;
        var source = Nulls.Span;
        var taken = new bool[rows.Count];
        for (var i = 0; i < taken.Length; i++) taken[i] = source[rows[i]];
        return taken;
    }

    /// <summary>The same values under another name.</summary>
    public abstract Column Rename(string name);

    /// <summary>The value at <paramref name="row"/> as a double (NaN when missing or not numeric).</summary>
    public abstract double AsDouble(int row);

    private protected ReadOnlyMemory<bool> SliceNulls(int start, int length) => Nulls.IsEmpty ? Nulls : Nulls.Slice(start, length);
}

/// <summary>A column of numbers, booleans or timestamps.</summary>
public sealed class Column<T> : Column where T : struct
{
    public Column(string name, ReadOnlyMemory<T> values, ReadOnlyMemory<bool> nulls = default)
        : base(name, TypeOf(name), nulls, values.Length) => Values = values;

    /// <summary>The values; a missing value's slot holds <c>default(T)</c>.</summary>
    public ReadOnlyMemory<T> Values { get; }

    public T this[int row] => Values.Span[row];

    public override Column Slice(int start, int length) => new Column<T>(Name, Values.Slice(start, length), SliceNulls(start, length));

    public override Column Rename(string name) => new Column<T>(name, Values, Nulls);

    public override Column Take(IReadOnlyList<int> rows)
    {
        var source = Values.Span;
        var taken = new T[rows.Count];
        for (var i = 0; i < taken.Length; i++) taken[i] = source[rows[i]];
        return new Column<T>(Name, taken, TakeNulls(rows));
    }

    public override double AsDouble(int row)
    {
        if (IsNull(row)) return double.NaN;
        return Values.Span[row] switch
        {
            double d => d,
            float f => f,
            int i => i,
            long l => l,
            bool b => b ? 1 : 0,
            DateTime t => (t - DateTime.UnixEpoch).TotalSeconds,
            _ => double.NaN,
        };
    }

    static ColumnType TypeOf(string name) => typeof(T) switch
    {
        var t when t == typeof(bool) => ColumnType.Boolean,
        var t when t == typeof(int) => ColumnType.Int32,
        var t when t == typeof(long) => ColumnType.Int64,
        var t when t == typeof(float) => ColumnType.Float32,
        var t when t == typeof(double) => ColumnType.Float64,
        var t when t == typeof(DateTime) => ColumnType.Timestamp,
        var t => throw new ArgumentException($"Column '{name}': {t.Name} is not a column type; use bool, int, long, float, double or DateTime."),
    };
}

/// <summary>
/// A column of text with dictionary encoding: each distinct value is stored once, rows hold its code (-1 when
/// missing). Categorical columns are the same with a declared set of categories.
/// </summary>
public sealed class StringColumn : Column
{
    public StringColumn(string name, IReadOnlyList<string> dictionary, ReadOnlyMemory<int> codes, bool categorical = false)
        : this(name, dictionary, codes, categorical, NullsOf(codes))
    {
    }

    StringColumn(string name, IReadOnlyList<string> dictionary, ReadOnlyMemory<int> codes, bool categorical, ReadOnlyMemory<bool> nulls)
        : base(name, categorical ? ColumnType.Categorical : ColumnType.String, nulls, codes.Length)
    {
        Dictionary = dictionary;
        Codes = codes;
    }

    /// <summary>Encodes <paramref name="values"/>: codes follow first appearance, so the same rows give the same encoding.</summary>
    public static StringColumn FromValues(string name, IReadOnlyList<string?> values, bool categorical = false)
    {
        var dictionary = new List<string>();
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        var codes = new int[values.Count];
        for (var i = 0; i < values.Count; i++)
        {
            var value = values[i];
            if (value is null)
            {
                codes[i] = -1;
                continue;
            }
            if (!index.TryGetValue(value, out var code))
            {
                code = dictionary.Count;
                index[value] = code;
                dictionary.Add(value);
            }
            codes[i] = code;
        }
        return new StringColumn(name, dictionary, codes, categorical);
    }

    /// <summary>The distinct values (of the whole column, also for a slice).</summary>
    public IReadOnlyList<string> Dictionary { get; }

    /// <summary>Per row, the index into <see cref="Dictionary"/>, or -1 when missing.</summary>
    public ReadOnlyMemory<int> Codes { get; }

    public string? this[int row] => Codes.Span[row] is var code && code >= 0 ? Dictionary[code] : null;

    public override Column Slice(int start, int length) =>
        new StringColumn(Name, Dictionary, Codes.Slice(start, length), Type == ColumnType.Categorical, SliceNulls(start, length));

    public override Column Rename(string name) => new StringColumn(name, Dictionary, Codes, Type == ColumnType.Categorical, Nulls);

    public override Column Take(IReadOnlyList<int> rows)
    {
        var source = Codes.Span;
        var taken = new int[rows.Count];
        for (var i = 0; i < taken.Length; i++) taken[i] = source[rows[i]];
        return new StringColumn(Name, Dictionary, taken, Type == ColumnType.Categorical);
    }

    public override double AsDouble(int row) => double.NaN;

    static ReadOnlyMemory<bool> NullsOf(ReadOnlyMemory<int> codes)
    {
        var span = codes.Span;
        if (!span.Contains(-1)) return default;
        var nulls = new bool[span.Length];
        for (var i = 0; i < span.Length; i++) nulls[i] = span[i] < 0;
        return nulls;
    }
}
