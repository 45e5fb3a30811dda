using MlOps.Pipelines.ML.Data.DuckDb;

namespace MlOps.Pipelines.ML.Tests;

public sealed class DuckDbInterop : IDisposable
{
    readonly string _directory = Directory.CreateTempSubdirectory("duckdb-tests-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void Runs_sql_and_reads_a_scalar()
    {
        using var duckDb = DuckDbConnection.OpenInMemory();
        Assert.Equal(42, duckDb.ScalarInt64("SELECT 6 * 7"));
        duckDb.Execute("CREATE TABLE t (x INTEGER)");
        Assert.Equal(3, duckDb.ScalarInt64("INSERT INTO t VALUES (1), (2), (3)"));
        Assert.Equal(6, duckDb.ScalarInt64("SELECT sum(x) FROM t"));
    }

    [Fact]
    public void Copies_a_query_to_csv_and_reads_it_back()
    {
        var csv = Path.Combine(_directory, "out's.csv");
        using var duckDb = DuckDbConnection.OpenInMemory();
        var rows = duckDb.ScalarInt64($"COPY (SELECT range AS x, range * 2 AS y FROM range(5)) TO {DuckDbConnection.Literal(csv)} (HEADER)");
        Assert.Equal(5, rows);
        Assert.Equal(["x,y", "0,0", "1,2", "2,4", "3,6", "4,8"], File.ReadAllLines(csv));
        Assert.Equal(20, duckDb.ScalarInt64($"SELECT sum(y) FROM read_csv({DuckDbConnection.Literal(csv)})"));
    }

    [Fact]
    public void Errors_carry_duckdbs_message()
    {
        using var duckDb = DuckDbConnection.OpenInMemory();
        var error = Assert.Throws<DuckDbException>(() => duckDb.Execute("SELEC 1"));
        Assert.Contains("syntax error", error.Message, StringComparison.OrdinalIgnoreCase);
        var missing = Assert.Throws<DuckDbException>(() => duckDb.Execute("SELECT * FROM 'no-such-file.parquet'"));
        Assert.Contains("no-such-file.parquet", missing.Message);
    }

    [Fact]
    public void Many_open_close_cycles_leak_nothing_and_disposed_connections_refuse_work()
    {
        for (var i = 0; i < 200; i++)
        {
            using var duckDb = DuckDbConnection.OpenInMemory();
            Assert.Equal(i, duckDb.ScalarInt64($"SELECT {i}"));
        }
        var closed = DuckDbConnection.OpenInMemory();
        closed.Dispose();
        closed.Dispose();
        Assert.Throws<ObjectDisposedException>(() => closed.Execute("SELECT 1"));
        using var empty = DuckDbConnection.OpenInMemory();
        Assert.Throws<DuckDbException>(() => empty.ScalarInt64("SELECT 1 WHERE false"));
    }
}
