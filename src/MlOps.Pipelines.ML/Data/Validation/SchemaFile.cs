using System.Globalization;
using System.Text;
using System.Text.Json;
using MlOps.Pipelines.ML.Data.Tables;

namespace MlOps.Pipelines.ML.Data.Validation;

/// <summary>
/// Schemas as reviewable JSON files (TFX's SchemaGen, pinned): <see cref="Infer"/> proposes one from data,
/// a person reviews and commits it, <see cref="Load"/> reads it back. Errors name the file and the column.
/// </summary>
public static class SchemaFile
{
    /// <summary>
    /// A schema that the given data satisfies: each column's type, not-null where no value is missing, the observed
    /// range of numbers, the allowed values of text with at most <paramref name="maxCategories"/> distinct values
    /// (1% unseen tolerated), uniqueness where every value is distinct; strict. Review it before pinning it.
    /// </summary>
    public static Schema Infer(Table table, int maxCategories = 50)
    {
        var builder = Schema.Define().Strict();
        foreach (var column in table.Columns)
            builder.Column(column.Name, column.Type, rules =>
            {
                if (column.NullCount == 0) rules.NotNull();
                var profile = DataProfile.Of(new Table([column]), topValues: maxCategories + 1).Columns[0];
                if (column is StringColumn text)
                {
                    if (profile.Distinct <= maxCategories)
                        rules.AllowedValues(profile.TopValues!.Select(v => v.Value), maxUnseenShare: 0.01);
                }
                else if (profile.Min is { } min && profile.Max is { } max && column.Type != ColumnType.Boolean)
                    rules.Range(min, max);
                if (profile.Distinct == column.Length - column.NullCount && column.Length > 1 && column.Type is ColumnType.Int32 or ColumnType.Int64 or ColumnType.String)
                    rules.Unique();
            });
        return builder.Build();
    }

    public static void Save(Schema schema, string path)
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteBoolean("strict", schema.Strict);
            WriteNumber(json, "min_rows", schema.MinRows);
            WriteNumber(json, "max_rows", schema.MaxRows);
            json.WriteStartArray("columns");
            foreach (var column in schema.Columns)
            {
                json.WriteStartObject();
                json.WriteString("name", column.Name);
                json.WriteString("type", column.Type.ToString());
                json.WriteStartArray("checks");
                foreach (var check in column.Checks)
                {
                    var (name, settings) = check.ToFile();
                    json.WriteStartObject();
                    json.WriteString("check", name);
                    if (check.Severity == Severity.Warning) json.WriteString("severity", "warning");
                    foreach (var (key, value) in settings)
                    {
                        json.WritePropertyName(key);
                        JsonSerializer.Serialize(json, value);
                    }
                    json.WriteEndObject();
                }
                json.WriteEndArray();
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
        File.WriteAllText(path, Encoding.UTF8.GetString(stream.ToArray()).ReplaceLineEndings("\n") + "\n");
    }

    public static Schema Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: the schema file does not exist.", path);
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllText(path));
            var root = document.RootElement;
            var builder = Schema.Define()
                .Strict(root.TryGetProperty("strict", out var strict) && strict.GetBoolean())
                .Rows(Number(root, "min_rows") is { } min ? (long)min : null, Number(root, "max_rows") is { } max ? (long)max : null);
            foreach (var column in root.GetProperty("columns").EnumerateArray())
            {
                var name = column.GetProperty("name").GetString()!;
                var typeText = column.GetProperty("type").GetString();
                if (!Enum.TryParse<ColumnType>(typeText, out var type))
                    throw new InvalidDataException($"{path}: column '{name}' has unknown type '{typeText}'; expected one of {string.Join(", ", Enum.GetNames<ColumnType>())}.");
                builder.Column(name, type, rules =>
                {
                    foreach (var check in column.GetProperty("checks").EnumerateArray()) AddCheck(rules, check, path, name);
                });
            }
            return builder.Build();
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"{path}: not a valid schema file ({e.Message})", e);
        }
    }

    static void AddCheck(ColumnRulesBuilder rules, JsonElement check, string path, string column)
    {
        var severity = check.TryGetProperty("severity", out var s) && s.GetString() == "warning" ? Severity.Warning : Severity.Error;
        switch (check.GetProperty("check").GetString())
        {
            case "not_null": rules.NotNull(severity); break;
            case "range": rules.Range(Number(check, "min"), Number(check, "max"), severity); break;
            case "allowed_values":
                rules.AllowedValues(check.GetProperty("values").EnumerateArray().Select(v => v.GetString()!), Number(check, "max_unseen_share") ?? 0, severity);
                break;
            case "matches": rules.Matches(check.GetProperty("pattern").GetString()!, severity); break;
            case "unique": rules.Unique(severity); break;
            case "fresh_within":
                var now = check.TryGetProperty("now", out var n) && n.ValueKind == JsonValueKind.String
                    ? DateTime.Parse(n.GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind)
                    : (DateTime?)null;
                rules.FreshWithin(TimeSpan.Parse(check.GetProperty("max_age").GetString()!, CultureInfo.InvariantCulture), now, severity);
                break;
            case "mean": rules.Mean(Number(check, "min"), Number(check, "max"), severity); break;
            case "quantile": rules.Quantile(Number(check, "q") ?? 0.5, Number(check, "min"), Number(check, "max"), severity); break;
            case var other:
                throw new InvalidDataException($"{path}: column '{column}' has unknown check '{other}'.");
        }
    }

    static double? Number(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number ? value.GetDouble() : null;

    static void WriteNumber(Utf8JsonWriter json, string name, long? value)
    {
        if (value is { } number) json.WriteNumber(name, number);
        else json.WriteNull(name);
    }
}
