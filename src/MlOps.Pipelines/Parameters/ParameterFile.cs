using System.Text.Json;
using MlOps.Pipelines.Hosting;

namespace MlOps.Pipelines.Parameters;

/// <summary><c>.nuke/parameters.json</c> or a profile's <c>.nuke/parameters.&lt;profile&gt;.json</c>: member name → value.</summary>
sealed class ParameterFile
{
    ParameterFile(string displayPath, IReadOnlyDictionary<string, JsonElement> values)
    {
        DisplayPath = displayPath;
        Values = values;
    }

    /// <summary>The path relative to the root, as shown in messages: <c>.nuke/parameters.json</c>.</summary>
    public string DisplayPath { get; }

    public IReadOnlyDictionary<string, JsonElement> Values { get; }

    public static ParameterFile Load(string path, string displayPath)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(File.ReadAllText(path), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException e)
        {
            throw new UsageException($"{displayPath}: line {e.LineNumber + 1}, position {e.BytePositionInLine + 1}: not valid JSON ({FirstSentence(e.Message)}).");
        }
        if (document.RootElement.ValueKind != JsonValueKind.Object)
            throw new UsageException($"{displayPath}: expected a JSON object of parameter names and values.");

        var values = new Dictionary<string, JsonElement>(StringComparer.OrdinalIgnoreCase);
        foreach (var property in document.RootElement.EnumerateObject())
        {
            if (property.Name == "$schema") continue;
            if (!values.TryAdd(property.Name, property.Value.Clone()))
                throw new UsageException($"{displayPath}: parameter '{property.Name}' is given twice.");
        }
        return new ParameterFile(displayPath, values);
    }

    /// <summary>The value's text for <see cref="ValueConverter"/>: one string per array element, numbers as written.</summary>
    public static IReadOnlyList<string>? ToValues(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Null => null,
        JsonValueKind.Array => [.. element.EnumerateArray().Select(ScalarText)],
        _ => [ScalarText(element)],
    };

    static string ScalarText(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.String => element.GetString()!,
        JsonValueKind.Number => element.GetRawText(),
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        _ => throw new FormatException($"a JSON {element.ValueKind.ToString().ToLowerInvariant()} cannot be a parameter value"),
    };

    static string FirstSentence(string message)
    {
        var end = message.IndexOf(". ", StringComparison.Ordinal);
        return end < 0 ? message.TrimEnd('.') : message[..end];
    }
}
