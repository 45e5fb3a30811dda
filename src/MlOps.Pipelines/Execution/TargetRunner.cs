using System.Diagnostics;
using MlOps.Pipelines.Artifacts;
using MlOps.Pipelines.Caching;
using MlOps.Pipelines.Output;

namespace MlOps.Pipelines.Execution;

/// <summary>
/// One target from start to finish: its conditions, the cache (restore on a hit, the reason on a miss), its
/// actions with output framed under its name, and storing what it produced.
/// </summary>
sealed class TargetRunner(ConsoleOutput output, BuildCache cache, ExecutionOptions options, CancellationToken cancellation)
{
    public async Task RunAsync(TargetRun run, Func<Artifact, string?> consumedHash)
    {
        var target = run.Target;
        var stopwatch = Stopwatch.StartNew();
        var staging = cache.Directory.Parent! / "temp" / "staging" / $"{options.RunId}-{target.Pipeline.Name}.{target.Name}";
        var framed = false;
        Tracking.TargetTracker? tracker = null;
        try
        {
            foreach (var (condition, text) in target.Definition.Conditions)
            {
                if (condition()) continue;
                run.Status = TargetStatus.Skipped;
                run.Note = $"condition false: {text}";
                output.Line($"{target.DisplayName} skipped: {run.Note}", Style.Dim);
                return;
            }

            var reason = Reason(run, consumedHash);
            if (run.Status == TargetStatus.Cached)
            {
                options.Tracking?.Record(run);
                return;
            }

            output.BeginTarget(target.DisplayName);
            framed = true;
            if (reason.Length > 0) output.Line($"runs because: {reason}", Style.Dim, Verbosity.Verbose);
            var log = new TargetLog(output);
            var files = new TargetFiles(target, staging, cache.Hasher, artifact => consumedHash(artifact) ?? cache.WorkspaceHash(target, artifact));
            tracker = options.Tracking?.Begin(target);
            var context = new TargetContext(target.Pipeline.Instance, target.Name, options.Threads, log, files, tracker, cancellation);
            using (ConsoleRouter.Route(log, new TargetLog(output)))
            {
                foreach (var action in target.Definition.Actions)
                {
                    cancellation.ThrowIfCancellationRequested();
                    // On the thread pool, so a target that blocks cannot stall Ctrl-C handling.
                    await Task.Run(() => action(context), CancellationToken.None);
                }
            }
            run.Trace = cache.Store(files, options.RunId);
            run.Status = TargetStatus.Succeeded;
            run.Note = reason;
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            run.Status = TargetStatus.Cancelled;
            run.Note = "cancelled (Ctrl-C)";
        }
        catch (Exception exception)
        {
            exception = Unwrap(exception);
            run.Status = TargetStatus.Failed;
            run.GateWithheld = exception is GateFailedException;
            var message = Describe(exception);
            run.Note = message.Split('\n')[0].TrimEnd();
            output.TargetFailure(target.DisplayName, message);
            // Neither a refused gate nor an unreachable registry is a bug: their one line says it all.
            if (!run.GateWithheld && exception is not RegistryUnavailableException)
            {
                if (output.Verbosity >= Verbosity.Verbose) output.Line(exception.ToString(), Style.Dim, Verbosity.Verbose);
                else output.Line("(run with --verbosity verbose for the stack trace)", Style.Dim);
            }
        }
        finally
        {
            if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
            run.Duration = stopwatch.Elapsed;
            // The parameters the target read, also when it failed (it then has no trace): what a failure needs to be understood.
            tracker?.End(run, run.Trace?.Parameters ?? cache.ParameterValues(target));
            if (framed)
            {
                var (result, style) = run.Status switch
                {
                    TargetStatus.Succeeded => ("succeeded", Style.Success),
                    TargetStatus.Cancelled => ("cancelled", Style.Warning),
                    _ => ("failed", Style.Error),
                };
                output.EndTarget(target.DisplayName, $"{result} in {ConsoleOutput.FormatDuration(run.Duration)}", style);
            }
        }
    }

    /// <summary>Restores the target when the cache has it (status Cached), or says why it must run.</summary>
    string Reason(TargetRun run, Func<Artifact, string?> consumedHash)
    {
        var target = run.Target;
        if (!target.IsCacheable) return "";
        if (options.Forced.Contains(target)) return "--force";
        if (options.NoCache) return "--no-cache";
        var (hit, reason) = cache.Find(target, consumedHash);
        if (hit is null) return reason;
        if (!cache.TryRestore(hit, target))
        {
            output.Log(LogLevel.Warning, $"the cache entry of {target.DisplayName} had a damaged object; it was evicted and {target.Name} runs again");
            return "cache entry was damaged";
        }
        run.Status = TargetStatus.Cached;
        run.Trace = hit;
        run.Note = $"from run {hit.RunId}";
        output.Line(output.Paint($"── {target.DisplayName} cached (from run {hit.RunId})", Style.Dim));
        return "";
    }

    static Exception Unwrap(Exception exception)
    {
        while (exception is System.Reflection.TargetInvocationException or AggregateException && exception.InnerException is not null)
            exception = exception.InnerException;
        return exception;
    }

    /// <summary>The message users need; the exception type only where it says something the message does not.</summary>
    static string Describe(Exception exception)
    {
        var message = exception.Message.ReplaceLineEndings("\n");
        return exception is GateFailedException or RegistryUnavailableException or IOException or InvalidDataException or FormatException or InvalidOperationException
            ? message
            : $"{exception.GetType().Name}: {message}";
    }
}
