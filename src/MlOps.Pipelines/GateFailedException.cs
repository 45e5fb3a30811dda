namespace MlOps.Pipelines;

/// <summary>
/// Thrown by a target when a gate withholds its blessing (for example, a model below the lowest AUC that
/// may ship). The target fails, and the run exits with code 3 rather than 1.
/// </summary>
public sealed class GateFailedException(string message) : Exception(message);
