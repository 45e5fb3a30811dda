using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace MlOps.Pipelines.ML.Data.Tables;

/// <summary>
/// The binary form of a <see cref="Table"/> used for cached artefacts: per column its name, type, null mask and
/// the raw little-endian bytes of its values (text as dictionary plus codes), so saving and loading are block
/// copies — done column by column in parallel when the stream is a file. Not an interchange format: use Parquet.
/// </summary>
public static class TableFormat
{
    const int Magic = 0x42544C4D; // "MLTB"
    const int Version = 1;

    /// <summary>A column's block of values, written as raw bytes.</summary>
    interface IBlock
    {
        long Length { get; }
        void WriteTo(Stream stream);
        void WriteTo(SafeFileHandle file, long offset);
    }

    sealed class Block<T>(ReadOnlyMemory<T> values) : IBlock where T : struct
    {
        public long Length => (long)values.Length * System.Runtime.CompilerServices.Unsafe.SizeOf<T>();
        public void WriteTo(Stream stream) => stream.Write(MemoryMarshal.AsBytes(values.Span));
        public void WriteTo(SafeFileHandle file, long offset) => RandomAccess.Write(file, MemoryMarshal.AsBytes(values.Span), offset);
    }

    public static void Write(Table table, Stream stream)
    {
        var pieces = Pieces(table);
        if (stream is FileStream { CanSeek: true } file)
        {
            // Every piece's offset is known up front, so the column blocks are written concurrently.
            file.Flush();
            var offsets = new long[pieces.Count + 1];
            offsets[0] = file.Position;
            for (var i = 0; i < pieces.Count; i++) offsets[i + 1] = offsets[i] + (pieces[i] is byte[] bytes ? bytes.Length : ((IBlock)pieces[i]).Length);
            file.SetLength(offsets[^1]);
            var handle = file.SafeFileHandle;
            Parallel.For(0, pieces.Count, i =>
            {
                if (pieces[i] is byte[] bytes) RandomAccess.Write(handle, bytes, offsets[i]);
                else ((IBlock)pieces[i]).WriteTo(handle, offsets[i]);
            });
            file.Position = offsets[^1];
            return;
        }
        foreach (var piece in pieces)
        {
            if (piece is byte[] bytes) stream.Write(bytes);
            else ((IBlock)piece).WriteTo(stream);
        }
    }

    /// <summary>The file in order: small headers (byte arrays) between the columns' blocks.</summary>
    static List<object> Pieces(Table table)
    {
        var pieces = new List<object>();
        var header = new MemoryStream();
        var writer = new BinaryWriter(header);
        writer.Write(Magic);
        writer.Write(Version);
        writer.Write(table.RowCount);
        writer.Write(table.Columns.Count);
        void Emit(IBlock block)
        {
            writer.Flush();
            pieces.Add(header.ToArray());
            header.SetLength(0);
            pieces.Add(block);
        }
        foreach (var column in table.Columns)
        {
            writer.Write(column.Name);
            writer.Write((byte)column.Type);
            writer.Write(!column.Nulls.IsEmpty);
            if (!column.Nulls.IsEmpty) Emit(new Block<bool>(column.Nulls));
            switch (column)
            {
                case Column<bool> c: Emit(new Block<bool>(c.Values)); break;
                case Column<int> c: Emit(new Block<int>(c.Values)); break;
                case Column<long> c: Emit(new Block<long>(c.Values)); break;
                case Column<float> c: Emit(new Block<float>(c.Values)); break;
                case Column<double> c: Emit(new Block<double>(c.Values)); break;
                case Column<DateTime> c: Emit(new Block<DateTime>(c.Values)); break;
                case StringColumn c:
                    writer.Write(c.Dictionary.Count);
                    foreach (var value in c.Dictionary) writer.Write(value);
                    Emit(new Block<int>(c.Codes));
                    break;
            }
        }
        writer.Flush();
        if (header.Length > 0) pieces.Add(header.ToArray());
        return pieces;
    }

    public static Table Read(Stream stream)
    {
        // From a file, the headers are read in order and the blocks afterwards, concurrently.
        var blocks = new BlockReader(stream, deferred: stream is FileStream { CanSeek: true });
        using var reader = new BinaryReader(stream, System.Text.Encoding.UTF8, leaveOpen: true);
        // Columns are made once their blocks are filled (a text column derives its null mask from its codes).
        Func<Column>[] columns;
        try
        {
            if (reader.ReadInt32() != Magic) throw new InvalidDataException("Not a table file (no MLTB header).");
            var version = reader.ReadInt32();
            if (version != Version) throw new InvalidDataException($"Table file version {version} is not supported (expected {Version}).");
            var rows = reader.ReadInt32();
            columns = new Func<Column>[reader.ReadInt32()];
            for (var i = 0; i < columns.Length; i++)
            {
                var name = reader.ReadString();
                var type = (ColumnType)reader.ReadByte();
                var nulls = reader.ReadBoolean() ? blocks.Take<bool>(rows) : default(ReadOnlyMemory<bool>);
                columns[i] = type switch
                {
                    ColumnType.Boolean => Make(blocks.Take<bool>(rows), values => new Column<bool>(name, values, nulls)),
                    ColumnType.Int32 => Make(blocks.Take<int>(rows), values => new Column<int>(name, values, nulls)),
                    ColumnType.Int64 => Make(blocks.Take<long>(rows), values => new Column<long>(name, values, nulls)),
                    ColumnType.Float32 => Make(blocks.Take<float>(rows), values => new Column<float>(name, values, nulls)),
                    ColumnType.Float64 => Make(blocks.Take<double>(rows), values => new Column<double>(name, values, nulls)),
                    ColumnType.Timestamp => Make(blocks.Take<DateTime>(rows), values => new Column<DateTime>(name, values, nulls)),
                    ColumnType.String or ColumnType.Categorical => ReadStrings(reader, blocks, name, rows, type == ColumnType.Categorical),
                    _ => throw new InvalidDataException($"Column '{name}' has unknown type code {(int)type}."),
                };
            }
        }
        catch (EndOfStreamException)
        {
            throw new InvalidDataException("The table file is truncated.");
        }
        if (stream is FileStream file) blocks.Complete(file.SafeFileHandle);
        return new Table([.. columns.Select(make => make())]);
    }

    static Func<Column> Make<T>(T[] values, Func<T[], Column> create) => () => create(values);

    static Func<Column> ReadStrings(BinaryReader reader, BlockReader blocks, string name, int rows, bool categorical)
    {
        var dictionary = new string[reader.ReadInt32()];
        for (var i = 0; i < dictionary.Length; i++) dictionary[i] = reader.ReadString();
        var codes = blocks.Take<int>(rows);
        return () => new StringColumn(name, dictionary, codes, categorical);
    }

    /// <summary>Fills column arrays from the stream: at once, or (from a file) later and in parallel.</summary>
    sealed class BlockReader(Stream stream, bool deferred)
    {
        readonly List<(long Offset, Array Target, long Length)> _pending = [];

        public T[] Take<T>(int count) where T : struct
        {
            var values = GC.AllocateUninitializedArray<T>(count); // every byte is read
            var length = (long)count * System.Runtime.CompilerServices.Unsafe.SizeOf<T>();
            if (!deferred)
            {
                stream.ReadExactly(MemoryMarshal.AsBytes(values.AsSpan()));
                return values;
            }
            if (stream.Position + length > stream.Length) throw new InvalidDataException("The table file is truncated.");
            _pending.Add((stream.Position, values, length));
            stream.Seek(length, SeekOrigin.Current);
            return values;
        }

        public void Complete(SafeFileHandle file) => Parallel.ForEach(_pending, block =>
        {
            var bytes = MemoryMarshal.CreateSpan(ref MemoryMarshal.GetArrayDataReference(block.Target), checked((int)block.Length));
            for (var done = 0; done < bytes.Length;)
            {
                var read = RandomAccess.Read(file, bytes[done..], block.Offset + done);
                if (read == 0) throw new InvalidDataException("The table file is truncated.");
                done += read;
            }
        });
    }
}
