using System.Reflection;
using MlOps.Pipelines.Artifacts;
using MlOps.Pipelines.Discovery;

namespace MlOps.Pipelines.Caching;

/// <summary>
/// The incremental-build cache of one repository (<c>.nuke/cache/</c>): finds a stored trace whose inputs all
/// still match, restores its outputs, explains a miss, and stores what a successful run produced.
/// </summary>
sealed class BuildCache
{
    readonly AbsolutePath _root;
    readonly Dictionary<TargetModel, CodeOfTarget> _code = [];

    /// <summary>A target's code fingerprint, the libraries it calls, and the parameters it reads.</summary>
    public sealed record CodeOfTarget(string Hash, SortedDictionary<string, string> Libraries, IReadOnlyList<ParameterModel> Parameters);
    readonly Lock _lock = new();

    readonly Action<string> _warn;

    /// <param name="root">The repository root.</param>
    /// <param name="masker">The invocation's secrets: an entry that would hold one is not stored.</param>
    /// <param name="warn">Where damaged entries and entries left out are reported.</param>
    public BuildCache(AbsolutePath root, Output.SecretMasker? masker = null, Action<string>? warn = null)
    {
        _root = root;
        _warn = warn ?? (_ => { });
        Masker = masker ?? new Output.SecretMasker();
        Directory = root / ".nuke" / "cache";
        Hasher = new FileHasher(Directory / "file-hashes.tsv");
        Objects = new ObjectStore(Directory / "objects", Hasher);
        Traces = new TraceStore(Directory / "entries", _warn);
        SecretKey = new SecretKey(Directory / "secret.key");
    }

    public AbsolutePath Directory { get; }

    /// <summary>The cache's <see cref="WorkspaceLock"/>: shared by builds, exclusive for pruning.</summary>
    public string LockPath => Directory / "lock";
    public FileHasher Hasher { get; }
    public ObjectStore Objects { get; }
    public TraceStore Traces { get; }
    public SecretKey SecretKey { get; }
    public Output.SecretMasker Masker { get; }

    /// <summary>The fingerprint of the target's code and the parameters that code reads (computed once per run).</summary>
    public CodeOfTarget CodeOf(TargetModel target)
    {
        lock (_lock)
        {
            if (_code.TryGetValue(target, out var known)) return known;
            var parameters = target.Pipeline.Parameters.ToDictionary(p => p.Member);
            var walk = CodeFingerprint.Of(target.Definition.Code, new HashSet<MemberInfo>(parameters.Keys));
            var hash = walk.FieldsRead.Count == 0 ? walk.Hash : FileHasher.HashText(walk.Hash + "\n" + FieldValues(target.Pipeline.Instance, walk.FieldsRead));
            return _code[target] = new CodeOfTarget(hash, walk.Libraries,
                [.. walk.ParametersRead.Select(m => parameters[m]).OrderBy(p => p.MemberName, StringComparer.Ordinal)]);
        }
    }

    /// <summary>
    /// The values of the pipeline's own fields the code reads (artefact declarations, lookup tables): set by field
    /// initializers, they are code too. Values are written out; an object JSON cannot serialize counts by type only.
    /// </summary>
    string FieldValues(MlPipeline instance, IEnumerable<FieldInfo> fields)
    {
        var text = new System.Text.StringBuilder();
        foreach (var field in fields.Where(f => f.DeclaringType!.IsInstanceOfType(instance)).OrderBy(f => f.DeclaringType!.FullName, StringComparer.Ordinal).ThenBy(f => f.Name, StringComparer.Ordinal))
            text.Append(field.Name).Append('=').Append(Describe(field.GetValue(instance))).Append('\n');
        return text.ToString();

        string Describe(object? value) => value switch
        {
            null => "null",
            Artifact artifact => $"artifact {artifact.Name} {artifact.FileName} {artifact.IsDirectory} {artifact.GetType().FullName}",
            string or bool or Enum or AbsolutePath or IFormattable => Parameters.ValueConverter.Format(value, _root),
            System.Collections.IEnumerable items when items.GetType().IsArray || items is System.Collections.IList => "[" + string.Join(",", items.Cast<object?>().Select(Describe)) + "]",
            _ => Json(value),
        };

        static string Json(object value)
        {
            try { return value.GetType().FullName + " " + System.Text.Json.JsonSerializer.Serialize(value, value.GetType()); }
            catch (Exception e) when (e is NotSupportedException or InvalidOperationException or ArgumentException) { return "object " + value.GetType().FullName; }
        }
    }

    /// <summary>The current values of the parameters the target's code reads, as the trace records them.</summary>
    public SortedDictionary<string, string> ParameterValues(TargetModel target)
    {
        var values = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var parameter in CodeOf(target).Parameters)
        {
            var value = parameter.Get();
            var text = value is null ? "(unset)" : Parameters.ValueConverter.Format(value, _root);
            values[parameter.MemberName] = parameter.IsSecret ? SecretKey.Hash(text) : text;
        }
        return values;
    }

    /// <summary>
    /// The most recently used stored trace of <paramref name="target"/> whose every input still matches, or null
    /// with the reason the newest one does not.
    /// </summary>
    public (Trace? Hit, string Reason) Find(TargetModel target, Func<Artifact, string?> consumedHash)
    {
        var (traces, evicted) = Traces.Load(target.QualifiedName);
        if (traces.Count == 0) return (null, evicted > 0 ? "cache entry was damaged" : "no cache entry");
        var current = Current(target);
        string? newestDifference = null;
        foreach (var trace in traces)
        {
            var difference = Differences(trace, target, current, consumedHash).First();
            if (difference is null) return (trace, "");
            newestDifference ??= difference;
        }
        return (null, newestDifference!);
    }

    (CodeOfTarget Code, string? Version, SortedDictionary<string, string> Parameters) Current(TargetModel target) =>
        (CodeOf(target), target.Definition.VersionText, ParameterValues(target));

    /// <summary>Why <paramref name="trace"/> does not fit the current state, cheapest checks first (lazily).</summary>
    IEnumerable<string?> Differences(Trace trace, TargetModel target, (CodeOfTarget Code, string? Version, SortedDictionary<string, string> Parameters) current,
        Func<Artifact, string?> consumedHash)
    {
        if (trace.Code != current.Code.Hash) yield return $"code of {target.Name} changed";
        foreach (var (name, id) in current.Code.Libraries)
            if (trace.Libraries.GetValueOrDefault(name) != id) yield return $"library {name} changed";
        foreach (var name in trace.Libraries.Keys.Where(n => !current.Code.Libraries.ContainsKey(n)))
            yield return $"library {name} is no longer called";
        if (trace.Version != current.Version) yield return $"version changed {trace.Version ?? "(none)"} → {current.Version ?? "(none)"}";
        foreach (var (name, value) in current.Parameters)
        {
            if (!trace.Parameters.TryGetValue(name, out var before)) yield return $"parameter {name} is read now";
            else if (before != value)
                yield return value.StartsWith(SecretKey.Prefix, StringComparison.Ordinal) ? $"parameter {name} changed" : $"parameter {name} changed {before} → {value}";
        }
        foreach (var name in trace.Parameters.Keys.Where(n => !current.Parameters.ContainsKey(n)))
            yield return $"parameter {name} is no longer read";
        foreach (var (name, hash) in Trace.Ordered(trace.Consumed))
        {
            var artifact = target.Definition.Consumed.FirstOrDefault(a => a.Name == name);
            if (artifact is null) yield return $"artifact {name} is no longer consumed";
            else if ((consumedHash(artifact) ?? WorkspaceHash(target, artifact)) != hash) yield return $"artifact {name} changed";
        }
        foreach (var (path, hash) in Trace.Ordered(trace.Files))
        {
            var full = Path.IsPathRooted(path) ? path : Path.Combine(_root, path);
            var now = Hasher.HashDirectory(full) ?? Hasher.Hash(full);
            if (now is null) yield return $"{path} is gone";
            else if (now != hash) yield return $"{path} changed";
        }
        yield return null;
    }

    /// <summary>The hash of an artefact as it lies in <c>artifacts/</c> (its producer did not run in this invocation).</summary>
    public string? WorkspaceHash(TargetModel consumer, Artifact artifact)
    {
        var path = Path.Combine(consumer.Pipeline.Instance.ArtifactsDirectory, artifact.FileName);
        return artifact.IsDirectory ? Hasher.HashDirectory(path) : Hasher.Hash(path);
    }

    /// <summary>Puts the trace's outputs into <c>artifacts/</c>; false when an object turned out damaged (then evicted).</summary>
    public bool TryRestore(Trace trace, TargetModel target)
    {
        foreach (var artifact in target.Definition.Produced)
        {
            if (!trace.Outputs.TryGetValue(artifact.Name, out var output) ||
                !Objects.TryRestore(output.Hash, Path.Combine(target.Pipeline.Instance.ArtifactsDirectory, artifact.FileName), output.Directory))
            {
                Traces.Delete(trace);
                return false;
            }
        }
        Traces.Touch(trace);
        return true;
    }

    /// <summary>
    /// After a successful run: checks every declared artefact was saved, stores them as objects, moves them from
    /// staging into <c>artifacts/</c>, and (for a cacheable target) writes the trace last.
    /// </summary>
    public Trace Store(TargetFiles files, string runId)
    {
        var target = files.Target;
        var missing = target.Definition.Produced.Where(a => !files.Saved.Contains(a) || !Exists(files.StagingPath(a), a.IsDirectory)).ToList();
        if (missing.Count > 0)
            throw new InvalidOperationException($"Target '{target.DisplayName}' declares .Produces({string.Join(", ", missing.Select(a => a.Name))}) " +
                "but did not save it; call ctx.Save(...) or write it at ctx.PathOf(...).");

        var code = CodeOf(target);
        var parameters = ParameterValues(target);
        // What the entry would hold in the clear: a secret there (in a path read, a file name of a produced folder)
        // keeps the target out of the cache rather than writing it to disk.
        var leak = target.IsCacheable && !Masker.IsEmpty && (Masker.Finds(target.Definition.VersionText)
            || files.Files.Keys.Concat(files.Consumed.Keys).Concat(parameters.Values).Any(Masker.Finds)
            || target.Definition.Produced.Where(a => a.IsDirectory)
                .SelectMany(a => System.IO.Directory.EnumerateFiles(files.StagingPath(a), "*", SearchOption.AllDirectories)
                    .Select(f => Path.GetRelativePath(files.StagingPath(a), f)))
                .Any(Masker.Finds));
        if (leak)
            _warn($"{target.DisplayName} is not cached: its cache entry would contain a secret (in a path it read or a file name it wrote)");

        var outputs = new SortedDictionary<string, OutputRecord>(StringComparer.Ordinal);
        foreach (var artifact in target.Definition.Produced)
        {
            var staged = files.StagingPath(artifact);
            var hash = leak
                ? (artifact.IsDirectory ? Hasher.HashDirectory(staged) : Hasher.Hash(staged))!
                : Objects.Put(staged, artifact.IsDirectory);
            outputs[artifact.Name] = new OutputRecord(hash, artifact.IsDirectory);
            var destination = files.WorkspacePath(artifact);
            System.IO.Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
            if (artifact.IsDirectory) FileSystemNative.ReplaceDirectory(staged, destination);
            else File.Move(staged, destination, overwrite: true);
        }
        var trace = new Trace(target.QualifiedName, code.Hash, code.Libraries, target.Definition.VersionText, parameters,
            files.Files, files.Consumed, outputs, runId);
        if (target.IsCacheable && !leak) Traces.Save(trace);
        return trace;
    }

    static bool Exists(string path, bool isDirectory) => isDirectory ? System.IO.Directory.Exists(path) : File.Exists(path);
}
