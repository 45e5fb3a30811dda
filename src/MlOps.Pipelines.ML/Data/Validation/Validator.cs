using System.Globalization;
using MlOps.Pipelines.ML.Data.Tables;

namespace MlOps.Pipelines.ML.Data.Validation;

/// <summary>A row that failed a check: its 1-based row number and its value as text, escaped and cut short as <see cref="OffendingValue"/> shows it.</summary>
public sealed record FailingRow(long Row, string Value);

/// <summary>One check's verdict.</summary>
public sealed record CheckOutcome(string Column, string Check, Severity Severity, bool Passed, long Failures, IReadOnlyList<FailingRow> Examples, string? Detail)
{
    internal const int ExampleCount = 3;

    /// <summary>Every failing row (0-based) of a row-level check; null for checks about the whole column or table.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public IReadOnlyList<int>? FailingRows { get; init; }
}

/// <summary>
/// Every check's verdict on one table, and the blessing: true when no check of severity Error failed.
/// </summary>
public sealed record ValidationReport(string Source, int Rows, bool Blessed, IReadOnlyList<CheckOutcome> Checks)
{
    public IEnumerable<CheckOutcome> Failed => Checks.Where(c => !c.Passed);
}

/// <summary>Checks a <see cref="Table"/> against a <see cref="Schema"/>.</summary>
public static class Validator
{
    /// <summary>Validates <paramref name="table"/>; <paramref name="source"/> names it in the report (a file path).</summary>
    public static ValidationReport Validate(Table table, Schema schema, string source, DateTime? validatedAt = null)
    {
        var now = validatedAt ?? DateTime.UtcNow;
        var outcomes = new List<CheckOutcome>();
        if (schema.MinRows is { } min || schema.MaxRows is not null)
        {
            var passed = !(table.RowCount < schema.MinRows) && !(table.RowCount > schema.MaxRows);
            outcomes.Add(new CheckOutcome("(table)", $"rows within [{schema.MinRows?.ToString() ?? "…"}, {schema.MaxRows?.ToString() ?? "…"}]",
                Severity.Error, passed, passed ? 0 : 1, [], $"{table.RowCount} rows"));
        }
        // Columns are checked in parallel; each keeps its slot, so the report's order never depends on timing.
        var perColumn = new List<CheckOutcome>[schema.Columns.Count];
        Parallel.For(0, schema.Columns.Count, i => perColumn[i] = CheckColumn(table, schema.Columns[i], now));
        foreach (var columnOutcomes in perColumn) outcomes.AddRange(columnOutcomes);
        if (schema.Strict)
            foreach (var name in table.ColumnNames.Where(n => schema.Columns.All(c => c.Name != n)))
                outcomes.Add(new CheckOutcome(name, "declared in the schema", Severity.Error, false, 1, [], "the schema is strict and does not name this column"));
        return new ValidationReport(source, table.RowCount, outcomes.All(o => o.Passed || o.Severity == Severity.Warning), outcomes);
    }

    static List<CheckOutcome> CheckColumn(Table table, ColumnRules rules, DateTime now)
    {
        if (!table.Contains(rules.Name))
            return [new CheckOutcome(rules.Name, "present", Severity.Error, false, 1, [], $"the data has no column '{rules.Name}'; it has {string.Join(", ", table.ColumnNames.Select(n => OffendingValue.Show(n)))}")];
        var column = table[rules.Name];
        if (!Fits(rules.Type, column.Type)) return [TypeMismatch(rules, column)]; // value checks on the wrong type would only repeat it
        return [new CheckOutcome(rules.Name, $"type {rules.Type}", Severity.Error, true, 0, [], null), .. rules.Checks.Select(check => check.Evaluate(column, now))];
    }

    /// <summary>
    /// A wrong type. Where the reader chose a wider type because of some values (text for a column of numbers or
    /// timestamps with one bad value, floats for a column of whole numbers with a NaN, infinity or fraction), those
    /// rows are the failures, named with their values.
    /// </summary>
    static CheckOutcome TypeMismatch(ColumnRules rules, Column column)
    {
        var (fits, expected) = ValueTest(rules.Type, column);
        if (fits is null)
            return new CheckOutcome(rules.Name, $"type {rules.Type}", Severity.Error, false, 1, [], $"holds {column.Type}");
        var failing = new List<int>();
        var examples = new List<FailingRow>();
        for (var row = 0; row < column.Length; row++)
        {
            if (column.IsNull(row) || fits(row)) continue;
            failing.Add(row);
            if (failing.Count <= CheckOutcome.ExampleCount) examples.Add(new FailingRow(row + 1, OffendingValue.Show(ColumnCheck.Text(column, row))));
        }
        return new CheckOutcome(rules.Name, $"type {rules.Type}", Severity.Error, false, Math.Max(1, failing.Count), examples,
            failing.Count == 0 ? $"holds {column.Type}" : $"holds {column.Type}: {failing.Count} value(s) are not {expected}") { FailingRows = failing };
    }

    /// <summary>Whether the value in a row could be of the declared type, for the widenings a reader makes; null for others.</summary>
    static (Func<int, bool>? Fits, string Expected) ValueTest(ColumnType declared, Column column)
    {
        const NumberStyles integer = NumberStyles.AllowLeadingSign, number = NumberStyles.Float;
        var invariant = CultureInfo.InvariantCulture;
        var whole = declared is ColumnType.Int32 or ColumnType.Int64;
        return (column, declared) switch
        {
            (StringColumn text, _) when whole => (row => long.TryParse(text[row], integer, invariant, out _), "whole numbers"),
            (StringColumn text, ColumnType.Float32 or ColumnType.Float64) => (row => double.TryParse(text[row], number, invariant, out _), "numbers"),
            (StringColumn text, ColumnType.Timestamp) =>
                (row => DateTime.TryParse(text[row], invariant, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out _), "timestamps"),
            (Column<double> or Column<float>, _) when whole => (row => column.AsDouble(row) is var value && double.IsFinite(value) && Math.Floor(value) == value, "whole numbers"),
            _ => (null, ""),
        };
    }

    /// <summary>
    /// Splits <paramref name="table"/> into the rows no failed error check names and the rows some does (the
    /// quarantine), keeping row order. Failures about a whole column or the table cannot be quarantined.
    /// </summary>
    public static (Table Clean, Table Quarantined) Quarantine(Table table, ValidationReport report)
    {
        var bad = new bool[table.RowCount];
        foreach (var outcome in report.Checks.Where(c => !c.Passed && c.Severity == Severity.Error))
            foreach (var row in outcome.FailingRows ?? []) bad[row] = true;
        var clean = Enumerable.Range(0, table.RowCount).Where(r => !bad[r]).ToArray();
        var quarantined = Enumerable.Range(0, table.RowCount).Where(r => bad[r]).ToArray();
        return (table.Take(clean), table.Take(quarantined));
    }

    /// <summary>Exact types, plus the widenings readers produce for the same data (ints for a float column, text for categories).</summary>
    static bool Fits(ColumnType declared, ColumnType actual) => declared == actual || (declared, actual) switch
    {
        (ColumnType.Int64, ColumnType.Int32) => true,
        (ColumnType.Float64, ColumnType.Float32 or ColumnType.Int32 or ColumnType.Int64) => true,
        (ColumnType.Categorical, ColumnType.String) or (ColumnType.String, ColumnType.Categorical) => true,
        _ => false,
    };
}
