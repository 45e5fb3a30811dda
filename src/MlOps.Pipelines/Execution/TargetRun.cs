using MlOps.Pipelines.Discovery;

namespace MlOps.Pipelines.Execution;

enum TargetStatus
{
    /// <summary>Not reached: an earlier failure stopped the run, or it was cancelled before it started.</summary>
    NotRun,
    Skipped,
    Succeeded,
    Failed,
    Cancelled,
}

/// <summary>The outcome of one planned target.</summary>
sealed class TargetRun(TargetModel target)
{
    public TargetModel Target { get; } = target;
    public TargetStatus Status { get; set; } = TargetStatus.NotRun;
    public TimeSpan Duration { get; set; }
    public string Note { get; set; } = "";

    /// <summary>True when the failure was a gate withholding its blessing.</summary>
    public bool GateWithheld { get; set; }
}
