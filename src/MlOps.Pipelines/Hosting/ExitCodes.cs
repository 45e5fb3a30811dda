namespace MlOps.Pipelines.Hosting;

/// <summary>Process exit codes (design.md §4), plus the shell convention for an interrupt.</summary>
static class ExitCodes
{
    public const int Success = 0;
    public const int TargetFailed = 1;
    public const int UsageError = 2;
    public const int GateWithheld = 3;

    /// <summary>A bug in the host (sysexits' EX_SOFTWARE), never a user mistake.</summary>
    public const int InternalError = 70;
    public const int Cancelled = 130;
}
