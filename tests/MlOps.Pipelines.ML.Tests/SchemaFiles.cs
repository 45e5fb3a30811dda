using MlOps.Pipelines.ML.Data.Tables;
using MlOps.Pipelines.ML.Data.Validation;

namespace MlOps.Pipelines.ML.Tests;

public sealed class SchemaFiles : IDisposable
{
    readonly string _directory = Directory.CreateTempSubdirectory("schemas-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    static Table Reference() => new([
        new Column<long>("id", Enumerable.Range(1, 200).Select(i => (long)i).ToArray()),
        new Column<double>("delay", Enumerable.Range(0, 200).Select(i => i % 50 - 10.0).ToArray()),
        StringColumn.FromValues("origin", [.. Enumerable.Range(0, 200).Select(i => new[] { "SEA", "LAX", "ORD" }[i % 3])]),
    ]);

    [Fact]
    public void An_inferred_schema_blesses_its_own_data_and_catches_changes()
    {
        var schema = SchemaFile.Infer(Reference());
        Assert.True(Validator.Validate(Reference(), schema, "reference").Blessed);

        var drifted = new Table([
            new Column<long>("id", Enumerable.Range(1, 200).Select(i => (long)i).ToArray()),
            new Column<double>("delay", Enumerable.Range(0, 200).Select(i => i == 7 ? 500.0 : 0).ToArray()),
            StringColumn.FromValues("origin", [.. Enumerable.Range(0, 200).Select(i => i < 10 ? "JFK" : "SEA")]),
        ]);
        var report = Validator.Validate(drifted, schema, "drifted");
        Assert.False(report.Blessed);
        Assert.Equal(["delay: within [-10, 39]", "origin: one of 3 known values, at most 1.00% unseen"],
            report.Failed.Select(c => $"{c.Column}: {c.Check}"));
        Assert.Equal([new FailingRow(8, "500")], report.Failed.First().Examples);
    }

    [Fact]
    public void A_saved_schema_loads_back_to_the_same_file()
    {
        var declared = Schema.Define()
            .Column("delay", ColumnType.Float64, c => c.NotNull().Range(-1440, null).Mean(0, 60, Severity.Warning).Quantile(0.95, null, 300))
            .Column("origin", ColumnType.Categorical, c => c.AllowedValues(["SEA", "LAX"], 0.05).Matches("^[A-Z]{3}$"))
            .Column("departure", ColumnType.Timestamp, c => c.FreshWithin(TimeSpan.FromDays(30), new DateTime(2001, 7, 1, 0, 0, 0, DateTimeKind.Utc)))
            .Column("id", ColumnType.Int64, c => c.Unique())
            .Rows(min: 100)
            .Strict()
            .Build();
        var first = Path.Combine(_directory, "schema.json");
        var second = Path.Combine(_directory, "again.json");
        SchemaFile.Save(declared, first);
        SchemaFile.Save(SchemaFile.Load(first), second);
        Assert.Equal(File.ReadAllText(first), File.ReadAllText(second));
        Assert.Contains("\"check\": \"allowed_values\"", File.ReadAllText(first));
    }

    [Fact]
    public void A_bad_schema_file_names_the_file_and_the_column()
    {
        var path = Path.Combine(_directory, "bad.json");
        File.WriteAllText(path, """{ "strict": true, "columns": [ { "name": "delay", "type": "Number", "checks": [] } ] }""");
        Assert.Equal($"{path}: column 'delay' has unknown type 'Number'; expected one of Boolean, Int32, Int64, Float32, Float64, Timestamp, String, Categorical.",
            Assert.Throws<InvalidDataException>(() => SchemaFile.Load(path)).Message);
        File.WriteAllText(path, """{ "columns": [ { "name": "delay", "type": "Int64", "checks": [ { "check": "between" } ] } ] }""");
        Assert.Equal($"{path}: column 'delay' has unknown check 'between'.", Assert.Throws<InvalidDataException>(() => SchemaFile.Load(path)).Message);
        File.WriteAllText(path, "{ not json");
        Assert.StartsWith($"{path}: not a valid schema file", Assert.Throws<InvalidDataException>(() => SchemaFile.Load(path)).Message);
    }
}
