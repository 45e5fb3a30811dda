using System.Linq.Expressions;
using System.Runtime.CompilerServices;

namespace MlOps.Pipelines;

/// <summary>
/// The whole vocabulary for describing a target. Every method returns the definition so calls chain.
/// </summary>
public interface ITargetDefinition
{
    /// <summary>One line shown by <c>--help</c>.</summary>
    ITargetDefinition Description(string description);

    /// <summary>These targets run before this one, and are run whenever this one is.</summary>
    ITargetDefinition DependsOn(params Target[] targets);

    /// <summary>When both are in the plan, this target runs after those. Does not schedule them.</summary>
    ITargetDefinition After(params Target[] targets);

    /// <summary>When both are in the plan, this target runs before those. Does not schedule them.</summary>
    ITargetDefinition Before(params Target[] targets);

    /// <summary>Whenever this target is in the plan, those are scheduled to run after it.</summary>
    ITargetDefinition Triggers(params Target[] targets);

    /// <summary>Whenever one of those targets is in the plan, this one is scheduled to run after it.</summary>
    ITargetDefinition TriggeredBy(params Target[] targets);

    /// <summary>
    /// Runs the target only when the condition holds at the moment it would start; otherwise it is skipped
    /// and the summary shows the condition's source text.
    /// </summary>
    ITargetDefinition OnlyWhen(Func<bool> condition, [CallerArgumentExpression(nameof(condition))] string conditionText = "");

    /// <summary>The named parameter must have a value (not null, not empty) before anything runs.</summary>
    /// <example><c>.Requires(() => ApiKey)</c></example>
    ITargetDefinition Requires<T>(Expression<Func<T>> parameter);

    /// <summary>When this target fails, the targets that do not depend on it still run.</summary>
    ITargetDefinition ProceedAfterFailure();

    /// <summary>This target runs even when an earlier target failed (clean-up, reports).</summary>
    ITargetDefinition AssuredAfterFailure();

    /// <summary>
    /// The target saves these artefacts (<see cref="TargetContext.Save{T}"/>). A target that produces artefacts is
    /// cached: it reruns only when its code, the parameters it reads, the files it reads through the context or
    /// the artefacts it consumes change; otherwise its outputs are restored.
    /// </summary>
    ITargetDefinition Produces(params Artifact[] artifacts);

    /// <summary>The target loads these artefacts (<see cref="TargetContext.Load{T}"/>); implies DependsOn on their producers.</summary>
    ITargetDefinition Consumes(params Artifact[] artifacts);

    /// <summary><c>Cached(false)</c>: always run, even when nothing changed (side effects such as deployment).</summary>
    ITargetDefinition Cached(bool cached = true);

    /// <summary>Part of the cache key: change it to force a rerun when something the cache cannot see changed.</summary>
    ITargetDefinition Version(string version);

    /// <summary>The work of the target. Several calls run in order.</summary>
    ITargetDefinition Executes(Action action);

    /// <inheritdoc cref="Executes(Action)"/>
    ITargetDefinition Executes(Action<TargetContext> action);

    /// <inheritdoc cref="Executes(Action)"/>
    ITargetDefinition Executes(Func<Task> action);

    /// <inheritdoc cref="Executes(Action)"/>
    ITargetDefinition Executes(Func<TargetContext, Task> action);
}
