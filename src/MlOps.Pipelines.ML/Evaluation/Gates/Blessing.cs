using System.Text.Json;
using System.Text.Json.Serialization;

namespace MlOps.Pipelines.ML.Evaluation;

/// <summary>What a gate checks.</summary>
public enum GateKind
{
    /// <summary>A metric against a fixed threshold.</summary>
    Value,

    /// <summary>A metric against the champion's, within a tolerance.</summary>
    Change,

    /// <summary>A metric in every slice of a dimension against a fixed threshold.</summary>
    Slice,
}

/// <summary>One gate's verdict.</summary>
/// <param name="Name">Human text, e.g. "test roc_auc at least 0.65".</param>
/// <param name="Kind">Value, change or slice gate.</param>
/// <param name="Metric">The metric's name.</param>
/// <param name="Value">The model's value; for a slice gate the worst judged slice's; NaN when missing.</param>
/// <param name="Threshold">The passing bound; for a change gate derived from the champion, NaN when skipped.</param>
/// <param name="Passed">True when the gate was evaluated and met.</param>
/// <param name="Skipped">True when the gate could not be evaluated for a reason that does not block (e.g. no champion).</param>
/// <param name="Reason">Why, e.g. "0.6123 &lt; 0.65", "no champion: skipped", "slice ORD: 0.51 &lt; 0.55 (1,204 rows)".</param>
public sealed record GateVerdict(string Name, GateKind Kind, string Metric, double Value, double Threshold, bool Passed, bool Skipped, string Reason)
{
    /// <summary>The slice dimension of a slice gate; null for the others.</summary>
    public string? Dimension { get; init; }

    /// <summary>True when the gate blocks the blessing: neither passed nor skipped.</summary>
    [JsonIgnore]
    public bool Failed => !Passed && !Skipped;
}

/// <summary>
/// The outcome of evaluating a model against its <see cref="Gates"/>: every metric, the champion's metrics, and every
/// gate's verdict. Deployment refuses a model whose blessing is not <see cref="Blessed"/>.
/// </summary>
/// <remarks>Saved as snake_case JSON with a format and version field; NaN is written as the string "NaN".</remarks>
/// <param name="Blessed">True when no gate failed.</param>
/// <param name="Metrics">The model's metrics by name.</param>
/// <param name="ChampionMetrics">The champion's metrics by name; null when there was no champion.</param>
/// <param name="Gates">Every gate's verdict, in declaration order.</param>
public sealed record Blessing(bool Blessed, IReadOnlyDictionary<string, double> Metrics, IReadOnlyDictionary<string, double>? ChampionMetrics,
    IReadOnlyList<GateVerdict> Gates)
{
    const string Format = "mlops-blessing";

    /// <summary>The version of the JSON format this library writes and reads.</summary>
    public const int Version = 1;

    static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping, // a file for people: keep "<" readable
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };

    /// <summary>The gates that block the blessing, in declaration order.</summary>
    [JsonIgnore]
    public IReadOnlyList<GateVerdict> FailedGates => [.. Gates.Where(g => g.Failed)];

    /// <summary>
    /// The failed gates as aligned console lines: a header (gate, value, threshold, reason), then one line per failed
    /// gate. Columns are separated by two spaces; no line has trailing spaces. Empty when nothing failed.
    /// </summary>
    public IReadOnlyList<string> FailedGatesTable()
    {
        var failed = FailedGates;
        if (failed.Count == 0) return [];
        string[][] rows =
        [
            ["gate", "value", "threshold", "reason"],
            .. failed.Select(g => new[] { g.Name, GateFormat.Number(g.Value), GateFormat.Number(g.Threshold), g.Reason }),
        ];
        var widths = Enumerable.Range(0, 3).Select(c => rows.Max(r => r[c].Length)).ToArray();
        return [.. rows.Select(r => string.Join("  ", r.Select((cell, c) => c < widths.Length ? cell.PadRight(widths[c]) : cell)).TrimEnd())];
    }

    /// <summary>Writes the blessing as indented JSON.</summary>
    /// <param name="stream">Where to write.</param>
    public void Save(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        stream.Write(ToJsonBytes());
    }

    /// <summary>Writes the blessing to a file, atomically (a temporary file moved into place).</summary>
    /// <param name="path">The file to write.</param>
    public void Save(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var temporary = path + ".tmp";
        File.WriteAllBytes(temporary, ToJsonBytes());
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>Reads a blessing written by <see cref="Save(string)"/>.</summary>
    /// <param name="path">The file to read.</param>
    /// <exception cref="InvalidDataException">Not a blessing, or of another version.</exception>
    public static Blessing Load(string path)
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

    /// <summary>Reads a blessing written by <see cref="Save(Stream)"/>.</summary>
    /// <param name="stream">Where to read from.</param>
    /// <exception cref="InvalidDataException">Not a blessing, or of another version.</exception>
    public static Blessing Load(Stream stream)
    {
        Document document;
        try
        {
            document = JsonSerializer.Deserialize<Document>(stream, Json) ?? throw new InvalidDataException("not a blessing (empty)");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"not a valid blessing: {e.Message}", e);
        }
        if (document.Format != Format) throw new InvalidDataException($"not a blessing (format '{document.Format}', expected '{Format}')");
        if (document.Version != Version) throw new InvalidDataException($"blessing version {document.Version} is not supported (this library reads version {Version})");
        if (document.Metrics is null || document.Gates is null) throw new InvalidDataException("not a valid blessing: metrics or gates missing");
        var blessing = new Blessing(document.Blessed, document.Metrics, document.ChampionMetrics, document.Gates);
        if (blessing.Blessed != blessing.Gates.All(g => !g.Failed))
            throw new InvalidDataException("the blessed flag does not match the gates' verdicts (edited by hand?)");
        return blessing;
    }

    byte[] ToJsonBytes() => JsonSerializer.SerializeToUtf8Bytes(new Document(Format, Version, Blessed, Metrics, ChampionMetrics, Gates), Json);

    sealed record Document(string Format, int Version, bool Blessed, IReadOnlyDictionary<string, double> Metrics,
        IReadOnlyDictionary<string, double>? ChampionMetrics, IReadOnlyList<GateVerdict> Gates);
}
