using System.Text;

namespace MlOps.Pipelines.Caching;

/// <summary>An output of a run: the artefact's content hash and whether it is a folder.</summary>
sealed record OutputRecord(string Hash, bool Directory);

/// <summary>
/// What one execution of a target read and wrote: a verifying trace. The next run re-checks exactly these
/// inputs; when all still match, the outputs are restored instead of running the target.
/// </summary>
sealed record Trace(
    string Target,
    string Code,
    SortedDictionary<string, string> Libraries,
    string? Version,
    SortedDictionary<string, string> Parameters,
    SortedDictionary<string, string> Files,
    SortedDictionary<string, string> Consumed,
    SortedDictionary<string, OutputRecord> Outputs,
    string RunId)
{
    /// <summary>The cache key: the hash of everything read (not of what was written, nor when).</summary>
    public string Key
    {
        get
        {
            var text = new StringBuilder();
            text.Append("target\t").Append(Target).Append('\n');
            text.Append("code\t").Append(Code).Append('\n');
            foreach (var (name, id) in Ordered(Libraries)) text.Append("library\t").Append(name).Append('\t').Append(id).Append('\n');
            text.Append("version\t").Append(Version).Append('\n');
            foreach (var (name, value) in Ordered(Parameters)) text.Append("parameter\t").Append(name).Append('\t').Append(value).Append('\n');
            foreach (var (path, hash) in Ordered(Files)) text.Append("file\t").Append(path).Append('\t').Append(hash).Append('\n');
            foreach (var (name, hash) in Ordered(Consumed)) text.Append("artifact\t").Append(name).Append('\t').Append(hash).Append('\n');
            return FileHasher.HashText(text.ToString());
        }
    }

    /// <summary>False for an entry written by an older version or damaged by hand: such an entry is a miss.</summary>
    public bool IsComplete => Target is not null && Code is not null && Libraries is not null && Parameters is not null
        && Files is not null && Consumed is not null && Outputs is not null && Outputs.Values.All(o => o?.Hash is not null);

    /// <summary>Ordinal order, whatever comparer a deserialized dictionary came with.</summary>
    public static IEnumerable<KeyValuePair<string, T>> Ordered<T>(IDictionary<string, T> items) => items.OrderBy(p => p.Key, StringComparer.Ordinal);
}
