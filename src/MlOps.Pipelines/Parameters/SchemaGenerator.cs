using System.Text;
using System.Text.Json;
using MlOps.Pipelines.Discovery;

namespace MlOps.Pipelines.Parameters;

/// <summary>
/// Writes <c>.nuke/build.schema.json</c>: a JSON Schema of <c>parameters.json</c> (every parameter with its
/// type and description, target names for <c>Target</c> and <c>Skip</c>), so editors complete and check it.
/// </summary>
static class SchemaGenerator
{
    public static string Generate(IEnumerable<ParameterModel> parameters, IReadOnlyList<string> targetNames)
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteString("$schema", "http://json-schema.org/draft-07/schema#");
            json.WriteString("title", "MlOps.Pipelines parameters");
            json.WriteString("type", "object");
            json.WriteBoolean("additionalProperties", false);
            json.WriteStartObject("properties");
            json.WriteStartObject("$schema");
            json.WriteString("type", "string");
            json.WriteEndObject();
            var written = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            foreach (var parameter in parameters)
            {
                // Pipelines may share a parameter name; the first declaration describes it.
                if (!written.Add(parameter.MemberName)) continue;
                json.WriteStartObject(parameter.MemberName);
                var isTargetList = parameter.OwnerName is null && parameter.MemberName is "Target" or "Skip";
                WriteType(json, parameter.Type, isTargetList ? targetNames : null, parameter.Range);
                json.WriteString("description", parameter.Description + (parameter.IsSecret ? " (secret)" : ""));
                json.WriteEndObject();
            }
            json.WriteEndObject();
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray()).ReplaceLineEndings("\n") + "\n";
    }

    static void WriteType(Utf8JsonWriter json, Type type, IReadOnlyList<string>? names, ParameterRange? range, bool isElement = false)
    {
        if (type.IsArray)
        {
            json.WriteString("type", "array");
            json.WriteStartObject("items");
            WriteType(json, type.GetElementType()!, names, range, isElement: true);
            json.WriteEndObject();
            return;
        }
        var underlying = Nullable.GetUnderlyingType(type) ?? type;
        // null in a parameter file resets a nullable parameter; array elements are never null.
        var nullable = !isElement && (!type.IsValueType || underlying != type);
        string jsonType;
        if (underlying == typeof(bool)) jsonType = "boolean";
        else if (underlying == typeof(int) || underlying == typeof(long)) jsonType = "integer";
        else if (underlying == typeof(double)) jsonType = "number";
        else jsonType = "string";

        if (nullable)
        {
            json.WriteStartArray("type");
            json.WriteStringValue(jsonType);
            json.WriteStringValue("null");
            json.WriteEndArray();
        }
        else json.WriteString("type", jsonType);

        // Draft-07 keywords: exclusiveMinimum/exclusiveMaximum are numbers, not flags.
        if (range?.Minimum is { } minimum) json.WriteNumber(range.MinimumExclusive ? "exclusiveMinimum" : "minimum", minimum);
        if (range?.Maximum is { } maximum) json.WriteNumber(range.MaximumExclusive ? "exclusiveMaximum" : "maximum", maximum);

        var values = underlying.IsEnum ? Enum.GetNames(underlying).Select(ParameterNames.ToKebabCase).ToList() : names;
        if (values is null) return;
        json.WriteStartArray("enum");
        foreach (var value in values) json.WriteStringValue(value);
        json.WriteEndArray();
    }
}
