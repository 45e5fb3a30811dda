using System.Diagnostics;
using MlOps.Pipelines.Discovery;
using MlOps.Pipelines.Output;

namespace MlOps.Pipelines.Execution;

/// <summary>
/// Runs a plan in order. A failure stops the run unless the failed target proceeds after failure; targets
/// that depend on a failed one never run; assured targets run regardless; conditions are evaluated just
/// before a target would start; Ctrl-C cancels the running target and nothing after it starts.
/// </summary>
sealed class PipelineExecutor(ConsoleOutput output, int threads, CancellationToken cancellation)
{
    public async Task<IReadOnlyList<TargetRun>> ExecuteAsync(IReadOnlyList<TargetModel> plan, IReadOnlySet<TargetModel> skipped)
    {
        var runs = plan.Select(t => new TargetRun(t)).ToList();
        var byTarget = runs.ToDictionary(r => r.Target);
        var stopped = false;

        foreach (var run in runs)
        {
            var target = run.Target;
            if (cancellation.IsCancellationRequested)
            {
                run.Note = "cancelled before it started";
                continue;
            }
            if (skipped.Contains(target))
            {
                run.Status = TargetStatus.Skipped;
                run.Note = "--skip";
                continue;
            }
            var assured = target.Definition.IsAssured;
            var failedDependency = target.DependsOn.FirstOrDefault(d => byTarget.TryGetValue(d, out var r) && r.Status is TargetStatus.Failed or TargetStatus.NotRun);
            if (!assured && failedDependency is not null)
            {
                run.Note = $"depends on {failedDependency.DisplayName}, which did not succeed";
                continue;
            }
            if (!assured && stopped)
            {
                run.Note = "an earlier target failed";
                continue;
            }

            await RunAsync(run);
            if (run.Status == TargetStatus.Failed && !target.Definition.ProceedsAfterFailure) stopped = true;
        }
        return runs;
    }

    async Task RunAsync(TargetRun run)
    {
        var target = run.Target;
        var stopwatch = Stopwatch.StartNew();
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

            output.BeginTarget(target.DisplayName);
            var log = new TargetLog(output);
            var context = new TargetContext(target.Pipeline.Instance, target.Name, threads, log, cancellation);
            using (ConsoleRouter.Route(log))
            {
                foreach (var action in target.Definition.Actions)
                {
                    cancellation.ThrowIfCancellationRequested();
                    // Run on the thread pool so a target that blocks cannot stall Ctrl-C handling.
                    await Task.Run(() => action(context), CancellationToken.None);
                }
            }
            run.Status = TargetStatus.Succeeded;
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            run.Status = TargetStatus.Cancelled;
            run.Note = "cancelled (Ctrl-C)";
        }
        catch (Exception exception)
        {
            run.Status = TargetStatus.Failed;
            exception = Unwrap(exception);
            run.GateWithheld = exception is GateFailedException;
            var message = Describe(exception);
            run.Note = message.Split('\n')[0].TrimEnd();
            output.TargetFailure(target.DisplayName, message);
            if (!run.GateWithheld)
            {
                if (output.Verbosity >= Verbosity.Verbose) output.Line(exception.ToString(), Style.Dim, Verbosity.Verbose);
                else output.Line("(run with --verbosity verbose for the stack trace)", Style.Dim);
            }
        }
        finally
        {
            run.Duration = stopwatch.Elapsed;
            if (run.Status != TargetStatus.Skipped)
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
        return exception is GateFailedException or IOException or InvalidDataException or FormatException or InvalidOperationException
            ? message
            : $"{exception.GetType().Name}: {message}";
    }
}
