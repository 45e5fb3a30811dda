using System.Text;
using MlOps.Pipelines.Discovery;

namespace MlOps.Pipelines.Output;

/// <summary><c>--plan</c>: the ordered plan as text, and the graph as Mermaid for a Markdown viewer.</summary>
static class PlanWriter
{
    public static void Write(ConsoleOutput output, IReadOnlyList<TargetModel> plan, IReadOnlySet<TargetModel> skipped, string mermaidPath)
    {
        output.Line($"Plan: {plan.Count} target{(plan.Count == 1 ? "" : "s")}, in this order", Style.Heading, Verbosity.Quiet);
        var rows = plan.Select((t, i) => new[]
        {
            $"  {i + 1}.",
            t.DisplayName + (skipped.Contains(t) ? " (skipped)" : ""),
            Relations(t, plan),
        }).ToList();
        foreach (var line in ConsoleOutput.Columns(rows)) output.Line(line, minimum: Verbosity.Quiet);
        output.Line($"Mermaid graph: {mermaidPath}", Style.Dim, Verbosity.Quiet);
    }

    static string Relations(TargetModel target, IReadOnlyList<TargetModel> plan)
    {
        var parts = new List<string>();
        var needs = target.DependsOn.Where(plan.Contains).Select(d => d.DisplayName).ToList();
        if (needs.Count > 0) parts.Add("← " + string.Join(", ", needs));
        var triggeredBy = plan.Where(t => t.Triggered.Contains(target)).Select(t => t.DisplayName).ToList();
        if (triggeredBy.Count > 0) parts.Add("triggered by " + string.Join(", ", triggeredBy));
        var after = target.Predecessors.Where(p => plan.Contains(p) && !target.DependsOn.Contains(p) && !p.Triggered.Contains(target))
            .Select(d => d.DisplayName).ToList();
        if (after.Count > 0) parts.Add("after " + string.Join(", ", after));
        return string.Join("; ", parts);
    }

    /// <summary>A Markdown document with a Mermaid flowchart: solid arrows for DependsOn, dotted for the rest.</summary>
    public static string Mermaid(IReadOnlyList<TargetModel> plan, IReadOnlySet<TargetModel> skipped)
    {
        static string Id(TargetModel t) => $"{t.Pipeline.Name}_{t.Name}";
        var text = new StringBuilder();
        text.Append("# Execution plan\n\n```mermaid\nflowchart LR\n");
        foreach (var target in plan)
            text.Append($"    {Id(target)}[\"{target.DisplayName}\"]\n");
        foreach (var target in plan)
        {
            foreach (var dependency in target.DependsOn.Where(plan.Contains))
                text.Append($"    {Id(dependency)} --> {Id(target)}\n");
            foreach (var triggered in target.Triggered.Where(plan.Contains))
                text.Append($"    {Id(target)} -. triggers .-> {Id(triggered)}\n");
            foreach (var predecessor in target.Predecessors.Where(p => plan.Contains(p) && !target.DependsOn.Contains(p) && !p.Triggered.Contains(target)))
                text.Append($"    {Id(predecessor)} -. before .-> {Id(target)}\n");
        }
        foreach (var target in plan.Where(skipped.Contains))
            text.Append($"    style {Id(target)} stroke-dasharray: 5 5\n");
        text.Append("```\n");
        return text.ToString();
    }
}
