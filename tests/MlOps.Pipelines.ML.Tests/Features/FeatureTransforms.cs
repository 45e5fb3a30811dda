using MlOps.Pipelines.ML.Data.Tables;
using MlOps.Pipelines.ML.Features;

namespace MlOps.Pipelines.ML.Tests.Features;

public sealed class FeatureTransforms
{
    /// <summary>Numbers with nulls and edge values, text with nulls, timestamps: several chunks of rows.</summary>
    static Table Random(int rows, int seed)
    {
        var random = new Random(seed);
        var amount = new double[rows];
        var amountNulls = new bool[rows];
        var count = new long[rows];
        var at = new DateTime[rows];
        var city = new string?[rows];
        var kind = new string?[rows];
        for (var i = 0; i < rows; i++)
        {
            amount[i] = random.Next(50) == 0 ? double.NaN : random.NextDouble() * 1000 - 10;
            amountNulls[i] = random.Next(40) == 0;
            count[i] = random.Next(-5, 5000);
            at[i] = new DateTime(2020, 1, 1, 0, 0, 0, DateTimeKind.Utc).AddMinutes(random.Next(600_000));
            city[i] = random.Next(30) == 0 ? null : $"city-{(int)Math.Sqrt(random.Next(40_000))}";
            kind[i] = $"k{random.Next(4)}";
        }
        return new Table([
            new Column<double>("amount", amount, amountNulls), new Column<long>("count", count), new Column<DateTime>("at", at),
            StringColumn.FromValues("city", city), StringColumn.FromValues("kind", kind),
        ]);
    }

    static FeatureSet Everything() => new FeatureSet()
        .Add("amount_z", Feature.Numeric("amount").ImputeMedian().Standardize())
        .Add("amount_log", Feature.Numeric("amount").Clip(0, 500).Log1p())
        .Add("amount_minmax", Feature.Numeric("amount").ImputeMean().MinMaxScale())
        .Add("ratio", (Feature.Numeric("amount") + 1) / (Feature.Numeric("count").Impute(0) * 2 - 3))
        .Add("amount_decile", Feature.Numeric("amount").QuantileBuckets(10))
        .Add("count_bucket", Feature.Numeric("count").Bucketize(0, 10, 100, 1000).AsCategory().OneHot())
        .Add("hour", Feature.Hour("at").AsCategory().OneHot())
        .Add("weekday", Feature.DayOfWeek("at").AsCategory().Ordinal())
        .Add("month", Feature.Month("at"))
        .Add("city", Feature.Category("city").OneHot(maxCategories: 20))
        .Add("city_ordinal", Feature.Category("city").Ordinal())
        .Add("city_frequency", Feature.Category("city").Frequency())
        .Add("city_kind", Feature.Cross(Feature.Category("city"), Feature.Category("kind")).Hashed(64));

    static void SameBits(FeatureMatrix expected, FeatureMatrix actual)
    {
        Assert.Equal(expected.Names, actual.Names);
        Assert.Equal(expected.Rows, actual.Rows);
        for (var c = 0; c < expected.Columns; c++)
            Assert.True(expected.Column(c).SequenceEqual(actual.Column(c)), $"column {expected.Names[c]} differs");
    }

    [Fact]
    public void Results_are_identical_with_one_thread_and_many()
    {
        var table = Random(200_000, 1);
        var one = Everything().Fit(table, threads: 1);
        var many = Everything().Fit(table, threads: 8);
        Assert.Equal(one.Digest, many.Digest);
        SameBits(one.Transform(table, threads: 1), many.Transform(table, threads: 8));
    }

    [Fact]
    public void A_batch_and_row_by_row_give_the_same_bits()
    {
        var training = Random(20_000, 2);
        var transform = Everything().Fit(training);
        var batch = Random(300, 3);
        var matrix = transform.Transform(batch);
        for (var row = 0; row < batch.RowCount; row++)
        {
            var values = batch.Columns.ToDictionary(c => c.Name, c => c.IsNull(row) ? null : ValueOf(c, row));
            Assert.Equal(matrix.Row(row).Select(BitConverter.SingleToInt32Bits), transform.TransformRow(values).Select(BitConverter.SingleToInt32Bits));
        }
    }

    static object? ValueOf(Column column, int row) => column switch
    {
        Column<double> d => d[row],
        Column<long> l => l[row],
        Column<DateTime> t => t[row],
        StringColumn s => s[row],
        _ => throw new NotSupportedException(),
    };

    [Fact]
    public void A_slice_of_the_table_gives_the_rows_of_the_whole()
    {
        var table = Random(70_000, 4);
        var transform = Everything().Fit(table);
        var whole = transform.Transform(table);
        var slice = transform.Transform(table.Slice(65_530, 100)); // across a chunk boundary
        for (var c = 0; c < whole.Columns; c++)
            Assert.True(whole.Column(c).Slice(65_530, 100).SequenceEqual(slice.Column(c)), whole.Names[c]);
    }

    [Fact]
    public void The_reference_backend_agrees_with_the_vector_backend()
    {
        var table = Random(10_000, 5);
        var cpu = Everything().Fit(table, FeatureBackend.Cpu);
        var reference = Everything().Fit(table, FeatureBackend.Reference);
        Assert.Equal(cpu.Digest, reference.Digest); // statistics do not depend on the backend
        var expected = reference.Transform(table, FeatureBackend.Reference);
        var actual = cpu.Transform(table, FeatureBackend.Cpu);
        for (var c = 0; c < expected.Columns; c++)
        {
            // Only the logarithm may differ, in the last bit of a float.
            var tolerance = expected.Names[c] == "amount_log" ? 1 : 0;
            for (var r = 0; r < expected.Rows; r++)
            {
                var e = expected[r, c];
                var a = actual[r, c];
                Assert.True(float.IsNaN(e) ? float.IsNaN(a) : Math.Abs(BitConverter.SingleToInt32Bits(e) - BitConverter.SingleToInt32Bits(a)) <= tolerance,
                    $"{expected.Names[c]} row {r}: {e:R} vs {a:R}");
            }
        }
    }

    /// <summary>Streaming stores (used for big matrices) write the same bits as ordinary ones, on either backend and thread count.</summary>
    [Fact]
    public void Streaming_stores_give_the_bits_of_ordinary_stores()
    {
        var table = Random(140_001, 7); // an odd row count: every column starts at another place within a cache line
        var transform = Everything().Fit(table);
        var ordinary = transform.Transform(table, FeatureBackend.Cpu, threads: 2, streaming: false);
        SameBits(ordinary, transform.Transform(table, FeatureBackend.Cpu, threads: 2, streaming: true));
        SameBits(ordinary, transform.Transform(table, FeatureBackend.Cpu, threads: 1, streaming: true));
        SameBits(transform.Transform(table, FeatureBackend.Reference, threads: 1, streaming: false), transform.Transform(table, FeatureBackend.Reference, threads: 1, streaming: true));
    }

    [Fact]
    public void Saved_and_loaded_it_gives_the_same_bits()
    {
        var table = Random(30_000, 6);
        var transform = Everything().Fit(table);
        using var stream = new MemoryStream();
        transform.Save(stream);
        stream.Position = 0;
        var loaded = FeatureTransform.Load(stream);
        Assert.Equal(transform.Digest, loaded.Digest);
        Assert.Equal(transform.Schema, loaded.Schema);
        SameBits(transform.Transform(table), loaded.Transform(table));
    }

    [Fact]
    public void The_saved_form_is_readable_json_with_the_learnt_statistics()
    {
        var table = new Table([new Column<double>("x", new[] { 1.0, 2, 3 }), StringColumn.FromValues("c", ["b", "a", "b"])]);
        var transform = new FeatureSet().Add("x", Feature.Numeric("x").Standardize()).Add("c", Feature.Category("c").OneHot()).Fit(table);
        using var stream = new MemoryStream();
        transform.Save(stream);
        var json = System.Text.Encoding.UTF8.GetString(stream.ToArray());
        Assert.Contains("\"format\": \"mlops-feature-transform\"", json);
        Assert.Contains("\"version\": 1", json);
        Assert.Contains("\"op\": \"scale\"", json);
        Assert.Contains("\"shift\": 2,", json);
        Assert.Contains("\"encoding\": \"one-hot\"", json);
        Assert.Contains("\"c=<other>\"", json);
    }

    [Theory]
    [InlineData("\"version\": 1", "\"version\": 2", "version 2 is not supported")]
    [InlineData("\"x\",\n    \"c=a\"", "\"x\",\n    \"c=z\"", "outputs do not match")]
    [InlineData("\"shift\": 2,", "", "no fitted statistics")]
    [InlineData("\"format\"", "\"formats\"", "not a valid feature transform")]
    public void A_damaged_file_is_refused_with_the_reason(string find, string replace, string reason)
    {
        var table = new Table([new Column<double>("x", new[] { 1.0, 2, 3 }), StringColumn.FromValues("c", ["b", "a", "b"])]);
        var transform = new FeatureSet().Add("x", Feature.Numeric("x").Standardize()).Add("c", Feature.Category("c").OneHot()).Fit(table);
        var path = Path.GetTempFileName();
        try
        {
            transform.Save(path);
            var text = File.ReadAllText(path);
            Assert.Contains(find, text);
            File.WriteAllText(path, text.Replace(find, replace));
            var error = Assert.Throws<InvalidDataException>(() => FeatureTransform.Load(path));
            Assert.Contains(path, error.Message);
            Assert.Contains(reason, error.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }
}

public sealed class TransformsIntoAMatrix
{
    [Fact]
    public void Transforming_into_an_earlier_matrix_reuses_it_and_gives_the_same_bits()
    {
        var first = new MlOps.Pipelines.ML.Data.Tables.Table([new MlOps.Pipelines.ML.Data.Tables.Column<double>("x", new[] { 1.0, 2, 3, 4 }),
            MlOps.Pipelines.ML.Data.Tables.StringColumn.FromValues("c", ["a", "b", "a", null])]);
        var second = new MlOps.Pipelines.ML.Data.Tables.Table([new MlOps.Pipelines.ML.Data.Tables.Column<double>("x", new[] { 9.0, double.NaN, -3, 0.5 }),
            MlOps.Pipelines.ML.Data.Tables.StringColumn.FromValues("c", ["b", "z", "a", "a"])]);
        var transform = new FeatureSet().Add("x", Feature.Numeric("x").ImputeMean().Standardize().Log1p()).Add("c", Feature.Category("c").OneHot()).Fit(first);
        var reused = transform.Transform(first);
        var into = transform.TransformInto(second, reused);
        Assert.Same(reused, into);
        var fresh = transform.Transform(second);
        for (var c = 0; c < fresh.Columns; c++)
            Assert.True(fresh.Column(c).SequenceEqual(into.Column(c)), fresh.Names[c]);
        var wrongSize = new MlOps.Pipelines.ML.Data.Tables.Table([new MlOps.Pipelines.ML.Data.Tables.Column<double>("x", new[] { 1.0 }),
            MlOps.Pipelines.ML.Data.Tables.StringColumn.FromValues("c", ["a"])]);
        Assert.Throws<ArgumentException>(() => transform.TransformInto(wrongSize, reused));
    }
}
