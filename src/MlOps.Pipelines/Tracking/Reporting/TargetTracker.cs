using MlOps.Pipelines.Tracking.Local;
using MlOps.Pipelines.Artifacts;
using MlOps.Pipelines.Discovery;
using MlOps.Pipelines.Execution;

namespace MlOps.Pipelines.Tracking;

/// <summary>
/// The child run of one target: collects what the target reports through its context (metric points, datasets,
/// artefacts) and, when it ends, the parameters it read, its status and its cache status. Metric points go out in
/// batches of up to 1,000 while the target runs, so a long training curve streams.
/// </summary>
internal sealed class TargetTracker
{
    const int MetricBatch = 1000;

    readonly TrackingSession _session;
    readonly TargetModel _target;
    readonly Lock _gate = new();
    readonly List<Metric> _metrics = [];
    readonly List<Artifact> _artifacts = [];
    bool _started;

    internal TargetTracker(TrackingSession session, string runKey, string parentKey, TargetModel target, long startTime)
    {
        _session = session;
        _target = target;
        RunKey = runKey;
        ParentKey = parentKey;
        StartTime = startTime;
    }

    public string RunKey { get; }
    internal TrackingSession Session => _session;
    string ParentKey { get; }
    long StartTime { get; }

    public void LogMetric(string key, double value, long step)
    {
        var metric = new Metric(key, value, _session.Now, step);
        TrackingLimits.ValidateMetric(metric);
        List<Metric>? full = null;
        lock (_gate)
        {
            _metrics.Add(metric);
            if (_metrics.Count >= MetricBatch)
            {
                full = [.. _metrics];
                _metrics.Clear();
            }
        }
        if (full is not null)
        {
            EnsureStarted();
            _session.AppendBatches(RunKey, full, [], []);
        }
    }

    public void LogDataset(DatasetInput dataset)
    {
        TrackingLimits.ValidateDatasetInput(dataset);
        EnsureStarted();
        _session.Append(new LogInputs(RunKey, [dataset]));
    }

    public void LogArtifact(Artifact artifact)
    {
        lock (_gate) _artifacts.Add(artifact);
    }

    /// <summary>Appends the folder's upload and its registration; returns the registration's journal position.</summary>
    public long Register(string model, string folder, IReadOnlyDictionary<string, string> tags, IReadOnlyList<string> aliases)
    {
        EnsureStarted();
        foreach (var file in Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            _session.Append(new LogArtifact(RunKey, _session.Keep(file), "model/" + Path.GetRelativePath(folder, file).Replace('\\', '/')));
        return _session.Append(new RegisterVersion(model, RunKey, "model", [.. tags.Select(t => new Tag(t.Key, t.Value))], aliases, FolderContent.Sha256(folder))).Sequence;
    }

    public long SetAlias(string model, string alias, string version) => _session.Append(new SetAlias(model, alias, version)).Sequence;

    public long DeleteAlias(string model, string alias) => _session.Append(new DeleteAlias(model, alias)).Sequence;

    void EnsureStarted()
    {
        lock (_gate)
        {
            if (_started) return;
            _started = true;
        }
        _session.Append(new StartRun(RunKey, _target.Pipeline.Name, _target.Name, StartTime, [new Tag("mlflow.runName", _target.Name)], ParentKey));
    }

    /// <summary>Closes the child run with what the target read and how it ended; uploads its reported artefacts when it succeeded.</summary>
    public void End(TargetRun run)
    {
        EnsureStarted();
        List<Metric> metrics;
        lock (_gate)
        {
            metrics = [.. _metrics];
            _metrics.Clear();
        }
        // Secret parameters enter a trace only as a hash ("sha256:..."): they never reach the store.
        var parameters = (run.Trace?.Parameters ?? [])
            .Where(p => !p.Value.StartsWith("sha256:", StringComparison.Ordinal))
            .Select(p => new Param(p.Key, p.Value)).Where(IsValid).ToList();
        var tags = new List<Tag>
        {
            new("mlops.target", _target.QualifiedName),
            new("mlops.status", run.Status.ToString()),
            new("mlops.duration_seconds", run.Duration.TotalSeconds.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture)),
        };
        if (run.Status == TargetStatus.Cached && run.Trace is { } trace)
        {
            tags.Add(new Tag("mlops.cache", "hit"));
            tags.Add(new Tag("mlops.cached_from_invocation", trace.RunId));
            tags.Add(new Tag("mlops.cached_from_run_key", $"{trace.RunId}/{_target.Pipeline.Name}/{_target.Name}"));
        }
        else if (_target.IsCacheable)
            tags.Add(new Tag("mlops.cache", "miss"));
        if (run.Note.Length > 0) tags.Add(new Tag("mlops.note", run.Note.Length > 8000 ? run.Note[..8000] : run.Note));
        _session.AppendBatches(RunKey, metrics, parameters, tags);

        if (run.Status == TargetStatus.Succeeded)
        {
            List<Artifact> artifacts;
            lock (_gate) artifacts = [.. _artifacts];
            foreach (var artifact in artifacts) UploadArtifact(artifact);
        }
        var status = run.Status switch
        {
            TargetStatus.Failed => RunStatus.Failed,
            TargetStatus.Cancelled => RunStatus.Killed,
            _ => RunStatus.Finished,
        };
        _session.Append(new EndRun(RunKey, status, _session.Now));
    }

    /// <summary>A parameter MLflow would refuse (a value over 6,000 characters) is left out rather than losing its whole batch.</summary>
    internal static bool IsValid(Param param)
    {
        try
        {
            TrackingLimits.ValidateParam(param);
            return true;
        }
        catch (TrackingException)
        {
            return false;
        }
    }

    void UploadArtifact(Artifact artifact)
    {
        var path = Path.Combine(_target.Pipeline.Instance.ArtifactsDirectory, artifact.FileName);
        if (!artifact.IsDirectory)
        {
            if (File.Exists(path)) _session.Append(new LogArtifact(RunKey, _session.Keep(path), artifact.FileName));
            return;
        }
        if (!Directory.Exists(path)) return;
        foreach (var file in Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            _session.Append(new LogArtifact(RunKey, _session.Keep(file), artifact.FileName + "/" + Path.GetRelativePath(path, file).Replace('\\', '/')));
    }
}
