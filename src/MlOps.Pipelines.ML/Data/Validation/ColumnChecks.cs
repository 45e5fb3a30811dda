using System.Globalization;
using System.Text.RegularExpressions;
using MlOps.Pipelines.ML.Data.Tables;

namespace MlOps.Pipelines.ML.Data.Validation;

/// <summary>A rule about one column's values.</summary>
public abstract class ColumnCheck(Severity severity)
{
    public Severity Severity { get; } = severity;

    /// <summary>What the check demands, as shown in reports: "within [-1440, 2880]".</summary>
    public abstract string Description { get; }

    internal abstract CheckOutcome Evaluate(Column column, DateTime validatedAt);

    /// <summary>The check's name and settings in a schema file.</summary>
    internal abstract (string Name, Dictionary<string, object?> Settings) ToFile();

    /// <summary>Counts the rows failing <paramref name="fails"/> and keeps the first few as examples.</summary>
    private protected CheckOutcome Rows(Column column, Func<int, bool> fails)
    {
        var failing = new List<int>();
        var examples = new List<FailingRow>();
        for (var row = 0; row < column.Length; row++)
        {
            if (!fails(row)) continue;
            failing.Add(row);
            if (failing.Count <= CheckOutcome.ExampleCount) examples.Add(new FailingRow(row + 1, OffendingValue.Show(Text(column, row))));
        }
        return Outcome(column, failing.Count == 0, failing.Count, examples, null) with { FailingRows = failing };
    }

    private protected CheckOutcome Outcome(Column column, bool passed, long failures, IReadOnlyList<FailingRow> examples, string? detail) =>
        new(column.Name, Description, Severity, passed, failures, examples, detail);

    internal static string Text(Column column, int row) => column.IsNull(row) ? "NULL" : column switch
    {
        StringColumn text => text[row]!,
        Column<DateTime> times => times[row].ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture),
        Column<bool> flags => flags[row] ? "true" : "false",
        _ => column.AsDouble(row).ToString("R", CultureInfo.InvariantCulture),
    };

    private protected static string Number(double? value) => value?.ToString("R", CultureInfo.InvariantCulture) ?? "…";
}

sealed class NotNullCheck(Severity severity) : ColumnCheck(severity)
{
    public override string Description => "not null";

    internal override CheckOutcome Evaluate(Column column, DateTime validatedAt) =>
        column.Nulls.IsEmpty ? Outcome(column, true, 0, [], null) with { FailingRows = [] } : Rows(column, column.IsNull);

    internal override (string, Dictionary<string, object?>) ToFile() => ("not_null", []);
}

sealed class RangeCheck(double? min, double? max, Severity severity) : ColumnCheck(severity)
{
    public override string Description => $"within [{Number(min)}, {Number(max)}]";

    internal override CheckOutcome Evaluate(Column column, DateTime validatedAt)
    {
        // The common case, a double column, as a plain loop over the span; rows are only visited again if some fail.
        if (column is Column<double> doubles)
        {
            var values = doubles.Values.Span;
            var nulls = doubles.Nulls.Span;
            var (low, high) = (min ?? double.NegativeInfinity, max ?? double.PositiveInfinity);
            var anyFails = false;
            for (var i = 0; i < values.Length && !anyFails; i++)
                anyFails = !(values[i] >= low && values[i] <= high) && (nulls.IsEmpty || !nulls[i]);
            if (!anyFails) return Outcome(column, true, 0, [], null) with { FailingRows = [] };
        }
        return Rows(column, row =>
        {
            if (column.IsNull(row)) return false;
            var value = column.AsDouble(row);
            return double.IsNaN(value) || value < min || value > max;
        });
    }

    internal override (string, Dictionary<string, object?>) ToFile() => ("range", new() { ["min"] = min, ["max"] = max });
}

sealed class AllowedValuesCheck(IReadOnlySet<string> allowed, double maxUnseenShare, Severity severity) : ColumnCheck(severity)
{
    public override string Description => maxUnseenShare > 0
        ? $"one of {allowed.Count} known values, at most {Percent(maxUnseenShare)} unseen"
        : $"one of {allowed.Count} known values";

    internal override CheckOutcome Evaluate(Column column, DateTime validatedAt)
    {
        var outcome = Rows(column, row => !column.IsNull(row) && !allowed.Contains(Text(column, row)));
        var share = column.Length == 0 ? 0 : outcome.Failures / (double)column.Length;
        var passed = share <= maxUnseenShare;
        return outcome with { Passed = passed, Detail = $"{Percent(share)} of rows hold unseen values" };
    }

    static string Percent(double share) => (share * 100).ToString("0.00", CultureInfo.InvariantCulture) + "%";

    internal override (string, Dictionary<string, object?>) ToFile() =>
        ("allowed_values", new() { ["values"] = allowed.Order(StringComparer.Ordinal).ToArray(), ["max_unseen_share"] = maxUnseenShare });
}

sealed class RegexCheck(string pattern, Severity severity) : ColumnCheck(severity)
{
    readonly Regex _regex = new(pattern, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));

    public override string Description => $"matches /{pattern}/";

    internal override CheckOutcome Evaluate(Column column, DateTime validatedAt)
    {
        // Text columns test each distinct value once.
        if (column is StringColumn text)
        {
            var matches = text.Dictionary.Select(v => _regex.IsMatch(v)).ToArray();
            var codes = text.Codes.Span.ToArray();
            return Rows(column, row => codes[row] >= 0 && !matches[codes[row]]);
        }
        return Rows(column, row => !column.IsNull(row) && !_regex.IsMatch(Text(column, row)));
    }

    internal override (string, Dictionary<string, object?>) ToFile() => ("matches", new() { ["pattern"] = pattern });
}

sealed class UniqueCheck(Severity severity) : ColumnCheck(severity)
{
    public override string Description => "unique";

    internal override CheckOutcome Evaluate(Column column, DateTime validatedAt)
    {
        // Typed sets: formatting a million numbers as text would cost more than the check.
        switch (column)
        {
            case Column<long> longs:
            {
                var seen = new HashSet<long>(longs.Length);
                var values = longs.Values;
                return Rows(column, row => !column.IsNull(row) && !seen.Add(values.Span[row]));
            }
            case Column<int> ints:
            {
                var seen = new HashSet<int>(ints.Length);
                var values = ints.Values;
                return Rows(column, row => !column.IsNull(row) && !seen.Add(values.Span[row]));
            }
            case StringColumn text:
            {
                var seen = new bool[text.Dictionary.Count];
                var codes = text.Codes;
                return Rows(column, row =>
                {
                    var code = codes.Span[row];
                    if (code < 0) return false;
                    if (seen[code]) return true;
                    seen[code] = true;
                    return false;
                });
            }
            default:
            {
                var seen = new HashSet<string>(StringComparer.Ordinal);
                return Rows(column, row => !column.IsNull(row) && !seen.Add(Text(column, row)));
            }
        }
    }

    internal override (string, Dictionary<string, object?>) ToFile() => ("unique", []);
}

sealed class FreshnessCheck(TimeSpan maxAge, DateTime? now, Severity severity) : ColumnCheck(severity)
{
    public override string Description => $"newest value at most {maxAge} old";

    internal override CheckOutcome Evaluate(Column column, DateTime validatedAt)
    {
        if (column is not Column<DateTime> times) return Outcome(column, false, 0, [], "not a timestamp column");
        DateTime? newest = null;
        for (var row = 0; row < times.Length; row++)
            if (!times.IsNull(row) && (newest is null || times[row] > newest)) newest = times[row];
        var reference = now ?? validatedAt;
        var passed = newest is not null && reference - newest.Value <= maxAge;
        return Outcome(column, passed, passed ? 0 : 1, [], newest is null
            ? "no timestamps"
            : $"newest {newest.Value.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)}, {reference - newest.Value} before {reference.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)}");
    }

    internal override (string, Dictionary<string, object?>) ToFile() =>
        ("fresh_within", new() { ["max_age"] = maxAge.ToString("c", CultureInfo.InvariantCulture), ["now"] = now?.ToString("O", CultureInfo.InvariantCulture) });
}

sealed class MeanCheck(double? min, double? max, Severity severity) : ColumnCheck(severity)
{
    public override string Description => $"mean within [{Number(min)}, {Number(max)}]";

    internal override CheckOutcome Evaluate(Column column, DateTime validatedAt)
    {
        double sum = 0;
        long count = 0;
        for (var row = 0; row < column.Length; row++)
        {
            if (column.IsNull(row)) continue;
            sum += column.AsDouble(row);
            count++;
        }
        var mean = count == 0 ? double.NaN : sum / count;
        var passed = !double.IsNaN(mean) && !(mean < min) && !(mean > max);
        return Outcome(column, passed, passed ? 0 : 1, [], $"mean {Number(mean)}");
    }

    internal override (string, Dictionary<string, object?>) ToFile() => ("mean", new() { ["min"] = min, ["max"] = max });
}

sealed class QuantileCheck(double quantile, double? min, double? max, Severity severity) : ColumnCheck(severity)
{
    public override string Description => $"p{quantile * 100:0.#} within [{Number(min)}, {Number(max)}]";

    internal override CheckOutcome Evaluate(Column column, DateTime validatedAt)
    {
        var values = Enumerable.Range(0, column.Length).Where(r => !column.IsNull(r)).Select(column.AsDouble).Order().ToArray();
        var value = values.Length == 0 ? double.NaN : values[Math.Clamp((int)Math.Ceiling(quantile * values.Length) - 1, 0, values.Length - 1)];
        var passed = !double.IsNaN(value) && !(value < min) && !(value > max);
        return Outcome(column, passed, passed ? 0 : 1, [], $"p{quantile * 100:0.#} = {Number(value)}");
    }

    internal override (string, Dictionary<string, object?>) ToFile() => ("quantile", new() { ["q"] = quantile, ["min"] = min, ["max"] = max });
}
