using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using MlOps.Pipelines.Tracking.Local;

namespace MlOps.Pipelines.Tracking;

/// <summary>
/// The copy of a model package that goes to MLflow. The package itself is content-only (no run, a fixed creation
/// time), so it is reproducible and cacheable; the copy a run logs says which run logged it and when, as MLflow's
/// own <c>log_model</c> writes it (mlflow-compat.md §7): its MLmodel gets <c>run_id</c>, <c>utc_time_created</c> and the
/// <c>artifact_path</c> it was uploaded to, and the same document, as JSON, is what <c>log-model</c> records.
/// </summary>
internal static class LoggedModel
{
    public const string FileName = "MLmodel";
    public const string HistoryTag = "mlflow.log-model.history";
    static readonly string[] Required = ["artifact_path", "flavors", "utc_time_created", "run_id"];
    static readonly JsonSerializerOptions Relaxed = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>
    /// The MLmodel text with the three keys set (other lines untouched, byte for byte) and its JSON document.
    /// The keys are top-level lines of a sorted block mapping (PyYAML's safe_dump), so each is replaced, or inserted
    /// in sorted place, as a whole line.
    /// </summary>
    public static (string MlModel, string Json) Stamp(string mlmodel, string runId, string artifactPath, long loggedAt)
    {
        var values = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["artifact_path"] = Scalar(artifactPath),
            ["run_id"] = Scalar(runId),
            ["utc_time_created"] = "'" + PythonUtcTime(loggedAt) + "'",
        };
        var lines = mlmodel.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n').ToList();
        var output = new StringBuilder();
        var pending = new Queue<KeyValuePair<string, string>>(values);
        var skipping = false;
        foreach (var line in lines.Take(lines.Count - (lines[^1].Length == 0 ? 1 : 0)))
        {
            var key = TopLevelKey(line);
            if (key is null)
            {
                if (!skipping) output.Append(line).Append('\n');
                continue;
            }
            while (pending.Count > 0 && string.CompareOrdinal(pending.Peek().Key, key) < 0) Append(output, pending.Dequeue());
            skipping = values.ContainsKey(key);
            if (skipping)
            {
                if (pending.Count > 0 && pending.Peek().Key == key) Append(output, pending.Dequeue());
                continue;
            }
            output.Append(line).Append('\n');
        }
        while (pending.Count > 0) Append(output, pending.Dequeue());
        var text = output.ToString();
        return (text, Serialize(ToJson(PyYamlReader.Read(text))));

        static void Append(StringBuilder output, KeyValuePair<string, string> pair) => output.Append(pair.Key).Append(": ").Append(pair.Value).Append('\n');
    }

    /// <summary>A key at the start of a line ("key: value" or "key:"), or null for indented, list and blank lines.</summary>
    static string? TopLevelKey(string line)
    {
        if (line.Length == 0 || line[0] is ' ' or '-' or '#' or '\'' or '"') return null;
        var colon = line.IndexOf(": ", StringComparison.Ordinal);
        if (colon < 0 && line.EndsWith(':')) colon = line.Length - 1;
        return colon > 0 ? line[..colon] : null;
    }

    /// <summary>A value PyYAML would write plain, or single-quoted when plain would read back as something else.</summary>
    static string Scalar(string value) =>
        PyYamlWriter.ResolvesToString(value) && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '/' or '.')
            ? value
            : "'" + value.Replace("'", "''", StringComparison.Ordinal) + "'";

    /// <summary>Python's <c>str(datetime)</c> of a naive UTC time: microseconds, none when they are zero.</summary>
    internal static string PythonUtcTime(long unixMilliseconds)
    {
        var time = DateTimeOffset.FromUnixTimeMilliseconds(unixMilliseconds).UtcDateTime;
        var text = time.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
        return time.Millisecond == 0 ? text : text + "." + (time.Millisecond * 1000).ToString("000000", CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// The YAML tree as JSON, as MLflow's <c>Model.to_json</c> gives it: plain integers and booleans become JSON
    /// numbers and booleans (the reader keeps every scalar as text; MLmodel's quoted strings are never numeric).
    /// </summary>
    static JsonNode? ToJson(object? value) => value switch
    {
        null => null,
        Dictionary<string, object?> mapping => new JsonObject(mapping.Select(p => KeyValuePair.Create(p.Key, ToJson(p.Value)))),
        List<object?> items => new JsonArray([.. items.Select(ToJson)]),
        string text when long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number) => JsonValue.Create(number),
        "true" => JsonValue.Create(true),
        "false" => JsonValue.Create(false),
        string text => JsonValue.Create(text),
        _ => JsonValue.Create(value.ToString()),
    };

    /// <summary>Python's <c>json.dumps</c> layout (", " and ": " separators), as the history tag holds it.</summary>
    public static string Serialize(JsonNode? node)
    {
        var text = new StringBuilder();
        Write(node);
        return text.ToString();

        void Write(JsonNode? n)
        {
            switch (n)
            {
                case JsonObject o:
                    text.Append('{');
                    var first = true;
                    foreach (var (key, item) in o)
                    {
                        if (!first) text.Append(", ");
                        first = false;
                        text.Append(JsonSerializer.Serialize(key, Relaxed)).Append(": ");
                        Write(item);
                    }
                    text.Append('}');
                    break;
                case JsonArray a:
                    text.Append('[');
                    for (var i = 0; i < a.Count; i++)
                    {
                        if (i > 0) text.Append(", ");
                        Write(a[i]);
                    }
                    text.Append(']');
                    break;
                default:
                    text.Append(n is null ? "null" : n.ToJsonString(Relaxed));
                    break;
            }
        }
    }

    /// <summary>Whether the run's history tag already holds <paramref name="modelJson"/> (same artifact path, run and time).</summary>
    public static bool IsRecorded(IReadOnlyList<Tag> tags, string modelJson)
    {
        var model = Validate(modelJson);
        if (tags.LastOrDefault(t => t.Key == HistoryTag)?.Value is not { } history) return false;
        try
        {
            return JsonNode.Parse(history) is JsonArray entries && entries.OfType<JsonObject>().Any(e =>
                Required.Where(k => k != "flavors").All(k => JsonNode.DeepEquals(e[k], model[k])));
        }
        catch (JsonException)
        {
            return false; // not a history we can read: record ours
        }
    }

    /// <summary>The model document, checked as MLflow's handler checks it: a JSON object with the required keys.</summary>
    public static JsonObject Validate(string modelJson)
    {
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(modelJson);
        }
        catch (JsonException e)
        {
            throw TrackingLimits.Invalid($"Malformed model info. {e.Message}");
        }
        if (node is not JsonObject model) throw TrackingLimits.Invalid("Malformed model info: not a JSON object.");
        var missing = Required.Where(k => !model.ContainsKey(k)).ToList();
        if (missing.Count > 0) throw TrackingLimits.Invalid($"Model json is missing mandatory fields: [{string.Join(", ", missing.Select(k => $"'{k}'"))}]");
        return model;
    }
}
