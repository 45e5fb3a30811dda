using MlOps.Pipelines.ML.Data.Tables;

namespace MlOps.Pipelines.ML.Data.Validation;

/// <summary>Whether a failed check withholds the blessing (<see cref="Error"/>) or is only reported.</summary>
public enum Severity
{
    Error,
    Warning,
}

/// <summary>
/// What a table must look like: its columns with their types and rules, whether other columns are allowed, and
/// how many rows it may have. Declared with <see cref="Define"/>.
/// </summary>
/// <example>
/// <code>
/// var schema = Schema.Define()
///     .Column("delay", ColumnType.Int64, c => c.NotNull().Range(-1440, 2880))
///     .Column("origin", ColumnType.String, c => c.Matches("^[A-Z]{3}$"))
///     .Rows(min: 1000)
///     .Strict()
///     .Build();
/// </code>
/// </example>
public sealed class Schema
{
    internal Schema(IReadOnlyList<ColumnRules> columns, bool strict, long? minRows, long? maxRows)
    {
        Columns = columns;
        Strict = strict;
        MinRows = minRows;
        MaxRows = maxRows;
    }

    public IReadOnlyList<ColumnRules> Columns { get; }

    /// <summary>A column the schema does not name is an error.</summary>
    public bool Strict { get; }

    public long? MinRows { get; }
    public long? MaxRows { get; }

    public static SchemaBuilder Define() => new();
}

/// <summary>One column of a <see cref="Schema"/>: its type and its checks.</summary>
public sealed class ColumnRules(string name, ColumnType type, IReadOnlyList<ColumnCheck> checks)
{
    public string Name { get; } = name;
    public ColumnType Type { get; } = type;
    public IReadOnlyList<ColumnCheck> Checks { get; } = checks;
}

/// <summary>Builds a <see cref="Schema"/>.</summary>
public sealed class SchemaBuilder
{
    readonly List<ColumnRules> _columns = [];
    bool _strict;
    long? _minRows, _maxRows;

    public SchemaBuilder Column(string name, ColumnType type, Action<ColumnRulesBuilder>? rules = null)
    {
        if (_columns.Any(c => c.Name == name)) throw new ArgumentException($"Column '{name}' is declared twice.");
        var builder = new ColumnRulesBuilder();
        rules?.Invoke(builder);
        _columns.Add(new ColumnRules(name, type, builder.Checks));
        return this;
    }

    public SchemaBuilder Strict(bool strict = true)
    {
        _strict = strict;
        return this;
    }

    public SchemaBuilder Rows(long? min = null, long? max = null)
    {
        _minRows = min;
        _maxRows = max;
        return this;
    }

    public Schema Build() => new(_columns, _strict, _minRows, _maxRows);
}

/// <summary>The checks of one column.</summary>
public sealed class ColumnRulesBuilder
{
    internal List<ColumnCheck> Checks { get; } = [];

    ColumnRulesBuilder Add(ColumnCheck check)
    {
        Checks.Add(check);
        return this;
    }

    public ColumnRulesBuilder NotNull(Severity severity = Severity.Error) => Add(new NotNullCheck(severity));

    public ColumnRulesBuilder Range(double? min, double? max, Severity severity = Severity.Error) => Add(new RangeCheck(min, max, severity));

    /// <summary>Values must come from <paramref name="allowed"/>; up to <paramref name="maxUnseenShare"/> of the rows may hold others.</summary>
    public ColumnRulesBuilder AllowedValues(IEnumerable<string> allowed, double maxUnseenShare = 0, Severity severity = Severity.Error) =>
        Add(new AllowedValuesCheck(allowed.ToHashSet(StringComparer.Ordinal), maxUnseenShare, severity));

    public ColumnRulesBuilder Matches(string pattern, Severity severity = Severity.Error) => Add(new RegexCheck(pattern, severity));

    public ColumnRulesBuilder Unique(Severity severity = Severity.Error) => Add(new UniqueCheck(severity));

    /// <summary>The newest timestamp is at most <paramref name="maxAge"/> older than <paramref name="now"/> (default: the time of validation).</summary>
    public ColumnRulesBuilder FreshWithin(TimeSpan maxAge, DateTime? now = null, Severity severity = Severity.Error) =>
        Add(new FreshnessCheck(maxAge, now, severity));

    public ColumnRulesBuilder Mean(double? min, double? max, Severity severity = Severity.Error) => Add(new MeanCheck(min, max, severity));

    /// <summary>The <paramref name="quantile"/> (0..1, nearest rank) lies within [min, max].</summary>
    public ColumnRulesBuilder Quantile(double quantile, double? min, double? max, Severity severity = Severity.Error) =>
        Add(new QuantileCheck(quantile, min, max, severity));
}
