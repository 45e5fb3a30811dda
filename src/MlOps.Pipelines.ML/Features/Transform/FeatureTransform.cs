using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using MlOps.Pipelines.ML.Data.Tables;

namespace MlOps.Pipelines.ML.Features;

/// <summary>A column a transform reads, with the type it had when the transform was fitted.</summary>
public sealed record FeatureInput(string Name, ColumnType Type);

/// <summary>One output column of a transform: its name, the feature it comes from, how it is computed.</summary>
public sealed record FeatureColumn(string Name, string Feature, string Kind, string Expression);

/// <summary>
/// A fitted feature set: every statistic learnt from the training rows, applied identically to a table, a batch
/// or one row — one object and one code path, so serving cannot compute a feature differently from training.
/// It saves as versioned, human-readable JSON; <see cref="Digest"/> identifies its content.
/// </summary>
public sealed class FeatureTransform
{
    const string Format = "mlops-feature-transform";
    const int Version = 1;

    static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping, // a file for people, not HTML: keep "<other>" readable
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower) },
        RespectNullableAnnotations = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };

    readonly IReadOnlyList<FeatureDefinition> _features;

    internal FeatureTransform(IReadOnlyList<FeatureInput> inputs, IReadOnlyList<FeatureDefinition> features)
    {
        Inputs = inputs;
        _features = features;
        Schema = [.. features.SelectMany(f => f.OutputNames.Select(n => new FeatureColumn(n, f.Name, f.Kind, f.Describe())))];
        Digest = Convert.ToHexStringLower(SHA256.HashData(ToJsonBytes()));
    }

    /// <summary>The columns a table must have, with their types.</summary>
    public IReadOnlyList<FeatureInput> Inputs { get; }

    /// <summary>The output columns, in matrix order.</summary>
    public IReadOnlyList<FeatureColumn> Schema { get; }

    public IReadOnlyList<string> OutputNames => [.. Schema.Select(c => c.Name)];

    /// <summary>SHA-256 of the saved form: equal digests, equal transforms.</summary>
    public string Digest { get; }

    /// <summary>The features of every row of <paramref name="table"/>, on <paramref name="threads"/> threads (default: all cores); the same bits for any number.</summary>
    public FeatureMatrix Transform(Table table, FeatureBackend? backend = null, int? threads = null)
    {
        ArgumentNullException.ThrowIfNull(table);
        CheckTypes(table);
        return TransformExecutor.Run(_features, table, backend ?? FeatureBackend.Cpu, threads ?? Environment.ProcessorCount);
    }

    /// <summary>
    /// The features of every row of <paramref name="table"/> written into <paramref name="destination"/> (from an
    /// earlier transform of a table with as many rows), reusing its memory: scoring batch after batch allocates
    /// nothing. The same bits as <see cref="Transform(Table, FeatureBackend?, int?)"/>.
    /// </summary>
    public FeatureMatrix TransformInto(Table table, FeatureMatrix destination, FeatureBackend? backend = null, int? threads = null)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(destination);
        CheckTypes(table);
        return TransformExecutor.Run(_features, table, backend ?? FeatureBackend.Cpu, threads ?? Environment.ProcessorCount, destination);
    }

    /// <summary>The transform with streaming stores forced on or off, for tests (the public calls choose by the matrix size).</summary>
    internal FeatureMatrix Transform(Table table, FeatureBackend backend, int threads, bool streaming) =>
        TransformExecutor.Run(_features, table, backend, threads, streaming: streaming);

    /// <summary>
    /// The features of one row given as column → value (null when missing): numbers for numeric columns, a
    /// <see cref="DateTime"/> for timestamps, text for text. Same code path as a table, same bits.
    /// </summary>
    public float[] TransformRow(IReadOnlyDictionary<string, object?> row, FeatureBackend? backend = null)
    {
        ArgumentNullException.ThrowIfNull(row);
        var columns = Inputs.Select(input => SingleValue(input, row)).ToList();
        return Transform(new Table(columns), backend, threads: 1).Row(0);
    }

    static Column SingleValue(FeatureInput input, IReadOnlyDictionary<string, object?> row)
    {
        if (!row.TryGetValue(input.Name, out var value))
            throw new ArgumentException($"The row has no value for column '{input.Name}' (give null when it is missing).");
        bool[] nulls = [value is null];
        try
        {
            return input.Type switch
            {
                ColumnType.String or ColumnType.Categorical => StringColumn.FromValues(input.Name, [value is null ? null : (string)value], input.Type == ColumnType.Categorical),
                ColumnType.Timestamp => new Column<DateTime>(input.Name, new[] { value is null ? default : (DateTime)value }, nulls),
                ColumnType.Boolean => new Column<bool>(input.Name, new[] { value is not null && (bool)value }, nulls),
                ColumnType.Int32 => new Column<int>(input.Name, new[] { value is null ? 0 : Convert.ToInt32(value, CultureInfo.InvariantCulture) }, nulls),
                ColumnType.Int64 => new Column<long>(input.Name, new[] { value is null ? 0 : Convert.ToInt64(value, CultureInfo.InvariantCulture) }, nulls),
                ColumnType.Float32 => new Column<float>(input.Name, new[] { value is null ? 0 : Convert.ToSingle(value, CultureInfo.InvariantCulture) }, nulls),
                _ => new Column<double>(input.Name, new[] { value is null ? 0 : Convert.ToDouble(value, CultureInfo.InvariantCulture) }, nulls),
            };
        }
        catch (Exception e) when (e is InvalidCastException or FormatException or OverflowException)
        {
            throw new ArgumentException($"Column '{input.Name}' needs a {input.Type} value; the row has {value} ({value!.GetType().Name}).", e);
        }
    }

    void CheckTypes(Table table)
    {
        var errors = new List<string>();
        foreach (var input in Inputs)
        {
            if (!table.Contains(input.Name)) errors.Add($"the table has no column '{input.Name}'");
            else if (table[input.Name].Type != input.Type && !BothText(table[input.Name].Type, input.Type))
                errors.Add($"column '{input.Name}' holds {table[input.Name].Type} values; the transform was fitted on {input.Type}");
        }
        if (errors.Count > 0) throw new InvalidDataException("The table does not match the feature transform: " + string.Join("; ", errors) + ".");
        static bool BothText(ColumnType a, ColumnType b) => a is ColumnType.String or ColumnType.Categorical && b is ColumnType.String or ColumnType.Categorical;
    }

    /// <summary>Human-readable JSON: inputs, then per feature its fitted expression; the outputs listed for review.</summary>
    public void Save(Stream stream) => stream.Write(ToJsonBytes());

    public void Save(string path)
    {
        var temporary = path + ".tmp";
        File.WriteAllBytes(temporary, ToJsonBytes());
        File.Move(temporary, path, overwrite: true);
    }

    public static FeatureTransform Load(string path)
    {
        using var stream = File.OpenRead(path);
        try
        {
            return Load(stream);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
    }

    public static FeatureTransform Load(Stream stream)
    {
        Document document;
        try
        {
            document = JsonSerializer.Deserialize<Document>(stream, Json) ?? throw new InvalidDataException("not a feature transform (empty)");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"not a valid feature transform: {e.Message}", e);
        }
        if (document.Format != Format) throw new InvalidDataException($"not a feature transform (format '{document.Format}', expected '{Format}')");
        if (document.Version != Version) throw new InvalidDataException($"feature transform version {document.Version} is not supported (this library reads version {Version})");
        if (document.Features.FirstOrDefault(f => !f.IsFitted) is { } unfitted) throw new InvalidDataException($"feature '{unfitted.Name}' has no fitted statistics");
        var transform = new FeatureTransform(document.Inputs, document.Features);
        if (!transform.OutputNames.SequenceEqual(document.Outputs, StringComparer.Ordinal))
            throw new InvalidDataException("the listed outputs do not match the features (edited by hand?)");
        return transform;
    }

    byte[] ToJsonBytes() => JsonSerializer.SerializeToUtf8Bytes(new Document(Format, Version, Inputs, _features, OutputNames), Json);

    sealed record Document(string Format, int Version, IReadOnlyList<FeatureInput> Inputs, IReadOnlyList<FeatureDefinition> Features, IReadOnlyList<string> Outputs);
}
