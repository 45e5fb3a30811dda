using System.Runtime.InteropServices;

namespace MlOps.Pipelines.ML.Data.DuckDb;

/// <summary>DuckDB reported an error; the message is DuckDB's own.</summary>
public sealed class DuckDbException(string message) : Exception(message)
{
    /// <summary>A value did not convert to its column's type (DuckDB's <c>DUCKDB_ERROR_CONVERSION</c>).</summary>
    internal bool IsConversion { get; init; }
}

/// <summary>
/// An in-process DuckDB database with one connection, for SQL over files (Parquet, CSV, JSON).
/// </summary>
/// <example>
/// <code>
/// using var duckDb = DuckDbConnection.OpenInMemory();
/// duckDb.Execute("COPY (SELECT * FROM 'flights.parquet') TO 'flights.csv' (HEADER)");
/// </code>
/// </example>
public sealed class DuckDbConnection : IDisposable
{
    IntPtr _database;
    IntPtr _connection;

    DuckDbConnection(IntPtr database, IntPtr connection)
    {
        _database = database;
        _connection = connection;
    }

    public static DuckDbConnection OpenInMemory()
    {
        if (NativeMethods.Open(null, out var database) != NativeMethods.Success)
            throw new DuckDbException("DuckDB could not open an in-memory database.");
        if (NativeMethods.Connect(database, out var connection) != NativeMethods.Success)
        {
            NativeMethods.Close(ref database);
            throw new DuckDbException("DuckDB could not connect to its in-memory database.");
        }
        return new DuckDbConnection(database, connection);
    }

    /// <summary>Runs a statement for its effect.</summary>
    public void Execute(string sql) => Query(sql, _ => 0);

    /// <summary>
    /// Runs a query and returns the first column of its first row as a 64-bit integer. For INSERT and COPY that
    /// is the number of rows written.
    /// </summary>
    public long ScalarInt64(string sql) => Query(sql, result => NativeMethods.RowCount(ref result) > 0
        ? NativeMethods.ValueInt64(ref result, 0, 0)
        : throw new DuckDbException($"The query returned no rows: {sql}"));

    /// <summary>Creates table <paramref name="table"/> with these columns (types from the arrays) and loads them.</summary>
    internal void AppendColumns(string table, IReadOnlyList<string> names, IReadOnlyList<Array> values, IReadOnlyList<bool[]?> nulls)
    {
        ObjectDisposedException.ThrowIf(_connection == IntPtr.Zero, this);
        ColumnAppender.Append(_connection, table, names, values, nulls, Execute);
    }

    /// <summary>Runs a query and reads its whole result into managed columns.</summary>
    internal QueryColumns ReadColumns(string sql) => Query(sql, result => QueryColumns.Read(ref result));

    T Query<T>(string sql, Func<NativeMethods.Result, T> read)
    {
        ObjectDisposedException.ThrowIf(_connection == IntPtr.Zero, this);
        var state = NativeMethods.Query(_connection, sql, out var result);
        try
        {
            if (state != NativeMethods.Success)
                throw new DuckDbException(Marshal.PtrToStringUTF8(NativeMethods.ResultError(ref result)) ?? "DuckDB reported an error without a message.")
                {
                    IsConversion = NativeMethods.ResultErrorType(ref result) == NativeMethods.ConversionError,
                };
            return read(result);
        }
        finally
        {
            NativeMethods.DestroyResult(ref result);
        }
    }

    /// <summary>A SQL string literal: single quotes doubled.</summary>
    public static string Literal(string text) => "'" + text.Replace("'", "''", StringComparison.Ordinal) + "'";

    public void Dispose()
    {
        if (_connection != IntPtr.Zero) NativeMethods.Disconnect(ref _connection);
        if (_database != IntPtr.Zero) NativeMethods.Close(ref _database);
        _connection = IntPtr.Zero;
        _database = IntPtr.Zero;
    }
}
