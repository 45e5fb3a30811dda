using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using MlOps.Pipelines.Tracking.Local;
using static MlOps.Pipelines.Tracking.Rest.MlflowJson;

namespace MlOps.Pipelines.Tracking.Rest;

/// <summary>
/// An MLflow tracking server over REST (../shared/specs/mlflow-compat.md §1-§5): tracking, artefacts through the
/// server's proxy, and the model registry (aliases only).
/// </summary>
internal sealed class RestTrackingStore : ITrackingStore, IDisposable
{
    /// <summary>Bytes per second assumed when giving an upload more time than <see cref="RestTrackingOptions.Timeout"/>.</summary>
    const double UploadBytesPerSecond = 1024 * 1024;

    /// <summary>runs/search page size (the server allows up to 50000).</summary>
    const int SearchPageSize = 1000;

    /// <summary>model-versions/search page size (the server allows up to 200000).</summary>
    const int VersionSearchPageSize = 1000;

    readonly RestTransport _transport;
    readonly ConcurrentDictionary<string, string> _artifactUris = new(StringComparer.Ordinal);

    public RestTrackingStore(RestTrackingOptions options, RestClientHooks? hooks = null) => _transport = new RestTransport(options, hooks);

    /// <summary>A store for the server the MLflow environment variables describe.</summary>
    public static RestTrackingStore FromEnvironment(Func<string, string?> lookup) => new(RestTrackingOptions.FromEnvironment(lookup));

    public string Location => _transport.Options.Location;

    RestTrackingOptions Options => _transport.Options;

    public void Dispose() => _transport.Dispose();

    public string? LastFailure => _transport.LastFailure;

    /// <summary>As many resends as retries (MLFLOW_HTTP_REQUEST_MAX_RETRIES), paced like them.</summary>
    public async Task<bool> WaitBeforeResendAsync(int resend, TrackingException failure, CancellationToken cancellation)
    {
        if (resend > Options.MaxRetries) return false;
        await _transport.WaitBeforeRetryAsync(resend, failure.RetryAfter, cancellation).ConfigureAwait(false);
        return true;
    }

    // Experiments

    public async Task<Experiment?> GetExperimentByNameAsync(string name, CancellationToken cancellation)
    {
        TrackingLimits.ValidateExperimentName(name);
        try
        {
            var response = await GetAsync("/mlflow/experiments/get-by-name", cancellation, ("experiment_name", name)).ConfigureAwait(false);
            var experiment = Object(response, "experiment");
            return new Experiment(String(experiment, "experiment_id"), String(experiment, "name"), String(experiment, "artifact_location"), String(experiment, "lifecycle_stage"));
        }
        catch (TrackingException e) when (e.ErrorCode == "RESOURCE_DOES_NOT_EXIST")
        {
            return null;
        }
    }

    public async Task<string> CreateExperimentAsync(string name, IReadOnlyList<Tag> tags, CancellationToken cancellation)
    {
        TrackingLimits.ValidateExperimentName(name);
        foreach (var tag in tags) TrackingLimits.ValidateExperimentTag(tag);
        var response = await PostAsync("/mlflow/experiments/create", w =>
        {
            w.WriteString("name", name);
            w.WriteTags("tags", tags);
        }, cancellation).ConfigureAwait(false);
        return String(response, "experiment_id") is { Length: > 0 } id ? id : throw InvalidResponse("experiments/create returned no experiment_id.");
    }

    // Runs

    public async Task<RunInfo> CreateRunAsync(string experimentId, string runName, long startTime, IReadOnlyList<Tag> tags, CancellationToken cancellation)
    {
        TrackingLimits.ValidateExperimentId(experimentId);
        RestTrackingLimits.Timestamp("The run's start time", startTime);
        foreach (var tag in tags) TrackingLimits.ValidateRunTag(tag);
        RestTrackingLimits.RunName(runName, tags);
        // Not idempotent: a retry after a lost answer would make a second run (the caller finds the first by its tags).
        var response = await PostAsync("/mlflow/runs/create", RetryMode.UnlessOutcomeUnknown, w =>
        {
            w.WriteString("experiment_id", experimentId);
            w.WriteNumber("start_time", startTime);
            if (!string.IsNullOrEmpty(runName)) w.WriteString("run_name", runName);
            w.WriteString("user_id", RunOwner.Of(tags));
            w.WriteTags("tags", tags);
        }, cancellation).ConfigureAwait(false);
        return Remember(ReadRunInfo(Object(Object(response, "run"), "info")));
    }

    public async Task<RunInfo> UpdateRunAsync(string runId, RunStatus status, long endTime, CancellationToken cancellation)
    {
        TrackingLimits.ValidateRunId(runId);
        RestTrackingLimits.Timestamp("The run's end time", endTime);
        var response = await PostAsync("/mlflow/runs/update", w =>
        {
            w.WriteString("run_id", runId);
            w.WriteString("status", StatusName(status));
            w.WriteNumber("end_time", endTime);
        }, cancellation).ConfigureAwait(false);
        return Remember(ReadRunInfo(Object(response, "run_info")));
    }

    public async Task<Run> GetRunAsync(string runId, CancellationToken cancellation)
    {
        TrackingLimits.ValidateRunId(runId);
        var response = await GetAsync("/mlflow/runs/get", cancellation, ("run_id", runId)).ConfigureAwait(false);
        var run = Object(response, "run");
        var info = Remember(ReadRunInfo(Object(run, "info")));
        var data = Object(run, "data");
        return new Run(
            info,
            [.. Array(data, "metrics").Select(ReadMetric)],
            [.. Array(data, "params").Select(p => new Param(String(p, "key"), String(p, "value")))],
            Tags(data, "tags"));
    }

    public async Task<IReadOnlyList<string>> FindRunsByTagAsync(string experimentId, string key, string value, CancellationToken cancellation)
    {
        TrackingLimits.ValidateExperimentId(experimentId);
        TrackingLimits.ValidateKey("tag", "Tag key", key);
        var filter = TagFilter(key, value);
        var runIds = new List<string>();
        string? pageToken = null;
        do
        {
            var response = await PostAsync("/mlflow/runs/search", w =>
            {
                w.WriteStartArray("experiment_ids");
                w.WriteStringValue(experimentId);
                w.WriteEndArray();
                if (filter is not null) w.WriteString("filter", filter);
                w.WriteNumber("max_results", SearchPageSize);
                if (pageToken is not null) w.WriteString("page_token", pageToken);
            }, cancellation).ConfigureAwait(false);
            foreach (var run in Array(response, "runs"))
            {
                // The server's filter is trusted only to narrow down: the tag is compared here, exactly.
                if (!Tags(Object(run, "data"), "tags").Any(t => t.Key == key && t.Value == value)) continue;
                var id = ReadRunInfo(Object(run, "info")).RunId;
                if (!runIds.Contains(id)) runIds.Add(id);
            }
            pageToken = OptionalString(response, "next_page_token");
        }
        while (pageToken is not null);
        return runIds;
    }

    /// <summary>
    /// <c>tags.`key` = 'value'</c>. MLflow strips the quotes around a value without unescaping anything, so a value with a
    /// single quote is put in double quotes; one with both kinds cannot be written: null (list all, compare locally).
    /// The key is already validated (no backtick can occur).
    /// </summary>
    internal static string? TagFilter(string key, string value)
    {
        if (!value.Contains('\'', StringComparison.Ordinal)) return $"tags.`{key}` = '{value}'";
        if (!value.Contains('"', StringComparison.Ordinal)) return $"tags.`{key}` = \"{value}\"";
        return null;
    }

    public async Task LogBatchAsync(string runId, IReadOnlyList<Metric> metrics, IReadOnlyList<Param> parameters, IReadOnlyList<Tag> tags, CancellationToken cancellation)
    {
        TrackingLimits.ValidateRunId(runId);
        RestTrackingLimits.Batch(metrics, parameters, tags);
        var body = Body(w =>
        {
            w.WriteString("run_id", runId);
            if (metrics.Count > 0)
            {
                w.WriteStartArray("metrics");
                foreach (var metric in metrics)
                {
                    w.WriteStartObject();
                    w.WriteString("key", metric.Key);
                    w.WriteDouble("value", metric.Value);
                    w.WriteNumber("timestamp", metric.Timestamp);
                    w.WriteNumber("step", metric.Step);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
            }
            w.WriteKeyValues("params", parameters, p => (p.Key, p.Value));
            w.WriteTags("tags", tags);
        });
        RestTrackingLimits.BatchBody(body);
        // Metric points are appended: a retry after a lost answer would log them twice (the caller drops the points
        // already in the history). Params (same value) and tags (overwritten) alone are idempotent.
        var retry = metrics.Count > 0 ? RetryMode.UnlessOutcomeUnknown : RetryMode.Always;
        await _transport.SendJsonAsync(HttpMethod.Post, "/mlflow/runs/log-batch", body, retry, cancellation).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<Metric>> GetMetricHistoryAsync(string runId, string key, CancellationToken cancellation)
    {
        TrackingLimits.ValidateRunId(runId);
        TrackingLimits.ValidateKey("metric", "Metric name", key);
        var metrics = new List<Metric>();
        string? pageToken = null;
        do
        {
            var query = new List<(string, string)> { ("run_id", runId), ("metric_key", key) };
            if (pageToken is not null) query.Add(("page_token", pageToken));
            var response = await GetAsync("/mlflow/metrics/get-history", cancellation, [.. query]).ConfigureAwait(false);
            metrics.AddRange(Array(response, "metrics").Select(ReadMetric));
            pageToken = OptionalString(response, "next_page_token");
        }
        while (pageToken is not null);
        return metrics;
    }

    public async Task LogModelAsync(string runId, string modelJson, CancellationToken cancellation)
    {
        TrackingLimits.ValidateRunId(runId);
        LoggedModel.Validate(modelJson);
        // Not idempotent (each call appends to the history tag): after a lost answer the replayer looks before resending.
        await PostAsync("/mlflow/runs/log-model", RetryMode.UnlessOutcomeUnknown, w =>
        {
            w.WriteString("run_id", runId);
            w.WriteString("model_json", modelJson);
        }, cancellation).ConfigureAwait(false);
    }

    public async Task LogInputsAsync(string runId, IReadOnlyList<DatasetInput> datasets, CancellationToken cancellation)
    {
        TrackingLimits.ValidateRunId(runId);
        foreach (var input in datasets) TrackingLimits.ValidateDatasetInput(input);
        await PostAsync("/mlflow/runs/log-inputs", w =>
        {
            w.WriteString("run_id", runId);
            if (datasets.Count == 0) return;
            w.WriteStartArray("datasets");
            foreach (var input in datasets)
            {
                w.WriteStartObject();
                w.WriteTags("tags", input.Tags);
                w.WriteStartObject("dataset");
                w.WriteString("name", input.Dataset.Name);
                w.WriteString("digest", input.Dataset.Digest);
                w.WriteString("source_type", input.Dataset.SourceType);
                w.WriteString("source", input.Dataset.Source);
                if (input.Dataset.Schema is not null) w.WriteString("schema", input.Dataset.Schema);
                if (input.Dataset.Profile is not null) w.WriteString("profile", input.Dataset.Profile);
                w.WriteEndObject();
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }, cancellation).ConfigureAwait(false);
    }

    // Artefacts

    public async Task LogArtifactAsync(string runId, string localFile, string artifactPath, CancellationToken cancellation)
    {
        TrackingLimits.ValidateRunId(runId);
        var segments = RestTrackingLimits.ArtifactPath(artifactPath, isFile: true);
        var file = new FileInfo(localFile);
        if (!file.Exists) throw new FileNotFoundException($"The artefact file '{localFile}' does not exist.", localFile);
        var root = ArtifactProxy.ResolveRoot(Options.TrackingUri, await ArtifactUriAsync(runId, cancellation).ConfigureAwait(false));
        var url = ArtifactProxy.FileUrl(root, segments);
        var length = file.Length;
        var timeout = Options.Timeout + TimeSpan.FromSeconds(length / UploadBytesPerSecond);
        var what = $"PUT artefact '{artifactPath}'";
        var response = await _transport.SendAsync(HttpMethod.Put, url, () =>
        {
            // A fresh stream per attempt; streamed from disk with a known length (no chunked encoding).
            var stream = new FileStream(file.FullName, FileMode.Open, FileAccess.Read, FileShare.Read, 81920, FileOptions.Asynchronous | FileOptions.SequentialScan);
            var content = new StreamContent(stream, 81920);
            content.Headers.ContentLength = length;
            content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            return content;
        }, timeout, what, cancellation).ConfigureAwait(false);
        if (!response.IsSuccess) throw RestTransport.ToException(response, what);
    }

    public async Task<IReadOnlyList<string>> ListArtifactsAsync(string runId, string? path, CancellationToken cancellation)
    {
        TrackingLimits.ValidateRunId(runId);
        var start = path?.TrimEnd('/') ?? "";
        RestTrackingLimits.ArtifactPath(start, isFile: false);
        var files = new List<string>();
        var directories = new Queue<string>([start]);
        var visited = new HashSet<string>(StringComparer.Ordinal);
        while (directories.TryDequeue(out var directory))
        {
            if (!visited.Add(directory)) continue;
            string? pageToken = null;
            do
            {
                var query = new List<(string, string)> { ("run_id", runId) };
                if (directory.Length > 0) query.Add(("path", directory));
                if (pageToken is not null) query.Add(("page_token", pageToken));
                var response = await GetAsync("/mlflow/artifacts/list", cancellation, [.. query]).ConfigureAwait(false);
                foreach (var entry in Array(response, "files"))
                {
                    var entryPath = String(entry, "path");
                    if (entryPath.Length == 0) continue;
                    if (Bool(entry, "is_dir")) directories.Enqueue(entryPath);
                    else files.Add(entryPath);
                }
                pageToken = OptionalString(response, "next_page_token");
            }
            while (pageToken is not null);
        }
        files.Sort(StringComparer.Ordinal);
        return files;
    }

    async Task<string> ArtifactUriAsync(string runId, CancellationToken cancellation)
    {
        if (_artifactUris.TryGetValue(runId, out var uri)) return uri;
        var run = await GetRunAsync(runId, cancellation).ConfigureAwait(false);
        return run.Info.ArtifactUri is { Length: > 0 } artifactUri
            ? artifactUri
            : throw InvalidResponse($"run {runId} has no artifact_uri.");
    }

    RunInfo Remember(RunInfo info)
    {
        if (info.ArtifactUri.Length > 0 && info.RunId.Length > 0) _artifactUris[info.RunId] = info.ArtifactUri;
        return info;
    }

    // Model registry

    public async Task<RegisteredModel?> GetRegisteredModelAsync(string name, CancellationToken cancellation)
    {
        TrackingLimits.ValidateModelName(name);
        try
        {
            var response = await GetAsync("/mlflow/registered-models/get", cancellation, ("name", name)).ConfigureAwait(false);
            return ReadRegisteredModel(Object(response, "registered_model"));
        }
        catch (TrackingException e) when (e.ErrorCode == "RESOURCE_DOES_NOT_EXIST")
        {
            return null;
        }
    }

    public async Task<RegisteredModel> CreateRegisteredModelAsync(string name, CancellationToken cancellation)
    {
        TrackingLimits.ValidateModelName(name);
        var response = await PostAsync("/mlflow/registered-models/create", w => w.WriteString("name", name), cancellation).ConfigureAwait(false);
        return ReadRegisteredModel(Object(response, "registered_model"));
    }

    public async Task<ModelVersion> CreateModelVersionAsync(string name, string runId, string artifactPath, IReadOnlyList<Tag> tags, CancellationToken cancellation)
    {
        TrackingLimits.ValidateModelName(name);
        TrackingLimits.ValidateRunId(runId);
        var directory = artifactPath.TrimEnd('/');
        if (directory.Length == 0) throw RestTrackingLimits.Invalid("The model's artifact path cannot be empty.");
        var segments = RestTrackingLimits.ArtifactPath(directory, isFile: false);
        foreach (var tag in tags) TrackingLimits.ValidateRegistryTag(tag);
        // As the Python client after resolving runs:/<run_id>/<path>: the run's artefact location of the model directory.
        var source = (await ArtifactUriAsync(runId, cancellation).ConfigureAwait(false)).TrimEnd('/') + "/" + string.Join("/", segments);
        // Not idempotent: a retry after a lost answer would make a second version (the caller finds it by run and tag).
        var response = await PostAsync("/mlflow/model-versions/create", RetryMode.UnlessOutcomeUnknown, w =>
        {
            w.WriteString("name", name);
            w.WriteString("source", source);
            w.WriteString("run_id", runId);
            w.WriteTags("tags", tags);
        }, cancellation).ConfigureAwait(false);
        return ReadModelVersion(Object(response, "model_version"));
    }

    public async Task<ModelVersion> GetModelVersionAsync(string name, string version, CancellationToken cancellation)
    {
        TrackingLimits.ValidateModelName(name);
        TrackingLimits.ValidateModelVersion(version);
        var response = await GetAsync("/mlflow/model-versions/get", cancellation, ("name", name), ("version", version)).ConfigureAwait(false);
        return ReadModelVersion(Object(response, "model_version"));
    }

    public async Task<IReadOnlyList<ModelVersion>> FindModelVersionsAsync(string name, string? runId, CancellationToken cancellation)
    {
        TrackingLimits.ValidateModelName(name);
        if (runId is not null) TrackingLimits.ValidateRunId(runId);
        // One clause: registry search of older servers takes a single one, so the name is compared here when the run
        // is the filter. A validated run id cannot contain a quote; a name with both kinds cannot be written.
        var filter = runId is not null ? $"run_id = '{runId}'"
            : !name.Contains('\'', StringComparison.Ordinal) ? $"name = '{name}'"
            : !name.Contains('"', StringComparison.Ordinal) ? $"name = \"{name}\""
            : "";
        var versions = new List<ModelVersion>();
        string? pageToken = null;
        do
        {
            var query = new List<(string, string)>();
            if (filter.Length > 0) query.Add(("filter", filter));
            query.Add(("max_results", VersionSearchPageSize.ToString(CultureInfo.InvariantCulture)));
            if (pageToken is not null) query.Add(("page_token", pageToken));
            var response = await GetAsync("/mlflow/model-versions/search", cancellation, [.. query]).ConfigureAwait(false);
            foreach (var item in Array(response, "model_versions"))
            {
                // The server's filter is trusted only to narrow down: name and run are compared here, exactly.
                var version = ReadModelVersion(item);
                if (version.Name != name || (runId is not null && version.RunId != runId)) continue;
                if (!versions.Any(v => v.Version == version.Version)) versions.Add(version);
            }
            pageToken = OptionalString(response, "next_page_token");
        }
        while (pageToken is not null);
        return [.. versions.OrderBy(v => long.TryParse(v.Version, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : long.MaxValue).ThenBy(v => v.Version, StringComparer.Ordinal)];
    }

    public async Task<ModelVersion?> GetModelVersionByAliasAsync(string name, string alias, CancellationToken cancellation)
    {
        TrackingLimits.ValidateModelName(name);
        // Validated first, so that INVALID_PARAMETER_VALUE below can only mean "no such alias".
        TrackingLimits.ValidateAlias(alias);
        try
        {
            var response = await GetAsync("/mlflow/registered-models/alias", cancellation, ("name", name), ("alias", alias)).ConfigureAwait(false);
            return ReadModelVersion(Object(response, "model_version"));
        }
        catch (TrackingException e) when (e.ErrorCode is "INVALID_PARAMETER_VALUE" or "RESOURCE_DOES_NOT_EXIST")
        {
            return null;
        }
    }

    public async Task SetAliasAsync(string name, string alias, string version, CancellationToken cancellation)
    {
        TrackingLimits.ValidateModelName(name);
        TrackingLimits.ValidateAlias(alias);
        TrackingLimits.ValidateModelVersion(version);
        await PostAsync("/mlflow/registered-models/alias", w =>
        {
            w.WriteString("name", name);
            w.WriteString("alias", alias);
            w.WriteString("version", version);
        }, cancellation).ConfigureAwait(false);
    }

    public async Task DeleteAliasAsync(string name, string alias, CancellationToken cancellation)
    {
        TrackingLimits.ValidateModelName(name);
        TrackingLimits.ValidateAlias(alias);
        var body = Body(w =>
        {
            w.WriteString("name", name);
            w.WriteString("alias", alias);
        });
        await _transport.SendJsonAsync(HttpMethod.Delete, "/mlflow/registered-models/alias", body, cancellation).ConfigureAwait(false);
    }

    // Wire helpers

    Task<JsonElement> GetAsync(string endpoint, CancellationToken cancellation, params (string Key, string Value)[] query) =>
        _transport.GetAsync(endpoint, query.Select(p => KeyValuePair.Create(p.Key, p.Value)), cancellation);

    Task<JsonElement> PostAsync(string endpoint, Action<Utf8JsonWriter> body, CancellationToken cancellation) =>
        PostAsync(endpoint, RetryMode.Always, body, cancellation);

    Task<JsonElement> PostAsync(string endpoint, RetryMode retry, Action<Utf8JsonWriter> body, CancellationToken cancellation) =>
        _transport.SendJsonAsync(HttpMethod.Post, endpoint, Body(body), retry, cancellation);

    static string StatusName(RunStatus status) => status switch
    {
        RunStatus.Running => "RUNNING",
        RunStatus.Scheduled => "SCHEDULED",
        RunStatus.Finished => "FINISHED",
        RunStatus.Failed => "FAILED",
        RunStatus.Killed => "KILLED",
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, null),
    };

    static RunStatus ParseStatus(string status) => status switch
    {
        // Absent = the proto's first value.
        "" or "RUNNING" => RunStatus.Running,
        "SCHEDULED" => RunStatus.Scheduled,
        "FINISHED" => RunStatus.Finished,
        "FAILED" => RunStatus.Failed,
        "KILLED" => RunStatus.Killed,
        _ => throw InvalidResponse($"unknown run status '{status}'."),
    };

    static RunInfo ReadRunInfo(JsonElement info)
    {
        var runId = OptionalString(info, "run_id") ?? String(info, "run_uuid");
        if (runId.Length == 0) throw InvalidResponse("a run has no run_id.");
        return new RunInfo(
            runId,
            String(info, "experiment_id"),
            String(info, "run_name"),
            ParseStatus(String(info, "status")),
            Int64(info, "start_time"),
            OptionalInt64(info, "end_time"),
            String(info, "artifact_uri"),
            String(info, "lifecycle_stage"));
    }

    static Metric ReadMetric(JsonElement metric) =>
        new(String(metric, "key"), Double(metric, "value"), Int64(metric, "timestamp"), Int64(metric, "step"));

    static RegisteredModel ReadRegisteredModel(JsonElement model) => new(
        String(model, "name"),
        Int64(model, "creation_timestamp"),
        Int64(model, "last_updated_timestamp"),
        [.. Array(model, "aliases").Select(a => new ModelAlias(String(a, "alias"), String(a, "version")))],
        Tags(model, "tags"));

    static ModelVersion ReadModelVersion(JsonElement version) => new(
        String(version, "name"),
        version.TryGetProperty("version", out var number) && number.ValueKind == JsonValueKind.Number
            ? Int64(version, "version").ToString(CultureInfo.InvariantCulture)
            : String(version, "version"),
        Int64(version, "creation_timestamp"),
        String(version, "source"),
        OptionalString(version, "run_id"),
        String(version, "status"),
        [.. Array(version, "aliases").Select(a => a.ValueKind == JsonValueKind.String ? a.GetString()! : throw InvalidResponse("an alias is not a string."))],
        Tags(version, "tags"));
}
