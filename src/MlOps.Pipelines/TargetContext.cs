using MlOps.Pipelines.Execution;
using MlOps.Pipelines.Output;

namespace MlOps.Pipelines;

/// <summary>
/// What a running target sees of the engine: where it is, how many threads it may use, the token that
/// fires on Ctrl-C, and a log whose lines are framed under the target's name (secrets masked).
/// </summary>
public sealed class TargetContext
{
    readonly TargetLog _log;

    internal TargetContext(MlPipeline pipeline, string target, int threads, TargetLog log, CancellationToken cancellationToken)
    {
        Pipeline = pipeline;
        Target = target;
        Threads = threads;
        _log = log;
        CancellationToken = cancellationToken;
    }

    /// <summary>The pipeline instance the target belongs to.</summary>
    public MlPipeline Pipeline { get; }

    /// <summary>The target's name.</summary>
    public string Target { get; }

    /// <summary>How many threads parallel work may use (<c>--threads</c>, default: all cores).</summary>
    public int Threads { get; }

    /// <summary>Cancelled when the user presses Ctrl-C; long work should pass it on.</summary>
    public CancellationToken CancellationToken { get; }

    /// <summary>The repository root.</summary>
    public AbsolutePath RootDirectory => Pipeline.RootDirectory;

    /// <summary><see cref="ParallelOptions"/> honouring <see cref="Threads"/> and <see cref="CancellationToken"/>.</summary>
    public ParallelOptions ParallelOptions => new() { MaxDegreeOfParallelism = Threads, CancellationToken = CancellationToken };

    /// <summary>
    /// Runs a program with its output framed under this target, stops it on Ctrl-C, and fails the target when it
    /// exits with a non-zero code (unless <paramref name="allowFailure"/>). Returns the exit code.
    /// </summary>
    public Task<int> RunAsync(string program, IEnumerable<string> arguments, string? workingDirectory = null, bool allowFailure = false) =>
        ProcessRunner.RunAsync(program, arguments, workingDirectory ?? RootDirectory, Info, CancellationToken, throwOnFailure: !allowFailure);

    public void Debug(string message) => _log.Write(LogLevel.Debug, message);

    public void Info(string message) => _log.Write(LogLevel.Info, message);

    public void Warn(string message) => _log.Write(LogLevel.Warning, message);

    public void Error(string message) => _log.Write(LogLevel.Error, message);
}
