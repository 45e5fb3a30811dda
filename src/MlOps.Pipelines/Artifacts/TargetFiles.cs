using MlOps.Pipelines.Caching;
using MlOps.Pipelines.Discovery;

namespace MlOps.Pipelines.Artifacts;

/// <summary>
/// The files side of one target's execution: where its produced artefacts are staged until it succeeds, where
/// consumed ones are read, and the record of everything it read (files and artefacts, with their hashes) that
/// becomes its cache trace.
/// </summary>
sealed class TargetFiles(TargetModel target, string stagingDirectory, FileHasher hasher, Func<Artifact, string?> consumedHash)
{
    readonly Lock _lock = new();

    public TargetModel Target { get; } = target;
    public string StagingDirectory { get; } = stagingDirectory;
    public SortedDictionary<string, string> Files { get; } = new(StringComparer.Ordinal);
    public SortedDictionary<string, string> Consumed { get; } = new(StringComparer.Ordinal);
    public HashSet<Artifact> Saved { get; } = [];

    AbsolutePath Root => Target.Pipeline.Instance.RootDirectory;

    public string WorkspacePath(Artifact artifact) => Path.Combine(Target.Pipeline.Instance.ArtifactsDirectory, artifact.FileName);

    public string StagingPath(Artifact artifact) => Path.Combine(StagingDirectory, artifact.FileName);

    /// <summary>Records that the target read <paramref name="path"/>, with its content hash.</summary>
    public AbsolutePath Input(AbsolutePath path)
    {
        var display = Display(path);
        var hash = hasher.HashDirectory(path) ?? hasher.Hash(path) ?? throw new FileNotFoundException($"{display}: the file does not exist.");
        lock (_lock) Files[display] = hash;
        return path;
    }

    public string Consume(Artifact artifact)
    {
        if (!Target.Definition.Consumed.Contains(artifact))
            throw new InvalidOperationException($"Target '{Target.DisplayName}' reads artifact '{artifact.Name}' but does not declare .Consumes({artifact.Name}).");
        var path = WorkspacePath(artifact);
        var hash = consumedHash(artifact) ?? throw new FileNotFoundException($"Artifact '{artifact.Name}' ({Display(AbsolutePath.Create(path))}) does not exist; its producer has not run.");
        lock (_lock) Consumed[artifact.Name] = hash;
        return path;
    }

    public string Produce(Artifact artifact)
    {
        if (!Target.Definition.Produced.Contains(artifact))
            throw new InvalidOperationException($"Target '{Target.DisplayName}' writes artifact '{artifact.Name}' but does not declare .Produces({artifact.Name}).");
        lock (_lock) Saved.Add(artifact);
        var path = StagingPath(artifact);
        Directory.CreateDirectory(artifact.IsDirectory ? path : StagingDirectory);
        return path;
    }

    string Display(AbsolutePath path) =>
        ((string)path).StartsWith(Root + Path.DirectorySeparatorChar.ToString(), StringComparison.Ordinal) ? path.RelativeTo(Root) : path;
}
