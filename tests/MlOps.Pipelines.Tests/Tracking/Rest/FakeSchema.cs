using System.Buffers;
using System.Globalization;
using System.Text.Json;

namespace MlOps.Pipelines.Tests.Tracking.Rest;

enum FieldKind { String, Int64, Double, Bool, Strings, Object, Objects }

enum Need
{
    Optional,
    /// <summary>Must be sent; a string may be "" (param and tag values).</summary>
    Present,
    /// <summary>Must be sent; "" counts as missing (MLflow's <c>x != ""</c> check).</summary>
    Required,
}

/// <summary>One request field of an endpoint, as the fake validates it: strictly (no numeric strings, no nulls, no unknown fields).</summary>
sealed record Field(string Name, FieldKind Kind, Need Need = Need.Optional, Field[]? Children = null)
{
    public static Field Str(string name, Need need = Need.Optional) => new(name, FieldKind.String, need);
    public static Field Int(string name, Need need = Need.Optional) => new(name, FieldKind.Int64, need);
    public static Field Dbl(string name, Need need = Need.Optional) => new(name, FieldKind.Double, need);
    public static Field Strs(string name) => new(name, FieldKind.Strings);
    public static Field Obj(string name, Need need, params Field[] children) => new(name, FieldKind.Object, need, children);
    public static Field Objs(string name, params Field[] children) => new(name, FieldKind.Objects, Need.Optional, children);

    public static readonly Field[] KeyValue = [Str("key", Need.Required), Str("value", Need.Present)];
}

static class FakeSchema
{
    /// <summary>Checks a JSON body against the fields: an object, only known fields, the right types, required ones present.</summary>
    public static void Validate(JsonElement body, IReadOnlyList<Field> fields, string prefix = "")
    {
        if (body.ValueKind != JsonValueKind.Object)
            throw FakeMlflowError.Invalid($"Invalid value for '{(prefix.Length == 0 ? "request body" : prefix)}': expected a JSON object.");
        foreach (var property in body.EnumerateObject())
        {
            // Real MLflow silently ignores unknown fields; the fake rejects them so that a misspelt field is caught.
            var field = fields.FirstOrDefault(f => f.Name == property.Name)
                ?? throw FakeMlflowError.Invalid($"Unknown field '{prefix}{property.Name}' (the fake server rejects fields MLflow does not define for this endpoint).");
            CheckType(property.Value, field, prefix + field.Name);
        }
        foreach (var field in fields)
        {
            var present = body.TryGetProperty(field.Name, out var value);
            if (field.Need == Need.Optional) continue;
            if (!present || (field.Need == Need.Required && value.ValueKind == JsonValueKind.String && value.GetString()!.Length == 0))
                throw FakeMlflowError.Invalid($"Missing value for required parameter '{prefix}{field.Name}'. See the API docs for more information about request parameters.");
        }
    }

    static void CheckType(JsonElement value, Field field, string path)
    {
        var ok = field.Kind switch
        {
            FieldKind.String => value.ValueKind == JsonValueKind.String,
            FieldKind.Int64 => value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out _),
            FieldKind.Double => value.ValueKind == JsonValueKind.Number
                || (value.ValueKind == JsonValueKind.String && value.GetString() is "NaN" or "Infinity" or "-Infinity"),
            FieldKind.Bool => value.ValueKind is JsonValueKind.True or JsonValueKind.False,
            FieldKind.Strings => value.ValueKind == JsonValueKind.Array && value.EnumerateArray().All(v => v.ValueKind == JsonValueKind.String),
            FieldKind.Object => value.ValueKind == JsonValueKind.Object,
            FieldKind.Objects => value.ValueKind == JsonValueKind.Array,
            _ => false,
        };
        if (!ok) throw FakeMlflowError.Invalid($"Invalid value {value.GetRawText()} for parameter '{path}' supplied: expected {field.Kind}.");
        if (field.Kind == FieldKind.Object) Validate(value, field.Children!, path + ".");
        if (field.Kind == FieldKind.Objects)
        {
            var index = 0;
            foreach (var item in value.EnumerateArray()) Validate(item, field.Children!, $"{path}[{index++}].");
        }
    }

    /// <summary>A GET request's query parameters as the JSON message they stand for (repeated keys only for repeated fields).</summary>
    public static JsonElement FromQuery(IReadOnlyList<KeyValuePair<string, string>> query, IReadOnlyList<Field> fields)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            foreach (var group in query.GroupBy(p => p.Key, StringComparer.Ordinal))
            {
                var field = fields.FirstOrDefault(f => f.Name == group.Key)
                    ?? throw FakeMlflowError.Invalid($"Unknown query parameter '{group.Key}' (the fake server rejects fields MLflow does not define for this endpoint).");
                var values = group.Select(p => p.Value).ToList();
                if (field.Kind != FieldKind.Strings && values.Count > 1)
                    throw FakeMlflowError.Invalid($"Query parameter '{field.Name}' is not repeated but was given {values.Count} times.");
                switch (field.Kind)
                {
                    case FieldKind.String:
                        writer.WriteString(field.Name, values[0]);
                        break;
                    case FieldKind.Int64:
                        if (!long.TryParse(values[0], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number))
                            throw FakeMlflowError.Invalid($"Invalid value \"{values[0]}\" for parameter '{field.Name}' supplied: expected an integer.");
                        writer.WriteNumber(field.Name, number);
                        break;
                    case FieldKind.Bool:
                        writer.WriteBoolean(field.Name, values[0] switch
                        {
                            "true" => true,
                            "false" => false,
                            _ => throw FakeMlflowError.Invalid($"Invalid value \"{values[0]}\" for parameter '{field.Name}' supplied: expected true or false."),
                        });
                        break;
                    case FieldKind.Strings:
                        writer.WriteStartArray(field.Name);
                        foreach (var value in values) writer.WriteStringValue(value);
                        writer.WriteEndArray();
                        break;
                    default:
                        throw new InvalidOperationException($"Field {field.Name} cannot be a query parameter.");
                }
            }
            writer.WriteEndObject();
        }
        using var document = JsonDocument.Parse(buffer.WrittenMemory);
        var root = document.RootElement.Clone();
        Validate(root, fields);
        return root;
    }
}

/// <summary>Reading validated request fields.</summary>
static class Req
{
    public static string? Str(this JsonElement body, string name) =>
        body.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    public static long? Long(this JsonElement body, string name) =>
        body.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number ? value.GetInt64() : null;

    public static double Dbl(this JsonElement body, string name)
    {
        var value = body.GetProperty(name);
        return value.ValueKind == JsonValueKind.Number ? value.GetDouble() : value.GetString() switch
        {
            "NaN" => double.NaN,
            "Infinity" => double.PositiveInfinity,
            _ => double.NegativeInfinity,
        };
    }

    public static IEnumerable<JsonElement> Items(this JsonElement body, string name) =>
        body.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Array ? value.EnumerateArray() : [];

    public static List<KeyValuePair<string, string>> KeyValues(this JsonElement body, string name) =>
        [.. body.Items(name).Select(t => KeyValuePair.Create(t.Str("key")!, t.Str("value")!))];
}
