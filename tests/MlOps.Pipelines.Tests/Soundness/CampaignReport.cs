using System.Text;

namespace MlOps.Pipelines.Soundness;

/// <summary>The campaign's figures: edits tried, stale hits (goal 0), needless reruns, and what each kind of edit did.</summary>
sealed record CampaignReport(IReadOnlyList<CampaignOutcome> Outcomes)
{
    public IReadOnlyList<CampaignOutcome> Compiled => [.. Outcomes.Where(o => o.Compiled)];
    public IReadOnlyList<CampaignOutcome> StaleHits => [.. Compiled.Where(o => o.Stale.Count > 0)];
    public IReadOnlyList<CampaignOutcome> NeedlessReruns => [.. Compiled.Where(o => o.Needless)];
    public IReadOnlyList<CampaignOutcome> OutputChanging => [.. Compiled.Where(o => o.Changed.Count > 0)];

    /// <summary>Reruns where the target's output turned out the same (equivalent edits, code off the output's path, class-hierarchy over-approximation).</summary>
    public int RerunsWithSameOutput => Compiled.Sum(o => o.Rerun.Count(t => !o.Changed.Contains(t)));

    public string Describe()
    {
        var text = new StringBuilder();
        text.Append($"edits {Outcomes.Count}, compiled (tried) {Compiled.Count}, changed some target's output {OutputChanging.Count}, ")
            .Append($"stale hits {StaleHits.Count}, needless reruns (unreachable code or comments) {NeedlessReruns.Count} of {Compiled.Count(o => o.Edit.Unreachable)}, ")
            .Append($"unused-override edits that reran {Compiled.Count(o => o.Edit.UnusedOverride && o.Rerun.Count > 0)} of {Compiled.Count(o => o.Edit.UnusedOverride)}, ")
            .Append($"target reruns with unchanged output {RerunsWithSameOutput} of {Compiled.Sum(o => o.Rerun.Count)}\n");
        foreach (var group in Compiled.GroupBy(o => (o.Edit.InLibrary ? "library" : "pipeline") + " " + o.Edit.Kind).OrderBy(g => g.Key, StringComparer.Ordinal))
            text.Append($"  {group.Key}: {group.Count()} tried, {group.Count(o => o.Changed.Count > 0)} changed an output, {group.Count(o => o.Rerun.Count > 0)} reran a target, {group.Count(o => o.Stale.Count > 0)} stale\n");
        text.Append("  by place edited:\n");
        foreach (var group in Compiled.GroupBy(o => o.Edit.Site).OrderBy(g => g.Key, StringComparer.Ordinal))
            text.Append($"    {group.Key}: {group.Count()} tried, {group.Count(o => o.Changed.Count > 0)} changed an output, {group.Count(o => o.Rerun.Count > 0)} reran a target, {group.Count(o => o.Stale.Count > 0)} stale\n");
        foreach (var stale in StaleHits) text.Append($"  STALE {stale.Edit.Site}: {stale.Edit.Description} → {string.Join(",", stale.Stale)}\n");
        foreach (var needless in NeedlessReruns) text.Append($"  NEEDLESS {needless.Edit.Site}: {needless.Edit.Description} → {string.Join(",", needless.Rerun)}\n");
        return text.ToString();
    }
}
