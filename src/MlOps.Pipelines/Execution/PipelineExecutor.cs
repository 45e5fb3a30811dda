using MlOps.Pipelines.Artifacts;
using MlOps.Pipelines.Caching;
using MlOps.Pipelines.Discovery;
using MlOps.Pipelines.Output;

namespace MlOps.Pipelines.Execution;

/// <summary>
/// Runs a plan: a target starts once every target ordered before it has finished, up to <c>--parallel</c> at
/// once. A failure stops new starts unless the failed target proceeds after failure; targets that depend on a
/// failed one never run; assured targets run regardless; Ctrl-C cancels what runs and starts nothing more.
/// Output is printed in plan order (see <see cref="OrderedOutput"/>), so it reads the same however many run at once.
/// </summary>
sealed class PipelineExecutor(ConsoleOutput output, BuildCache cache, ExecutionOptions options, CancellationToken cancellation)
{
    public async Task<IReadOnlyList<TargetRun>> ExecuteAsync(IReadOnlyList<TargetModel> plan)
    {
        var runs = plan.Select((t, i) => new TargetRun(t, i)).ToList();
        var byTarget = runs.ToDictionary(r => r.Target);
        var ordered = new OrderedOutput(output.Writer, runs.Count);
        var started = new bool[runs.Count];
        var running = new Dictionary<Task, TargetRun>();
        var stopped = false;

        bool Finished(TargetModel target) => !byTarget.TryGetValue(target, out var r) || started[r.Index] && !running.ContainsValue(r);

        while (true)
        {
            foreach (var run in runs)
            {
                if (started[run.Index] || running.Count >= options.Parallel) continue;
                if (!run.Target.Predecessors.All(Finished)) continue;
                started[run.Index] = true;
                if (Decline(run, byTarget, stopped))
                {
                    ordered.Complete(run.Index);
                    continue;
                }
                running[RunAsync(run, byTarget, output.WithWriter(ordered.Channel(run.Index)))] = run;
            }
            if (running.Count == 0) break;
            var done = await Task.WhenAny(running.Keys);
            var finished = running[done];
            running.Remove(done);
            ordered.Complete(finished.Index);
            if (finished.Status == TargetStatus.Failed && !finished.Target.Definition.ProceedsAfterFailure) stopped = true;
        }
        return runs;
    }

    /// <summary>Decides, without running it, that a target will not run; true when so.</summary>
    bool Decline(TargetRun run, IReadOnlyDictionary<TargetModel, TargetRun> byTarget, bool stopped)
    {
        var target = run.Target;
        var assured = target.Definition.IsAssured;
        var failedDependency = target.DependsOn.FirstOrDefault(d =>
            byTarget.TryGetValue(d, out var r) && r.Status is TargetStatus.Failed or TargetStatus.NotRun or TargetStatus.Cancelled);
        (run.Status, run.Note) = cancellation.IsCancellationRequested ? (TargetStatus.NotRun, "cancelled before it started")
            : options.SkipReason(target) is { } skip ? (TargetStatus.Skipped, skip)
            : !assured && failedDependency is not null ? (TargetStatus.NotRun, $"depends on {failedDependency.DisplayName}, which did not succeed")
            : !assured && stopped ? (TargetStatus.NotRun, "an earlier target failed")
            : (TargetStatus.NotRun, "");
        return run.Note.Length > 0;
    }

    /// <summary>The hash of a consumed artefact as its producer left it in this run; null to read it from artifacts/.</summary>
    static Func<Artifact, string?> ConsumedHash(TargetModel target, IReadOnlyDictionary<TargetModel, TargetRun> byTarget) => artifact =>
        target.Pipeline.Producers.TryGetValue(artifact, out var producer) && byTarget.TryGetValue(producer, out var run)
        && run.Trace?.Outputs.TryGetValue(artifact.Name, out var output) == true
            ? output!.Hash
            : null;

    async Task RunAsync(TargetRun run, IReadOnlyDictionary<TargetModel, TargetRun> byTarget, ConsoleOutput output)
    {
        await Task.Yield(); // let the scheduler start the next ready target
        var runner = new TargetRunner(output, cache, options, cancellation);
        await runner.RunAsync(run, ConsumedHash(run.Target, byTarget));
    }
}
