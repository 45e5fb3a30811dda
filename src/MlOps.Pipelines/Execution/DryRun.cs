using MlOps.Pipelines.Caching;
using MlOps.Pipelines.Discovery;

namespace MlOps.Pipelines.Execution;

/// <summary><c>--dry-run</c>: what each planned target would do (run, restore from the cache, skip) and why, running nothing.</summary>
static class DryRun
{
    public static IReadOnlyList<string[]> Explain(IReadOnlyList<TargetModel> plan, BuildCache cache, ExecutionOptions options)
    {
        var willRun = new HashSet<TargetModel>();
        var hits = new Dictionary<TargetModel, Trace>();
        var rows = new List<string[]> { new[] { "Target", "Would", "Why" } };
        foreach (var target in plan)
        {
            var (would, why) = Decide(target);
            if (would.StartsWith("run", StringComparison.Ordinal)) willRun.Add(target);
            rows.Add([target.DisplayName, would, why]);
        }
        return rows;

        (string Would, string Why) Decide(TargetModel target)
        {
            if (options.SkipReason(target) is { } skip) return ("skip", skip);
            var failing = target.Definition.Conditions.FirstOrDefault(c => !c.Condition());
            if (failing.Condition is not null) return ("skip", $"condition false: {failing.Text}");
            if (!target.IsCacheable)
                return ("run", target.Definition.IsCached ? "produces no artefacts, so it always runs" : "Cached(false): always runs");
            if (options.Forced.Contains(target)) return ("run", "--force");
            if (options.NoCache) return ("run", "--no-cache");
            var upstream = target.Definition.Consumed
                .Select(a => (Artifact: a, Producer: target.Pipeline.Producers[a]))
                .FirstOrDefault(p => willRun.Contains(p.Producer));
            if (upstream.Artifact is not null)
                return ("run?", $"consumes {upstream.Artifact.Name} from {upstream.Producer.DisplayName}, which will run: runs if that changes it");
            var (hit, reason) = cache.Find(target, artifact =>
                target.Pipeline.Producers.TryGetValue(artifact, out var producer) && hits.TryGetValue(producer, out var trace)
                    ? trace.Outputs.GetValueOrDefault(artifact.Name)?.Hash
                    : null);
            if (hit is null) return ("run", reason);
            hits[target] = hit;
            return ("cached", $"from run {hit.RunId}");
        }
    }
}
