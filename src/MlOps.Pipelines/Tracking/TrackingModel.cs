namespace MlOps.Pipelines.Tracking;

// The MLflow entities this tool reports, as ../shared/specs/mlflow-compat.md §2.2 and §4 describe them.
// Times are Unix epoch milliseconds; ids are strings as on the wire.

internal enum RunStatus
{
    Running,
    Scheduled,
    Finished,
    Failed,
    Killed,
}

internal sealed record Tag(string Key, string Value);

internal sealed record Param(string Key, string Value);

internal sealed record Metric(string Key, double Value, long Timestamp, long Step);

internal sealed record Experiment(string ExperimentId, string Name, string ArtifactLocation, string LifecycleStage);

internal sealed record RunInfo(string RunId, string ExperimentId, string RunName, RunStatus Status, long StartTime, long? EndTime, string ArtifactUri, string LifecycleStage);

/// <summary>A run as read back: latest metric value per key, params and tags.</summary>
internal sealed record Run(RunInfo Info, IReadOnlyList<Metric> Metrics, IReadOnlyList<Param> Params, IReadOnlyList<Tag> Tags);

/// <summary>A dataset input (log-inputs): every field a string, source/schema/profile JSON documents as strings.</summary>
internal sealed record Dataset(string Name, string Digest, string SourceType, string Source, string? Schema, string? Profile);

internal sealed record DatasetInput(Dataset Dataset, IReadOnlyList<Tag> Tags);

internal sealed record RegisteredModel(string Name, long CreationTimestamp, long LastUpdatedTimestamp, IReadOnlyList<ModelAlias> Aliases, IReadOnlyList<Tag> Tags);

internal sealed record ModelAlias(string Alias, string Version);

internal sealed record ModelVersion(string Name, string Version, long CreationTimestamp, string Source, string? RunId, string Status, IReadOnlyList<string> Aliases, IReadOnlyList<Tag> Tags);

/// <summary>An error the tracking store answered (MLflow's error_code and message), or a failure to reach it.</summary>
internal sealed class TrackingException(string errorCode, string message, int? httpStatus = null, Exception? inner = null) : Exception(message, inner)
{
    public string ErrorCode { get; } = errorCode;

    /// <summary>The HTTP status, when a server answered.</summary>
    public int? HttpStatus { get; } = httpStatus;

    /// <summary>True when the outcome is unknown or the server may succeed later (connection lost, timeout, 408, 429, 5xx).</summary>
    public bool Transient => HttpStatus is 408 or 429 or >= 500 || ErrorCode is ConnectionError or DeadlineExceeded;

    /// <summary>
    /// The server may have applied the request although it did not say so (a lost answer, a timeout, a 5xx after the
    /// backend took it): the caller finds out what was applied before it sends the request again.
    /// </summary>
    public bool OutcomeUnknown { get; init; }

    /// <summary>How long the server asked to wait (Retry-After), when it did.</summary>
    public TimeSpan? RetryAfter { get; init; }

    /// <summary>
    /// The server refused the credentials (401, 403): not the operation's fault, and not for good either, since the
    /// same operation succeeds with the right credentials. Whatever waits to be sent is kept.
    /// </summary>
    public bool CredentialsRefused => HttpStatus is 401 or 403;

    public const string ConnectionError = "CONNECTION_ERROR";
    public const string DeadlineExceeded = "DEADLINE_EXCEEDED";
}
