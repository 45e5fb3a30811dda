using System.Text;
using MlOps.Pipelines.Execution;

namespace MlOps.Pipelines.Output;

/// <summary>The table that ends every run (target, status, duration, note), in plan order.</summary>
static class SummaryWriter
{
    public static void Write(ConsoleOutput output, IReadOnlyList<TargetRun> runs, TimeSpan total)
    {
        var rows = new List<string[]> { new[] { "Target", "Status", "Duration", "Note" } };
        rows.AddRange(runs.Select(r => new[] { r.Target.DisplayName, Status(r), Duration(r), r.Note }));
        rows.Add(["Total", "", ConsoleOutput.FormatDuration(total), ""]);
        var lines = ConsoleOutput.Columns(rows).ToList();
        var rule = new string('─', lines.Max(l => l.Length));
        output.Line(rule, Style.Dim, Verbosity.Minimal);
        for (var i = 0; i < lines.Count; i++)
        {
            if (i == lines.Count - 1) output.Line(rule, Style.Dim, Verbosity.Minimal);
            var style = i == 0 ? Style.Bold : i == lines.Count - 1 ? Style.Plain : StyleOf(runs[i - 1].Status);
            output.Line(lines[i], style, Verbosity.Minimal);
        }
        output.Line(rule, Style.Dim, Verbosity.Minimal);
    }

    /// <summary>The same summary as a Markdown table, for <c>GITHUB_STEP_SUMMARY</c>.</summary>
    public static string Markdown(IReadOnlyList<TargetRun> runs, TimeSpan total, string title, SecretMasker masker)
    {
        static string Cell(string text) => text.Replace("|", "\\|", StringComparison.Ordinal);
        var text = new StringBuilder();
        text.Append($"### {title}\n\n| Target | Status | Duration | Note |\n| --- | --- | ---: | --- |\n");
        foreach (var run in runs)
            text.Append($"| {Cell(run.Target.DisplayName)} | {Status(run)} | {Duration(run)} | {Cell(run.Note)} |\n");
        text.Append($"| **Total** | | {ConsoleOutput.FormatDuration(total)} | |\n\n");
        // Masked whole, as it leaves: a secret can reach the summary through a note, a title or a target's name.
        return masker.Apply(text.ToString());
    }

    static string Status(TargetRun run) => run.Status switch
    {
        TargetStatus.NotRun => "Not run",
        TargetStatus.Failed when run.GateWithheld => "Gate failed",
        _ => run.Status.ToString(),
    };

    static string Duration(TargetRun run) =>
        run.Status is TargetStatus.Succeeded or TargetStatus.Failed or TargetStatus.Cancelled ? ConsoleOutput.FormatDuration(run.Duration) : "–";

    static Style StyleOf(TargetStatus status) => status switch
    {
        TargetStatus.Succeeded => Style.Success,
        TargetStatus.Failed => Style.Error,
        TargetStatus.Cancelled => Style.Warning,
        _ => Style.Dim,
    };
}
