namespace MlOps.Pipelines;

/// <summary>
/// Marks a field or property of a pipeline as a parameter. Its value comes from, highest first:
/// the command line (<c>--learning-rate 0.1</c>), the environment (<c>LEARNING_RATE</c>),
/// <c>.nuke/parameters.&lt;profile&gt;.json</c>, <c>.nuke/parameters.json</c>, and the member's initial value.
/// </summary>
/// <example><c>[Parameter("Boosting rounds")] readonly int Trees = 200;</c></example>
[AttributeUsage(AttributeTargets.Field | AttributeTargets.Property)]
public sealed class ParameterAttribute(string description) : Attribute
{
    public string Description { get; } = description;
}

/// <summary>
/// The parameter's value is a secret: it is never printed, logged or reported, and any output that
/// contains it shows <c>***</c> instead.
/// </summary>
[AttributeUsage(AttributeTargets.Field | AttributeTargets.Property)]
public sealed class SecretAttribute : Attribute;
