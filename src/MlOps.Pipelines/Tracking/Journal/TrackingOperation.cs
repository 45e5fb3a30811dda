using System.Text.Json.Serialization;

namespace MlOps.Pipelines.Tracking;

/// <summary>
/// One thing to tell the tracking store, written to the journal before it is sent. Runs are named by keys this
/// tool chooses (the invocation's id, "invocation/target"), never by the ids a server hands out, so a journal can
/// be replayed against a server that never saw it, or saw part of it.
/// </summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "op")]
[JsonDerivedType(typeof(StartRun), "start-run")]
[JsonDerivedType(typeof(LogBatch), "log-batch")]
[JsonDerivedType(typeof(LogInputs), "log-inputs")]
[JsonDerivedType(typeof(LogArtifact), "log-artifact")]
[JsonDerivedType(typeof(EndRun), "end-run")]
[JsonDerivedType(typeof(RegisterVersion), "register-version")]
[JsonDerivedType(typeof(SetAlias), "set-alias")]
[JsonDerivedType(typeof(DeleteAlias), "delete-alias")]
[JsonDerivedType(typeof(TagRunId), "tag-run-id")]
[JsonDerivedType(typeof(LogModel), "log-model")]
internal abstract record TrackingOperation
{
    /// <summary>Position in its journal, from 1.</summary>
    public long Sequence { get; init; }
}

/// <summary>A run in the named experiment (created when missing), a child of <see cref="ParentRunKey"/> when given.</summary>
internal sealed record StartRun(string RunKey, string Experiment, string RunName, long StartTime, IReadOnlyList<Tag> Tags, string? ParentRunKey) : TrackingOperation;

internal sealed record LogBatch(string RunKey, IReadOnlyList<Metric> Metrics, IReadOnlyList<Param> Params, IReadOnlyList<Tag> Tags) : TrackingOperation;

internal sealed record LogInputs(string RunKey, IReadOnlyList<DatasetInput> Datasets) : TrackingOperation;

/// <summary>A file kept in the journal's own folder (<see cref="StoredFile"/>, relative to it) until it is uploaded.</summary>
internal sealed record LogArtifact(string RunKey, string StoredFile, string ArtifactPath) : TrackingOperation;

internal sealed record EndRun(string RunKey, RunStatus Status, long EndTime) : TrackingOperation;

/// <summary>
/// A new version of <see cref="Model"/> from the run's artefact folder, tagged so a replay can find it again.
/// <see cref="ContentSha256"/> identifies the folder's files: a version with the same content is not registered twice
/// (null in journals written before it existed).
/// </summary>
internal sealed record RegisterVersion(string Model, string RunKey, string ArtifactPath, IReadOnlyList<Tag> Tags, IReadOnlyList<string> Aliases, string? ContentSha256 = null) : TrackingOperation;

/// <summary>Points an alias at a version that already exists (e.g. a rollback).</summary>
internal sealed record SetAlias(string Model, string Alias, string Version) : TrackingOperation;

internal sealed record DeleteAlias(string Model, string Alias) : TrackingOperation;

/// <summary>
/// Sets tag <see cref="Key"/> of run <see cref="RunKey"/> to the store's id of another run, known by its run key
/// (<see cref="OtherRunKey"/>, in experiment <see cref="Experiment"/>; an earlier invocation's run, say): the id is only
/// known to the store, so it is looked up when sent.
/// </summary>
internal sealed record TagRunId(string RunKey, string Key, string Experiment, string OtherRunKey) : TrackingOperation;

/// <summary>
/// A model folder's MLmodel (kept in the journal as <see cref="StoredFile"/>), uploaded to <see cref="ArtifactPath"/>/MLmodel
/// stamped with the run's id and <see cref="LoggedAt"/>, then recorded with log-model (see <see cref="LoggedModel"/>).
/// </summary>
internal sealed record LogModel(string RunKey, string StoredFile, string ArtifactPath, long LoggedAt) : TrackingOperation;
