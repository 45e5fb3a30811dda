using MlOps.Pipelines.CommandLine;
using MlOps.Pipelines.Discovery;
using MlOps.Pipelines.Parameters;

namespace MlOps.Pipelines.Output;

/// <summary><c>--help</c>: per pipeline its targets (description, dependencies) and parameters (type, value, source).</summary>
static class HelpWriter
{
    public static void Write(ConsoleOutput output, IReadOnlyList<PipelineModel> pipelines, TargetModel? defaultTarget,
        IReadOnlyDictionary<ParameterModel, BoundParameter> bound, IReadOnlyList<ParameterModel> hostParameters, AbsolutePath root)
    {
        output.Line("Usage: ./build.sh [targets] [--parameter value ...] [options]", Style.Bold, Verbosity.Quiet);
        foreach (var pipeline in pipelines)
        {
            output.Line(minimum: Verbosity.Quiet);
            output.Line(pipeline.Name + (pipeline.DefaultTarget == defaultTarget && defaultTarget is not null ? " (default pipeline)" : ""), Style.Heading, Verbosity.Quiet);
            output.Line("  Targets", Style.Bold, Verbosity.Quiet);
            var targetRows = pipeline.Targets.Select(t => new[]
            {
                "    " + t.DisplayName + (t == defaultTarget ? " (default)" : ""),
                t.Description ?? "",
                t.DependsOn.Count > 0 ? "→ " + string.Join(", ", t.DependsOn.Select(d => d.DisplayName)) : "",
            }).ToList();
            foreach (var line in ConsoleOutput.Columns(targetRows)) output.Line(line, minimum: Verbosity.Quiet);

            if (pipeline.Parameters.Count == 0) continue;
            output.Line("  Parameters", Style.Bold, Verbosity.Quiet);
            WriteParameters(output, pipeline.Parameters, bound, root);
        }

        output.Line(minimum: Verbosity.Quiet);
        output.Line("Options", Style.Heading, Verbosity.Quiet);
        var commandRows = CommandLineArguments.Commands
            .Select(c => new[] { "    --" + c.Key + c.Value.Placeholder, c.Value.Description, "" });
        WriteParameters(output, hostParameters, bound, root, commandRows);
        output.Line(minimum: Verbosity.Quiet);
        output.Line("Parameter sources, highest first: --name on the command line, NAME in the environment,", Style.Dim, Verbosity.Quiet);
        output.Line(".nuke/parameters.<profile>.json, .nuke/parameters.json, the default in the pipeline.", Style.Dim, Verbosity.Quiet);
    }

    static void WriteParameters(ConsoleOutput output, IReadOnlyList<ParameterModel> parameters,
        IReadOnlyDictionary<ParameterModel, BoundParameter> bound, AbsolutePath root, IEnumerable<string[]>? moreRows = null)
    {
        var rows = parameters.Select(p =>
        {
            var value = bound[p];
            var shown = value.Error is not null ? "invalid, see below"
                : p.IsSecret ? (value.Value is null ? "not set" : "*** (secret)")
                : value.Value is null ? "not set"
                : value.Value is Array { Length: 0 } ? "none"
                : ValueConverter.Format(value.Value, root);
            return new[]
            {
                $"    --{p.CliName} <{ValueConverter.ShortName(p.Type)}>",
                p.Range is { } range ? $"{p.Description} ({range})" : p.Description,
                $"= {shown} ({value.Source})",
            };
        }).Concat(moreRows ?? []).ToList();
        foreach (var line in ConsoleOutput.Columns(rows)) output.Line(line, minimum: Verbosity.Quiet);
        foreach (var error in parameters.Select(p => bound[p].Error).OfType<string>())
            output.Log(LogLevel.Error, error);
    }
}
