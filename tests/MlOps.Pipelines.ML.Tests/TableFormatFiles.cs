using System.IO.Compression;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using MlOps.Pipelines.ML.Data.Tables;

namespace MlOps.Pipelines.ML.Tests;

/// <summary>The binary table format through files large enough to be mapped into memory rather than copied.</summary>
public sealed class TableFormatFiles : IDisposable
{
    const int Rows = 100_000; // about 5 MB: mapped when loaded (from 1 MiB)

    readonly string _directory = Directory.CreateTempSubdirectory("table-format-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    string PathOf(string name) => Path.Combine(_directory, name);

    /// <summary>Every column type, with nulls, odd doubles (NaN payload, -0, infinities) and every DateTime kind.</summary>
    static Table Everything(int rows = Rows)
    {
        var random = new Random(3);
        bool[] Nulls(int every) => [.. Enumerable.Range(0, rows).Select(i => i % every == 1)];
        double[] odd = [BitConverter.Int64BitsToDouble(0x7FF8_0000_0000_1234), -0.0, double.PositiveInfinity, double.NegativeInfinity, double.Epsilon];
        DateTimeKind[] kinds = [DateTimeKind.Utc, DateTimeKind.Local, DateTimeKind.Unspecified];
        string?[] words = ["SEA", "Zürich", "東京", "", null];
        return new([
            new Column<long>("id", Enumerable.Range(0, rows).Select(i => (long)i * 7919).ToArray()),
            new Column<bool>("flag", Enumerable.Range(0, rows).Select(i => i % 3 == 0).ToArray(), Nulls(5)),
            new Column<int>("count", Enumerable.Range(0, rows).Select(_ => random.Next()).ToArray(), Nulls(7)),
            new Column<float>("ratio", Enumerable.Range(0, rows).Select(_ => random.NextSingle()).ToArray(), Nulls(11)),
            new Column<double>("delay", Enumerable.Range(0, rows).Select(i => i % 10 < odd.Length ? odd[i % 10] : random.NextDouble() - 0.5).ToArray(), Nulls(13)),
            new Column<DateTime>("at", Enumerable.Range(0, rows).Select(i => new DateTime(630_000_000_000_000_000L + i * 10_000_019L, kinds[i % 3])).ToArray(), Nulls(17)),
            StringColumn.FromValues("origin", [.. Enumerable.Range(0, rows).Select(i => words[i % words.Length])]),
            StringColumn.FromValues("carrier", [.. Enumerable.Range(0, rows).Select(i => i % 19 == 0 ? null : $"c{i % 23}")], categorical: true),
        ]);
    }

    string Save(Table table, string name)
    {
        var path = PathOf(name);
        using var file = File.Create(path);
        TableFormat.Write(table, file);
        return path;
    }

    static Table Load(string path)
    {
        using var file = File.OpenRead(path);
        return TableFormat.Read(file);
    }

    static byte[] Bytes(Table table)
    {
        using var memory = new MemoryStream();
        TableFormat.Write(table, memory);
        return memory.ToArray();
    }

    [Fact]
    public void Every_column_type_round_trips_through_a_mapped_file_bit_for_bit()
    {
        var original = Everything();
        var path = Save(original, "all.table");
        Assert.Equal(Bytes(original), File.ReadAllBytes(path));
        var loaded = Load(path);

        // Columns are views of the file, not arrays (except on Windows, where files are copied).
        Assert.Equal(!OperatingSystem.IsWindows(), loaded.Columns.All(c => !IsArray(c)));
        AssertIdentical(original, loaded);
        Assert.Equal(File.ReadAllBytes(path), Bytes(loaded));
        Assert.Equal(["SEA", "Zürich", "東京", "", null], Enumerable.Range(0, 5).Select(i => loaded.GetString("origin")[i]));
        Assert.Equal(ColumnType.Categorical, loaded["carrier"].Type);
        Assert.True(double.IsNaN(loaded.Get<double>("delay")[0]) && double.IsNegative(loaded.Get<double>("delay")[1]));

        // Slices of a loaded table, and a slice saved and loaded again.
        AssertIdentical(original.Slice(12_345, 54_321), loaded.Slice(12_345, 54_321));
        AssertIdentical(original.Slice(3, 70_001), Load(Save(loaded.Slice(3, 70_001), "slice.table")));
        AssertIdentical(original.Slice(5, 7), Load(Save(loaded.Slice(5, 7), "small.table")));
    }

    [Fact]
    public void A_loaded_table_outlives_its_file_handle_and_the_file_being_replaced_or_deleted()
    {
        var original = Everything();
        var path = Save(original, "kept.table");
        // A slice of a column, all that is left of its table, keeps the mapping.
        var slice = DelaySlice(path);
        Collect();
        Assert.Equal(AsBytes(original.Get<double>("delay").Values.Slice(100, 1000)), AsBytes(slice));

        var loaded = Load(path);
        // As the cache replaces a file: a new one renamed over it; then it goes altogether.
        var temporary = Save(Everything(Rows / 2), "new.tmp");
        File.Move(temporary, path, overwrite: true);
        Collect();
        AssertIdentical(original, loaded);
        File.Delete(path);
        Collect();
        AssertIdentical(original, loaded);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    static ReadOnlyMemory<double> DelaySlice(string path) => Load(path).Get<double>("delay").Values.Slice(100, 1000);

    [Fact]
    public void A_span_of_a_loaded_column_stays_valid_after_the_table_is_collected()
    {
        var path = Save(Everything(), "span.table");
        var ids = IdsWithoutTheirTable(path);
        Collect();
        // Unmapping with the table would crash here (the span is invisible to the GC); the mapping is kept instead.
        var sum = 0L;
        foreach (var id in ids) sum += id;
        Assert.Equal(Enumerable.Range(0, Rows).Sum(i => (long)i * 7919), sum);
        if (OperatingSystem.IsLinux()) Assert.Contains(path, File.ReadAllText("/proc/self/maps"));
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    static ReadOnlySpan<long> IdsWithoutTheirTable(string path) => Load(path).Get<long>("id").Values.Span;

    [Fact]
    public void A_table_amid_other_bytes_is_read_from_where_the_stream_is_and_leaves_it_after_the_table()
    {
        var table = Everything();
        foreach (var prefix in new[] { 64, 3 }) // aligned: mapped; unaligned: copied
        {
            var path = PathOf($"amid-{prefix}.bin");
            using (var file = File.Create(path))
            {
                file.Write(new byte[prefix]);
                TableFormat.Write(table, file);
                file.Write("end"u8);
            }
            using var read = File.OpenRead(path);
            read.Position = prefix;
            AssertIdentical(table, TableFormat.Read(read));
            Assert.Equal((byte)'e', read.ReadByte());
        }
    }

    [Fact]
    public void Streams_that_cannot_seek_are_written_and_read_in_order()
    {
        var table = Everything(1000);
        using var zipped = new MemoryStream();
        using (var gzip = new GZipStream(zipped, CompressionLevel.Fastest, leaveOpen: true)) TableFormat.Write(table, gzip);
        zipped.Position = 0;
        using var unzip = new GZipStream(zipped, CompressionMode.Decompress);
        AssertIdentical(table, TableFormat.Read(unzip));
    }

    [Fact]
    public void Truncated_corrupt_or_other_version_files_are_refused_with_what_is_wrong()
    {
        var bytes = Bytes(Everything());
        string Error(byte[] content, string name)
        {
            File.WriteAllBytes(PathOf(name), content);
            using var file = File.OpenRead(PathOf(name));
            return Assert.Throws<InvalidDataException>(() => TableFormat.Read(file)).Message;
        }
        // Cut in a block, in the middle and at the very end (mapped), and in the headers (copied).
        foreach (var length in new[] { bytes.Length - 1, bytes.Length / 2, 1 << 20, 100, 30, 9 })
            Assert.Equal("The table file is truncated.", Error(bytes[..length], $"cut-{length}.table"));

        var other = (byte[])bytes.Clone();
        BitConverter.TryWriteBytes(other.AsSpan(4), 1);
        Assert.Equal("Table file version 1 is not supported (expected 2).", Error(other, "v1.table"));

        var rows = (byte[])bytes.Clone();
        BitConverter.TryWriteBytes(rows.AsSpan(8), -1);
        Assert.Equal("The table file is corrupt: the row count is -1.", Error(rows, "rows.table"));

        // The first column's padding length: after the header (16 bytes), the name "id" (3), its type and null flag.
        var padding = (byte[])bytes.Clone();
        padding[21]++;
        Assert.Equal("The table file is corrupt: a column's block is not aligned.", Error(padding, "misaligned.table"));
        padding[21] = 200;
        Assert.Equal("The table file is corrupt: a block's padding is 200 bytes.", Error(padding, "padding.table"));
    }

    static bool IsArray(Column column) => column switch
    {
        Column<long> c => MemoryMarshal.TryGetArray(c.Values, out _),
        Column<bool> c => MemoryMarshal.TryGetArray(c.Values, out _),
        Column<int> c => MemoryMarshal.TryGetArray(c.Values, out _),
        Column<float> c => MemoryMarshal.TryGetArray(c.Values, out _),
        Column<double> c => MemoryMarshal.TryGetArray(c.Values, out _),
        Column<DateTime> c => MemoryMarshal.TryGetArray(c.Values, out _),
        StringColumn c => MemoryMarshal.TryGetArray(c.Codes, out _),
        _ => throw new NotSupportedException(column.Type.ToString()),
    };

    /// <summary>Same names, types, dictionaries and bytes of values and null masks.</summary>
    static void AssertIdentical(Table expected, Table actual)
    {
        Assert.Equal(expected.ColumnNames, actual.ColumnNames);
        Assert.Equal(expected.RowCount, actual.RowCount);
        foreach (var column in expected.Columns)
        {
            var other = actual[column.Name];
            Assert.Equal(column.Type, other.Type);
            Assert.Equal(NullMask(column), NullMask(other));
            var (left, right) = (column, other) switch
            {
                (Column<long> a, Column<long> b) => (AsBytes(a.Values), AsBytes(b.Values)),
                (Column<bool> a, Column<bool> b) => (AsBytes(a.Values), AsBytes(b.Values)),
                (Column<int> a, Column<int> b) => (AsBytes(a.Values), AsBytes(b.Values)),
                (Column<float> a, Column<float> b) => (AsBytes(a.Values), AsBytes(b.Values)),
                (Column<double> a, Column<double> b) => (AsBytes(a.Values), AsBytes(b.Values)),
                (Column<DateTime> a, Column<DateTime> b) => (AsBytes(a.Values), AsBytes(b.Values)),
                (StringColumn a, StringColumn b) => (AsBytes(a.Codes), AsBytes(b.Codes)),
                _ => throw new NotSupportedException(column.Type.ToString()),
            };
            Assert.True(left.AsSpan().SequenceEqual(right), $"Column '{column.Name}' differs.");
            if (column is StringColumn text) Assert.Equal(text.Dictionary, ((StringColumn)other).Dictionary);
        }
    }

    // A text column's mask comes from its codes, so a slice without nulls may have an empty one or one of falses.
    static bool[] NullMask(Column column) => column.Nulls.IsEmpty ? new bool[column.Length] : column.Nulls.ToArray();

    static byte[] AsBytes<T>(ReadOnlyMemory<T> values) where T : struct => MemoryMarshal.AsBytes(values.Span).ToArray();

    static void Collect()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }
}
