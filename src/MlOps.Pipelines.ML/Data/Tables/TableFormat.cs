using System.Runtime.InteropServices;

namespace MlOps.Pipelines.ML.Data.Tables;

/// <summary>
/// The binary form of a <see cref="Table"/> used for cached artefacts: per column its name, type, null mask and
/// the raw little-endian bytes of its values (text as dictionary plus codes), so saving and loading are block
/// copies. Not an interchange format: use Parquet for that.
/// </summary>
public static class TableFormat
{
    const int Magic = 0x42544C4D; // "MLTB"
    const int Version = 1;

    public static void Write(Table table, Stream stream)
    {
        using var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true);
        writer.Write(Magic);
        writer.Write(Version);
        writer.Write(table.RowCount);
        writer.Write(table.Columns.Count);
        foreach (var column in table.Columns)
        {
            writer.Write(column.Name);
            writer.Write((byte)column.Type);
            writer.Write(!column.Nulls.IsEmpty);
            writer.Flush();
            if (!column.Nulls.IsEmpty) stream.Write(MemoryMarshal.AsBytes(column.Nulls.Span));
            switch (column)
            {
                case Column<bool> c: stream.Write(MemoryMarshal.AsBytes(c.Values.Span)); break;
                case Column<int> c: stream.Write(MemoryMarshal.AsBytes(c.Values.Span)); break;
                case Column<long> c: stream.Write(MemoryMarshal.AsBytes(c.Values.Span)); break;
                case Column<float> c: stream.Write(MemoryMarshal.AsBytes(c.Values.Span)); break;
                case Column<double> c: stream.Write(MemoryMarshal.AsBytes(c.Values.Span)); break;
                case Column<DateTime> c: stream.Write(MemoryMarshal.AsBytes(c.Values.Span)); break;
                case StringColumn c:
                    writer.Write(c.Dictionary.Count);
                    foreach (var value in c.Dictionary) writer.Write(value);
                    writer.Flush();
                    stream.Write(MemoryMarshal.AsBytes(c.Codes.Span));
                    break;
            }
        }
    }

    public static Table Read(Stream stream)
    {
        using var reader = new BinaryReader(stream, System.Text.Encoding.UTF8, leaveOpen: true);
        if (reader.ReadInt32() != Magic) throw new InvalidDataException("Not a table file (no MLTB header).");
        var version = reader.ReadInt32();
        if (version != Version) throw new InvalidDataException($"Table file version {version} is not supported (expected {Version}).");
        var rows = reader.ReadInt32();
        var count = reader.ReadInt32();
        var columns = new Column[count];
        for (var i = 0; i < count; i++)
        {
            var name = reader.ReadString();
            var type = (ColumnType)reader.ReadByte();
            var hasNulls = reader.ReadBoolean();
            var nulls = hasNulls ? Block<bool>(stream, rows) : default(ReadOnlyMemory<bool>);
            columns[i] = type switch
            {
                ColumnType.Boolean => new Column<bool>(name, Block<bool>(stream, rows), nulls),
                ColumnType.Int32 => new Column<int>(name, Block<int>(stream, rows), nulls),
                ColumnType.Int64 => new Column<long>(name, Block<long>(stream, rows), nulls),
                ColumnType.Float32 => new Column<float>(name, Block<float>(stream, rows), nulls),
                ColumnType.Float64 => new Column<double>(name, Block<double>(stream, rows), nulls),
                ColumnType.Timestamp => new Column<DateTime>(name, Block<DateTime>(stream, rows), nulls),
                ColumnType.String or ColumnType.Categorical => ReadStrings(reader, stream, name, rows, type == ColumnType.Categorical),
                _ => throw new InvalidDataException($"Column '{name}' has unknown type code {(int)type}."),
            };
        }
        return new Table(columns);
    }

    static StringColumn ReadStrings(BinaryReader reader, Stream stream, string name, int rows, bool categorical)
    {
        var dictionary = new string[reader.ReadInt32()];
        for (var i = 0; i < dictionary.Length; i++) dictionary[i] = reader.ReadString();
        return new StringColumn(name, dictionary, Block<int>(stream, rows), categorical);
    }

    static T[] Block<T>(Stream stream, int count) where T : struct
    {
        var values = GC.AllocateUninitializedArray<T>(count); // every byte is read next
        try
        {
            stream.ReadExactly(MemoryMarshal.AsBytes(values.AsSpan()));
        }
        catch (EndOfStreamException)
        {
            throw new InvalidDataException("The table file is truncated.");
        }
        return values;
    }
}
