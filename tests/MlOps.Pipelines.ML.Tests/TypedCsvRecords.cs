using CsvHelper;
using MlOps.Pipelines.ML.Data.Tables;

namespace MlOps.Pipelines.ML.Tests;

[CsvRecord]
public partial record AirportRecord
{
    public string Code { get; init; } = "";
    public int Runways { get; init; }
    public double Elevation { get; init; }
}

public sealed class TypedCsvRecords : IDisposable
{
    readonly string _directory = Directory.CreateTempSubdirectory("typed-csv-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    string Write(string name, string text)
    {
        var path = Path.Combine(_directory, name);
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void Records_are_read_by_header_name()
    {
        var airports = TypedCsv.Read<AirportRecord>(Write("ok.csv", "Elevation,Code,Runways\n131.5,SEA,3\n38,LAX,4\n"));
        Assert.Equal([new AirportRecord { Code = "SEA", Runways = 3, Elevation = 131.5 }, new AirportRecord { Code = "LAX", Runways = 4, Elevation = 38 }], airports);
    }

    [Fact]
    public void A_value_that_does_not_convert_names_the_file_record_and_field()
    {
        var path = Write("bad.csv", "Code,Runways,Elevation\nSEA,3,131.5\nLAX,four,38\n");
        var error = Assert.Throws<InvalidDataException>(() => TypedCsv.Read<AirportRecord>(path));
        Assert.StartsWith($"{path}: ", error.Message);
        Assert.Contains("'Runways' of record 3", error.Message);
        Assert.Contains("'four'", error.Message);
        Assert.Contains("missing.csv: the file does not exist", Assert.Throws<FileNotFoundException>(() => TypedCsv.Read<AirportRecord>(Path.Combine(_directory, "missing.csv"))).Message);
    }
}
