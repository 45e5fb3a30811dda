using System.Runtime.InteropServices;

namespace MlOps.Pipelines.ML.Data.DuckDb;

/// <summary>
/// The part of DuckDB's C API (duckdb.h, 1.5) in use. The library, libduckdb, is fetched by the bootstrap into
/// .nuke/native/ and copied next to the assemblies.
/// </summary>
static partial class NativeMethods
{
    const string Library = "duckdb";

    public const int Success = 0;

    /// <summary><c>duckdb_result</c>: six pointer-sized fields, all deprecated for direct use; read through functions.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct Result
    {
        public ulong DeprecatedColumnCount;
        public ulong DeprecatedRowCount;
        public ulong DeprecatedRowsChanged;
        public IntPtr DeprecatedColumns;
        public IntPtr DeprecatedErrorMessage;
        public IntPtr InternalData;
    }

    [LibraryImport(Library, EntryPoint = "duckdb_open", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Open(string? path, out IntPtr database);

    [LibraryImport(Library, EntryPoint = "duckdb_close")]
    public static partial void Close(ref IntPtr database);

    [LibraryImport(Library, EntryPoint = "duckdb_connect")]
    public static partial int Connect(IntPtr database, out IntPtr connection);

    [LibraryImport(Library, EntryPoint = "duckdb_disconnect")]
    public static partial void Disconnect(ref IntPtr connection);

    [LibraryImport(Library, EntryPoint = "duckdb_query", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Query(IntPtr connection, string sql, out Result result);

    [LibraryImport(Library, EntryPoint = "duckdb_destroy_result")]
    public static partial void DestroyResult(ref Result result);

    [LibraryImport(Library, EntryPoint = "duckdb_result_error")]
    public static partial IntPtr ResultError(ref Result result);

    /// <summary><c>duckdb_error_type</c>: the class of a failed result's error; 2 is <c>DUCKDB_ERROR_CONVERSION</c>.</summary>
    [LibraryImport(Library, EntryPoint = "duckdb_result_error_type")]
    public static partial int ResultErrorType(ref Result result);

    public const int ConversionError = 2;

    [LibraryImport(Library, EntryPoint = "duckdb_value_int64")]
    public static partial long ValueInt64(ref Result result, ulong column, ulong row);

    [LibraryImport(Library, EntryPoint = "duckdb_row_count")]
    public static partial ulong RowCount(ref Result result);

    [LibraryImport(Library, EntryPoint = "duckdb_column_count")]
    public static partial ulong ColumnCount(ref Result result);

    [LibraryImport(Library, EntryPoint = "duckdb_column_name")]
    public static partial IntPtr ColumnName(ref Result result, ulong column);

    [LibraryImport(Library, EntryPoint = "duckdb_column_type")]
    public static partial DuckDbType ColumnType(ref Result result, ulong column);

    /// <summary>Takes the result by value (a trap: most functions take a pointer).</summary>
    [LibraryImport(Library, EntryPoint = "duckdb_fetch_chunk")]
    public static partial IntPtr FetchChunk(Result result);

    [LibraryImport(Library, EntryPoint = "duckdb_data_chunk_get_size")]
    public static partial ulong ChunkSize(IntPtr chunk);

    [LibraryImport(Library, EntryPoint = "duckdb_data_chunk_get_vector")]
    public static partial IntPtr ChunkVector(IntPtr chunk, ulong column);

    [LibraryImport(Library, EntryPoint = "duckdb_vector_get_data")]
    public static partial IntPtr VectorData(IntPtr vector);

    /// <summary>A bit mask of valid (non-null) rows, 64 per word; null when every row is valid.</summary>
    [LibraryImport(Library, EntryPoint = "duckdb_vector_get_validity")]
    public static partial IntPtr VectorValidity(IntPtr vector);

    [LibraryImport(Library, EntryPoint = "duckdb_destroy_data_chunk")]
    public static partial void DestroyChunk(ref IntPtr chunk);

    [LibraryImport(Library, EntryPoint = "duckdb_create_logical_type")]
    public static partial IntPtr CreateLogicalType(DuckDbType type);

    [LibraryImport(Library, EntryPoint = "duckdb_destroy_logical_type")]
    public static partial void DestroyLogicalType(ref IntPtr type);

    [LibraryImport(Library, EntryPoint = "duckdb_create_data_chunk")]
    public static partial IntPtr CreateChunk(IntPtr[] types, ulong columnCount);

    [LibraryImport(Library, EntryPoint = "duckdb_data_chunk_set_size")]
    public static partial void SetChunkSize(IntPtr chunk, ulong size);

    [LibraryImport(Library, EntryPoint = "duckdb_vector_size")]
    public static partial ulong VectorCapacity();

    [LibraryImport(Library, EntryPoint = "duckdb_vector_ensure_validity_writable")]
    public static partial void EnsureValidityWritable(IntPtr vector);

    [LibraryImport(Library, EntryPoint = "duckdb_vector_assign_string_element_len")]
    public static unsafe partial void AssignString(IntPtr vector, ulong index, byte* text, ulong length);

    [LibraryImport(Library, EntryPoint = "duckdb_appender_create", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int CreateAppender(IntPtr connection, string? schema, string table, out IntPtr appender);

    [LibraryImport(Library, EntryPoint = "duckdb_append_data_chunk")]
    public static partial int AppendChunk(IntPtr appender, IntPtr chunk);

    [LibraryImport(Library, EntryPoint = "duckdb_appender_error")]
    public static partial IntPtr AppenderError(IntPtr appender);

    [LibraryImport(Library, EntryPoint = "duckdb_appender_destroy")]
    public static partial int DestroyAppender(ref IntPtr appender);
}
