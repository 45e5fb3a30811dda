namespace MlOps.Pipelines.Hosting;

/// <summary>
/// A mistake the user can fix (an unknown target, a parameter that does not convert, a cycle in the
/// pipeline's definition). Printed as one message without a stack trace; the run exits with code 2.
/// </summary>
sealed class UsageException(string message) : Exception(message);
