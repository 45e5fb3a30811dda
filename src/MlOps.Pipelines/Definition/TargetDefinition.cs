using System.Linq.Expressions;

namespace MlOps.Pipelines.Definition;

/// <summary>What one <see cref="Target"/> delegate said about itself; resolved into a graph by discovery.</summary>
sealed class TargetDefinition : ITargetDefinition
{
    public string? DescriptionText { get; private set; }
    public List<Target> DependsOnTargets { get; } = [];
    public List<Target> AfterTargets { get; } = [];
    public List<Target> BeforeTargets { get; } = [];
    public List<Target> TriggersTargets { get; } = [];
    public List<Target> TriggeredByTargets { get; } = [];
    public List<(Func<bool> Condition, string Text)> Conditions { get; } = [];
    public List<string> RequiredMembers { get; } = [];
    public bool ProceedsAfterFailure { get; private set; }
    public bool IsAssured { get; private set; }
    public List<Func<TargetContext, Task>> Actions { get; } = [];

    /// <summary>The delegates as the user gave them: their IL is the target's code fingerprint.</summary>
    public List<Delegate> Code { get; } = [];

    public List<Artifact> Produced { get; } = [];
    public List<Artifact> Consumed { get; } = [];
    public bool IsCached { get; private set; } = true;
    public string? VersionText { get; private set; }

    public ITargetDefinition Description(string description)
    {
        DescriptionText = description;
        return this;
    }

    public ITargetDefinition DependsOn(params Target[] targets) => Add(DependsOnTargets, targets);

    public ITargetDefinition After(params Target[] targets) => Add(AfterTargets, targets);

    public ITargetDefinition Before(params Target[] targets) => Add(BeforeTargets, targets);

    public ITargetDefinition Triggers(params Target[] targets) => Add(TriggersTargets, targets);

    public ITargetDefinition TriggeredBy(params Target[] targets) => Add(TriggeredByTargets, targets);

    public ITargetDefinition OnlyWhen(Func<bool> condition, string conditionText = "")
    {
        Conditions.Add((condition, conditionText.Length > 0 ? conditionText : "condition"));
        return this;
    }

    public ITargetDefinition Requires<T>(Expression<Func<T>> parameter)
    {
        var body = parameter.Body is UnaryExpression { NodeType: ExpressionType.Convert } convert ? convert.Operand : parameter.Body;
        if (body is not MemberExpression member)
            throw new ArgumentException($"Requires expects a parameter member, as in Requires(() => ApiKey); got '{parameter.Body}'.", nameof(parameter));
        RequiredMembers.Add(member.Member.Name);
        return this;
    }

    public ITargetDefinition ProceedAfterFailure()
    {
        ProceedsAfterFailure = true;
        return this;
    }

    public ITargetDefinition AssuredAfterFailure()
    {
        IsAssured = true;
        return this;
    }

    public ITargetDefinition Produces(params Artifact[] artifacts)
    {
        Produced.AddRange(artifacts);
        return this;
    }

    public ITargetDefinition Consumes(params Artifact[] artifacts)
    {
        Consumed.AddRange(artifacts);
        return this;
    }

    public ITargetDefinition Cached(bool cached = true)
    {
        IsCached = cached;
        return this;
    }

    public ITargetDefinition Version(string version)
    {
        VersionText = version;
        return this;
    }

    public ITargetDefinition Executes(Action action) => Add(action, _ =>
    {
        action();
        return Task.CompletedTask;
    });

    public ITargetDefinition Executes(Action<TargetContext> action) => Add(action, context =>
    {
        action(context);
        return Task.CompletedTask;
    });

    public ITargetDefinition Executes(Func<Task> action) => Add(action, _ => action());

    public ITargetDefinition Executes(Func<TargetContext, Task> action) => Add(action, action);

    ITargetDefinition Add(Delegate code, Func<TargetContext, Task> action)
    {
        Code.Add(code);
        Actions.Add(action);
        return this;
    }

    ITargetDefinition Add(List<Target> list, Target[] targets)
    {
        list.AddRange(targets);
        return this;
    }
}
