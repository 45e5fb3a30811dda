using System.Text;
using System.Text.Json;
using MlOps.Pipelines.Discovery;

namespace MlOps.Pipelines.Caching;

/// <summary>
/// <c>pipelines/&lt;Name&gt;/&lt;Name&gt;.lock.json</c>: for every cached target, its key and what it read and wrote,
/// with hashes. Meant to be committed: ordinal ordering, one line per value, no times or run ids, so the
/// same inputs give the same bytes and two changes to different targets merge cleanly.
/// </summary>
static class LockFile
{
    public static AbsolutePath PathFor(PipelineModel pipeline)
    {
        var root = pipeline.Instance.RootDirectory;
        var folder = root / "pipelines" / pipeline.Name;
        return Directory.Exists(folder) ? folder / $"{pipeline.Name}.lock.json" : root / ".nuke" / $"{pipeline.Name}.lock.json";
    }

    /// <summary>Updates the entries of <paramref name="traces"/>'s targets and keeps the others; writes only on change.</summary>
    public static void Update(PipelineModel pipeline, IReadOnlyDictionary<TargetModel, Trace> traces, Output.SecretMasker masker)
    {
        if (traces.Count == 0) return;
        var path = PathFor(pipeline);
        var entries = Read(path);
        foreach (var (target, trace) in traces) entries[target.Name] = Entry(trace, target);
        foreach (var name in entries.Keys.Where(n => pipeline.Targets.All(t => t.Name != n || !t.IsCacheable)).ToList()) entries.Remove(name);

        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            json.WriteString("pipeline", pipeline.Name);
            json.WriteStartObject("targets");
            foreach (var (name, entry) in entries.OrderBy(e => e.Key, StringComparer.Ordinal))
            {
                json.WritePropertyName(name);
                entry.WriteTo(json);
            }
            json.WriteEndObject();
            json.WriteEndObject();
        }
        // Committed to git: a secret in a path a target read must not land there either.
        var text = masker.Apply(Encoding.UTF8.GetString(stream.ToArray()).ReplaceLineEndings("\n") + "\n");
        if (File.Exists(path) && File.ReadAllText(path) == text) return;
        AtomicFile.WriteAllText(path, text);
    }

    static Dictionary<string, JsonElement> Read(string path)
    {
        if (!File.Exists(path)) return new(StringComparer.Ordinal);
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllText(path));
            return document.RootElement.GetProperty("targets").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.Clone(), StringComparer.Ordinal);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return new(StringComparer.Ordinal); // a conflicted or hand-broken lock file is rewritten from this run
        }
    }

    static JsonElement Entry(Trace trace, TargetModel target)
    {
        // A secret is written as "(secret)", and the key is that of the trace so shown: the cache's own key of a
        // target that reads a secret is a keyed hash that differs per clone, and would let a committed file confirm
        // a guessed secret if it were a plain one.
        var secrets = target.Pipeline.Parameters.Where(p => p.IsSecret).Select(p => p.MemberName).ToHashSet(StringComparer.Ordinal);
        var shown = trace with
        {
            Parameters = new SortedDictionary<string, string>(
                trace.Parameters.ToDictionary(p => p.Key, p => secrets.Contains(p.Key) ? "(secret)" : p.Value), StringComparer.Ordinal),
        };
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream))
        {
            json.WriteStartObject();
            json.WriteString("key", shown.Key);
            json.WriteString("code", trace.Code);
            Map(json, "libraries", trace.Libraries);
            if (trace.Version is not null) json.WriteString("version", trace.Version);
            Map(json, "parameters", shown.Parameters);
            Map(json, "files", trace.Files);
            Map(json, "consumed", trace.Consumed);
            Map(json, "outputs", trace.Outputs.ToDictionary(o => o.Key, o => o.Value.Hash));
            json.WriteEndObject();
        }
        using var document = JsonDocument.Parse(stream.ToArray());
        return document.RootElement.Clone();
    }

    static void Map(Utf8JsonWriter json, string name, IDictionary<string, string> values)
    {
        json.WriteStartObject(name);
        foreach (var (key, value) in Trace.Ordered(values)) json.WriteString(key, value);
        json.WriteEndObject();
    }
}
