using MlOps.Pipelines.Tracking.Local;
using MlOps.Pipelines.Artifacts;
using MlOps.Pipelines.Discovery;
using MlOps.Pipelines.Execution;

namespace MlOps.Pipelines.Tracking;

/// <summary>
/// The child run of one target: created when the target starts, so the MLflow UI shows it running; collects what
/// the target reports through its context (metric points, datasets, artefacts) and, when it ends, the parameters it
/// read, its status and its cache status. Metric points go out in batches of up to 1,000, and at the latest
/// <see cref="FlushInterval"/> after they were logged, so a long training curve grows live in the UI.
/// </summary>
internal sealed class TargetTracker
{
    const int MetricBatch = 1000;

    /// <summary>The longest a logged metric point waits in memory before it is journaled (and so sent).</summary>
    internal static readonly TimeSpan FlushInterval = TimeSpan.FromSeconds(5);

    readonly TrackingSession _session;
    readonly TargetModel _target;
    readonly Lock _gate = new();
    readonly List<Metric> _metrics = [];
    readonly List<Artifact> _artifacts = [];
    ITimer? _flush;

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

    /// <summary>Journals the child run's creation and starts the periodic metric flush.</summary>
    internal void Start(IReadOnlyList<Tag> standardTags)
    {
        _session.Append(new StartRun(RunKey, _target.Pipeline.Name, _target.Name, StartTime, [.. standardTags, new Tag("mlflow.runName", _target.Name)], ParentKey));
        _flush = _session.Clock.CreateTimer(_ => FlushOnTick(), null, FlushInterval, FlushInterval);
    }

    public void LogMetric(string key, double value, long step)
    {
        var metric = new Metric(key, value, _session.Now, step);
        TrackingLimits.ValidateMetric(metric);
        lock (_gate)
        {
            _metrics.Add(metric);
            if (_metrics.Count >= MetricBatch) FlushMetrics();
        }
    }

    /// <summary>
    /// Journals the points logged so far (under the gate, so batches keep the order points were logged in). Points
    /// the journal could not take stay pending, so the target's end sends them or fails where it is reported.
    /// </summary>
    void FlushMetrics()
    {
        lock (_gate)
        {
            if (_metrics.Count == 0) return;
            List<Metric> pending = [.. _metrics];
            _metrics.Clear();
            try
            {
                _session.AppendBatches(RunKey, pending, [], []);
            }
            catch
            {
                _metrics.InsertRange(0, pending);
                throw;
            }
        }
    }

    void FlushOnTick()
    {
        try
        {
            FlushMetrics();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A timer thread has no one to report to (an exception would end the process): the points wait for the
            // next tick or the target's end.
        }
    }

    public void LogDataset(DatasetInput dataset)
    {
        TrackingLimits.ValidateDatasetInput(dataset);
        _session.Append(new LogInputs(RunKey, [dataset]));
    }

    public void LogArtifact(Artifact artifact)
    {
        lock (_gate) _artifacts.Add(artifact);
    }

    /// <summary>Appends the folder's upload and its registration; returns the registration's journal position.</summary>
    public long Register(string model, string folder, IReadOnlyDictionary<string, string> tags, IReadOnlyList<string> aliases)
    {
        UploadFolder(folder, "model");
        return _session.Append(new RegisterVersion(model, RunKey, "model", [.. tags.Select(t => new Tag(t.Key, t.Value))], aliases, FolderContent.Sha256(folder))).Sequence;
    }

    public long SetAlias(string model, string alias, string version) => _session.Append(new SetAlias(model, alias, version)).Sequence;

    public long DeleteAlias(string model, string alias) => _session.Append(new DeleteAlias(model, alias)).Sequence;

    /// <summary>
    /// Closes the child run with how it ended, the metrics not sent yet and the parameters the target read
    /// (<paramref name="parameters"/>: name → value, whether it succeeded or failed; secrets are left out); uploads
    /// its reported artefacts when it succeeded.
    /// </summary>
    public void End(TargetRun run, IReadOnlyDictionary<string, string> parameters)
    {
        _flush?.Dispose();
        List<Metric> metrics;
        lock (_gate)
        {
            metrics = [.. _metrics];
            _metrics.Clear();
        }
        var secrets = _target.Pipeline.Parameters.Where(p => p.IsSecret).Select(p => p.MemberName).ToHashSet(StringComparer.Ordinal);
        var reported = parameters.Where(p => !secrets.Contains(p.Key)).Select(p => new Param(p.Key, p.Value)).Where(IsValid).ToList();
        var tags = new List<Tag>
        {
            new("mlops.target", _target.QualifiedName),
            new("mlops.status", run.Status.ToString()),
            new("mlops.duration_seconds", run.Duration.TotalSeconds.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture)),
        };
        if (_target.IsCacheable) tags.Add(new Tag("mlops.cache", "miss"));
        if (run.Note.Length > 0) tags.Add(new Tag("mlops.note", run.Note.Length > 8000 ? run.Note[..8000] : run.Note));
        _session.AppendBatches(RunKey, metrics, reported, tags);

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
        if (Directory.Exists(path)) UploadFolder(path, artifact.FileName);
    }

    /// <summary>
    /// Appends the upload of every file of <paramref name="folder"/> under <paramref name="artifactPath"/>. A model folder
    /// (an MLmodel at its root) is logged as MLflow logs a model, last: its MLmodel stamped with this run and time (see
    /// <see cref="LoggedModel"/>); the folder itself, a cached package, is not changed.
    /// </summary>
    void UploadFolder(string folder, string artifactPath)
    {
        string? mlmodel = null;
        foreach (var file in Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            var relative = Path.GetRelativePath(folder, file).Replace('\\', '/');
            if (relative == LoggedModel.FileName) mlmodel = file;
            else _session.Append(new LogArtifact(RunKey, _session.Keep(file), artifactPath + "/" + relative));
        }
        if (mlmodel is not null) _session.Append(new LogModel(RunKey, _session.Keep(mlmodel), artifactPath, _session.Now));
    }
}
