using System.Text.Json;

namespace MlOps.Pipelines.Caching;

/// <summary>
/// Cache entries: one JSON trace per (target, key) under <c>.nuke/cache/entries/&lt;target&gt;/</c>. An entry is
/// written only after all its objects are stored, and atomically, so a killed build never leaves one that
/// looks valid. The file's modification time records when it was last used (for pruning).
/// </summary>
sealed class TraceStore(string directory)
{
    static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public string Directory { get; } = directory;

    string FolderOf(string target) => Path.Combine(Directory, target.Replace(':', '.'));

    public void Save(Trace trace) =>
        AtomicFile.WriteAllText(Path.Combine(FolderOf(trace.Target), trace.Key + ".json"), JsonSerializer.Serialize(trace, Json));

    /// <summary>The target's entries, most recently used first. Unreadable entries are ignored (and removed).</summary>
    public IReadOnlyList<Trace> Load(string target)
    {
        var folder = FolderOf(target);
        if (!System.IO.Directory.Exists(folder)) return [];
        var result = new List<(DateTime Used, Trace Trace)>();
        foreach (var file in System.IO.Directory.GetFiles(folder, "*.json"))
        {
            try
            {
                var trace = JsonSerializer.Deserialize<Trace>(File.ReadAllText(file), Json);
                if (trace is { IsComplete: true } && trace.Target == target && trace.Key + ".json" == Path.GetFileName(file))
                    result.Add((File.GetLastWriteTimeUtc(file), trace));
                else File.Delete(file);
            }
            catch (JsonException)
            {
                File.Delete(file);
            }
        }
        return [.. result.OrderByDescending(r => r.Used).Select(r => r.Trace)];
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
