namespace MlOps.Pipelines.Tracking;

/// <summary>
/// Where runs are reported: an MLflow tracking server over REST, or MLflow's local mlruns/ layout. Both behave
/// as the spec describes the server: the same calls, the same errors (<see cref="TrackingException"/> with
/// MLflow's error codes), the same limits.
/// </summary>
internal interface ITrackingStore
{
    /// <summary>Where the store is, for messages: the server URI or the mlruns folder.</summary>
    string Location { get; }

    Task<Experiment?> GetExperimentByNameAsync(string name, CancellationToken cancellation);

    /// <summary>Creates the experiment; RESOURCE_ALREADY_EXISTS when the name is taken.</summary>
    Task<string> CreateExperimentAsync(string name, IReadOnlyList<Tag> tags, CancellationToken cancellation);

    Task<RunInfo> CreateRunAsync(string experimentId, string runName, long startTime, IReadOnlyList<Tag> tags, CancellationToken cancellation);

    Task<RunInfo> UpdateRunAsync(string runId, RunStatus status, long endTime, CancellationToken cancellation);

    Task<Run> GetRunAsync(string runId, CancellationToken cancellation);

    /// <summary>Run ids of the experiment's runs whose tag <paramref name="key"/> equals <paramref name="value"/> (finds a run created before a lost response).</summary>
    Task<IReadOnlyList<string>> FindRunsByTagAsync(string experimentId, string key, string value, CancellationToken cancellation);

    /// <summary>One log-batch call: the caller keeps within the limits (≤ 1000 metrics, ≤ 100 params, ≤ 100 tags, ≤ 1000 in all).</summary>
    Task LogBatchAsync(string runId, IReadOnlyList<Metric> metrics, IReadOnlyList<Param> parameters, IReadOnlyList<Tag> tags, CancellationToken cancellation);

    /// <summary>Every point of one metric, in logged order.</summary>
    Task<IReadOnlyList<Metric>> GetMetricHistoryAsync(string runId, string key, CancellationToken cancellation);

    Task LogInputsAsync(string runId, IReadOnlyList<DatasetInput> datasets, CancellationToken cancellation);

    /// <summary>Uploads a file to the run's artefacts at <paramref name="artifactPath"/> (relative, '/'-separated, ending in the file name).</summary>
    Task LogArtifactAsync(string runId, string localFile, string artifactPath, CancellationToken cancellation);

    /// <summary>
    /// Records a model logged by the run (MLflow's <c>log-model</c>): <paramref name="modelJson"/> is the MLmodel as a
    /// JSON document with at least artifact_path, flavors, utc_time_created and run_id; the store appends it to the
    /// run's tag <c>mlflow.log-model.history</c>, which the UI reads to list the run's models. It uploads nothing.
    /// </summary>
    Task LogModelAsync(string runId, string modelJson, CancellationToken cancellation);

    /// <summary>The run's artefact paths (relative to its artefact root) under <paramref name="path"/>, recursively.</summary>
    Task<IReadOnlyList<string>> ListArtifactsAsync(string runId, string? path, CancellationToken cancellation);

    // Model registry (aliases only: stages are deprecated).

    Task<RegisteredModel?> GetRegisteredModelAsync(string name, CancellationToken cancellation);

    Task<RegisteredModel> CreateRegisteredModelAsync(string name, CancellationToken cancellation);

    /// <summary>A new version whose source is the run's artefact directory <paramref name="artifactPath"/> (e.g. "model").</summary>
    Task<ModelVersion> CreateModelVersionAsync(string name, string runId, string artifactPath, IReadOnlyList<Tag> tags, CancellationToken cancellation);

    Task<ModelVersion> GetModelVersionAsync(string name, string version, CancellationToken cancellation);

    /// <summary>
    /// The versions of <paramref name="name"/> registered from run <paramref name="runId"/>, or all of them when it is
    /// null, oldest first (none when the model does not exist).
    /// </summary>
    Task<IReadOnlyList<ModelVersion>> FindModelVersionsAsync(string name, string? runId, CancellationToken cancellation);

    /// <summary>The version the alias points to, or null when the alias (or the model) does not exist.</summary>
    Task<ModelVersion?> GetModelVersionByAliasAsync(string name, string alias, CancellationToken cancellation);

    Task SetAliasAsync(string name, string alias, string version, CancellationToken cancellation);

    Task DeleteAliasAsync(string name, string alias, CancellationToken cancellation);

    /// <summary>
    /// Before resend <paramref name="resend"/> (from 1) of an operation whose outcome was unknown
    /// (<see cref="TrackingException.OutcomeUnknown"/>): waits as the store's retry policy says and returns true, or
    /// returns false when no resend is left. A store that always knows its outcomes never resends.
    /// </summary>
    Task<bool> WaitBeforeResendAsync(int resend, TrackingException failure, CancellationToken cancellation) => Task.FromResult(false);

    /// <summary>Why the latest attempt to reach the store failed, while calls are still retrying (null when it answered).</summary>
    string? LastFailure => null;
}
