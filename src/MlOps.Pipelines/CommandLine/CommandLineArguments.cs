using MlOps.Pipelines.Hosting;

namespace MlOps.Pipelines.CommandLine;

/// <summary>
/// The command line split into leading target names and <c>--option value...</c> groups. An option takes
/// every following word up to the next <c>--option</c>; <c>--name=value</c> also works.
/// </summary>
sealed class CommandLineArguments
{
    /// <summary>Options that steer the host rather than bind a parameter, with how many values each takes.</summary>
    public static readonly IReadOnlyDictionary<string, (int Min, int Max, string Placeholder, string Description)> Commands =
        new Dictionary<string, (int, int, string, string)>
        {
            ["help"] = (0, 0, "", "Show targets, and parameters with their values and sources"),
            ["plan"] = (0, 0, "", "Show the plan; also as Mermaid in .nuke/temp/plan.md"),
            ["list"] = (0, 0, "", "List target names, one a line"),
            ["dry-run"] = (0, 0, "", "Show what would run and why, without running anything"),
            ["continue"] = (0, 0, "", "Skip the targets that succeeded in the previous run"),
            ["cache-info"] = (0, 0, "", "Show the cache's size, entries and the last run's hit rate"),
            ["cache-prune"] = (0, 1, " [size]", "Drop least recently used entries down to a size (default 5GB)"),
            ["root"] = (1, 1, " <path>", "Repository root (default: nearest folder up with .nuke/)"),
            ["profile"] = (1, 1, " <name>", "Also read .nuke/parameters.<profile>.json"),
        };

    public List<string> Targets { get; } = [];

    /// <summary>Option name (lower case, no dashes) → its values, in the order given.</summary>
    public Dictionary<string, IReadOnlyList<string>> Options { get; } = new(StringComparer.Ordinal);

    public bool Has(string command) => Options.ContainsKey(command);

    public string? Value(string command) => Options.TryGetValue(command, out var values) && values.Count > 0 ? values[0] : null;

    public static CommandLineArguments Parse(IReadOnlyList<string> args)
    {
        var result = new CommandLineArguments();
        List<string>? current = null;
        foreach (var arg in args)
        {
            if (arg is "-h" or "-?" or "/?") Add(result, "help", [], arg);
            else if (arg.StartsWith("--", StringComparison.Ordinal) && arg.Length > 2)
            {
                var body = arg[2..];
                var equals = body.IndexOf('=', StringComparison.Ordinal);
                var name = (equals < 0 ? body : body[..equals]).ToLowerInvariant();
                current = equals < 0 ? [] : [body[(equals + 1)..]];
                Add(result, name, current, arg);
            }
            else if (current is null) result.Targets.Add(arg);
            else current.Add(arg);
        }

        foreach (var (name, (min, max, _, _)) in Commands)
            if (result.Options.TryGetValue(name, out var values) && (values.Count < min || values.Count > max))
                throw new UsageException(max == 0
                    ? $"Option --{name} takes no value; got '{string.Join(" ", values)}'."
                    : $"Option --{name} takes {(min == max ? $"{min}" : $"{min} to {max}")} value(s); got {values.Count}.");
        return result;
    }

    static void Add(CommandLineArguments result, string name, List<string> values, string arg)
    {
        if (!result.Options.TryAdd(name, values))
            throw new UsageException($"Option --{name} is given twice ('{arg}').");
    }
}
