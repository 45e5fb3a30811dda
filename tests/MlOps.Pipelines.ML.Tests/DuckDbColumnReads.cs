using MlOps.Pipelines.ML.Data.DuckDb;

namespace MlOps.Pipelines.ML.Tests;

public sealed class DuckDbColumnReads : IDisposable
{
    readonly string _directory = Directory.CreateTempSubdirectory("duckdb-columns-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void Every_supported_type_is_read_with_its_nulls()
    {
        using var duckDb = DuckDbConnection.OpenInMemory();
        var columns = duckDb.ReadColumns("""
            SELECT * FROM (VALUES
                (true, 1::TINYINT, 2::SMALLINT, 3::INTEGER, 4::BIGINT, 1.5::FLOAT, 2.25::DOUBLE, 'short', TIMESTAMP '2001-01-14 21:55:00'),
                (NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
                (false, -1::TINYINT, -2::SMALLINT, -3::INTEGER, 9007199254740993::BIGINT, -0.5::FLOAT, 1e300::DOUBLE,
                 'a string longer than twelve bytes, with ünïcödé', TIMESTAMP '1969-12-31 23:59:59.5')
            ) AS t(b, i8, i16, i32, i64, f32, f64, s, ts)
            """);

        Assert.Equal(3, columns.RowCount);
        Assert.Equal(["b", "i8", "i16", "i32", "i64", "f32", "f64", "s", "ts"], columns.Names);
        Assert.Equal([true, false, false], columns.Column<bool>("b"));
        Assert.Equal([(sbyte)1, (sbyte)0, (sbyte)-1], columns.Column<sbyte>("i8"));
        Assert.Equal([(short)2, (short)0, (short)-2], columns.Column<short>("i16"));
        Assert.Equal([3, 0, -3], columns.Column<int>("i32"));
        Assert.Equal([4L, 0L, 9007199254740993L], columns.Column<long>("i64"));
        Assert.Equal([1.5f, 0f, -0.5f], columns.Column<float>("f32"));
        Assert.Equal([2.25, 0, 1e300], columns.Column<double>("f64"));
        Assert.Equal(new[] { "short", null, "a string longer than twelve bytes, with ünïcödé" }.AsEnumerable(), Enumerable.Range(0, columns.RowCount).Select(i => columns.Text("s")[i]));
        var times = columns.Column<DateTime>("ts");
        Assert.Equal(new DateTime(2001, 1, 14, 21, 55, 0, DateTimeKind.Utc), times[0]);
        Assert.Equal(new DateTime(1969, 12, 31, 23, 59, 59, 500, DateTimeKind.Utc), times[2]);
        Assert.All(columns.Nulls, mask => Assert.Equal([false, true, false], mask!));
    }

    [Fact]
    public void A_column_without_nulls_has_no_mask()
    {
        using var duckDb = DuckDbConnection.OpenInMemory();
        Assert.Null(duckDb.ReadColumns("SELECT range AS x FROM range(10)").Nulls[0]);
    }

    [Fact]
    public void Results_larger_than_one_chunk_are_read_whole_and_in_order()
    {
        using var duckDb = DuckDbConnection.OpenInMemory();
        var columns = duckDb.ReadColumns("SELECT range AS i, (range * 0.5)::DOUBLE AS half, 'row ' || range AS label FROM range(10000) ORDER BY range");
        Assert.Equal(10000, columns.RowCount);
        var ids = columns.Column<long>("i");
        Assert.Equal(Enumerable.Range(0, 10000).Select(i => (long)i), ids);
        Assert.Equal(4999.5, columns.Column<double>("half")[9999]);
        Assert.Equal("row 2345", columns.Text("label")[2345]);
    }

    [Fact]
    public void Parquet_written_by_duckdb_reads_back_identically()
    {
        var parquet = Path.Combine(_directory, "t.parquet");
        using var duckDb = DuckDbConnection.OpenInMemory();
        duckDb.Execute($"COPY (SELECT range::INTEGER AS id, (range % 7)::DOUBLE / 7 AS ratio, chr(65 + (range % 26)::INTEGER) AS letter FROM range(5000)) TO {DuckDbConnection.Literal(parquet)} (FORMAT parquet)");
        var columns = duckDb.ReadColumns($"SELECT * FROM read_parquet({DuckDbConnection.Literal(parquet)}) ORDER BY id");
        Assert.Equal(5000, columns.RowCount);
        Assert.Equal(3.0 / 7, columns.Column<double>("ratio")[10]);
        Assert.Equal("Z", columns.Text("letter")[25]);
    }

    [Fact]
    public void An_unsupported_type_and_an_unknown_column_are_named_in_the_error()
    {
        using var duckDb = DuckDbConnection.OpenInMemory();
        var error = Assert.Throws<DuckDbException>(() => duckDb.ReadColumns("SELECT [1, 2] AS numbers"));
        Assert.Contains("Column 'numbers' has DuckDB type List, which cannot be read yet", error.Message);
        var columns = duckDb.ReadColumns("SELECT 1 AS one");
        Assert.Contains("has no column 'two'; it has one", Assert.Throws<KeyNotFoundException>(() => columns.Column<int>("two")).Message);
        Assert.Contains("holds Integer, not Double", Assert.Throws<InvalidCastException>(() => columns.Column<double>("one")).Message);
    }

    [Fact]
    public void Reading_many_results_in_many_connections_leaks_no_handles()
    {
        var before = OpenHandles();
        for (var i = 0; i < 300; i++)
        {
            using var duckDb = DuckDbConnection.OpenInMemory();
            Assert.Equal(i, duckDb.ReadColumns($"SELECT {i}::BIGINT AS x").Column<long>("x")[0]);
        }
        Assert.InRange(OpenHandles(), 0, before + 16);
    }

    /// <summary>Open file descriptors of this process (Linux); a leak of databases or results would grow them.</summary>
    static int OpenHandles() => Directory.Exists("/proc/self/fd") ? Directory.GetFiles("/proc/self/fd").Length : 0;
}
