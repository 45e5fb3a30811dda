using System.Buffers;
using System.IO.MemoryMappedFiles;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace MlOps.Pipelines.ML.Data.Tables;

/// <summary>
/// The binary form of a <see cref="Table"/> used for cached artefacts: per column its name, type, null mask and
/// the raw little-endian bytes of its values (text as dictionary plus codes), each block 64-byte aligned from the
/// table's start. Saving is a block copy; loading a file maps it into memory, so columns are views of the file (see
/// <see cref="Read"/>). Not an interchange format: use Parquet.
/// </summary>
public static partial class TableFormat
{
    const int Magic = 0x42544C4D; // "MLTB"
    const int Version = 2; // 2: each block is preceded by its padding's length and starts 64-byte aligned
    const int Alignment = 64; // a cache line: aligns every element type and vector loads of mapped blocks
    const long MapFrom = 1 << 20; // below this, copying costs less than a mapping (and keeps no mapping alive)

    /// <summary>A column's block of values, written as raw bytes.</summary>
    interface IBlock
    {
        long Length { get; }
        void WriteTo(Stream stream);
    }

    sealed class Block<T>(ReadOnlyMemory<T> values) : IBlock where T : struct
    {
        public long Length => (long)values.Length * Unsafe.SizeOf<T>();
        public void WriteTo(Stream stream) => stream.Write(MemoryMarshal.AsBytes(values.Span));
    }

    public static void Write(Table table, Stream stream)
    {
        var pieces = Pieces(table);
        if (stream is FileStream { CanSeek: true } file)
            Preallocate(file.SafeFileHandle, file.Position, pieces.Sum(p => p is byte[] b ? b.Length : ((IBlock)p).Length));
        // In order: a file system takes the file's lock for each buffered write, so writing blocks in parallel gains nothing.
        foreach (var piece in pieces)
        {
            if (piece is byte[] bytes) stream.Write(bytes);
            else ((IBlock)piece).WriteTo(stream);
        }
    }

    /// <summary>
    /// Reserves the file's space up front (Linux, best effort): ext4 then skips its per-page delayed allocation,
    /// which made saving 180 MB take about twice as long, and vary more.
    /// </summary>
    static void Preallocate(SafeFileHandle file, long offset, long length)
    {
        if (OperatingSystem.IsLinux() && Environment.Is64BitProcess && length > 0) _ = Fallocate(file, 0, offset, length);
    }

    [LibraryImport("libc", EntryPoint = "fallocate")]
    private static partial int Fallocate(SafeFileHandle file, int mode, long offset, long length);

    /// <summary>The file in order: small headers (byte arrays) between the columns' blocks.</summary>
    static List<object> Pieces(Table table)
    {
        var pieces = new List<object>();
        var header = new MemoryStream();
        var writer = new BinaryWriter(header);
        long offset = 0; // where the header being written starts, from the table's start
        writer.Write(Magic);
        writer.Write(Version);
        writer.Write(table.RowCount);
        writer.Write(table.Columns.Count);
        void Emit(IBlock block)
        {
            // The padding's length, then zeros up to the block's aligned start.
            var padding = (int)(-(offset + header.Length + 1) & (Alignment - 1));
            writer.Write((byte)padding);
            writer.Write(new byte[padding]);
            writer.Flush();
            pieces.Add(header.ToArray());
            offset += header.Length + block.Length;
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

    /// <summary>
    /// Reads a table written by <see cref="Write"/>, leaving the stream after it. A file of 1 MiB or more (in a 64-bit
    /// process, not on Windows, where a mapped file cannot be replaced or deleted) is mapped rather than copied: the
    /// columns are views of the file's pages, so loading costs next to nothing and pages are read when used. A
    /// mapping is kept for the life of the process (see <see cref="KeptMappings"/>), and the file must not be
    /// changed in place while mapped: the cache only replaces files by renaming over them, which leaves the mapped
    /// file intact.
    /// </summary>
    public static Table Read(Stream stream)
    {
        if (stream is FileStream { CanSeek: true } file && !OperatingSystem.IsWindows() && Environment.Is64BitProcess
            && file.Position % Alignment == 0 && file.Length - file.Position >= MapFrom)
            return ReadMapped(file);
        // From a file, the headers are read in order and the blocks afterwards, concurrently.
        var blocks = new BlockReader(stream, deferred: stream is FileStream { CanSeek: true });
        var columns = ReadColumns(stream, blocks);
        if (stream is FileStream fileStream) blocks.Complete(fileStream.SafeFileHandle);
        return new Table([.. columns.Select(make => make())]);
    }

    /// <summary>
    /// Every mapping made by <see cref="Read"/>, never unmapped. A <see cref="Span{T}"/> taken from a column is
    /// invisible to the GC: unmapping once the table is collected could pull the pages from under a loop still
    /// reading such a span and crash the process. Kept mappings cost address space and page cache the system can
    /// reclaim (and a replaced file's disk blocks until the process ends) — a fair price in a build process.
    /// </summary>
    static readonly System.Collections.Concurrent.ConcurrentBag<MemoryMappedViewAccessor> KeptMappings = [];

    static unsafe Table ReadMapped(FileStream file)
    {
        var start = file.Position;
        var length = file.Length - start;
        MemoryMappedViewAccessor view;
        // The view keeps the file mapped by itself, so neither the map nor the caller's stream need stay open.
        using (var map = MemoryMappedFile.CreateFromFile(file, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: true))
            view = map.CreateViewAccessor(start, length, MemoryMappedFileAccess.Read);
        try
        {
            var handle = view.SafeMemoryMappedViewHandle;
            byte* pointer = null;
            // Only to learn the address: the handle is not released while blocks reference it.
            handle.AcquirePointer(ref pointer);
            handle.ReleasePointer();
            pointer += view.PointerOffset;
            using var memory = new UnmanagedMemoryStream(pointer, length);
            var columns = ReadColumns(memory, new BlockReader(memory, deferred: false, handle));
            file.Position = start + memory.Position;
            var table = new Table([.. columns.Select(make => make())]);
            KeptMappings.Add(view);
            return table;
        }
        catch
        {
            view.Dispose(); // unmapped now rather than at the next GC
            throw;
        }
    }

    /// <summary>The headers, with each column made once its blocks are filled.</summary>
    static Func<Column>[] ReadColumns(Stream stream, BlockReader blocks)
    {
        using var reader = new BinaryReader(stream, System.Text.Encoding.UTF8, leaveOpen: true);
        try
        {
            if (reader.ReadInt32() != Magic) throw new InvalidDataException("Not a table file (no MLTB header).");
            var version = reader.ReadInt32();
            if (version != Version) throw new InvalidDataException($"Table file version {version} is not supported (expected {Version}).");
            var rows = Count(reader, "the row count");
            var columns = new Func<Column>[Count(reader, "the column count")];
            for (var i = 0; i < columns.Length; i++)
            {
                var name = reader.ReadString();
                var type = (ColumnType)reader.ReadByte();
                var nulls = reader.ReadBoolean() ? blocks.Take<bool>(rows) : default;
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
            return columns;
        }
        catch (EndOfStreamException)
        {
            throw new InvalidDataException("The table file is truncated.");
        }
        catch (FormatException e) // a string's length prefix that is no number
        {
            throw new InvalidDataException($"The table file is corrupt: {e.Message}");
        }
    }

    static int Count(BinaryReader reader, string what)
    {
        var count = reader.ReadInt32();
        return count >= 0 ? count : throw new InvalidDataException($"The table file is corrupt: {what} is {count}.");
    }

    static Func<Column> Make<T>(ReadOnlyMemory<T> values, Func<ReadOnlyMemory<T>, Column> create) => () => create(values);

    static Func<Column> ReadStrings(BinaryReader reader, BlockReader blocks, string name, int rows, bool categorical)
    {
        var dictionary = new string[Count(reader, $"the dictionary size of column '{name}'")];
        for (var i = 0; i < dictionary.Length; i++) dictionary[i] = reader.ReadString();
        var codes = blocks.Take<int>(rows);
        return () => new StringColumn(name, dictionary, codes, categorical);
    }

    /// <summary>
    /// Gives the column blocks: views of the mapped file, arrays read from the stream at once, or (from a file)
    /// arrays filled later and in parallel.
    /// </summary>
    sealed unsafe class BlockReader(Stream stream, bool deferred, SafeMemoryMappedViewHandle? mapping = null)
    {
        readonly List<(long Offset, Array Target, long Length)> _pending = [];
        readonly long _start = stream.CanSeek ? stream.Position : 0;

        public ReadOnlyMemory<T> Take<T>(int count) where T : struct
        {
            SkipPadding();
            var length = (long)count * Unsafe.SizeOf<T>();
            if (!stream.CanSeek)
            {
                var read = GC.AllocateUninitializedArray<T>(count); // every byte is read
                stream.ReadExactly(MemoryMarshal.AsBytes(read.AsSpan()));
                return read;
            }
            var position = stream.Position;
            if (position + length > stream.Length) throw new InvalidDataException("The table file is truncated.");
            if ((position - _start) % Alignment != 0) throw new InvalidDataException("The table file is corrupt: a column's block is not aligned.");
            if (mapping is not null)
            {
                // The stream is then the mapped view's memory.
                var block = new MappedBlock<T>(mapping, ((UnmanagedMemoryStream)stream).PositionPointer, count);
                stream.Seek(length, SeekOrigin.Current);
                return block.Memory;
            }
            var values = GC.AllocateUninitializedArray<T>(count);
            if (!deferred)
            {
                stream.ReadExactly(MemoryMarshal.AsBytes(values.AsSpan()));
                return values;
            }
            _pending.Add((position, values, length));
            stream.Seek(length, SeekOrigin.Current);
            return values;
        }

        void SkipPadding()
        {
            var padding = stream.ReadByte();
            if (padding < 0) throw new EndOfStreamException();
            if (padding >= Alignment) throw new InvalidDataException($"The table file is corrupt: a block's padding is {padding} bytes.");
            if (stream.CanSeek) stream.Seek(padding, SeekOrigin.Current);
            else stream.ReadExactly(stackalloc byte[padding]);
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

    /// <summary>
    /// A block of a mapped file as <see cref="Memory{T}"/> (the mapping itself is kept in <see cref="KeptMappings"/>).
    /// </summary>
    sealed unsafe class MappedBlock<T>(SafeMemoryMappedViewHandle mapping, byte* start, int length) : MemoryManager<T> where T : struct
    {
        public SafeMemoryMappedViewHandle Mapping { get; } = mapping;

        public override Span<T> GetSpan() => new(start, length);

        // The memory handle references this block, so the mapping outlives the pin even when nothing else holds it.
        public override MemoryHandle Pin(int elementIndex = 0) => new(start + (long)elementIndex * Unsafe.SizeOf<T>(), pinnable: this);

        public override void Unpin()
        {
        }

        protected override void Dispose(bool disposing)
        {
            // Nothing: the mapping is shared by the table's blocks and kept for the process.
        }
    }
}
