using System.Runtime.InteropServices;
using MlOps.Pipelines.Hosting;

namespace MlOps.Pipelines;

/// <summary>
/// The entry point of <c>build/</c>: hosts one or more pipelines and runs what the command line asks for.
/// </summary>
/// <example>
/// <code>
/// public static int Main(string[] args) => new PipelineHost()
///     .Add&lt;FlightDelays&gt;(defaultTarget: x => x.Deploy)
///     .Add&lt;Repository&gt;()
///     .Run(args);
/// </code>
/// </example>
public sealed partial class PipelineHost
{
    readonly List<(Func<MlPipeline> Create, Func<MlPipeline, Target>? DefaultTarget)> _registrations = [];

    /// <summary>Hosts pipeline <typeparamref name="T"/>. The first pipeline given a default target supplies what
    /// <c>./build.sh</c> runs when no target is named.</summary>
    public PipelineHost Add<T>(Func<T, Target>? defaultTarget = null) where T : MlPipeline, new()
    {
        _registrations.Add((() => new T(), defaultTarget is null ? null : p => defaultTarget((T)p)));
        return this;
    }

    /// <summary>Runs the command line; returns the process exit code (0 success, 1 a target failed, 2 usage error,
    /// 3 a gate withheld its blessing, 130 cancelled).</summary>
    public int Run(string[] args)
    {
        using var cancellation = new CancellationTokenSource();
        // The first Ctrl-C (or SIGTERM) asks the running target to stop; a second one ends the process.
        void OnSignal(PosixSignalContext context)
        {
            context.Cancel = !cancellation.IsCancellationRequested;
            cancellation.Cancel();
        }
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        return RunAsync(args, HostEnvironment.FromProcess(cancellation.Token)).GetAwaiter().GetResult();
    }
}
