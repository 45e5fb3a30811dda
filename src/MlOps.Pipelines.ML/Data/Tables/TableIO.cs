using MlOps.Pipelines.ML.Data.DuckDb;

namespace MlOps.Pipelines.ML.Data.Tables;

/// <summary>
/// Tables from and to files through DuckDB: Parquet, CSV, JSON / NDJSON, and any SQL over files. Errors name
/// the file and carry DuckDB's own message (which names the line and column for CSV).
/// </summary>
public static class TableIO
{
    public static Table ReadParquet(string path) => ReadFile(path, p => $"SELECT * FROM read_parquet({p})");

    /// <summary>
    /// A comma-separated file with a header; column types are detected. A ragged row or an unterminated quote is an
    /// error naming the line, never a silently padded or re-split row (the delimiter is fixed, not sniffed).
    /// </summary>
    public static Table ReadCsv(string path)
    {
        var table = ReadFile(path, p => $"SELECT * FROM read_csv({p}, header = true, delim = ',', quote = '\"', strict_mode = true, ignore_errors = false)");
        return table.RowCount > 0 ? table : throw new InvalidDataException($"{path}: the file has a header but no rows.");
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
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: the file does not exist.", path);
        if (new FileInfo(path).Length == 0) throw new InvalidDataException($"{path}: the file is empty.");
        try
        {
            return Query(query(DuckDbConnection.Literal(path)));
        }
        catch (DuckDbException e)
        {
            throw new InvalidDataException($"{path}: {Essential(e.Message)}", e);
        }
    }

    /// <summary>DuckDB's message without its list of possible fixes and parser settings.</summary>
    static string Essential(string message)
    {
        foreach (var marker in new[] { "\nPossible fixes", "\nPossible Solution", "\nThe search space used was" })
        {
            var end = message.IndexOf(marker, StringComparison.Ordinal);
            if (end >= 0) message = message[..end];
        }
        return message.Trim().ReplaceLineEndings("; ");
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
