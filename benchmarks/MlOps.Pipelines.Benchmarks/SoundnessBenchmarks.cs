using System.Diagnostics;
using MlOps.Pipelines.Soundness;

/// <summary>
/// The whole soundness campaign (the tests run a subset): every generated edit compiled, keyed and run. Its figures
/// go to docs/benchmarks.md; the per-kind table is printed to standard error.
/// </summary>
static class SoundnessBenchmarks
{
    public static void Run(string scratch, Dictionary<string, double> results)
    {
        var stopwatch = Stopwatch.StartNew();
        var edits = CampaignEdits.All();
        using var runner = new CampaignRunner(Path.Combine(scratch, "soundness"));
        var report = new CampaignReport([.. edits.Select(runner.Try)]);
        Console.Error.Write(report.Describe());
        results["soundness_edits_generated"] = edits.Count;
        results["soundness_edits_tried"] = report.Compiled.Count;
        results["soundness_edits_changing_an_output"] = report.OutputChanging.Count;
        results["soundness_stale_hits"] = report.StaleHits.Count;
        results["soundness_unreachable_edits"] = report.Compiled.Count(o => o.Edit.Unreachable);
        results["soundness_needless_reruns"] = report.NeedlessReruns.Count;
        results["soundness_target_reruns"] = report.Compiled.Sum(o => o.Rerun.Count);
        results["soundness_target_reruns_same_output"] = report.RerunsWithSameOutput;
        results["soundness_seconds"] = stopwatch.Elapsed.TotalSeconds;
    }
}
