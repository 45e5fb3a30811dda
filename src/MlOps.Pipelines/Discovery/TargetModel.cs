using MlOps.Pipelines.Definition;

namespace MlOps.Pipelines.Discovery;

/// <summary>A target with its relations resolved to other targets of the same pipeline.</summary>
sealed class TargetModel(PipelineModel pipeline, string name, int order, TargetDefinition definition)
{
    public PipelineModel Pipeline { get; } = pipeline;
    public string Name { get; } = name;

    /// <summary>Declaration order across all hosted pipelines; breaks ties in the plan.</summary>
    public int Order { get; } = order;

    public TargetDefinition Definition { get; } = definition;
    public string? Description => Definition.DescriptionText;
    public string QualifiedName => $"{Pipeline.Name}:{Name}";

    /// <summary>Name as shown to users: qualified only where the plain name is ambiguous.</summary>
    public string DisplayName { get; set; } = name;

    public List<TargetModel> DependsOn { get; } = [];

    /// <summary>Targets that must run before this one when both are planned (every kind of ordering edge).</summary>
    public List<TargetModel> Predecessors { get; } = [];

    /// <summary>Targets this one schedules after itself (its Triggers and the TriggeredBy pointing at it).</summary>
    public List<TargetModel> Triggered { get; } = [];

    /// <summary>A target is cached when it produces artefacts (there is something to restore) and did not opt out.</summary>
    public bool IsCacheable => Definition.IsCached && Definition.Produced.Count > 0;

    public override string ToString() => QualifiedName;
}
