namespace MlOps.Pipelines;

/// <summary>
/// A step of a pipeline, declared as a property that configures its definition.
/// </summary>
/// <example>
/// <code>
/// Target Train => _ => _
///     .Description("Fit the model")
///     .DependsOn(Features)
///     .Executes(ctx => ctx.Info("training"));
/// </code>
/// </example>
public delegate ITargetDefinition Target(ITargetDefinition definition);
