using System.Globalization;
using System.Text.Json;

namespace MlOps.Pipelines.Caching;

/// <summary><c>--cache-info</c> and <c>--cache-prune</c>: what the cache holds, and dropping the least recently used.</summary>
static class CacheMaintenance
{
    public sealed record LastRun(string RunId, int Cacheable, int Cached, IReadOnlyList<string> Succeeded);

    public static IEnumerable<string> Info(BuildCache cache, LastRun? last)
    {
        var objects = cache.Objects.All().ToList();
        var entries = cache.Traces.All().ToList();
        yield return $"cache:    {cache.Directory}";
        yield return $"size:     {Size(objects.Sum(o => o.Size))} in {objects.Count:N0} objects";
        yield return $"entries:  {entries.Count:N0} (targets: {entries.Select(e => e.Trace.Target).Distinct().Count()})";
        yield return last is null
            ? "last run: none recorded"
            : $"last run: {last.RunId}: {last.Cached} of {last.Cacheable} cacheable targets restored from the cache" +
              (last.Cacheable > 0 ? $" (hit rate {last.Cached * 100.0 / last.Cacheable:F0}%)" : "");
    }

    /// <summary>
    /// Removes entries, least recently used first, until the objects they need fit in <paramref name="limit"/>
    /// bytes; then every object no entry needs, and stray temporary files. Returns what it did.
    /// </summary>
    public static IEnumerable<string> Prune(BuildCache cache, long limit)
    {
        var entries = cache.Traces.All().OrderByDescending(e => e.Used).ToList();
        var sizes = cache.Objects.All().ToDictionary(o => o.Hash, o => o.Size);
        var kept = new HashSet<string>();
        long keptSize = 0;
        int removedEntries = 0;
        foreach (var (path, _, trace) in entries)
        {
            var needed = trace.Outputs.Values.SelectMany(o => cache.Objects.Closure(o.Hash, o.Directory)).Where(h => !kept.Contains(h)).Distinct().ToList();
            var extra = needed.Sum(h => sizes.GetValueOrDefault(h));
            if (keptSize + extra <= limit)
            {
                kept.UnionWith(needed);
                keptSize += extra;
            }
            else
            {
                File.Delete(path);
                removedEntries++;
            }
        }
        var removedObjects = 0;
        long freed = 0;
        foreach (var (hash, size) in sizes.Where(o => !kept.Contains(o.Key)))
        {
            cache.Objects.Delete(hash);
            removedObjects++;
            freed += size;
        }
        foreach (var stray in Directory.Exists(cache.Directory)
            ? Directory.GetFiles(cache.Directory, "*.tmp", SearchOption.AllDirectories).Where(f => File.GetLastWriteTimeUtc(f) < DateTime.UtcNow.AddHours(-1))
            : [])
            File.Delete(stray);
        cache.Hasher.Save();
        yield return $"removed {removedEntries:N0} entries and {removedObjects:N0} objects ({Size(freed)}); kept {Size(keptSize)} (limit {Size(limit)})";
    }

    /// <summary>"500MB", "2G", "1.5GiB", "0" → bytes (powers of 1024).</summary>
    public static long ParseSize(string text)
    {
        var trimmed = text.Trim().ToUpperInvariant().Replace("IB", "", StringComparison.Ordinal).TrimEnd('B');
        var unit = trimmed.Length > 0 && char.IsLetter(trimmed[^1]) ? trimmed[^1] : ' ';
        var number = unit == ' ' ? trimmed : trimmed[..^1];
        var factor = unit switch { ' ' => 1L, 'K' => 1L << 10, 'M' => 1L << 20, 'G' => 1L << 30, 'T' => 1L << 40, _ => 0 };
        if (factor == 0 || !double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || value < 0)
            throw new FormatException($"'{text}' is not a size; expected a number with an optional unit, like 500MB or 2GB");
        return (long)(value * factor);
    }

    public static string Size(long bytes) => bytes switch
    {
        >= 1L << 30 => $"{bytes / (double)(1L << 30):F1} GB",
        >= 1L << 20 => $"{bytes / (double)(1L << 20):F1} MB",
        >= 1L << 10 => $"{bytes / (double)(1L << 10):F1} KB",
        _ => $"{bytes} B",
    };

    static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static LastRun? ReadLastRun(string path)
    {
        try
        {
            return File.Exists(path) ? JsonSerializer.Deserialize<LastRun>(File.ReadAllText(path), Json) : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public static void WriteLastRun(string path, LastRun run) => AtomicFile.WriteAllText(path, JsonSerializer.Serialize(run, Json));
}
