using System.Buffers;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace MlOps.Pipelines.Tracking.Rest;

/// <summary>
/// MLflow's JSON conventions (spec §1): snake_case proto names, int64 as numbers, non-finite doubles as the strings
/// "NaN", "Infinity", "-Infinity", absent fields meaning empty/default.
/// </summary>
internal static class MlflowJson
{
    public static byte[] Body(Action<Utf8JsonWriter> writeProperties)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        // Relaxed escaping: non-ASCII text is sent as UTF-8, not as 6-byte \u escapes (the body must stay under 1 MB).
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            writer.WriteStartObject();
            writeProperties(writer);
            writer.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    public static void WriteDouble(this Utf8JsonWriter writer, string name, double value)
    {
        if (double.IsFinite(value)) writer.WriteNumber(name, value);
        else writer.WriteString(name, FormatNonFinite(value));
    }

    public static string FormatNonFinite(double value) =>
        double.IsNaN(value) ? "NaN" : double.IsPositiveInfinity(value) ? "Infinity" : "-Infinity";

    /// <summary>Writes <c>name: [{key, value}, ...]</c>, or nothing when the list is empty (as MLflow omits empty repeated fields).</summary>
    public static void WriteKeyValues<T>(this Utf8JsonWriter writer, string name, IReadOnlyList<T> items, Func<T, (string Key, string Value)> pair)
    {
        if (items.Count == 0) return;
        writer.WriteStartArray(name);
        foreach (var item in items)
        {
            var (key, value) = pair(item);
            writer.WriteStartObject();
            writer.WriteString("key", key);
            writer.WriteString("value", value);
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
    }

    public static void WriteTags(this Utf8JsonWriter writer, string name, IReadOnlyList<Tag> tags) =>
        writer.WriteKeyValues(name, tags, t => (t.Key, t.Value));

    // Reading. A field of the wrong type means the answer is not MLflow's: InvalidResponse, never a silent default.

    public static string String(JsonElement obj, string name)
    {
        if (!obj.TryGetProperty(name, out var value)) return "";
        return value.ValueKind switch
        {
            JsonValueKind.String => value.GetString()!,
            JsonValueKind.Null => "",
            _ => throw InvalidField(name, value, "a string"),
        };
    }

    public static string? OptionalString(JsonElement obj, string name) => String(obj, name) is { Length: > 0 } text ? text : null;

    public static long Int64(JsonElement obj, string name) => OptionalInt64(obj, name) ?? 0;

    public static long? OptionalInt64(JsonElement obj, string name)
    {
        if (!obj.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null) return null;
        if (value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var number)) return number;
        // Protobuf's own JSON encodes int64 as strings; MLflow converts them, but accept both.
        if (value.ValueKind == JsonValueKind.String && long.TryParse(value.GetString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out number)) return number;
        throw InvalidField(name, value, "an integer");
    }

    public static double Double(JsonElement obj, string name)
    {
        if (!obj.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null) return 0;
        if (value.ValueKind == JsonValueKind.Number) return value.GetDouble();
        if (value.ValueKind == JsonValueKind.String)
        {
            var text = value.GetString();
            switch (text)
            {
                case "NaN": return double.NaN;
                case "Infinity": return double.PositiveInfinity;
                case "-Infinity": return double.NegativeInfinity;
            }
            if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number)) return number;
        }
        throw InvalidField(name, value, "a number");
    }

    public static bool Bool(JsonElement obj, string name)
    {
        if (!obj.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null) return false;
        return value.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw InvalidField(name, value, "a boolean"),
        };
    }

    /// <summary>The object field, or an empty object when absent.</summary>
    public static JsonElement Object(JsonElement obj, string name)
    {
        if (!obj.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null) return Empty;
        return value.ValueKind == JsonValueKind.Object ? value : throw InvalidField(name, value, "an object");
    }

    /// <summary>The array's items, or none when absent.</summary>
    public static IEnumerable<JsonElement> Array(JsonElement obj, string name)
    {
        if (!obj.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null) return [];
        return value.ValueKind == JsonValueKind.Array ? value.EnumerateArray() : throw InvalidField(name, value, "an array");
    }

    public static IReadOnlyList<Tag> Tags(JsonElement obj, string name) =>
        [.. Array(obj, name).Select(t => new Tag(String(t, "key"), String(t, "value")))];

    public static JsonElement Empty { get; } = JsonDocument.Parse("{}").RootElement.Clone();

    public static TrackingException InvalidResponse(string message) =>
        // A server that answers 200 with something that is not MLflow's JSON: not transient.
        new("INTERNAL_ERROR", "The tracking server's answer is not valid MLflow JSON: " + message, 200);

    static TrackingException InvalidField(string name, JsonElement value, string expected) =>
        InvalidResponse($"field '{name}' is {value.ValueKind.ToString().ToLowerInvariant()}, expected {expected}.");
}
