using MlOps.Pipelines.ML.Data.Tables;

namespace MlOps.Pipelines.ML.Tests;

public sealed class Tables : IDisposable
{
    readonly string _directory = Directory.CreateTempSubdirectory("tables-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    string PathOf(string name) => Path.Combine(_directory, name);

    static Table Sample() => new([
        new Column<long>("id", new long[] { 1, 2, 3, 4 }),
        new Column<double>("delay", new[] { 5.5, 0, -2, 7 }, new[] { false, true, false, false }),
        new Column<bool>("weekend", new[] { true, false, false, true }),
        StringColumn.FromValues("origin", ["SEA", "LAX", null, "SEA"]),
        new Column<DateTime>("at", new[] { new DateTime(2001, 1, 1, 0, 1, 0, DateTimeKind.Utc), new DateTime(2001, 1, 2, 0, 0, 0, DateTimeKind.Utc),
            new DateTime(2001, 1, 3, 0, 0, 0, DateTimeKind.Utc), new DateTime(2001, 1, 4, 0, 0, 0, DateTimeKind.Utc) }),
    ]);

    [Fact]
    public void Strings_are_dictionary_encoded_in_order_of_first_appearance()
    {
        var origin = Sample().GetString("origin");
        Assert.Equal(["SEA", "LAX"], origin.Dictionary);
        Assert.Equal([0, 1, -1, 0], origin.Codes.ToArray());
        Assert.Null(origin[2]);
        Assert.Equal(1, origin.NullCount);
    }

    [Fact]
    public void Slices_and_selections_share_memory_with_the_table()
    {
        var values = new[] { 1.0, 2, 3, 4 };
        var table = new Table([new Column<double>("x", values), new Column<int>("y", new[] { 1, 2, 3, 4 })]);
        var slice = table.Slice(1, 2).Select("x");
        Assert.Equal(2, slice.RowCount);
        Assert.Equal(["x"], slice.ColumnNames);
        values[2] = 30; // visible through the slice: nothing was copied
        Assert.Equal([2.0, 30], slice.Get<double>("x").Values.ToArray());

        var text = Sample().Slice(1, 3).GetString("origin");
        Assert.Equal(["LAX", null, "SEA"], Enumerable.Range(0, 3).Select(i => text[i]));
        Assert.Equal([false, true, false], text.Nulls.ToArray());
    }

    [Fact]
    public void The_float_matrix_is_row_major_with_nan_for_missing_values()
    {
        var matrix = Sample().ToMatrix("delay", "weekend", "id");
        Assert.Equal([5.5f, 1f, 1f, float.NaN, 0f, 2f, -2f, 0f, 3f, 7f, 1f, 4f], matrix);
        Assert.Contains("is text", Assert.Throws<InvalidOperationException>(() => Sample().ToMatrix("origin")).Message);
    }

    [Fact]
    public void Columns_of_different_lengths_or_names_are_refused()
    {
        Assert.Throws<ArgumentException>(() => new Table([new Column<int>("a", new int[2]), new Column<int>("b", new int[3])]));
        Assert.Throws<ArgumentException>(() => new Table([new Column<int>("a", new int[2]), new Column<int>("a", new int[2])]));
        Assert.Contains("has no column 'nope'; it has id", Assert.Throws<KeyNotFoundException>(() => Sample()["nope"]).Message);
        Assert.Contains("holds Int64, not Double", Assert.Throws<InvalidCastException>(() => Sample().Get<double>("id")).Message);
    }

    [Fact]
    public void The_binary_format_round_trips_every_column_type_bit_for_bit()
    {
        var original = Sample();
        using var stream = new MemoryStream();
        TableFormat.Write(original, stream);
        stream.Position = 0;
        var copy = TableFormat.Read(stream);
        AssertSame(original, copy);

        using var again = new MemoryStream();
        TableFormat.Write(copy, again);
        Assert.Equal(stream.ToArray(), again.ToArray());
    }

    [Fact]
    public void Files_are_written_with_the_same_bytes_as_a_stream_and_read_back()
    {
        var table = Sample();
        var path = PathOf("t.table");
        using (var file = File.Create(path)) TableFormat.Write(table, file);
        using var memory = new MemoryStream();
        TableFormat.Write(table, memory);
        Assert.Equal(memory.ToArray(), File.ReadAllBytes(path));
        using (var file = File.OpenRead(path)) AssertSame(table, TableFormat.Read(file));

        File.WriteAllBytes(PathOf("short.table"), File.ReadAllBytes(path)[..^7]);
        using var truncated = File.OpenRead(PathOf("short.table"));
        Assert.Contains("truncated", Assert.Throws<InvalidDataException>(() => TableFormat.Read(truncated)).Message);
    }

    [Fact]
    public void A_truncated_or_foreign_binary_file_is_refused()
    {
        using var stream = new MemoryStream();
        TableFormat.Write(Sample(), stream);
        var truncated = stream.ToArray()[..^5];
        Assert.Contains("truncated", Assert.Throws<InvalidDataException>(() => TableFormat.Read(new MemoryStream(truncated))).Message);
        Assert.Contains("Not a table file", Assert.Throws<InvalidDataException>(() => TableFormat.Read(new MemoryStream(new byte[16]))).Message);
    }

    [Fact]
    public void Parquet_and_csv_written_and_read_back_keep_the_values()
    {
        var original = Sample();
        TableIO.WriteParquet(original, PathOf("t.parquet"));
        AssertSame(original, TableIO.ReadParquet(PathOf("t.parquet")));

        TableIO.WriteCsv(original, PathOf("t.csv"));
        var csv = TableIO.ReadCsv(PathOf("t.csv"));
        Assert.Equal(original.Get<long>("id").Values.ToArray(), csv.Get<long>("id").Values.ToArray());
        Assert.Equal(["SEA", "LAX", null, "SEA"], Enumerable.Range(0, 4).Select(i => csv.GetString("origin")[i]));
        Assert.True(csv["delay"].IsNull(1));
    }

    [Fact]
    public void Json_and_ndjson_read_into_tables()
    {
        File.WriteAllText(PathOf("a.json"), """[{"x": 1, "s": "a"}, {"x": 2, "s": null}]""");
        File.WriteAllText(PathOf("b.ndjson"), "{\"x\": 1.5}\n{\"x\": 2.5}\n");
        var array = TableIO.ReadJson(PathOf("a.json"));
        Assert.Equal([1L, 2L], array.Get<long>("x").Values.ToArray());
        Assert.True(array["s"].IsNull(1));
        Assert.Equal([1.5, 2.5], TableIO.ReadJson(PathOf("b.ndjson")).Get<double>("x").Values.ToArray());
    }

    [Fact]
    public void A_table_can_come_from_sql_over_files()
    {
        TableIO.WriteParquet(Sample(), PathOf("t.parquet"));
        var table = TableIO.Query($"SELECT origin, count(*) AS flights FROM read_parquet('{PathOf("t.parquet")}') WHERE origin IS NOT NULL GROUP BY origin ORDER BY origin");
        Assert.Equal(["LAX", "SEA"], Enumerable.Range(0, 2).Select(i => table.GetString("origin")[i]));
        Assert.Equal([1L, 2L], table.Get<long>("flights").Values.ToArray());
    }

    [Fact]
    public void A_missing_or_empty_file_gets_one_message_naming_the_file()
    {
        Assert.Contains("missing.csv: the file does not exist", Assert.Throws<FileNotFoundException>(() => TableIO.ReadCsv(PathOf("missing.csv"))).Message);
        File.WriteAllText(PathOf("empty.csv"), "");
        Assert.Contains("empty.csv: the file is empty", Assert.Throws<InvalidDataException>(() => TableIO.ReadCsv(PathOf("empty.csv"))).Message);
        // The other bad files, each with its line, column and value: BadInputFiles.
    }

    static void AssertSame(Table expected, Table actual)
    {
        Assert.Equal(expected.ColumnNames, actual.ColumnNames);
        Assert.Equal(expected.RowCount, actual.RowCount);
        foreach (var column in expected.Columns)
        {
            var other = actual[column.Name];
            for (var row = 0; row < expected.RowCount; row++)
            {
                Assert.Equal(column.IsNull(row), other.IsNull(row));
                if (column.IsNull(row)) continue;
                if (column is StringColumn text) Assert.Equal(text[row], ((StringColumn)other)[row]);
                else Assert.Equal(column.AsDouble(row), other.AsDouble(row));
            }
        }
    }
}
