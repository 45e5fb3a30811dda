using CsvHelper;

namespace MlOps.Pipelines.ML.Data.Tables;

/// <summary>
/// Typed records from a CSV file with CsvHelper: declare a <c>[CsvRecord] partial record</c> whose properties
/// match the header, and read it. A value that does not convert is an error naming the file, record and field.
/// </summary>
/// <example>
/// <code>
/// [CsvRecord] public partial record Airport { public string Code { get; init; } = ""; public double Latitude { get; init; } }
/// var airports = TypedCsv.Read&lt;Airport&gt;("data/airports.csv");
/// </code>
/// </example>
public static class TypedCsv
{
    public static IReadOnlyList<T> Read<T>(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: the file does not exist.", path);
        try
        {
            using var reader = CsvReader.Create(File.OpenRead(path), new CsvReaderOptions(), leaveOpen: false);
            return [.. reader.GetRecords<T>()];
        }
        catch (Exception e) when (e is FormatException or InvalidOperationException)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
    }
}
