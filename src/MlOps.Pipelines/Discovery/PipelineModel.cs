using System.Reflection;
using MlOps.Pipelines.Definition;
using MlOps.Pipelines.Hosting;

namespace MlOps.Pipelines.Discovery;

/// <summary>A hosted pipeline instance with its targets and parameters, found by reflection.</summary>
sealed class PipelineModel
{
    PipelineModel(MlPipeline instance) => Instance = instance;

    public MlPipeline Instance { get; }
    public string Name => Instance.Name;
    public List<TargetModel> Targets { get; } = [];
    public IReadOnlyList<ParameterModel> Parameters { get; private set; } = [];
    public TargetModel? DefaultTarget { get; private set; }

    /// <summary>
    /// Reads the <see cref="Target"/> properties of the class (in declaration order) and then those that
    /// interfaces provide as default members, evaluates each definition and resolves its references.
    /// </summary>
    public static PipelineModel Discover(MlPipeline instance, Func<MlPipeline, Target>? defaultTarget, int firstOrder)
    {
        var model = new PipelineModel(instance) { Parameters = ParameterModel.Discover(instance, instance.Name) };
        var byDelegate = new Dictionary<Target, TargetModel>();
        foreach (var property in TargetProperties(instance.GetType()))
        {
            if (property.GetValue(instance) is not Target factory)
                throw new UsageException($"Target '{instance.Name}.{property.Name}' returns null.");
            var definition = new TargetDefinition();
            factory(definition);
            var target = new TargetModel(model, property.Name, firstOrder + model.Targets.Count, definition);
            model.Targets.Add(target);
            byDelegate[factory] = target;
        }

        foreach (var target in model.Targets) Resolve(target, byDelegate);
        ResolveArtifacts(model);
        if (defaultTarget is not null)
            model.DefaultTarget = Find(defaultTarget(instance), byDelegate, $"the default target of {instance.Name}");
        return model;
    }

    static IEnumerable<PropertyInfo> TargetProperties(Type type)
    {
        const BindingFlags flags = BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic;
        var names = new HashSet<string>(StringComparer.Ordinal);
        var hierarchy = new List<Type>();
        for (var t = type; t is not null && t != typeof(object); t = t.BaseType) hierarchy.Insert(0, t);
        var classProperties = hierarchy.SelectMany(t => t
            .GetProperties(flags | BindingFlags.DeclaredOnly)
            .Where(p => p.PropertyType == typeof(Target) && p.GetIndexParameters().Length == 0)
            .OrderBy(p => p.MetadataToken));
        // Interface properties with a default body; an explicit implementation in the class is named
        // "IFoo.Bar", so the interface's simple name stays the target's name.
        var interfaceProperties = type.GetInterfaces()
            .OrderBy(i => i.FullName, StringComparer.Ordinal)
            .SelectMany(i => i.GetProperties().Where(p => p.PropertyType == typeof(Target)).OrderBy(p => p.MetadataToken));
        foreach (var property in classProperties.Concat(interfaceProperties))
        {
            var name = property.Name[(property.Name.LastIndexOf('.') + 1)..];
            if (names.Add(name)) yield return property;
        }
    }

    static void Resolve(TargetModel target, Dictionary<Target, TargetModel> byDelegate)
    {
        var definition = target.Definition;
        string Where(string relation) => $"{relation} of target '{target.QualifiedName}'";
        target.DependsOn.AddRange(definition.DependsOnTargets.Select(t => Find(t, byDelegate, Where("DependsOn"))));
        foreach (var t in definition.AfterTargets) Link(before: Find(t, byDelegate, Where("After")), after: target);
        foreach (var t in definition.BeforeTargets) Link(before: target, after: Find(t, byDelegate, Where("Before")));
        foreach (var t in definition.TriggersTargets) Trigger(target, Find(t, byDelegate, Where("Triggers")));
        foreach (var t in definition.TriggeredByTargets) Trigger(Find(t, byDelegate, Where("TriggeredBy")), target);
        foreach (var dependency in target.DependsOn) Link(before: dependency, after: target);
        foreach (var member in definition.RequiredMembers)
            if (target.Pipeline.Parameters.All(p => p.MemberName != member))
                throw new UsageException($"Target '{target.QualifiedName}' requires '{member}', which is not a [Parameter] of {target.Pipeline.Name}.");
    }

    /// <summary>Each artefact has one producer; consuming it implies depending on that producer.</summary>
    static void ResolveArtifacts(PipelineModel model)
    {
        var producers = new Dictionary<Artifact, TargetModel>();
        var names = new Dictionary<string, Artifact>(StringComparer.OrdinalIgnoreCase);
        var fileNames = new Dictionary<string, Artifact>(StringComparer.OrdinalIgnoreCase);
        foreach (var target in model.Targets)
            foreach (var artifact in target.Definition.Produced)
            {
                if (producers.TryGetValue(artifact, out var other))
                    throw new UsageException($"Artifact '{artifact.Name}' is produced by both '{other.Name}' and '{target.Name}' in {model.Name}; each artifact has one producer.");
                if (names.TryGetValue(artifact.Name, out var sameName) && sameName != artifact || fileNames.TryGetValue(artifact.FileName, out var sameFile) && sameFile != artifact)
                    throw new UsageException($"Two artifacts of {model.Name} share the name '{artifact.Name}' or the file name '{artifact.FileName}'.");
                producers[artifact] = target;
                names[artifact.Name] = artifact;
                fileNames[artifact.FileName] = artifact;
            }
        foreach (var target in model.Targets)
            foreach (var artifact in target.Definition.Consumed)
            {
                if (!producers.TryGetValue(artifact, out var producer))
                    throw new UsageException($"Target '{target.Name}' consumes artifact '{artifact.Name}', which no target of {model.Name} produces.");
                if (producer == target)
                    throw new UsageException($"Target '{target.Name}' both produces and consumes artifact '{artifact.Name}'.");
                if (!target.DependsOn.Contains(producer)) target.DependsOn.Add(producer);
                Link(before: producer, after: target);
            }
        model.Producers = producers;
    }

    /// <summary>Which target produces each artefact.</summary>
    public IReadOnlyDictionary<Artifact, TargetModel> Producers { get; private set; } = new Dictionary<Artifact, TargetModel>();

    static void Trigger(TargetModel source, TargetModel triggered)
    {
        if (!source.Triggered.Contains(triggered)) source.Triggered.Add(triggered);
        Link(before: source, after: triggered);
    }

    static void Link(TargetModel before, TargetModel after)
    {
        if (!after.Predecessors.Contains(before)) after.Predecessors.Add(before);
    }

    static TargetModel Find(Target reference, Dictionary<Target, TargetModel> byDelegate, string where) =>
        byDelegate.TryGetValue(reference, out var model)
            ? model
            : throw new UsageException($"The {where} is not a Target property of the same pipeline.");
}
