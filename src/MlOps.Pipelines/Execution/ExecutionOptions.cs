using MlOps.Pipelines.Discovery;

namespace MlOps.Pipelines.Execution;

/// <summary>How one invocation runs its plan.</summary>
/// <param name="Threads">Threads each target may use (<c>--threads</c>).</param>
/// <param name="Parallel">Targets that may run at once (<c>--parallel</c>).</param>
/// <param name="NoCache">Run every target; still store the results (<c>--no-cache</c>).</param>
/// <param name="Forced">Targets that run even when cached (<c>--force</c>).</param>
/// <param name="Skipped">Targets not to run (<c>--skip</c>).</param>
/// <param name="SucceededBefore">Qualified names that succeeded in the previous run (<c>--continue</c>).</param>
/// <param name="RunId">This invocation's id, recorded in cache entries.</param>
sealed record ExecutionOptions(
    int Threads,
    int Parallel,
    bool NoCache,
    IReadOnlySet<TargetModel> Forced,
    IReadOnlySet<TargetModel> Skipped,
    IReadOnlySet<string> SucceededBefore,
    string RunId)
{
    /// <summary>Where runs are reported; null when tracking is off.</summary>
    public Tracking.TrackingSession? Tracking { get; init; }

    /// <summary>Why the user asked for <paramref name="target"/> not to run (<c>--skip</c>, <c>--continue</c>), or null.</summary>
    public string? SkipReason(TargetModel target) =>
        Skipped.Contains(target) ? "--skip"
        : SucceededBefore.Contains(target.QualifiedName) ? "succeeded in the previous run (--continue)"
        : null;
}
