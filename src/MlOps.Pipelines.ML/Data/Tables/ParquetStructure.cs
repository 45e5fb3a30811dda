using System.Text;
using MlOps.Pipelines.ML.Data.DuckDb;

namespace MlOps.Pipelines.ML.Data.Tables;

/// <summary>
/// What makes a file a whole Parquet file, checked before DuckDB reads it, and which column of a damaged one cannot
/// be read. A Parquet file starts and ends with the 4 bytes "PAR1" (the footer before the last 8 bytes holds the
/// schema); a file that does not start with them is another format, one that does not end with them was cut short.
/// </summary>
static class ParquetStructure
{
    static ReadOnlySpan<byte> Magic => "PAR1"u8;

    public static void Check(string path)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1);
        Span<byte> head = stackalloc byte[4], tail = stackalloc byte[4];
        var length = file.Length;
        file.ReadAtLeast(head, Math.Min(4, (int)length), throwOnEndOfStream: false);
        if (length < 4 || !head.SequenceEqual(Magic))
            throw new InvalidDataException($"{path}: not a Parquet file, it starts with {OffendingValue.Quote(Encoding.Latin1.GetString(head[..(int)Math.Min(4, length)]))}; expected the Parquet marker \"PAR1\".");
        file.Position = Math.Max(4, length - 4);
        var read = file.ReadAtLeast(tail, 4, throwOnEndOfStream: false);
        if (length < 12 || read < 4 || !tail.SequenceEqual(Magic))
            throw new InvalidDataException($"{path}: a truncated Parquet file, its {length:N0} bytes do not end with the Parquet marker \"PAR1\"; expected a whole file (copy or download it again).");
    }

    /// <summary>
    /// The message for a file DuckDB could not read although its markers are in place: the first column whose data
    /// does not read, when the schema itself still reads.
    /// </summary>
    public static InvalidDataException Damaged(string path, DuckDbException error, Func<string, string> essential)
    {
        using var duckDb = DuckDbConnection.OpenInMemory();
        var file = DuckDbConnection.Literal(path);
        IReadOnlyList<string> names;
        try
        {
            names = duckDb.ReadColumns($"SELECT * FROM read_parquet({file}) LIMIT 0").Names;
        }
        catch (DuckDbException)
        {
            return new InvalidDataException($"{path}: a damaged Parquet file, its schema cannot be read ({essential(error.Message)}); expected an undamaged file.", error);
        }
        for (var i = 0; i < names.Count; i++)
        {
            try
            {
                // hash() forces every value to be decoded; count() could be answered from the footer's statistics.
                duckDb.Execute($"SELECT sum(hash(\"{names[i].Replace("\"", "\"\"", StringComparison.Ordinal)}\")) FROM read_parquet({file})");
            }
            catch (DuckDbException columnError)
            {
                return new InvalidDataException(
                    $"{path}, column {i + 1} ({OffendingValue.Show(names[i])}): a damaged Parquet file, the column's data cannot be read ({essential(columnError.Message)}); expected an undamaged file.", error);
            }
        }
        return new InvalidDataException($"{path}: a damaged Parquet file ({essential(error.Message)}); expected an undamaged file.", error);
    }
}
