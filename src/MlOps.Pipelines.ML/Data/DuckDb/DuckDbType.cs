namespace MlOps.Pipelines.ML.Data.DuckDb;

/// <summary>DuckDB's column types (<c>duckdb_type</c> in duckdb.h). <see cref="QueryColumns"/> reads the first block; the rest are named for messages.</summary>
enum DuckDbType
{
    Invalid = 0,
    Boolean = 1,
    TinyInt = 2,
    SmallInt = 3,
    Integer = 4,
    BigInt = 5,
    Float = 10,
    Double = 11,
    Timestamp = 12,
    Date = 13,
    Varchar = 17,
    Time = 14,
    Interval = 15,
    HugeInt = 16,
    Blob = 18,
    Decimal = 19,
    TimestampSeconds = 20,
    TimestampMilliseconds = 21,
    TimestampNanoseconds = 22,
    Enum = 23,
    List = 24,
    Struct = 25,
    Map = 26,
    Uuid = 27,
    TimestampWithTimeZone = 31,
    Array = 33,
}
