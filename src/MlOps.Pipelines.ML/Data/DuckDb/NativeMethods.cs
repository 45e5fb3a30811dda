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

    [LibraryImport(Library, EntryPoint = "duckdb_value_int64")]
    public static partial long ValueInt64(ref Result result, ulong column, ulong row);

    [LibraryImport(Library, EntryPoint = "duckdb_row_count")]
    public static partial ulong RowCount(ref Result result);
}
