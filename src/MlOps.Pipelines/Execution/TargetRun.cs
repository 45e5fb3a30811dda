using MlOps.Pipelines.Caching;
using MlOps.Pipelines.Discovery;

namespace MlOps.Pipelines.Execution;

enum TargetStatus
{
    /// <summary>Not reached: an earlier failure stopped the run, or it was cancelled before it started.</summary>
    NotRun,
    Skipped,
    Succeeded,

    /// <summary>Its inputs had not changed: outputs restored from the cache.</summary>
    Cached,
    Failed,
    Cancelled,
}

/// <summary>The outcome of one planned target.</summary>
sealed class TargetRun(TargetModel target, int index)
{
    public TargetModel Target { get; } = target;

    /// <summary>Position in the plan.</summary>
    public int Index { get; } = index;

    public TargetStatus Status { get; set; } = TargetStatus.NotRun;
    public TimeSpan Duration { get; set; }
    public string Note { get; set; } = "";

    /// <summary>True when the failure was a gate withholding its blessing.</summary>
    public bool GateWithheld { get; set; }

    /// <summary>What the run read and wrote (ran or restored), for consumers' keys and the lock file.</summary>
    public Trace? Trace { get; set; }
}
