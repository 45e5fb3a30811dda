using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace MlOps.Pipelines.Tracking.Local;

/// <summary>
/// MLflow's local FileStore layout (<c>mlruns/</c>, mlflow-compat.md §6), written so that MLflow 2.x
/// (<c>mlflow ui --backend-store-uri ./mlruns</c>) reads it: experiments as <c>&lt;id&gt;/meta.yaml</c>, runs as
/// <c>&lt;experiment&gt;/&lt;run id&gt;/</c> with one file per metric, param and tag, datasets and inputs, artefacts
/// copied under the run, and the model registry under <c>models/</c>. Errors and limits are the server's
/// (<see cref="TrackingLimits"/>).
/// </summary>
/// <remarks>
/// Every file is written through a temporary file in <c>.trash/</c> (which MLflow only scans for folders) and a
/// rename, so a crash never leaves a half-written meta.yaml or a stray file that would read as a param or tag;
/// metric files are appended to, as MLflow does. Calls for one run are serialised by a lock per run, calls for
/// different runs run in parallel; experiment creation and registry changes each take one lock.
/// </remarks>
internal sealed partial class LocalTrackingStore : ITrackingStore
{
    const string TrashFolder = ".trash";
    const string ModelsFolder = "models";
    const string MetaFile = "meta.yaml";
    const string DefaultExperimentId = "0";
    const string RunNameTag = "mlflow.runName";
    const string Active = "active";
    const string Deleted = "deleted";
    const string DeletedInternalStage = "Deleted_Internal";
    static readonly string[] ReservedExperimentFolders = ["tags", "datasets", "traces", "models"];
    static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);

    readonly string _root;
    readonly TimeProvider _clock;
    readonly string _userId;
    readonly Func<string> _newExperimentId;
    readonly Func<string> _newRunId;
    readonly Lock _experimentsLock = new();
    readonly Lock _registryLock = new();
    readonly ConcurrentDictionary<string, Lock> _runLocks = new(StringComparer.Ordinal);
    readonly ConcurrentDictionary<string, string> _runDirectories = new(StringComparer.Ordinal);

    /// <param name="root">The mlruns folder; created (with <c>.trash/</c> and the "Default" experiment 0) when missing or empty.</param>
    /// <param name="clock">Creation and update times of experiments, deletions and registry entries.</param>
    /// <param name="userId">The runs' <c>user_id</c>; the OS user by default.</param>
    /// <param name="newExperimentId">Experiment ids; random 18-digit integers by default (a seam for tests).</param>
    /// <param name="newRunId">Run ids; uuid4 hex by default (a seam for tests).</param>
    public LocalTrackingStore(string root, TimeProvider clock, string? userId = null, Func<string>? newExperimentId = null, Func<string>? newRunId = null)
    {
        _root = Path.GetFullPath(root);
        _clock = clock;
        _userId = userId ?? Environment.UserName;
        _newExperimentId = newExperimentId ?? (() => Random.Shared.NextInt64(100_000_000_000_000_000, 1_000_000_000_000_000_000).ToString(CultureInfo.InvariantCulture));
        _newRunId = newRunId ?? (() => Guid.NewGuid().ToString("N"));
        Guard(() =>
        {
            var isNew = !Directory.Exists(_root) || !Directory.EnumerateFileSystemEntries(_root).Any();
            Directory.CreateDirectory(Path.Combine(_root, TrashFolder));
            if (isNew) WriteNewExperiment(DefaultExperimentId, "Default", []);
        });
    }

    public string Location => _root;

    // ---------------------------------------------------------------------------------------------------------
    // Experiments

    public Task<Experiment?> GetExperimentByNameAsync(string name, CancellationToken cancellation) => Run(cancellation, () =>
    {
        return ExperimentDirectories().Select(TryReadExperiment).FirstOrDefault(e => e?.Name == name);
    });

    public Task<string> CreateExperimentAsync(string name, IReadOnlyList<Tag> tags, CancellationToken cancellation) => Run(cancellation, () =>
    {
        TrackingLimits.ValidateExperimentName(name);
        foreach (var tag in tags) TrackingLimits.ValidateExperimentTag(tag);
        lock (_experimentsLock)
        {
            if (ExperimentDirectories().Select(TryReadExperiment).FirstOrDefault(e => e?.Name == name) is { } existing)
                throw TrackingLimits.AlreadyExists(existing.LifecycleStage == Deleted
                    ? $"Experiment '{name}' already exists in deleted state. You can restore the experiment, or permanently delete the experiment from the .trash folder (under tracking server's root folder) in order to use this experiment name again."
                    : $"Experiment '{name}' already exists.");
            string id;
            do id = _newExperimentId();
            while (Directory.Exists(Path.Combine(_root, id)) || Directory.Exists(Path.Combine(_root, TrashFolder, id)));
            TrackingLimits.ValidateExperimentId(id);
            WriteNewExperiment(id, name, tags);
            return id;
        }
    });

    void WriteNewExperiment(string id, string name, IReadOnlyList<Tag> tags)
    {
        var directory = Path.Combine(_root, id);
        Directory.CreateDirectory(directory);
        var now = Now();
        WriteYaml(Path.Combine(directory, MetaFile), new Dictionary<string, object?>
        {
            ["artifact_location"] = FileUri(directory),
            ["creation_time"] = now,
            ["experiment_id"] = id,
            ["last_update_time"] = now,
            ["lifecycle_stage"] = Active,
            ["name"] = name,
        });
        foreach (var tag in tags) WriteFile(KeyPath(Path.Combine(directory, "tags"), tag.Key, "tag"), tag.Value);
    }

    /// <summary>Active experiments (the root's folders with a meta.yaml), then deleted ones (in <c>.trash/</c>).</summary>
    IEnumerable<string> ExperimentDirectories()
    {
        static IEnumerable<string> In(string parent) => Directory.Exists(parent)
            ? Directory.EnumerateDirectories(parent).Order(StringComparer.Ordinal).Where(d => File.Exists(Path.Combine(d, MetaFile)))
            : [];
        return In(_root).Where(d => Path.GetFileName(d) is not (TrashFolder or ModelsFolder)).Concat(In(Path.Combine(_root, TrashFolder)));
    }

    string ExperimentDirectory(string experimentId)
    {
        TrackingLimits.ValidateExperimentId(experimentId);
        if (experimentId != ModelsFolder)
            foreach (var parent in new[] { _root, Path.Combine(_root, TrashFolder) })
            {
                var directory = Path.Combine(parent, experimentId);
                if (File.Exists(Path.Combine(directory, MetaFile))) return directory;
            }
        throw TrackingLimits.NotFound($"Could not find experiment with ID {experimentId}");
    }

    /// <summary>Null for a folder whose meta.yaml cannot be read: MLflow skips such "malformed" experiments too.</summary>
    static Experiment? TryReadExperiment(string directory)
    {
        try
        {
            return ReadExperiment(directory);
        }
        catch (Exception e) when (e is TrackingException or IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    static Experiment? ReadExperiment(string directory)
    {
        var meta = ReadYaml(Path.Combine(directory, MetaFile));
        if (meta.GetString("experiment_id") is not { } id || meta.GetString("name") is not { } name) return null;
        return new Experiment(id, name, meta.GetString("artifact_location") ?? "", meta.GetString("lifecycle_stage") ?? Active);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Runs

    public Task<RunInfo> CreateRunAsync(string experimentId, string runName, long startTime, IReadOnlyList<Tag> tags, CancellationToken cancellation) => Run(cancellation, () =>
    {
        foreach (var tag in tags) TrackingLimits.ValidateRunTag(tag);
        var experimentDirectory = ExperimentDirectory(experimentId);
        var experiment = ReadExperiment(experimentDirectory) ?? throw TrackingLimits.NotFound($"Could not find experiment with ID {experimentId}");
        if (experiment.LifecycleStage != Active)
            throw TrackingLimits.Invalid($"Could not create run under non-active experiment with ID {experimentId}.");

        var nameTag = tags.LastOrDefault(t => t.Key == RunNameTag)?.Value;
        if (!string.IsNullOrEmpty(runName) && !string.IsNullOrEmpty(nameTag) && runName != nameTag)
            throw TrackingLimits.Invalid($"Both 'run_name' argument and 'mlflow.runName' tag are specified, but with different values (run_name='{runName}', mlflow.runName='{nameTag}').");
        var name = !string.IsNullOrEmpty(runName) ? runName : !string.IsNullOrEmpty(nameTag) ? nameTag : RunNames.Generate();
        IReadOnlyList<Tag> allTags = string.IsNullOrEmpty(nameTag) ? [.. tags.Where(t => t.Key != RunNameTag), new Tag(RunNameTag, name)] : tags;

        string runId;
        do runId = _newRunId();
        while (Directory.Exists(Path.Combine(experimentDirectory, runId)));
        TrackingLimits.ValidateRunId(runId);
        var directory = Path.Combine(experimentDirectory, runId);
        var info = new RunInfo(runId, experiment.ExperimentId, name, RunStatus.Running, startTime, null,
            experiment.ArtifactLocation.TrimEnd('/') + "/" + runId + "/artifacts", Active);
        lock (RunLock(runId))
        {
            Directory.CreateDirectory(directory);
            WriteRunMeta(directory, new StoredRun(info, RunOwner.Of(tags, _userId)), deletedTime: null, writeDeletedTime: true);
            foreach (var folder in new[] { "metrics", "params", "artifacts", "tags" }) Directory.CreateDirectory(Path.Combine(directory, folder));
            foreach (var tag in allTags) WriteFile(KeyPath(Path.Combine(directory, "tags"), tag.Key, "tag"), tag.Value);
            _runDirectories[runId] = directory;
        }
        return info;
    });

    public Task<RunInfo> UpdateRunAsync(string runId, RunStatus status, long endTime, CancellationToken cancellation) => Run(cancellation, () =>
    {
        var directory = RunDirectory(runId);
        lock (RunLock(runId))
        {
            var run = ReadActiveRun(directory);
            var info = run.Info with { Status = status, EndTime = endTime };
            WriteRunMeta(directory, run with { Info = info }, deletedTime: null, writeDeletedTime: false);
            return info;
        }
    });

    /// <summary>Soft-deletes a run as MLflow's <c>delete_run</c> does (<c>lifecycle_stage: deleted</c>, <c>deleted_time</c>); later writes are refused.</summary>
    internal Task DeleteRunAsync(string runId, CancellationToken cancellation) => Run(cancellation, () =>
    {
        var directory = RunDirectory(runId);
        lock (RunLock(runId))
        {
            var run = ReadRun(directory);
            WriteRunMeta(directory, run with { Info = run.Info with { LifecycleStage = Deleted } }, deletedTime: Now(), writeDeletedTime: true);
        }
    });

    public Task<Run> GetRunAsync(string runId, CancellationToken cancellation) => Run(cancellation, () =>
    {
        var directory = RunDirectory(runId);
        lock (RunLock(runId))
        {
            var info = ReadRun(directory).Info;
            var metrics = KeyFiles(Path.Combine(directory, "metrics"))
                .Select(key => Latest(ReadMetric(directory, key)))
                .OfType<Metric>()
                .ToList();
            var parameters = KeyFiles(Path.Combine(directory, "params"))
                .Select(key => new Param(key, File.ReadAllText(KeyPath(Path.Combine(directory, "params"), key, "parameter"), Utf8)))
                .ToList();
            var tags = KeyFiles(Path.Combine(directory, "tags"))
                .Select(key => new Tag(key, File.ReadAllText(KeyPath(Path.Combine(directory, "tags"), key, "tag"), Utf8)))
                .ToList();
            if (string.IsNullOrEmpty(info.RunName) && tags.FirstOrDefault(t => t.Key == RunNameTag) is { } nameTag)
                info = info with { RunName = nameTag.Value };
            return new Run(info, metrics, parameters, tags);
        }
    });

    /// <summary>The FileStore's "latest" point of a metric: the highest (step, timestamp, value), the first on ties.</summary>
    static Metric? Latest(IReadOnlyList<Metric> points)
    {
        Metric? latest = null;
        foreach (var point in points)
            if (latest is null || point.Step > latest.Step || (point.Step == latest.Step && (point.Timestamp > latest.Timestamp ||
                (point.Timestamp == latest.Timestamp && point.Value > latest.Value))))
                latest = point;
        return latest;
    }

    public Task<IReadOnlyList<string>> FindRunsByTagAsync(string experimentId, string key, string value, CancellationToken cancellation) => Run(cancellation, () =>
    {
        TrackingLimits.ValidateKey("tag", "Tag key", key);
        var experimentDirectory = ExperimentDirectory(experimentId);
        var found = new List<string>();
        foreach (var directory in RunDirectories(experimentDirectory))
        {
            var runId = Path.GetFileName(directory);
            lock (RunLock(runId))
            {
                Dictionary<string, object?> meta;
                try
                {
                    meta = ReadYaml(Path.Combine(directory, MetaFile));
                }
                catch (TrackingException)
                {
                    continue; // a malformed run, skipped as MLflow skips it
                }
                if ((meta.GetString("lifecycle_stage") ?? Active) != Active) continue;
                var tagFile = KeyPath(Path.Combine(directory, "tags"), key, "tag");
                if (File.Exists(tagFile) && File.ReadAllText(tagFile, Utf8) == value) found.Add(runId);
            }
        }
        return (IReadOnlyList<string>)found;
    });

    static IEnumerable<string> RunDirectories(string experimentDirectory) =>
        Directory.EnumerateDirectories(experimentDirectory)
            .Where(d => !ReservedExperimentFolders.Contains(Path.GetFileName(d), StringComparer.Ordinal) && File.Exists(Path.Combine(d, MetaFile)))
            .Order(StringComparer.Ordinal);

    public Task LogBatchAsync(string runId, IReadOnlyList<Metric> metrics, IReadOnlyList<Param> parameters, IReadOnlyList<Tag> tags, CancellationToken cancellation) => Run(cancellation, () =>
    {
        TrackingLimits.ValidateBatch(metrics, parameters, tags);
        var directory = RunDirectory(runId);
        lock (RunLock(runId))
        {
            var run = ReadActiveRun(directory);
            var paramsDirectory = Path.Combine(directory, "params");
            var newParams = new List<(string Path, string Value)>();
            foreach (var param in parameters)
            {
                // Every param is checked before anything is written, so a conflict leaves the run as it was.
                var path = KeyPath(paramsDirectory, param.Key, "parameter");
                if (!File.Exists(path))
                {
                    newParams.Add((path, param.Value));
                    continue;
                }
                var current = File.ReadAllText(path, Utf8);
                if (current != param.Value)
                    throw TrackingLimits.Invalid($"Changing param values is not allowed. Param with key='{param.Key}' was already logged with value='{current}' for run ID='{runId}'. Attempted logging new value '{param.Value}'.");
            }
            var metricsDirectory = Path.Combine(directory, "metrics");
            var metricPaths = metrics.Select(m => m.Key).Distinct(StringComparer.Ordinal).ToDictionary(k => k, k => KeyPath(metricsDirectory, k, "metric"), StringComparer.Ordinal);
            var tagPaths = tags.Select(t => t.Key).Distinct(StringComparer.Ordinal).ToDictionary(k => k, k => KeyPath(Path.Combine(directory, "tags"), k, "tag"), StringComparer.Ordinal);

            foreach (var (path, value) in newParams) WriteFile(path, value);
            foreach (var group in metrics.GroupBy(m => m.Key, StringComparer.Ordinal))
            {
                var lines = new StringBuilder();
                foreach (var metric in group)
                    lines.Append(CultureInfo.InvariantCulture, $"{metric.Timestamp} {PythonFloat.Format(metric.Value)} {metric.Step}\n");
                var path = metricPaths[group.Key];
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                File.AppendAllText(path, lines.ToString(), Utf8);
            }
            foreach (var tag in tags) WriteFile(tagPaths[tag.Key], tag.Value);
            if (tags.LastOrDefault(t => t.Key == RunNameTag) is { } nameTag && nameTag.Value != run.Info.RunName)
                WriteRunMeta(directory, run with { Info = run.Info with { RunName = nameTag.Value } }, deletedTime: null, writeDeletedTime: false);
        }
    });

    public Task<IReadOnlyList<Metric>> GetMetricHistoryAsync(string runId, string key, CancellationToken cancellation) => Run(cancellation, () =>
    {
        TrackingLimits.ValidateKey("metric", "Metric name", key);
        var directory = RunDirectory(runId);
        lock (RunLock(runId)) return ReadMetric(directory, key);
    });

    static IReadOnlyList<Metric> ReadMetric(string runDirectory, string key)
    {
        var path = KeyPath(Path.Combine(runDirectory, "metrics"), key, "metric");
        if (!File.Exists(path)) return [];
        var points = new List<Metric>();
        foreach (var line in File.ReadAllLines(path, Utf8))
        {
            var parts = line.Trim().Split(' ');
            if (parts.Length is not (2 or 3))
                throw new TrackingException("INTERNAL_ERROR", $"Metric '{key}' is malformed; persisted metric data contained {parts.Length} fields. Expected 2 or 3 fields.", 500);
            points.Add(new Metric(key, PythonFloat.Parse(parts[1]), long.Parse(parts[0], CultureInfo.InvariantCulture),
                parts.Length == 3 ? long.Parse(parts[2], CultureInfo.InvariantCulture) : 0));
        }
        return points;
    }

    public Task LogInputsAsync(string runId, IReadOnlyList<DatasetInput> datasets, CancellationToken cancellation) => Run(cancellation, () =>
    {
        foreach (var input in datasets) TrackingLimits.ValidateDatasetInput(input);
        var directory = RunDirectory(runId);
        var experimentDirectory = Path.GetDirectoryName(directory)!;
        lock (RunLock(runId))
        {
            ReadActiveRun(directory);
            foreach (var input in datasets)
            {
                var dataset = input.Dataset;
                var datasetId = DatasetId(dataset.Name, dataset.Digest);
                var datasetMeta = Path.Combine(experimentDirectory, "datasets", datasetId, MetaFile);
                if (!File.Exists(datasetMeta))
                    WriteYaml(datasetMeta, new Dictionary<string, object?>
                    {
                        ["digest"] = dataset.Digest,
                        ["name"] = dataset.Name,
                        ["profile"] = dataset.Profile,
                        ["schema"] = dataset.Schema,
                        ["source"] = dataset.Source,
                        ["source_type"] = dataset.SourceType,
                    });
                var inputMeta = Path.Combine(directory, "inputs", InputId(datasetId, runId), MetaFile);
                if (File.Exists(inputMeta)) continue;
                var inputTags = new Dictionary<string, string?>(StringComparer.Ordinal);
                foreach (var tag in input.Tags) inputTags[tag.Key] = tag.Value;
                WriteYaml(inputMeta, new Dictionary<string, object?>
                {
                    // MLflow 2.x writes the dataset id as destination_id (a known quirk; readers ignore the field).
                    ["destination_id"] = datasetId,
                    ["destination_type"] = "RUN",
                    ["source_id"] = datasetId,
                    ["source_type"] = "DATASET",
                    ["tags"] = inputTags,
                });
            }
        }
    });

    /// <summary><c>md5(name + digest)</c> as hex, MLflow's dataset folder name.</summary>
    internal static string DatasetId(string name, string digest) => Md5Hex(name + digest);

    /// <summary><c>md5(dataset_id + run_id)</c> as hex, MLflow's input folder name.</summary>
    internal static string InputId(string datasetId, string runId) => Md5Hex(datasetId + runId);

#pragma warning disable CA5351 // MD5 names folders as MLflow does; it protects nothing.
    static string Md5Hex(string text) => Convert.ToHexStringLower(MD5.HashData(Utf8.GetBytes(text)));
#pragma warning restore CA5351

    // ---------------------------------------------------------------------------------------------------------
    // Artefacts

    public Task LogArtifactAsync(string runId, string localFile, string artifactPath, CancellationToken cancellation) => Run(cancellation, () =>
    {
        TrackingLimits.ValidateArtifactPath(artifactPath, isFile: true);
        if (!File.Exists(localFile)) throw new FileNotFoundException($"The artefact file '{localFile}' does not exist.", localFile);
        var directory = RunDirectory(runId);
        var target = Path.Combine(directory, "artifacts", artifactPath.Replace('/', Path.DirectorySeparatorChar));
        lock (RunLock(runId))
        {
            if (Directory.Exists(target)) throw TrackingLimits.Invalid($"Invalid artifact path: '{artifactPath}' is a directory of the run's artefacts.");
            WriteAtomically(target, temporary => File.Copy(localFile, temporary));
        }
    });

    public Task<IReadOnlyList<string>> ListArtifactsAsync(string runId, string? path, CancellationToken cancellation) => Run(cancellation, () =>
    {
        if (!string.IsNullOrEmpty(path)) TrackingLimits.ValidateArtifactPath(path, isFile: false);
        var directory = RunDirectory(runId);
        var artifacts = Path.Combine(directory, "artifacts");
        var under = string.IsNullOrEmpty(path) ? artifacts : Path.Combine(artifacts, path.Replace('/', Path.DirectorySeparatorChar));
        lock (RunLock(runId))
        {
            if (!Directory.Exists(under)) return (IReadOnlyList<string>)[];
            return Directory.EnumerateFiles(under, "*", SearchOption.AllDirectories)
                .Select(f => Path.GetRelativePath(artifacts, f).Replace(Path.DirectorySeparatorChar, '/'))
                .Order(StringComparer.Ordinal)
                .ToList();
        }
    });

    // ---------------------------------------------------------------------------------------------------------
    // Model registry

    public Task<RegisteredModel?> GetRegisteredModelAsync(string name, CancellationToken cancellation) => Run(cancellation, () =>
    {
        var directory = ModelDirectory(name);
        lock (_registryLock) return File.Exists(Path.Combine(directory, MetaFile)) ? ReadModel(directory) : null;
    });

    public Task<RegisteredModel> CreateRegisteredModelAsync(string name, CancellationToken cancellation) => Run(cancellation, () =>
    {
        var directory = ModelDirectory(name);
        lock (_registryLock)
        {
            if (Directory.Exists(directory)) throw TrackingLimits.AlreadyExists($"Registered Model (name={name}) already exists.");
            Directory.CreateDirectory(directory);
            var now = Now();
            WriteModelMeta(directory, name, now, now, description: null);
            return ReadModel(directory);
        }
    });

    public Task<ModelVersion> CreateModelVersionAsync(string name, string runId, string artifactPath, IReadOnlyList<Tag> tags, CancellationToken cancellation) => Run(cancellation, () =>
    {
        var directory = ModelDirectory(name);
        foreach (var tag in tags) TrackingLimits.ValidateRegistryTag(tag);
        TrackingLimits.ValidateArtifactPath(artifactPath, isFile: false);
        var runDirectory = RunDirectory(runId);
        string artifactUri;
        lock (RunLock(runId)) artifactUri = ReadRun(runDirectory).Info.ArtifactUri;
        var source = artifactUri.TrimEnd('/') + "/" + artifactPath.Trim('/');
        lock (_registryLock)
        {
            var model = ExistingModel(directory, name);
            var now = Now();
            var version = Directory.EnumerateDirectories(directory, "version-*")
                .Select(d => long.TryParse(Path.GetFileName(d)["version-".Length..], NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 0)
                .DefaultIfEmpty(0).Max() + 1;
            var versionDirectory = Path.Combine(directory, "version-" + version.ToString(CultureInfo.InvariantCulture));
            Directory.CreateDirectory(versionDirectory);
            WriteYaml(Path.Combine(versionDirectory, MetaFile), new Dictionary<string, object?>
            {
                ["aliases"] = Array.Empty<string>(),
                ["creation_timestamp"] = now,
                ["current_stage"] = "None",
                ["description"] = null,
                ["last_updated_timestamp"] = now,
                ["name"] = name,
                ["run_id"] = runId,
                ["run_link"] = null,
                ["source"] = source,
                ["status"] = "READY",
                ["status_message"] = null,
                ["storage_location"] = source,
                ["user_id"] = null,
                ["version"] = version,
            });
            foreach (var tag in tags) WriteFile(KeyPath(Path.Combine(versionDirectory, "tags"), tag.Key, "tag"), tag.Value);
            WriteModelMeta(directory, name, model.CreationTimestamp, now, model.Description);
            return ReadVersion(directory, version.ToString(CultureInfo.InvariantCulture));
        }
    });

    public Task<ModelVersion> GetModelVersionAsync(string name, string version, CancellationToken cancellation) => Run(cancellation, () =>
    {
        var directory = ModelDirectory(name);
        var number = TrackingLimits.ValidateModelVersion(version);
        lock (_registryLock)
        {
            ExistingModel(directory, name);
            return ReadVersion(directory, number.ToString(CultureInfo.InvariantCulture));
        }
    });

    public Task<IReadOnlyList<ModelVersion>> FindModelVersionsAsync(string name, string? runId, CancellationToken cancellation) => Run(cancellation, () =>
    {
        var directory = ModelDirectory(name);
        if (runId is not null) TrackingLimits.ValidateRunId(runId);
        lock (_registryLock)
        {
            if (!File.Exists(Path.Combine(directory, MetaFile))) return (IReadOnlyList<ModelVersion>)[];
            var found = new List<(long Number, ModelVersion Version)>();
            foreach (var versionDirectory in Directory.EnumerateDirectories(directory, "version-*"))
            {
                var suffix = Path.GetFileName(versionDirectory)["version-".Length..];
                if (!long.TryParse(suffix, NumberStyles.None, CultureInfo.InvariantCulture, out var number)) continue;
                var metaFile = Path.Combine(versionDirectory, MetaFile);
                if (!File.Exists(metaFile)) continue;
                var meta = ReadYaml(metaFile);
                if (meta.GetString("current_stage") == DeletedInternalStage || (runId is not null && meta.GetString("run_id") != runId)) continue;
                found.Add((number, ReadVersion(directory, number.ToString(CultureInfo.InvariantCulture))));
            }
            return found.OrderBy(f => f.Number).Select(f => f.Version).ToList();
        }
    });

    public Task<ModelVersion?> GetModelVersionByAliasAsync(string name, string alias, CancellationToken cancellation) => Run(cancellation, () =>
    {
        var directory = ModelDirectory(name);
        TrackingLimits.ValidateAlias(alias);
        lock (_registryLock)
        {
            var aliasFile = Path.Combine(directory, "aliases", alias);
            if (!File.Exists(Path.Combine(directory, MetaFile)) || !File.Exists(aliasFile)) return null;
            return (ModelVersion?)ReadVersion(directory, File.ReadAllText(aliasFile, Utf8).Trim());
        }
    });

    public Task SetAliasAsync(string name, string alias, string version, CancellationToken cancellation) => Run(cancellation, () =>
    {
        var directory = ModelDirectory(name);
        TrackingLimits.ValidateAlias(alias);
        var number = TrackingLimits.ValidateModelVersion(version).ToString(CultureInfo.InvariantCulture);
        lock (_registryLock)
        {
            var model = ExistingModel(directory, name);
            ReadVersion(directory, number);
            WriteFile(Path.Combine(directory, "aliases", alias), number);
            WriteModelMeta(directory, name, model.CreationTimestamp, Now(), model.Description);
        }
    });

    public Task DeleteAliasAsync(string name, string alias, CancellationToken cancellation) => Run(cancellation, () =>
    {
        var directory = ModelDirectory(name);
        TrackingLimits.ValidateAlias(alias);
        lock (_registryLock)
        {
            var model = ExistingModel(directory, name);
            var aliasFile = Path.Combine(directory, "aliases", alias);
            if (!File.Exists(aliasFile)) return;
            File.Delete(aliasFile);
            WriteModelMeta(directory, name, model.CreationTimestamp, Now(), model.Description);
        }
    });

    string ModelDirectory(string name)
    {
        TrackingLimits.ValidateModelName(name);
        if (name.Contains('/', StringComparison.Ordinal) || name.Contains('\\', StringComparison.Ordinal))
            throw TrackingLimits.Invalid($"Invalid name: '{name}'. Registered model name cannot contain path separator");
        if (name.Contains('%', StringComparison.Ordinal))
            throw TrackingLimits.Invalid($"Invalid name: '{name}'. Registered model name cannot contain '%' character");
        if (name is "." or ".." || name.Contains('\0', StringComparison.Ordinal))
            throw TrackingLimits.Invalid($"Invalid name: '{name}'. Registered model name must be a valid folder name");
        return Path.Combine(_root, ModelsFolder, name);
    }

    sealed record StoredModel(long CreationTimestamp, string? Description);

    static StoredModel ExistingModel(string directory, string name)
    {
        var metaFile = Path.Combine(directory, MetaFile);
        if (!File.Exists(metaFile)) throw TrackingLimits.NotFound($"Registered Model with name={name} not found");
        var meta = ReadYaml(metaFile);
        return new StoredModel(meta.GetInt64("creation_timestamp") ?? 0, meta.GetString("description"));
    }

    /// <summary>The model's meta.yaml as MLflow rewrites it: <c>aliases</c> mirrors the alias files.</summary>
    void WriteModelMeta(string directory, string name, long creationTimestamp, long lastUpdatedTimestamp, string? description) =>
        WriteYaml(Path.Combine(directory, MetaFile), new Dictionary<string, object?>
        {
            ["aliases"] = Aliases(directory).ToDictionary(a => a.Alias, a => (string?)a.Version, StringComparer.Ordinal),
            ["creation_timestamp"] = creationTimestamp,
            ["description"] = description,
            ["last_updated_timestamp"] = lastUpdatedTimestamp,
            ["name"] = name,
        });

    static List<ModelAlias> Aliases(string modelDirectory)
    {
        var folder = Path.Combine(modelDirectory, "aliases");
        if (!Directory.Exists(folder)) return [];
        return Directory.EnumerateFiles(folder)
            .Select(f => new ModelAlias(Path.GetFileName(f), File.ReadAllText(f, Utf8).Trim()))
            .OrderBy(a => a.Alias, StringComparer.Ordinal)
            .ToList();
    }

    static RegisteredModel ReadModel(string directory)
    {
        var meta = ReadYaml(Path.Combine(directory, MetaFile));
        return new RegisteredModel(meta.GetString("name") ?? Path.GetFileName(directory), meta.GetInt64("creation_timestamp") ?? 0,
            meta.GetInt64("last_updated_timestamp") ?? 0, Aliases(directory), ReadTags(Path.Combine(directory, "tags")));
    }

    static ModelVersion ReadVersion(string modelDirectory, string version)
    {
        var metaFile = Path.Combine(modelDirectory, "version-" + version, MetaFile);
        var meta = File.Exists(metaFile) ? ReadYaml(metaFile) : null;
        if (meta is null || meta.GetString("current_stage") == DeletedInternalStage)
            throw TrackingLimits.NotFound($"Model Version (name={Path.GetFileName(modelDirectory)}, version={version}) not found");
        return new ModelVersion(meta.GetString("name") ?? Path.GetFileName(modelDirectory), meta.GetString("version") ?? version,
            meta.GetInt64("creation_timestamp") ?? 0, meta.GetString("source") ?? "", meta.GetString("run_id"), meta.GetString("status") ?? "READY",
            Aliases(modelDirectory).Where(a => a.Version == version).Select(a => a.Alias).ToList(),
            ReadTags(Path.Combine(modelDirectory, "version-" + version, "tags")));
    }

    static List<Tag> ReadTags(string folder) =>
        KeyFiles(folder).Select(key => new Tag(key, File.ReadAllText(Path.Combine(folder, key.Replace('/', Path.DirectorySeparatorChar)), Utf8))).ToList();

    // ---------------------------------------------------------------------------------------------------------
    // Run folders and meta.yaml

    sealed record StoredRun(RunInfo Info, string? UserId);

    Lock RunLock(string runId) => _runLocks.GetOrAdd(runId, _ => new Lock());

    /// <summary>The run's folder, in an active or deleted experiment; RESOURCE_DOES_NOT_EXIST when there is none.</summary>
    string RunDirectory(string runId)
    {
        TrackingLimits.ValidateRunId(runId);
        if (_runDirectories.TryGetValue(runId, out var known) && File.Exists(Path.Combine(known, MetaFile))) return known;
        foreach (var experiment in ExperimentDirectories())
        {
            var directory = Path.Combine(experiment, runId);
            if (File.Exists(Path.Combine(directory, MetaFile))) return _runDirectories[runId] = directory;
        }
        throw TrackingLimits.NotFound($"Run '{runId}' not found");
    }

    static StoredRun ReadRun(string directory)
    {
        var meta = ReadYaml(Path.Combine(directory, MetaFile));
        var runId = meta.GetString("run_id") ?? meta.GetString("run_uuid") ?? Path.GetFileName(directory);
        var status = (meta.GetInt64("status") ?? 1) switch
        {
            2 => RunStatus.Scheduled,
            3 => RunStatus.Finished,
            4 => RunStatus.Failed,
            5 => RunStatus.Killed,
            _ => RunStatus.Running,
        };
        var info = new RunInfo(runId, meta.GetString("experiment_id") ?? "", meta.GetString("run_name") ?? "", status,
            meta.GetInt64("start_time") ?? 0, meta.GetInt64("end_time"), meta.GetString("artifact_uri") ?? "", meta.GetString("lifecycle_stage") ?? Active);
        return new StoredRun(info, meta.GetString("user_id"));
    }

    static StoredRun ReadActiveRun(string directory)
    {
        var run = ReadRun(directory);
        if (run.Info.LifecycleStage != Active)
            throw TrackingLimits.Invalid($"The run {run.Info.RunId} must be in the 'active' state. Current state is {run.Info.LifecycleStage}.");
        return run;
    }

    /// <summary>
    /// The run's meta.yaml with MLflow's keys: <c>status</c> as an int, the legacy <c>tags: []</c> and source fields;
    /// <c>deleted_time</c> is written at creation (null) and on delete, and dropped on other rewrites, as MLflow does.
    /// </summary>
    void WriteRunMeta(string directory, StoredRun run, long? deletedTime, bool writeDeletedTime)
    {
        var info = run.Info;
        var meta = new Dictionary<string, object?>
        {
            ["artifact_uri"] = info.ArtifactUri,
            ["end_time"] = info.EndTime,
            ["entry_point_name"] = "",
            ["experiment_id"] = info.ExperimentId,
            ["lifecycle_stage"] = info.LifecycleStage,
            ["run_id"] = info.RunId,
            ["run_name"] = info.RunName,
            ["run_uuid"] = info.RunId,
            ["source_name"] = "",
            ["source_type"] = 4,
            ["source_version"] = "",
            ["start_time"] = info.StartTime,
            ["status"] = (int)info.Status + 1,
            ["tags"] = Array.Empty<string>(),
            ["user_id"] = run.UserId,
        };
        if (writeDeletedTime) meta["deleted_time"] = deletedTime;
        WriteYaml(Path.Combine(directory, MetaFile), meta);
    }

    /// <summary>Keys stored as files under <paramref name="folder"/> ('/' in a key is a sub-folder), in ordinal order.</summary>
    static IEnumerable<string> KeyFiles(string folder) => Directory.Exists(folder)
        ? Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(folder, f).Replace(Path.DirectorySeparatorChar, '/'))
            .Order(StringComparer.Ordinal)
            .ToList()
        : [];

    /// <summary>The file of a (validated) key under <paramref name="folder"/>; refuses a key whose path is taken by another key's folder or file.</summary>
    static string KeyPath(string folder, string key, string kind)
    {
        var path = Path.Combine(folder, key.Replace('/', Path.DirectorySeparatorChar));
        if (Directory.Exists(path))
            throw TrackingLimits.Invalid($"Invalid {kind} name: '{key}'. It is the prefix of other {kind} names ('{key}/...').");
        var parent = Path.GetDirectoryName(path)!;
        while (parent.Length > folder.Length)
        {
            if (File.Exists(parent))
                throw TrackingLimits.Invalid($"Invalid {kind} name: '{key}'. The {kind} '{Path.GetRelativePath(folder, parent).Replace(Path.DirectorySeparatorChar, '/')}' already exists as a file.");
            parent = Path.GetDirectoryName(parent)!;
        }
        return path;
    }

    // ---------------------------------------------------------------------------------------------------------
    // Files

    long Now() => _clock.GetUtcNow().ToUnixTimeMilliseconds();

    static Dictionary<string, object?> ReadYaml(string path)
    {
        try
        {
            return PyYamlReader.Read(File.ReadAllText(path, Utf8));
        }
        catch (FormatException e)
        {
            throw new TrackingException("INTERNAL_ERROR", $"'{path}' is not a meta.yaml this store can read: {e.Message}", 500, e);
        }
    }

    void WriteYaml(string path, Dictionary<string, object?> mapping) => WriteFile(path, PyYamlWriter.Write(mapping));

    /// <summary>A param, tag or YAML file: UTF-8, no BOM, no newline added.</summary>
    void WriteFile(string path, string content) => WriteAtomically(path, temporary => File.WriteAllText(temporary, content, Utf8));

    void WriteAtomically(string path, Action<string> writeTemporary)
    {
        var trash = Path.Combine(_root, TrashFolder);
        Directory.CreateDirectory(trash);
        var temporary = Path.Combine(trash, $".tmp-{Guid.NewGuid():N}");
        try
        {
            writeTemporary(temporary);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temporary)) File.Delete(temporary);
        }
    }

    /// <summary>Python's <c>pathlib.Path(path).as_uri()</c>: <c>file:///abs/path</c>, percent-encoded except <c>A-Za-z0-9_.-~/</c>.</summary>
    internal static string FileUri(string absolutePath)
    {
        var path = absolutePath.Replace('\\', '/');
        var prefix = "file://";
        if (path.Length >= 2 && path[1] == ':' && char.IsAsciiLetter(path[0]))
        {
            prefix = "file:///" + path[..2];
            path = path[2..];
        }
        var uri = new StringBuilder(prefix);
        foreach (var b in Utf8.GetBytes(path))
        {
            if (char.IsAsciiLetterOrDigit((char)b) || b is (byte)'_' or (byte)'.' or (byte)'-' or (byte)'~' or (byte)'/') uri.Append((char)b);
            else uri.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
        }
        return uri.ToString();
    }

    /// <summary>Runs a call synchronously: argument and store errors come back in the task, file-system failures as INTERNAL_ERROR.</summary>
    static Task<T> Run<T>(CancellationToken cancellation, Func<T> body)
    {
        if (cancellation.IsCancellationRequested) return Task.FromCanceled<T>(cancellation);
        try
        {
            return Task.FromResult(body());
        }
        catch (Exception e) when (e is (IOException or UnauthorizedAccessException) and not FileNotFoundException)
        {
            return Task.FromException<T>(new TrackingException("INTERNAL_ERROR", $"The local tracking store failed: {e.Message}", 500, e));
        }
        catch (Exception e)
        {
            return Task.FromException<T>(e);
        }
    }

    static Task Run(CancellationToken cancellation, Action body) => Run(cancellation, () =>
    {
        body();
        return true;
    });

    static void Guard(Action body)
    {
        try
        {
            body();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new TrackingException("INTERNAL_ERROR", $"The local tracking store failed: {e.Message}", 500, e);
        }
    }
}
