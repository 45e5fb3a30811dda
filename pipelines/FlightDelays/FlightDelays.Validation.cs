using System.Text.Json;
using MlOps.Pipelines;
using MlOps.Pipelines.ML.Data.Tables;
using MlOps.Pipelines.ML.Data.Validation;
using MlOps.Pipelines.ML.Packaging;

namespace MlOps.Pipelines.Examples;

// Validate: the flights file against the declared schema. A blessed report and the clean table are the
// artefacts; a failing report is kept as validation.failed.json for inspection. With --quarantine, failing
// rows go to quarantine.csv and the rest continue when they pass.
public sealed partial class FlightDelays
{
    /// <summary>Which data this run validated: the file, its SHA-256 and how many rows passed.</summary>
    sealed record Dataset(string File, string Sha256, int Rows, int Quarantined);

    /// <summary>What a flights file must look like.</summary>
    static readonly Schema FlightSchema = Schema.Define()
        .Column("date", ColumnType.Timestamp, c => c.NotNull())
        .Column("delay", ColumnType.Int64, c => c.NotNull().Range(-1440, 2880).Mean(-30, 120, Severity.Warning))
        .Column("distance", ColumnType.Int64, c => c.NotNull().Range(1, 10000))
        .Column("origin", ColumnType.String, c => c.NotNull().Matches("^[A-Z]{3}$"))
        .Column("destination", ColumnType.String, c => c.NotNull().Matches("^[A-Z]{3}$"))
        .Rows(min: 100)
        .Strict()
        .Build();

    void ValidateData(TargetContext context)
    {
        var display = Display(InputFile);
        var path = context.Input(InputFile);
        var table = ((string)path).EndsWith(".parquet", StringComparison.OrdinalIgnoreCase) ? TableIO.ReadParquet(path) : TableIO.ReadCsv(path);
        var report = Validator.Validate(table, FlightSchema, display);
        Print(context, report);

        var quarantinedRows = 0;
        if (!report.Blessed && Quarantine)
        {
            var (clean, quarantined) = Validator.Quarantine(table, report);
            var file = ArtifactsDirectory / "quarantine.csv";
            TableIO.WriteCsv(quarantined, file);
            context.Warn($"{quarantined.RowCount:N0} failing rows moved to {Display(file)}; validating the other {clean.RowCount:N0}");
            table = clean;
            quarantinedRows = quarantined.RowCount;
            report = Validator.Validate(table, FlightSchema, display);
            Print(context, report);
        }

        if (!report.Blessed)
        {
            var failed = ArtifactsDirectory / "validation.failed.json";
            Directory.CreateDirectory(ArtifactsDirectory);
            File.WriteAllText(failed, JsonSerializer.Serialize(report, new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower }));
            throw new InvalidDataException($"{display}: {report.Failed.Count(c => c.Severity == Severity.Error)} check(s) failed; see {Display(failed)}.");
        }
        context.Save(Validation, report);
        context.Save(CleanFlights, table);
        // The training reference that drift checks compare new data with.
        context.Save(Profile, DataProfile.Of(table));
        var digest = Sha256(path);
        context.Save(DatasetIdentity, new Dataset(display, digest, table.RowCount, quarantinedRows));
        context.LogDataset("flights", digest[..16], display, "training", MlflowSchema(table), JsonSerializer.Serialize(new { num_rows = table.RowCount }));
        context.LogArtifact(Validation);
    }

    /// <summary>The table's columns as MLflow's column spec, the schema of the dataset input.</summary>
    static string MlflowSchema(Table table) => JsonSerializer.Serialize(new
    {
        mlflow_colspec = table.Columns.Select(c => new
        {
            type = ModelSignature.MlflowType(c.Type),
            name = c.Name,
            required = c.NullCount == 0,
        }),
    });

    /// <summary>The report as a table: verdict, column, check, and for failures what was found.</summary>
    static void Print(TargetContext context, ValidationReport report)
    {
        context.Info($"{report.Source}: {report.Rows:N0} flights, {report.Checks.Count} checks, {(report.Blessed ? "blessed" : "not blessed")}");
        var rows = report.Checks.Select(check => new[]
        {
            check.Passed ? "pass" : check.Severity == Severity.Warning ? "WARN" : "FAIL",
            check.Column + ":",
            check.Check,
            check.Passed ? "" : $"— {check.Detail ?? $"{check.Failures:N0} row(s)"}" +
                (check.Examples.Count > 0 ? "; e.g. " + string.Join("; ", check.Examples.Select(e => $"row {e.Row}: {e.Value}")) : ""),
        }).ToList();
        var widths = Enumerable.Range(0, 3).Select(i => rows.Max(r => r[i].Length)).ToArray();
        foreach (var row in rows)
            context.Info($"  {row[0].PadRight(widths[0])}  {row[1].PadRight(widths[1])} {row[2].PadRight(widths[2])} {row[3]}".TrimEnd());
    }
}
