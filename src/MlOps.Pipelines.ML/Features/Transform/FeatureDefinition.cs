using System.Text.Json.Serialization;
using MlOps.Pipelines.ML.Data.Tables;

namespace MlOps.Pipelines.ML.Features;

/// <summary>One named feature: a numeric expression (one output column) or an encoded categorical (one or more).</summary>
internal sealed record FeatureDefinition(string Name, NumericNode? Numeric, EncodedNode? Encoded)
{
    [JsonIgnore]
    public IReadOnlyList<string> OutputNames => Numeric is not null ? [Name] : Encoded!.OutputNames(Name);

    [JsonIgnore]
    public bool IsFitted => Numeric?.IsFitted ?? Encoded!.IsFitted;

    [JsonIgnore]
    public IEnumerable<string> Columns => Numeric?.Columns ?? Encoded!.Input.Columns;

    [JsonIgnore]
    public string Kind => Numeric is not null ? "numeric" : Encoded switch
    {
        OneHotNode => "one-hot",
        OrdinalNode => "ordinal",
        FrequencyNode => "frequency",
        _ => "hashed",
    };

    public string Describe() => Numeric?.Describe() ?? Encoded!.Describe();

    public FeatureDefinition Fit(FitContext context) => this with { Numeric = Numeric?.Fit(context), Encoded = Encoded?.Fit(context) };

    public void Check(Table table, List<string> errors)
    {
        if (Numeric is not null) Numeric.Check(table, Name, errors);
        else Encoded!.Input.Check(table, Name, errors);
    }
}
