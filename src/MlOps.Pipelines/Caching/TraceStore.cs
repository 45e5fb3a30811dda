using System.Text.Json;

namespace MlOps.Pipelines.Caching;

/// <summary>
/// Cache entries: one JSON trace per (target, key) under <c>.nuke/cache/entries/&lt;target&gt;/</c>. An entry is
/// written only after all its objects are stored, and atomically, so a killed build never leaves one that
/// looks valid. The file's modification time records when it was last used (for pruning). An entry file that is
/// damaged (unreadable, incomplete, or not matching its name) is reported through <paramref name="warn"/> and removed.
/// </summary>
sealed class TraceStore(string directory, Action<string> warn)
{
    static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public string Directory { get; } = directory;

    string FolderOf(string target) => Path.Combine(Directory, target.Replace(':', '.'));

    public void Save(Trace trace) =>
        AtomicFile.WriteAllText(Path.Combine(FolderOf(trace.Target), trace.Key + ".json"), JsonSerializer.Serialize(trace, Json));

    /// <summary>The target's entries, most recently used first, and how many damaged ones were evicted.</summary>
    public (IReadOnlyList<Trace> Traces, int Evicted) Load(string target)
    {
        var folder = FolderOf(target);
        if (!System.IO.Directory.Exists(folder)) return ([], 0);
        var result = new List<(DateTime Used, Trace Trace)>();
        var evicted = 0;
        foreach (var file in System.IO.Directory.GetFiles(folder, "*.json"))
        {
            string? damage;
            Trace? trace = null;
            try
            {
                trace = JsonSerializer.Deserialize<Trace>(File.ReadAllText(file), Json);
                damage = trace is not { IsComplete: true } ? "fields are missing"
                    : trace.Target != target ? $"it belongs to target {trace.Target}"
                    : trace.Key + ".json" != Path.GetFileName(file) ? "its content does not match its name"
                    : null;
            }
            catch (JsonException e)
            {
                damage = $"not valid JSON: {e.Message}";
            }
            catch (FileNotFoundException)
            {
                continue; // evicted or pruned by another build since the listing
            }
            if (damage is null)
            {
                result.Add((File.GetLastWriteTimeUtc(file), trace!));
                continue;
            }
            File.Delete(file);
            evicted++;
            warn($"cache entry {Path.GetRelativePath(Path.GetFullPath(Path.Combine(Directory, "..", "..", "..")), file)} is damaged ({damage}); it was evicted");
        }
        return ([.. result.OrderByDescending(r => r.Used).Select(r => r.Trace)], evicted);
    }

    public void Touch(Trace trace)
    {
        var path = Path.Combine(FolderOf(trace.Target), trace.Key + ".json");
        if (File.Exists(path)) File.SetLastWriteTimeUtc(path, DateTime.UtcNow);
    }

    public void Delete(Trace trace) => File.Delete(Path.Combine(FolderOf(trace.Target), trace.Key + ".json"));

    /// <summary>Every entry file with its last use, for pruning and statistics.</summary>
    public IEnumerable<(string Path, DateTime Used, Trace Trace)> All()
    {
        if (!System.IO.Directory.Exists(Directory)) yield break;
        foreach (var file in System.IO.Directory.GetFiles(Directory, "*.json", SearchOption.AllDirectories))
        {
            Trace? trace;
            try { trace = JsonSerializer.Deserialize<Trace>(File.ReadAllText(file), Json); }
            catch (JsonException) { continue; }
            if (trace is { IsComplete: true }) yield return (file, File.GetLastWriteTimeUtc(file), trace);
        }
    }
}
