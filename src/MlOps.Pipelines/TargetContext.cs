using MlOps.Pipelines.Artifacts;
using MlOps.Pipelines.Caching;
using MlOps.Pipelines.Execution;
using MlOps.Pipelines.Output;
using MlOps.Pipelines.Tracking;

namespace MlOps.Pipelines;

/// <summary>
/// What a running target sees of the engine: where it is, how many threads it may use, the token that
/// fires on Ctrl-C, and a log whose lines are framed under the target's name (secrets masked).
/// </summary>
public sealed class TargetContext
{
    readonly TargetLog _log;
    readonly TargetFiles _files;
    readonly TargetTracker? _tracker;

    internal TargetContext(MlPipeline pipeline, string target, int threads, TargetLog log, TargetFiles files, TargetTracker? tracker, CancellationToken cancellationToken)
    {
        _tracker = tracker;
        Pipeline = pipeline;
        Target = target;
        Threads = threads;
        _log = log;
        _files = files;
        CancellationToken = cancellationToken;
    }

    /// <summary>The pipeline instance the target belongs to.</summary>
    public MlPipeline Pipeline { get; }

    /// <summary>The target's name.</summary>
    public string Target { get; }

    /// <summary>How many threads parallel work may use (<c>--threads</c>, default: all cores).</summary>
    public int Threads { get; }

    /// <summary>Cancelled when the user presses Ctrl-C; long work should pass it on.</summary>
    public CancellationToken CancellationToken { get; }

    /// <summary>The repository root.</summary>
    public AbsolutePath RootDirectory => Pipeline.RootDirectory;

    /// <summary><see cref="ParallelOptions"/> honouring <see cref="Threads"/> and <see cref="CancellationToken"/>.</summary>
    public ParallelOptions ParallelOptions => new() { MaxDegreeOfParallelism = Threads, CancellationToken = CancellationToken };

    /// <summary>
    /// Declares that the target reads this file (or folder) and returns it. Its content becomes part of the
    /// target's cache key: read every input through here, so a changed input reruns the target.
    /// </summary>
    public AbsolutePath Input(AbsolutePath path) => _files.Input(path);

    /// <summary>Loads a consumed artefact (declared with <c>Consumes</c>); for file and folder artefacts, their path.</summary>
    public T Load<T>(Artifact<T> artifact)
    {
        var path = _files.Consume(artifact);
        if (artifact.Read is null) return (T)(object)AbsolutePath.Create(path);
        using var stream = File.OpenRead(path);
        return artifact.Read(stream);
    }

    /// <summary>Saves a produced artefact (declared with <c>Produces</c>). It reaches the cache and
    /// <c>artifacts/</c> only when the target succeeds.</summary>
    public void Save<T>(Artifact<T> artifact, T value)
    {
        var path = _files.Produce(artifact);
        if (artifact.Write is null)
            throw new InvalidOperationException($"Artifact '{artifact.Name}' is a file or folder the target writes itself at ctx.PathOf({artifact.Name}); it has no serializer to Save with.");
        AtomicFile.Write(path, temporary =>
        {
            using var stream = File.Create(temporary);
            artifact.Write(value, stream);
        });
    }

    /// <summary>
    /// Where to write a produced file or folder artefact (a staging place, moved into <c>artifacts/</c> when the
    /// target succeeds), or where to read a consumed one.
    /// </summary>
    public AbsolutePath PathOf(Artifact artifact) =>
        AbsolutePath.Create(_files.Target.Definition.Produced.Contains(artifact) ? _files.Produce(artifact) : _files.Consume(artifact));

    /// <summary>
    /// Runs a program with its output framed under this target, stops it on Ctrl-C, and fails the target when it
    /// exits with a non-zero code (unless <paramref name="allowFailure"/>). Returns the exit code.
    /// </summary>
    public Task<int> RunAsync(string program, IEnumerable<string> arguments, string? workingDirectory = null, bool allowFailure = false) =>
        ProcessRunner.RunAsync(program, arguments, workingDirectory ?? RootDirectory, Info, CancellationToken, throwOnFailure: !allowFailure);

    /// <summary>
    /// Reports a metric point to this target's MLflow run (one point per <paramref name="step"/> makes a curve, e.g. the
    /// loss per training iteration). Keys: letters, digits, <c>_ - . / space</c>, up to 250 characters.
    /// </summary>
    public void LogMetric(string key, double value, long step = 0) => Track(t => t.LogMetric(key, value, step));

    /// <summary>
    /// Reports a dataset this target read as an MLflow dataset input: its <paramref name="digest"/> (up to 36
    /// characters), where it came from (<paramref name="source"/>: a path or URI), optionally its schema and profile
    /// as JSON, and its role (<paramref name="context"/>: training, validation, testing or evaluation).
    /// </summary>
    public void LogDataset(string name, string digest, string source, string context = "training", string? schemaJson = null, string? profileJson = null) =>
        Track(t => t.LogDataset(new DatasetInput(
            new Dataset(name, digest, "local", System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, string> { ["uri"] = source }), schemaJson, profileJson),
            [new Tag("mlflow.data.context", context)])));

    /// <summary>Uploads this artefact (a file, or every file of a folder) to the target's MLflow run once the target succeeds.</summary>
    public void LogArtifact(Artifact artifact) => Track(t => t.LogArtifact(artifact));

    /// <summary>The model registry of the tracking store; null when tracking is off (<c>--tracking false</c>).</summary>
    public ModelRegistry? Registry => _tracker is null ? null : new ModelRegistry(_tracker.Session, _tracker);

    void Track(Action<TargetTracker> report)
    {
        if (_tracker is null) return;
        try
        {
            report(_tracker);
        }
        catch (TrackingException e)
        {
            // A key or value MLflow would refuse is a mistake in the pipeline's code: say so where it happened.
            throw new ArgumentException(e.Message, e);
        }
    }

    public void Debug(string message) => _log.Write(LogLevel.Debug, message);

    public void Info(string message) => _log.Write(LogLevel.Info, message);

    public void Warn(string message) => _log.Write(LogLevel.Warning, message);

    public void Error(string message) => _log.Write(LogLevel.Error, message);
}
