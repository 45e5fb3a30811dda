using MlOps.Pipelines.ML.Data.DuckDb;

namespace MlOps.Pipelines.ML.Tests;

public sealed class DuckDbAppends
{
    [Fact]
    public void Columns_appended_read_back_identically_with_their_nulls()
    {
        const int rows = 5000; // more than two chunks
        var ids = Enumerable.Range(0, rows).Select(i => (long)i * 3).ToArray();
        var ratios = Enumerable.Range(0, rows).Select(i => i / 7.0).ToArray();
        var flags = Enumerable.Range(0, rows).Select(i => i % 3 == 0).ToArray();
        var counts = Enumerable.Range(0, rows).Select(i => i - 2500).ToArray();
        var labels = Enumerable.Range(0, rows).Select(i => i % 11 == 0 ? null : i % 2 == 0 ? $"r{i}" : $"a longer label for row {i}, ü").ToArray();
        var times = Enumerable.Range(0, rows).Select(i => new DateTime(2001, 1, 1, 0, 0, 0, DateTimeKind.Utc).AddMinutes(i)).ToArray();
        var ratioNulls = Enumerable.Range(0, rows).Select(i => i % 13 == 0).ToArray();

        using var duckDb = DuckDbConnection.OpenInMemory();
        duckDb.AppendColumns("t", ["id", "ratio", "flag", "count", "label", "at"],
            [ids, ratios, flags, counts, labels, times], [null, ratioNulls, null, null, null, null]);

        Assert.Equal(rows, duckDb.ScalarInt64("SELECT count(*) FROM t"));
        Assert.Equal(rows / 13 + 1, duckDb.ScalarInt64("SELECT count(*) FROM t WHERE ratio IS NULL"));
        var back = duckDb.ReadColumns("SELECT * FROM t ORDER BY id");
        Assert.Equal(ids, back.Column<long>("id"));
        Assert.Equal(flags, back.Column<bool>("flag"));
        Assert.Equal(counts, back.Column<int>("count"));
        Assert.Equal(labels.AsEnumerable(), Enumerable.Range(0, back.RowCount).Select(i => back.Text("label")[i]));
        Assert.Equal(times, back.Column<DateTime>("at"));
        Assert.Equal(ratioNulls, back.Nulls[back.IndexOf("ratio")]!);
        var readRatios = back.Column<double>("ratio");
        for (var i = 0; i < rows; i++) Assert.Equal(ratioNulls[i] ? 0 : ratios[i], readRatios[i]);
    }

    [Fact]
    public void Mismatched_columns_are_refused_before_anything_is_created()
    {
        using var duckDb = DuckDbConnection.OpenInMemory();
        Assert.Throws<ArgumentException>(() => duckDb.AppendColumns("t", ["a", "b"], [new int[3], new int[4]], [null, null]));
        Assert.Throws<ArgumentException>(() => duckDb.AppendColumns("t", ["a"], [new decimal[3]], [null]));
        Assert.Equal(0, duckDb.ScalarInt64("SELECT count(*) FROM information_schema.tables WHERE table_name = 't'"));
    }

    [Fact]
    public void An_existing_table_name_is_duckdbs_error()
    {
        using var duckDb = DuckDbConnection.OpenInMemory();
        duckDb.Execute("CREATE TABLE t (x INTEGER)");
        var error = Assert.Throws<DuckDbException>(() => duckDb.AppendColumns("t", ["x"], [new[] { 1 }], [null]));
        Assert.Contains("already exists", error.Message);
    }
}
