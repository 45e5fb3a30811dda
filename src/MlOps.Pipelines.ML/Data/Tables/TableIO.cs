using MlOps.Pipelines.ML.Data.DuckDb;

namespace MlOps.Pipelines.ML.Data.Tables;

/// <summary>
/// Tables from and to files through DuckDB: Parquet, CSV, JSON / NDJSON, and any SQL over files. A file that is
/// not what it should be is one <see cref="InvalidDataException"/> naming the file and, where it can, the line,
/// column and offending value (escaped and cut short) and what was expected; never DuckDB's SQL.
/// </summary>
public static class TableIO
{
    /// <summary>A Parquet file; a file that is truncated, of another format or damaged is refused naming what is wrong.</summary>
    public static Table ReadParquet(string path)
    {
        CheckIsFile(path);
        ParquetStructure.Check(path);
        try
        {
            return Query($"SELECT * FROM read_parquet({DuckDbConnection.Literal(path)})");
        }
        catch (DuckDbException e)
        {
            throw ParquetStructure.Damaged(path, e, Essential);
        }
    }

    /// <summary>
    /// A comma-separated UTF-8 file with a header; column types are detected. Its structure is checked first
    /// (<see cref="CsvStructure"/>): a ragged row, an unterminated quote, a repeated or empty header name, a NUL
    /// byte or bytes that are not UTF-8 are an error naming the line and column, never a silently padded,
    /// re-split or renamed row.
    /// </summary>
    public static Table ReadCsv(string path)
    {
        CheckIsFile(path);
        CsvStructure.Check(path);
        string Sql(string sampleSize) => $"SELECT * FROM read_csv({DuckDbConnection.Literal(path)}, header = true, delim = ',', quote = '\"', " +
            $"strict_mode = true, ignore_errors = false, sample_size = {sampleSize})";
        try
        {
            try
            {
                return Query(Sql("20480"));
            }
            catch (DuckDbException e) when (e.IsConversion)
            {
                // Types are detected from the first rows; a value further down that does not fit (text in a column of
                // numbers) is found by detecting them from every row. The column is then read as what it holds, and
                // validation names each row that does not fit the schema, as for a value among the first rows.
                return Query(Sql("-1"));
            }
        }
        catch (DuckDbException e)
        {
            throw new InvalidDataException($"{path}: {Essential(e.Message)}", e);
        }
    }

    /// <summary>JSON: an array of objects, or newline-delimited objects.</summary>
    public static Table ReadJson(string path) => ReadFile(path, p => $"SELECT * FROM read_json_auto({p})");

    /// <summary>The result of a SQL query (over files, with DuckDB's table functions).</summary>
    public static Table Query(string sql)
    {
        using var duckDb = DuckDbConnection.OpenInMemory();
        return FromColumns(duckDb.ReadColumns(sql));
    }

    public static void WriteParquet(Table table, string path) => Write(table, path, "FORMAT parquet");

    public static void WriteCsv(Table table, string path) => Write(table, path, "FORMAT csv, HEADER true");

    static Table ReadFile(string path, Func<string, string> query)
    {
        CheckIsFile(path);
        try
        {
            return Query(query(DuckDbConnection.Literal(path)));
        }
        catch (DuckDbException e)
        {
            throw new InvalidDataException($"{path}: {Essential(e.Message)}", e);
        }
    }

    static void CheckIsFile(string path)
    {
        if (Directory.Exists(path)) throw new InvalidDataException($"{path}: a directory; expected a data file.");
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: the file does not exist.", path);
        if (new FileInfo(path).Length == 0) throw new InvalidDataException($"{path}: the file is empty.");
    }

    /// <summary>
    /// DuckDB's message without the SQL it ran (the "LINE 1: SELECT ..." context DuckDB appends), its lists of
    /// possible fixes and parser settings, on one line and with control characters escaped.
    /// </summary>
    static string Essential(string message)
    {
        foreach (var marker in new[] { "\nLINE ", "\nPossible fixes", "\nPossible Solution", "\nThe search space used was" })
        {
            var end = message.IndexOf(marker, StringComparison.Ordinal);
            if (end >= 0) message = message[..end];
        }
        return OffendingValue.Show(message.Trim().ReplaceLineEndings("; "), int.MaxValue);
    }

    static void Write(Table table, string path, string options)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var temporary = $"{path}.{Environment.ProcessId}.tmp";
        try
        {
            using var duckDb = DuckDbConnection.OpenInMemory();
            duckDb.AppendColumns("output", [.. table.ColumnNames], [.. table.Columns.Select(Values)],
                [.. table.Columns.Select(c => c.Nulls.IsEmpty ? null : c.Nulls.ToArray())]);
            duckDb.Execute($"COPY output TO {DuckDbConnection.Literal(temporary)} ({options})");
            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    static Array Values(Column column) => column switch
    {
        Column<bool> c => c.Values.ToArray(),
        Column<int> c => c.Values.ToArray(),
        Column<long> c => c.Values.ToArray(),
        Column<float> c => c.Values.ToArray(),
        Column<double> c => c.Values.ToArray(),
        Column<DateTime> c => c.Values.ToArray(),
        StringColumn c => Enumerable.Range(0, c.Length).Select(i => c[i]).ToArray(),
        _ => throw new NotSupportedException($"Column '{column.Name}' of {column.Type} cannot be written."),
    };

    internal static Table FromColumns(QueryColumns result)
    {
        var columns = new Column[result.Names.Count];
        for (var i = 0; i < columns.Length; i++)
        {
            var name = result.Names[i];
            var nulls = result.Nulls[i] is { } mask ? (ReadOnlyMemory<bool>)mask : default;
            columns[i] = result.Values[i] switch
            {
                bool[] v => new Column<bool>(name, v, nulls),
                sbyte[] v => new Column<int>(name, Array.ConvertAll(v, x => (int)x), nulls),
                short[] v => new Column<int>(name, Array.ConvertAll(v, x => (int)x), nulls),
                int[] v => new Column<int>(name, v, nulls),
                long[] v => new Column<long>(name, v, nulls),
                float[] v => new Column<float>(name, v, nulls),
                double[] v => new Column<double>(name, v, nulls),
                DateTime[] v => new Column<DateTime>(name, v, nulls),
                EncodedText v => new StringColumn(name, v.Dictionary, v.Codes),
                var other => throw new NotSupportedException($"Column '{name}' of {other.GetType().Name} has no table column type."),
            };
        }
        return new Table(columns);
    }
}
