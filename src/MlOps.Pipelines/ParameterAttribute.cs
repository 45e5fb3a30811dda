namespace MlOps.Pipelines;

/// <summary>
/// Marks a field or property of a pipeline as a parameter. Its value comes from, highest first:
/// the command line (<c>--learning-rate 0.1</c>), the environment (<c>LEARNING_RATE</c>),
/// <c>.nuke/parameters.&lt;profile&gt;.json</c>, <c>.nuke/parameters.json</c>, and the member's initial value.
/// </summary>
/// <remarks>
/// A numeric parameter (or each element of a numeric array) may declare its allowed range: a value outside it is a
/// usage error (exit 2) naming the option and the range, before any target runs. The range is shown in
/// <c>--help</c> and written to <c>.nuke/build.schema.json</c> (JSON Schema's keywords of the same names).
/// </remarks>
/// <example>
/// <c>[Parameter("Boosting rounds", Minimum = 1, Maximum = 10_000)] readonly int Trees = 200;</c><br/>
/// <c>[Parameter("Share held out", ExclusiveMinimum = 0, ExclusiveMaximum = 1)] readonly double TestFraction = 0.2;</c>
/// </example>
[AttributeUsage(AttributeTargets.Field | AttributeTargets.Property)]
public sealed class ParameterAttribute(string description) : Attribute
{
    public string Description { get; } = description;

    /// <summary>The smallest allowed value; not set (NaN) by default.</summary>
    public double Minimum { get; set; } = double.NaN;

    /// <summary>The largest allowed value; not set (NaN) by default.</summary>
    public double Maximum { get; set; } = double.NaN;

    /// <summary>Values must be greater than this; not set (NaN) by default.</summary>
    public double ExclusiveMinimum { get; set; } = double.NaN;

    /// <summary>Values must be less than this; not set (NaN) by default.</summary>
    public double ExclusiveMaximum { get; set; } = double.NaN;
}

/// <summary>
/// The parameter's value is a secret: it is never printed, logged or reported, and any output that
/// contains it shows <c>***</c> instead.
/// </summary>
[AttributeUsage(AttributeTargets.Field | AttributeTargets.Property)]
public sealed class SecretAttribute : Attribute;
