using MlOps.Pipelines.Output;

namespace MlOps.Pipelines.Hosting;

/// <summary>The engine's own parameters. Bound like a pipeline's, from the same sources.</summary>
sealed class HostSettings
{
    [Parameter("Targets to run (on the command line: the leading words)")]
    public string[]? Target;

    [Parameter("Skip these targets; with no value, all but the named ones")]
    public string[]? Skip;

    [Parameter("Threads for parallel work (default: all cores)", Minimum = 1)]
    public int Threads = Environment.ProcessorCount;

    [Parameter("Targets that may run at once (default: all cores)", Minimum = 1)]
    public int Parallel = Environment.ProcessorCount;

    [Parameter("Rerun these and all after them even if cached; no value: all")]
    public string[]? Force;

    [Parameter("Run every target, ignoring cached results (still stores new ones)")]
    public bool NoCache;

    [Parameter("Report runs to MLflow: MLFLOW_TRACKING_URI, or ./mlruns when it is not set")]
    public bool Tracking = true;

    [Parameter("Fail the build when its runs cannot be delivered to the tracking store (default: keep them for SyncRuns)")]
    public bool TrackingRequired;

    [Parameter("How much to print")]
    public Verbosity Verbosity = Verbosity.Normal;

    /// <summary>Parameters that are read from the command line and parameter files, never from the environment
    /// (a stray <c>TARGET</c> variable from a toolchain must not choose what runs).</summary>
    public static readonly IReadOnlySet<string> NotFromEnvironment = new HashSet<string> { nameof(Target), nameof(Skip), nameof(Force) };
}
