using MlOps.Pipelines.ML.Data.Tables;
using MlOps.Pipelines.ML.Data.Validation;

namespace MlOps.Pipelines.ML.Tests;

public sealed class SchemaValidation
{
    static Table Flights() => new([
        new Column<long>("id", new long[] { 1, 2, 3, 3, 5 }),
        new Column<double>("delay", new[] { 5.0, -3000, 12, 0, 9000 }, new[] { false, false, false, true, false }),
        StringColumn.FromValues("origin", ["SEA", "LAX", "Seattle", "SEA", "ORD"]),
        new Column<DateTime>("departure", new[] { 1, 2, 3, 4, 5 }.Select(d => new DateTime(2001, 1, d, 0, 0, 0, DateTimeKind.Utc)).ToArray()),
        new Column<int>("extra", new[] { 0, 0, 0, 0, 0 }),
    ]);

    static CheckOutcome Outcome(ValidationReport report, string column, string checkStart) =>
        report.Checks.Single(c => c.Column == column && c.Check.StartsWith(checkStart, StringComparison.Ordinal));

    [Fact]
    public void Row_checks_count_failures_and_keep_the_first_failing_rows_with_their_values()
    {
        var schema = Schema.Define()
            .Column("delay", ColumnType.Float64, c => c.NotNull().Range(-1440, 2880))
            .Column("origin", ColumnType.String, c => c.Matches("^[A-Z]{3}$"))
            .Column("id", ColumnType.Int64, c => c.Unique())
            .Build();
        var report = Validator.Validate(Flights(), schema, "flights.csv");

        Assert.False(report.Blessed);
        var notNull = Outcome(report, "delay", "not null");
        Assert.Equal(1, notNull.Failures);
        Assert.Equal([new FailingRow(4, "NULL")], notNull.Examples);
        var range = Outcome(report, "delay", "within");
        Assert.Equal("within [-1440, 2880]", range.Check);
        Assert.Equal([new FailingRow(2, "-3000"), new FailingRow(5, "9000")], range.Examples);
        Assert.Equal([new FailingRow(3, "Seattle")], Outcome(report, "origin", "matches").Examples);
        Assert.Equal([new FailingRow(4, "3")], Outcome(report, "id", "unique").Examples);
        Assert.True(Outcome(report, "id", "type").Passed);
    }

    [Fact]
    public void Warnings_are_reported_but_do_not_withhold_the_blessing()
    {
        var schema = Schema.Define().Column("delay", ColumnType.Float64, c => c.Range(-1440, 2880, Severity.Warning)).Build();
        var report = Validator.Validate(Flights(), schema, "flights.csv");
        Assert.True(report.Blessed);
        Assert.Single(report.Failed);
    }

    [Fact]
    public void Allowed_values_tolerate_a_declared_share_of_unseen_ones()
    {
        Schema Allow(double share) => Schema.Define().Column("origin", ColumnType.String, c => c.AllowedValues(["SEA", "LAX"], share)).Build();
        // Two of five rows (Seattle, ORD) are unseen: 40%.
        Assert.False(Validator.Validate(Flights(), Allow(0.3), "f").Blessed);
        var tolerant = Validator.Validate(Flights(), Allow(0.4), "f");
        Assert.True(tolerant.Blessed);
        Assert.Equal("40.00% of rows hold unseen values", tolerant.Checks.Single(c => c.Check.StartsWith("one of", StringComparison.Ordinal)).Detail);
    }

    [Fact]
    public void Distribution_and_freshness_checks_use_the_whole_column()
    {
        var schema = Schema.Define()
            .Column("delay", ColumnType.Float64, c => c.Mean(1000, 2000).Quantile(0.5, 0, 10))
            .Column("departure", ColumnType.Timestamp, c => c.FreshWithin(TimeSpan.FromDays(2)))
            .Build();
        var report = Validator.Validate(Flights(), schema, "f", validatedAt: new DateTime(2001, 1, 6, 0, 0, 0, DateTimeKind.Utc));
        // Non-null delays: 5, -3000, 12, 9000 → mean 1504.25; median (nearest rank) 5.
        Assert.Equal("mean 1504.25", Outcome(report, "delay", "mean").Detail);
        Assert.True(Outcome(report, "delay", "mean").Passed);
        Assert.Equal("p50 = 5", Outcome(report, "delay", "p50").Detail);
        Assert.True(Outcome(report, "departure", "newest").Passed);
        var stale = Validator.Validate(Flights(), schema, "f", validatedAt: new DateTime(2001, 2, 1, 0, 0, 0, DateTimeKind.Utc));
        Assert.False(Outcome(stale, "departure", "newest").Passed);
    }

    [Fact]
    public void Missing_columns_wrong_types_unknown_columns_and_row_counts_are_errors()
    {
        var schema = Schema.Define()
            .Column("distance", ColumnType.Int64)
            .Column("origin", ColumnType.Int64, c => c.Range(0, 1))
            .Column("id", ColumnType.Int64)
            .Column("delay", ColumnType.Float64)
            .Column("departure", ColumnType.Timestamp)
            .Rows(min: 10)
            .Strict()
            .Build();
        var report = Validator.Validate(Flights(), schema, "f");
        Assert.False(report.Blessed);
        Assert.StartsWith("the data has no column 'distance'; it has id, delay", Outcome(report, "distance", "present").Detail);
        Assert.Equal("holds String: 5 value(s) are not whole numbers", Outcome(report, "origin", "type").Detail);
        Assert.DoesNotContain(report.Checks, c => c.Column == "origin" && c.Check.StartsWith("within", StringComparison.Ordinal));
        Assert.Equal("the schema is strict and does not name this column", Outcome(report, "extra", "declared").Detail);
        Assert.Equal("5 rows", Outcome(report, "(table)", "rows").Detail);
    }

    [Fact]
    public void A_value_of_the_wrong_type_in_a_csv_is_named_with_its_row()
    {
        var directory = Directory.CreateTempSubdirectory("wrong-type-").FullName;
        try
        {
            var path = Path.Combine(directory, "flights.csv");
            File.WriteAllLines(path, ["delay,origin", "5,SEA", "abc,LAX", "7,ORD", "1.5,SEA"]);
            var table = TableIO.ReadCsv(path); // one bad value makes DuckDB read the column as text
            var report = Validator.Validate(table, Schema.Define().Column("delay", ColumnType.Int64).Build(), path);
            var type = report.Checks.Single(c => c.Check == "type Int64");
            Assert.False(type.Passed);
            Assert.Equal("holds String: 2 value(s) are not whole numbers", type.Detail);
            Assert.Equal([new FailingRow(2, "abc"), new FailingRow(4, "1.5")], type.Examples);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void Nan_infinity_and_fractions_in_a_whole_number_column_are_named_with_their_rows()
    {
        // A NaN or "inf" makes the reader take the column as floats; the type check then said only "holds Float64".
        var table = new Table([new Column<double>("delay", new[] { 5, double.NaN, 7, double.PositiveInfinity, 1.5, double.NegativeInfinity, 0 }, new[] { false, false, true, false, false, false, false })]);
        var type = Validator.Validate(table, Schema.Define().Column("delay", ColumnType.Int64).Build(), "t").Checks.Single(c => c.Check == "type Int64");
        Assert.False(type.Passed);
        Assert.Equal("holds Float64: 4 value(s) are not whole numbers", type.Detail);
        Assert.Equal(4, type.Failures);
        Assert.Equal([new FailingRow(2, "NaN"), new FailingRow(4, "Infinity"), new FailingRow(5, "1.5")], type.Examples);
        Assert.Equal([1, 3, 4, 5], type.FailingRows);
    }

    [Fact]
    public void A_nan_fails_a_range_check_and_is_named_with_its_row()
    {
        var table = new Table([new Column<double>("distance", new[] { 5, double.NaN, 7 })]);
        var range = Validator.Validate(table, Schema.Define().Column("distance", ColumnType.Float64, c => c.Range(0, 10)).Build(), "t")
            .Checks.Single(c => c.Check.StartsWith("within", StringComparison.Ordinal));
        Assert.False(range.Passed);
        Assert.Equal([new FailingRow(2, "NaN")], range.Examples);
    }

    [Fact]
    public void Unparsable_timestamps_in_a_text_column_are_named_with_their_rows()
    {
        var table = new Table([StringColumn.FromValues("date", ["2001-01-01 00:04", "2001-13-45 00:04", null, "yesterday", "2001-02-03 10:00:00"])]);
        var type = Validator.Validate(table, Schema.Define().Column("date", ColumnType.Timestamp).Build(), "t").Checks.Single(c => c.Check == "type Timestamp");
        Assert.False(type.Passed);
        Assert.Equal("holds String: 2 value(s) are not timestamps", type.Detail);
        Assert.Equal([new FailingRow(2, "2001-13-45 00:04"), new FailingRow(4, "yesterday")], type.Examples);
    }

    [Fact]
    public void A_wrong_type_without_any_bad_value_names_no_rows()
    {
        var table = new Table([new Column<double>("delay", new[] { 5.0, 7 })]);
        var type = Validator.Validate(table, Schema.Define().Column("delay", ColumnType.Int64).Build(), "t").Checks.Single(c => c.Check == "type Int64");
        Assert.False(type.Passed);
        Assert.Equal("holds Float64", type.Detail);
        Assert.Empty(type.Examples);
    }

    [Fact]
    public void Failing_values_are_escaped_and_cut_short_in_the_report()
    {
        var huge = new string('X', 30_000);
        var table = new Table([StringColumn.FromValues("origin", ["SEA", "O\0RD\n", huge])]);
        var match = Validator.Validate(table, Schema.Define().Column("origin", ColumnType.String, c => c.Matches("^[A-Z]{3}$")).Build(), "t")
            .Checks.Single(c => c.Check.StartsWith("matches", StringComparison.Ordinal));
        Assert.Equal([new FailingRow(2, "O\\0RD\\x0A"), new FailingRow(3, new string('X', 100) + "… (30,000 characters)")], match.Examples);
    }

    [Fact]
    public void Quarantine_splits_off_the_rows_that_failed_an_error_check()
    {
        var schema = Schema.Define()
            .Column("delay", ColumnType.Float64, c => c.NotNull().Range(-1440, 2880))
            .Column("origin", ColumnType.String, c => c.Matches("^[A-Z]{3}$"))
            .Column("id", ColumnType.Int64, c => c.Unique(Severity.Warning))
            .Build();
        var table = Flights();
        var (clean, quarantined) = Validator.Quarantine(table, Validator.Validate(table, schema, "f"));
        Assert.Equal([1L], clean.Get<long>("id").Values.ToArray());
        Assert.Equal([2L, 3, 3, 5], quarantined.Get<long>("id").Values.ToArray());
        Assert.Equal(["LAX", "Seattle", "SEA", "ORD"], Enumerable.Range(0, 4).Select(i => quarantined.GetString("origin")[i]));
        Assert.True(quarantined["delay"].IsNull(2));
        Assert.True(Validator.Validate(clean, schema, "clean").Blessed);
    }

    [Fact]
    public void A_clean_table_is_blessed()
    {
        var schema = Schema.Define()
            .Column("id", ColumnType.Int64, c => c.NotNull())
            .Column("origin", ColumnType.Categorical)
            .Build();
        var report = Validator.Validate(Flights(), schema, "f");
        Assert.True(report.Blessed);
        Assert.Empty(report.Failed);
    }
}
