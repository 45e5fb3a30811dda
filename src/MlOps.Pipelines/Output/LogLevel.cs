namespace MlOps.Pipelines.Output;

enum LogLevel
{
    Debug,
    Info,
    Warning,
    Error,
}

/// <summary>How much the console shows: <c>quiet</c> errors and the result, <c>minimal</c> adds the summary and warnings,
/// <c>normal</c> adds target output, <c>verbose</c> adds debug lines and stack traces.</summary>
enum Verbosity
{
    Quiet,
    Minimal,
    Normal,
    Verbose,
}
